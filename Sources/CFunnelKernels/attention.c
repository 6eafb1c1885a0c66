// Fused scaled dot-product attention over heads (forward and backward), one task per block of
// (batch, head) pairs (backward: of (batch, value head) groups, so that the query heads sharing
// a value head add to its gradient in order on one thread); every pair's arithmetic is the same
// whatever the split.
#include "kernels_internal.h"

#include <math.h>
#include <stdlib.h>
#if FUNNEL_X86
#include <immintrin.h>

#include "transpose_avx512.h"
#endif

#include "vector_math.h"

#define FUNNEL_PER_PATH_BODY "attention_body.h"
#include "per_path.h"

// Multiply-adds below which a second thread costs more than it saves.
enum { ATTENTION_GRAIN = 1L << 16 };

typedef struct {
    const funnel_attention_shape *shape;
    const float *q, *k, *v, *mask, *p, *dout;
    float *p_out, *o, *dq, *dk, *dv;
    long tasks;
} attention_job;

// The offsets of one (batch, query head) pair into each array.
typedef struct {
    long query, key, value, output, weights, mask;
} pair_offsets;

// Floats between consecutive rows of the queries and keys, and of the values.
static long query_row_of(const funnel_attention_shape *s) {
    return s->packed_row > 0 ? s->packed_row : s->heads * s->head_width;
}

static long value_row_of(const funnel_attention_shape *s) {
    return s->packed_row > 0 ? s->packed_row : s->heads / s->value_groups * s->value_width;
}

static pair_offsets offsets_of(const funnel_attention_shape *s, long pair) {
    long batch = pair / s->heads, head = pair % s->heads;
    long row = query_row_of(s), value_row = value_row_of(s);
    pair_offsets offsets;
    offsets.query = batch * s->query_length * row + head * s->head_width;
    offsets.key = batch * s->key_length * row + head * s->head_width;
    offsets.value = batch * s->key_length * value_row + head / s->value_groups * s->value_width;
    offsets.output = batch * s->query_length * s->heads * s->value_width + head * s->value_width;
    offsets.weights = pair * s->query_length * s->key_length;
    offsets.mask = batch * s->mask_strides[0] + head * s->mask_strides[1];
    return offsets;
}

// Asks for the next pair's rows (`count` rows of `width` floats, `stride` apart) while this one
// computes: the rows sit a whole packed row apart, a stride the hardware prefetcher does not
// follow, and a single query's pair (target attention) otherwise starts by waiting on them. A
// self-attention pair computes long enough for the hardware to follow: there the hundreds of
// prefetches at once only stall it (measured on SASRec's 50 × 50 pairs: forward 1.69 → 1.58 ms,
// backward 1.99 → 1.89 ms without them).
static int prefetches_next_pair(const funnel_attention_shape *s) { return s->query_length == 1; }

static void prefetch_rows(const float *first, long count, long width, long stride) {
    for (long r = 0; r < count; r++) {
        for (long offset = 0; offset < width; offset += 16) __builtin_prefetch(first + r * stride + offset, 0, 3);
    }
}

// Scratch for one task: `rows` rows of the key count rounded up to 16, 64-byte aligned.
static float *scratch_for(const funnel_attention_shape *s, long rows) {
    long width = (s->key_length + 15) / 16 * 16;
    size_t bytes = ((size_t)(rows * (width > 0 ? width : 16)) * sizeof(float) + 63) & ~(size_t)63;
    float *scratch = aligned_alloc(64, bytes);
    if (!scratch) abort();
    return scratch;
}

