// Fused scaled dot-product attention over heads (forward and backward), one task per block of
// (batch, head) pairs; every pair's arithmetic is the same whatever the split.
#include "kernels_internal.h"

#include <math.h>
#include <stdlib.h>

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

static void pair_offsets(const funnel_attention_shape *s, long pair, long *query, long *key,
                         long *weights, long *mask) {
    long batch = pair / s->heads, head = pair % s->heads;
    long row = s->heads * s->head_width;
    *query = batch * s->query_length * row + head * s->head_width;
    *key = batch * s->key_length * row + head * s->head_width;
    *weights = pair * s->query_length * s->key_length;
    *mask = batch * s->mask_strides[0] + head * s->mask_strides[1];
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
    long begin, end, row = s->heads * s->head_width;
    funnel_task_range(s->batch * s->heads, job->tasks, index, &begin, &end);
    float *scratch = scratch_for(s, 2 * s->head_width + 1);
    for (long pair = begin; pair < end; pair++) {
        long query, key, weights, mask;
        pair_offsets(s, pair, &query, &key, &weights, &mask);
        const float *pair_mask = job->mask ? job->mask + mask : NULL;
#define FUNNEL_FORWARD_ARGUMENTS                                                               \
    job->q + query, job->k + key, job->v + key, row, s->query_length, s->key_length,           \
        s->head_width, s->scale, pair_mask, s->mask_strides[2], s->mask_strides[3],           \
        s->closed_below, job->p_out + weights, job->o + query, scratch, weights,               \
        s->dropout_threshold, s->dropout_scale, s->dropout_key
        FUNNEL_DISPATCH(funnel_attention_pair_, FUNNEL_FORWARD_ARGUMENTS);
#undef FUNNEL_FORWARD_ARGUMENTS
    }
    free(scratch);
}

static void backward_task(void *context, long index) {
    const attention_job *job = context;
    const funnel_attention_shape *s = job->shape;
    long begin, end, row = s->heads * s->head_width;
    funnel_task_range(s->batch * s->heads, job->tasks, index, &begin, &end);
    float *scratch = scratch_for(s, 4 * s->head_width + 4);
    for (long pair = begin; pair < end; pair++) {
        long query, key, weights, mask;
        pair_offsets(s, pair, &query, &key, &weights, &mask);
#define FUNNEL_BACKWARD_ARGUMENTS                                                              \
    job->q + query, job->k + key, job->v + key, row, s->query_length, s->key_length,           \
        s->head_width, s->scale, job->p + weights, job->dout + query, job->dq + query,        \
        job->dk + key, job->dv + key, scratch, weights, s->dropout_threshold,                 \
        s->dropout_scale, s->dropout_key
        FUNNEL_DISPATCH(funnel_attention_pair_backward_, FUNNEL_BACKWARD_ARGUMENTS);
#undef FUNNEL_BACKWARD_ARGUMENTS
    }
    free(scratch);
}

static long attention_tasks(const funnel_attention_shape *s) {
    long pairs = s->batch * s->heads;
    long work = pairs * s->query_length * s->key_length * s->head_width;
    long tasks = funnel_task_count(work, ATTENTION_GRAIN);
    return tasks < pairs ? tasks : (pairs > 0 ? pairs : 1);
}

void funnel_attention(const funnel_attention_shape *shape, const float *q, const float *k,
                      const float *v, const float *mask, float *p, float *o) {
    attention_job job = {.shape = shape, .q = q, .k = k, .v = v, .mask = mask, .p_out = p,
                         .o = o, .tasks = attention_tasks(shape)};
    funnel_parallel_for(job.tasks, forward_task, &job);
}

void funnel_attention_backward(const funnel_attention_shape *shape, const float *q,
                               const float *k, const float *v, const float *p,
                               const float *dout, float *dq, float *dk, float *dv) {
    attention_job job = {.shape = shape, .q = q, .k = k, .v = v, .p = p, .dout = dout,
                         .dq = dq, .dk = dk, .dv = dv, .tasks = attention_tasks(shape)};
    funnel_parallel_for(job.tasks, backward_task, &job);
}
