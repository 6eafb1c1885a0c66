// Strided copies: transposes, permutations, slices and broadcasts all become one of these.
#include "kernels_internal.h"

#include <string.h>

#if FUNNEL_X86
#include <immintrin.h>
#endif

enum { MAX_RANK = 8, COPY_GRAIN = 1 << 16 };

typedef struct {
    const float *x;
    float *y;
    int rank;
    long shape[MAX_RANK];
    long strides[MAX_RANK];
    long outer_count, inner_count, tasks;
} copy_job;

// Copies the rows [begin, end) of the outer index space (all dimensions but the last).
static void copy_rows(const copy_job *job, long begin, long end) {
    int rank = job->rank;
    long inner = job->shape[rank - 1], step = job->strides[rank - 1];
    long index[MAX_RANK] = {0};
    long remaining = begin;
    long offset = 0;
    for (int axis = rank - 2; axis >= 0; axis--) {
        index[axis] = remaining % job->shape[axis];
        remaining /= job->shape[axis];
        offset += index[axis] * job->strides[axis];
    }
    float *y = job->y + begin * inner;
    for (long row = begin; row < end; row++) {
        const float *x = job->x + offset;
        if (step == 1) {
            memcpy(y, x, (size_t)inner * sizeof(float));
        } else if (step == 0) {
            float value = x[0];
            for (long i = 0; i < inner; i++) y[i] = value;
        } else {
            for (long i = 0; i < inner; i++) y[i] = x[i * step];
        }
        y += inner;
        for (int axis = rank - 2; axis >= 0; axis--) {
            offset += job->strides[axis];
            if (++index[axis] < job->shape[axis]) break;
            offset -= index[axis] * job->strides[axis];
            index[axis] = 0;
        }
    }
}

static void copy_task(void *context, long task_index) {
    copy_job *job = context;
    long begin, end;
    funnel_task_range(job->outer_count, job->tasks, task_index, &begin, &end);
    copy_rows(job, begin, end);
}

void funnel_strided_copy(const float *x, float *y, int rank, const long *shape,
                         const long *x_strides) {
    copy_job job;
    job.x = x;
    job.y = y;
    // Drop unit dimensions and keep at least one.
    job.rank = 0;
    for (int axis = 0; axis < rank; axis++) {
        if (shape[axis] == 0) return;
        if (shape[axis] == 1) continue;
        job.shape[job.rank] = shape[axis];
        job.strides[job.rank] = x_strides[axis];
        job.rank++;
    }
    if (job.rank == 0) {
        y[0] = x[0];
        return;
    }
    // Merge neighbours that are contiguous with each other in x.
    int merged = 0;
    for (int axis = 1; axis < job.rank; axis++) {
        if (job.strides[merged] == job.strides[axis] * job.shape[axis]) {
            job.shape[merged] *= job.shape[axis];
            job.strides[merged] = job.strides[axis];
        } else {
            merged++;
            job.shape[merged] = job.shape[axis];
            job.strides[merged] = job.strides[axis];
        }
    }
    job.rank = merged + 1;
    job.inner_count = job.shape[job.rank - 1];
    job.outer_count = 1;
    for (int axis = 0; axis < job.rank - 1; axis++) job.outer_count *= job.shape[axis];
    long tasks = funnel_task_count(job.outer_count * job.inner_count, COPY_GRAIN);
    job.tasks = tasks < job.outer_count ? tasks : job.outer_count;
    funnel_parallel_for(job.tasks, copy_task, &job);
}

// MARK: - Row gathers

// Copies one row of `width` floats. Vector types for the common widths (an embedding of 16
// floats is one cache line): compilers merge equal-sized __builtin_memcpy cases back into one
// memcpy call per row, which costs more than the copy.
typedef float row8 __attribute__((vector_size(32), aligned(4)));
typedef float row16 __attribute__((vector_size(64), aligned(4)));

static inline void copy_row(const float *restrict source, float *restrict target, long width) {
    switch (width) {
    case 8: *(row8 *)target = *(const row8 *)source; return;
    case 16: *(row16 *)target = *(const row16 *)source; return;
    case 32:
        ((row16 *)target)[0] = ((const row16 *)source)[0];
        ((row16 *)target)[1] = ((const row16 *)source)[1];
        return;
    default: memcpy(target, source, (size_t)width * sizeof(float)); return;
    }
}

static inline void zero_row(float *target, long width) {
    switch (width) {
    case 8: *(row8 *)target = (row8){0}; return;
    case 16: *(row16 *)target = (row16){0}; return;
    case 32: ((row16 *)target)[0] = ((row16 *)target)[1] = (row16){0}; return;
    default: memset(target, 0, (size_t)width * sizeof(float)); return;
    }
}

static inline void add_row(const float *restrict source, float *restrict target, long width) {
    if (width == 16) {
        *(row16 *)target += *(const row16 *)source;
        return;
    }
    for (long column = 0; column < width; column++) target[column] += source[column];
}