static void forward_task(void *context, long index) {
    const attention_job *job = context;
    const funnel_attention_shape *s = job->shape;
    long begin, end, row = query_row_of(s), value_row = value_row_of(s), output_row = s->heads * s->value_width;
    funnel_task_range(s->batch * s->heads, job->tasks, index, &begin, &end);
    float *scratch = scratch_for(s, s->head_width + 8);
    for (long pair = begin; pair < end; pair++) {
        pair_offsets at = offsets_of(s, pair);
        if (pair + 1 < end && prefetches_next_pair(s)) {
            pair_offsets next = offsets_of(s, pair + 1);
            prefetch_rows(job->q + next.query, s->query_length, s->head_width, row);
            prefetch_rows(job->k + next.key, s->key_length, s->head_width, row);
            prefetch_rows(job->v + next.value, s->key_length, s->value_width, value_row);
        }
        const float *pair_mask = job->mask ? job->mask + at.mask : NULL;
#define FUNNEL_FORWARD_ARGUMENTS                                                               \
    job->q + at.query, job->k + at.key, job->v + at.value, row, value_row, output_row,            \
        s->query_length, s->key_length, s->head_width, s->value_width, s->scale, pair_mask,    \
        s->mask_strides[2], s->mask_strides[3], s->closed_below, job->p_out + at.weights,      \
        job->o + at.output, scratch, at.weights, s->dropout_threshold, s->dropout_scale,       \
        s->dropout_key
        FUNNEL_DISPATCH(funnel_attention_pair_, FUNNEL_FORWARD_ARGUMENTS);
#undef FUNNEL_FORWARD_ARGUMENTS
    }
    free(scratch);
}

static void backward_task(void *context, long index) {
    const attention_job *job = context;
    const funnel_attention_shape *s = job->shape;
    long begin, end, row = query_row_of(s), value_row = value_row_of(s), output_row = s->heads * s->value_width;
    funnel_task_range(s->batch * s->heads / s->value_groups, job->tasks, index, &begin, &end);
    // The pair's rows (attention_body.h), then Lq longs: at most Lq more rows of W ≥ 16 floats.
    float *scratch = scratch_for(s, s->head_width + 2 * s->value_width + 3 * s->query_length + 9);
    for (long pair = begin * s->value_groups; pair < end * s->value_groups; pair++) {
        pair_offsets at = offsets_of(s, pair);
        if (pair + 1 < end * s->value_groups && prefetches_next_pair(s)) {
            pair_offsets next = offsets_of(s, pair + 1);
            prefetch_rows(job->q + next.query, s->query_length, s->head_width, row);
            prefetch_rows(job->k + next.key, s->key_length, s->head_width, row);
            prefetch_rows(job->v + next.value, s->key_length, s->value_width, value_row);
            prefetch_rows(job->dout + next.output, s->query_length, s->value_width, output_row);
        }
        int accumulate = pair % s->value_groups != 0;
#define FUNNEL_BACKWARD_ARGUMENTS                                                              \
    job->q + at.query, job->k + at.key, job->v + at.value, row, value_row, output_row,            \
        s->query_length, s->key_length, s->head_width, s->value_width, accumulate, s->scale,   \
        job->p + at.weights, job->dout + at.output, job->dq + at.query, job->dk + at.key,         \
        job->dv + at.value, scratch, at.weights, s->dropout_threshold, s->dropout_scale,       \
        s->dropout_key
        FUNNEL_DISPATCH(funnel_attention_pair_backward_, FUNNEL_BACKWARD_ARGUMENTS);
#undef FUNNEL_BACKWARD_ARGUMENTS
    }
    free(scratch);
}

// Tasks over `units` (pairs or groups of pairs), a few per thread, at most one per unit.
static long attention_tasks(const funnel_attention_shape *s, long units) {
    if (units < 1) return 1;
    long pairs = s->batch * s->heads;
    long work = pairs * s->query_length * s->key_length * (s->head_width + s->value_width) / 2;
    return funnel_task_split(units, work / units, ATTENTION_GRAIN);
}

void funnel_attention(const funnel_attention_shape *shape, const float *q, const float *k,
                      const float *v, const float *mask, float *p, float *o) {
    attention_job job = {.shape = shape, .q = q, .k = k, .v = v, .mask = mask, .p_out = p,
                         .o = o, .tasks = attention_tasks(shape, shape->batch * shape->heads)};
    funnel_parallel_for(job.tasks, forward_task, &job);
}

void funnel_attention_backward(const funnel_attention_shape *shape, const float *q,
                               const float *k, const float *v, const float *p,
                               const float *dout, float *dq, float *dk, float *dv) {
    attention_job job = {.shape = shape, .q = q, .k = k, .v = v, .p = p, .dout = dout,
                         .dq = dq, .dk = dk, .dv = dv,
                         .tasks = attention_tasks(shape, shape->batch * shape->heads / shape->value_groups)};
    funnel_parallel_for(job.tasks, backward_task, &job);
}
