// Strided copies: transposes, permutations, slices and broadcasts all become one of these.
#include "kernels_internal.h"

#include <string.h>

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

// Copies one row of `width` floats: inlined for the common widths (an embedding of 16 floats is
// one cache line), where a memcpy call per row costs more than the copy.
static inline void copy_row(const float *restrict source, float *restrict target, long width) {
    // Constant sizes compile to a few vector moves; a plain loop would become a memcpy call.
    switch (width) {
    case 8: __builtin_memcpy(target, source, 8 * sizeof(float)); return;
    case 16: __builtin_memcpy(target, source, 16 * sizeof(float)); return;
    case 32: __builtin_memcpy(target, source, 32 * sizeof(float)); return;
    default: memcpy(target, source, (size_t)width * sizeof(float)); return;
    }
}

void funnel_gather_rows(const float *table, long width, const int32_t *ids, long count,
                        int has_padding, int32_t padding_id, float *out, long out_stride) {
    for (long position = 0; position < count; position++) {
        float *target = out + position * out_stride;
        if (has_padding && ids[position] == padding_id) {
            for (long i = 0; i < width; i++) target[i] = 0.0f;
        } else {
            copy_row(table + (long)ids[position] * width, target, width);
        }
    }
}

// MARK: - Sign bits

void funnel_sign_bits(const float *x, long rows, long bits, uint64_t *words) {
    long per_row = (bits + 63) / 64;
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * bits;
        for (long w = 0; w < per_row; w++) {
            long end = (w + 1) * 64 < bits ? (w + 1) * 64 : bits;
            uint64_t packed = 0;
            // A branch-free loop: compare and shift, which the compiler turns into vector masks.
            for (long b = w * 64; b < end; b++) packed |= (uint64_t)(row[b] > 0.0f) << (b - w * 64);
            words[r * per_row + w] = packed;
        }
    }
}