// Rows lie anywhere in a table larger than the caches: fetch a few ids ahead.
enum { GATHER_PREFETCH_DISTANCE = 16 };

typedef struct {
    const float *table;
    long width;
    const int32_t *ids;
    long count;
    int has_padding;
    int32_t padding_id;
    float *out;
    long out_stride, tasks;
} gather_job;

static void gather_task(void *context, long index) {
    const gather_job *job = context;
    long begin, end;
    funnel_task_range(job->count, job->tasks, index, &begin, &end);
    for (long position = begin; position < end; position++) {
        if (position + GATHER_PREFETCH_DISTANCE < end) {
            __builtin_prefetch(job->table + (long)job->ids[position + GATHER_PREFETCH_DISTANCE] * job->width, 0, 3);
        }
        float *target = job->out + position * job->out_stride;
        if (job->has_padding && job->ids[position] == job->padding_id) {
            zero_row(target, job->width);
        } else {
            copy_row(job->table + (long)job->ids[position] * job->width, target, job->width);
        }
    }
}

void funnel_gather_rows(const float *table, long width, const int32_t *ids, long count,
                        int has_padding, int32_t padding_id, float *out, long out_stride) {
    gather_job job = {table, width, ids, count, has_padding, padding_id, out, out_stride, 1};
    // Each row is a cache miss more than a copy: split by rows once there are enough.
    job.tasks = funnel_task_count(count * width, COPY_GRAIN / 4);
    funnel_parallel_for(job.tasks, gather_task, &job);
}

// MARK: - Row sums

typedef struct {
    const float *const *rows;
    long width;
    const int32_t *slots;
    long count;
    float *sums;
    long tasks;
} row_sums_job;

// A task's positions start and end where the slot changes, so each slot is summed by one task,
// in position order: the sums do not depend on the thread count.
static void row_sums_task(void *context, long index) {
    const row_sums_job *job = context;
    long begin, end;
    funnel_task_range(job->count, job->tasks, index, &begin, &end);
    while (begin > 0 && begin < job->count && job->slots[begin] == job->slots[begin - 1]) begin++;
    while (end < job->count && end > 0 && job->slots[end] == job->slots[end - 1]) end++;
    long width = job->width;
    for (long position = begin; position < end; position++) {
        if (position + GATHER_PREFETCH_DISTANCE < end) {
            __builtin_prefetch(job->rows[position + GATHER_PREFETCH_DISTANCE], 0, 0);
        }
        float *target = job->sums + (long)job->slots[position] * width;
        if (position == begin || job->slots[position] != job->slots[position - 1]) {
            copy_row(job->rows[position], target, width);
        } else {
            add_row(job->rows[position], target, width);
        }
    }
}

void funnel_sum_rows(const float *const *rows, long width, const int32_t *slots, long count, float *sums) {
    row_sums_job job = {rows, width, slots, count, sums, 1};
    job.tasks = funnel_task_count(count * width, COPY_GRAIN / 4);
    funnel_parallel_for(job.tasks, row_sums_task, &job);
}

// MARK: - Sign bits

#if FUNNEL_X86
// Sixteen comparisons a mask register: the scalar loop's variable shifts do not vectorise, and
// SimHash signs every position of every long sequence.
FUNNEL_TARGET_AVX512 static void sign_bits_avx512(const float *x, long rows, long bits,
                                                  uint64_t *words) {
    long per_row = (bits + 63) / 64;
    __m512 zero = _mm512_setzero_ps();
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * bits;
        for (long w = 0; w < per_row; w++) {
            long begin = w * 64, end = (w + 1) * 64 < bits ? (w + 1) * 64 : bits;
            uint64_t packed = 0;
            for (long b = begin; b < end; b += 16) {
                __mmask16 lanes = end - b >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (end - b)) - 1u);
                __m512 values = _mm512_maskz_loadu_ps(lanes, row + b);
                // Ordered greater-than: false for NaN, as the scalar comparison.
                __mmask16 positive = _mm512_mask_cmp_ps_mask(lanes, values, zero, _CMP_GT_OQ);
                packed |= (uint64_t)positive << (b - begin);
            }
            words[r * per_row + w] = packed;
        }
    }
}
#endif

void funnel_sign_bits(const float *x, long rows, long bits, uint64_t *words) {
#if FUNNEL_X86
    if (funnel_active_path() == FUNNEL_PATH_AVX512) {
        sign_bits_avx512(x, rows, bits, words);
        return;
    }
#endif
    long per_row = (bits + 63) / 64;
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * bits;
        for (long w = 0; w < per_row; w++) {
            long end = (w + 1) * 64 < bits ? (w + 1) * 64 : bits;
            uint64_t packed = 0;
            for (long b = w * 64; b < end; b++) packed |= (uint64_t)(row[b] > 0.0f) << (b - w * 64);
            words[r * per_row + w] = packed;
        }
    }
}
