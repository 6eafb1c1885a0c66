// The GELU feed-forward sublayer, y = GELU(x·W₁ᵀ + b₁)·W₂ᵀ + b₂ (+ residual), forward and
// backward, in chunks of rows: one chunk is one depth block of the weight gradients' GEMMs
// (funnel_gemm_depth_block) and runs on one thread, so that its hidden layer [chunk × hidden]
// stays in the core's L2 cache between the two products. Whole-batch products write that
// layer (and, backward, its gradient) to memory and read it back: on 2 cores with about 11 GB/s
// of store bandwidth each, that traffic was a third of the sublayer's time.
//
// Every value has the bits of the whole-batch products (funnel_sgemm_epilogue, funnel_sgemm,
// funnel_sgemm_depth_sums): a row's products do not depend on the other rows, and the weight
// gradients are the depth-parallel path's sums of one product per depth block, added in depth
// order. Where the rows do not split into whole chunks for two threads or more, the whole-batch
// products run instead.
#include "gemm_kernels.h"

#include <stdlib.h>
#include <string.h>

static _Thread_local funnel_scratch_buffer scratch_hidden, scratch_partials;

typedef struct {
    long rows, width, hidden_width, outputs, chunk;
    const float *x, *in_weight, *in_bias, *out_weight, *out_bias, *residual;
    float *hidden, *slopes, *y;
    const float *dy;
    float *dx, *partials;
    float *d_in_weight, *d_in_bias, *d_out_weight, *d_out_bias;
    long tasks;
} feed_forward_job;

// Per chunk: the input weight's gradient [hidden × width], the output weight's transposed
// [hidden × outputs] (Hᵀ·G: the hidden layer read in place, see depth_parallel_path), then the
// two bias gradients [hidden] and [outputs].
static long partial_size(const feed_forward_job *job) {
    return job->hidden_width * (job->width + job->outputs) + job->hidden_width + job->outputs;
}

static void forward_rows(const feed_forward_job *job, long first, long count) {
    long width = job->width, hidden = job->hidden_width, outputs = job->outputs;
    funnel_epilogue in_epilogue = {FUNNEL_EPILOGUE_BIAS_GELU, job->in_bias, job->hidden + first * hidden, NULL, 1};
    funnel_sgemm_epilogue(0, 1, count, hidden, width, job->x + first * width, width, job->in_weight, width,
                          job->slopes + first * hidden, hidden, &in_epilogue);
    funnel_epilogue out_epilogue = {job->residual ? FUNNEL_EPILOGUE_BIAS_RESIDUAL : FUNNEL_EPILOGUE_BIAS, job->out_bias,
                                    NULL, job->residual ? job->residual + first * outputs : NULL, 0};
    funnel_sgemm_epilogue(0, 1, count, outputs, hidden, job->hidden + first * hidden, hidden, job->out_weight, hidden,
                          job->y + first * outputs, outputs, &out_epilogue);
}

static void forward_task(void *context, long index) {
    const feed_forward_job *job = context;
    long begin, end;
    funnel_task_range(job->rows / job->chunk, job->tasks, index, &begin, &end);
    for (long chunk = begin; chunk < end; chunk++) forward_rows(job, chunk * job->chunk, job->chunk);
}

// Chunks for 2 threads or more, every one a whole depth block; else 0 (whole-batch products).
static long chunk_rows(long rows) {
    long chunk = funnel_gemm_depth_block(rows);
    if (funnel_thread_count() < 2 || chunk <= 0 || rows % chunk != 0 || rows / chunk < 2) return 0;
    return chunk;
}

void funnel_feed_forward_gelu(long rows, long width, long hidden_width, long outputs, const float *x,
                              const float *in_weight, const float *in_bias, const float *out_weight,
                              const float *out_bias, const float *residual, float *hidden, float *slopes, float *y) {
    if (rows <= 0) return;
    feed_forward_job job = {
        .rows = rows, .width = width, .hidden_width = hidden_width, .outputs = outputs, .chunk = chunk_rows(rows),
        .x = x, .in_weight = in_weight, .in_bias = in_bias, .out_weight = out_weight, .out_bias = out_bias,
        .residual = residual, .hidden = hidden, .slopes = slopes, .y = y,
    };
    if (!job.chunk) {
        forward_rows(&job, 0, rows);
        return;
    }
    job.tasks = rows / job.chunk;
    funnel_parallel_for(job.tasks, forward_task, &job);
}

// One chunk's backward pass: dPre = (G·W₂) ∘ GELU′ in the thread's scratch, the chunk's
// products and sums for the four parameter gradients, and its rows of dx.
static void backward_chunk(const feed_forward_job *job, long chunk) {
    long width = job->width, hidden = job->hidden_width, outputs = job->outputs;
    long first = chunk * job->chunk, count = job->chunk;
    float *pre_gradient = funnel_gemm_reserve(&scratch_hidden, (size_t)(count * hidden));
    float *in_weight_partial = job->partials + chunk * partial_size(job);
    float *out_weight_partial = in_weight_partial + hidden * width;
    float *in_bias_partial = out_weight_partial + hidden * outputs, *out_bias_partial = in_bias_partial + hidden;
    const float *dy = job->dy + first * outputs;
    funnel_sgemm(1, 0, hidden, outputs, count, 1.0f, job->hidden + first * hidden, hidden, dy, outputs, 0.0f,
                 out_weight_partial, outputs);
    funnel_sum_rows_into(dy, count, outputs, out_bias_partial, outputs);
    funnel_epilogue multiply = {FUNNEL_EPILOGUE_MULTIPLY, NULL, NULL, job->slopes + first * hidden, 0};
    funnel_sgemm_epilogue(0, 0, count, hidden, outputs, dy, outputs, job->out_weight, hidden, pre_gradient, hidden,
                          &multiply);
    funnel_sgemm(1, 0, hidden, width, count, 1.0f, pre_gradient, hidden, job->x + first * width, width, 0.0f,
                 in_weight_partial, width);
    funnel_sum_rows_into(pre_gradient, count, hidden, in_bias_partial, hidden);
    funnel_sgemm(0, 0, count, width, hidden, 1.0f, pre_gradient, hidden, job->in_weight, width, 0.0f,
                 job->dx + first * width, width);
}

static void backward_task(void *context, long index) {
    const feed_forward_job *job = context;
    long begin, end;
    funnel_task_range(job->rows / job->chunk, job->tasks, index, &begin, &end);
    for (long chunk = begin; chunk < end; chunk++) backward_chunk(job, chunk);
}

// The chunks' partials added in depth order, as depth_sum_task adds the depth blocks
// (funnel_add_blocks_in_order: fma(1, sum, partial) is the sum's + as well). Task `index`
// takes a range of the hidden units: row h of the input weight's gradient, column h of the
// output weight's, and both biases' elements in its range.
static void sum_task(void *context, long index) {
    const feed_forward_job *job = context;
    long width = job->width, hidden = job->hidden_width, outputs = job->outputs;
    long chunks = job->rows / job->chunk, size = partial_size(job), begin, end;
    funnel_task_range(hidden, job->tasks, index, &begin, &end);
    for (long h = begin; h < end; h++) {
        float *in_row = job->d_in_weight + h * width;
        memcpy(in_row, job->partials + h * width, (size_t)width * sizeof(float));
        funnel_add_blocks_in_order(in_row, job->partials + size + h * width, size, chunks - 1, width);
        // Row h of the transposed partials is column h of the output weight's gradient.
        float *column = job->partials + hidden * width + h * outputs;
        funnel_add_blocks_in_order(column, column + size, size, chunks - 1, outputs);
        for (long o = 0; o < outputs; o++) job->d_out_weight[o * hidden + h] = column[o];
    }
    const float *biases = job->partials + hidden * (width + outputs);
    memcpy(job->d_in_bias + begin, biases + begin, (size_t)(end - begin) * sizeof(float));
    funnel_add_blocks_in_order(job->d_in_bias + begin, biases + size + begin, size, chunks - 1, end - begin);
    funnel_task_range(outputs, job->tasks, index, &begin, &end);
    memcpy(job->d_out_bias + begin, biases + hidden + begin, (size_t)(end - begin) * sizeof(float));
    funnel_add_blocks_in_order(job->d_out_bias + begin, biases + size + hidden + begin, size, chunks - 1, end - begin);
}

// The whole-batch backward pass: the products of Tensor.feedForwardGELU before the chunks.
static void backward_whole(const feed_forward_job *job) {
    long rows = job->rows, width = job->width, hidden = job->hidden_width, outputs = job->outputs;
    funnel_sgemm_depth_sums(1, 0, outputs, hidden, rows, job->dy, outputs, job->hidden, hidden, job->d_out_weight,
                            hidden, job->d_out_bias);
    float *pre_gradient = aligned_alloc(64, ((size_t)(rows * hidden) * sizeof(float) + 63) & ~(size_t)63);
    if (!pre_gradient) abort();
    funnel_epilogue multiply = {FUNNEL_EPILOGUE_MULTIPLY, NULL, NULL, job->slopes, 0};
    funnel_sgemm_epilogue(0, 0, rows, hidden, outputs, job->dy, outputs, job->out_weight, hidden, pre_gradient, hidden,
                          &multiply);
    funnel_sgemm_depth_sums(1, 0, hidden, width, rows, pre_gradient, hidden, job->x, width, job->d_in_weight, width,
                            job->d_in_bias);
    funnel_sgemm(0, 0, rows, width, hidden, 1.0f, pre_gradient, hidden, job->in_weight, width, 0.0f, job->dx, width);
    free(pre_gradient);
}

void funnel_feed_forward_gelu_backward(long rows, long width, long hidden_width, long outputs, const float *x,
                                       const float *in_weight, const float *out_weight, const float *hidden,
                                       const float *slopes, const float *dy, float *dx, float *d_in_weight,
                                       float *d_in_bias, float *d_out_weight, float *d_out_bias) {
    feed_forward_job job = {
        .rows = rows, .width = width, .hidden_width = hidden_width, .outputs = outputs,
        .chunk = rows > 0 ? chunk_rows(rows) : 0, .x = x, .in_weight = in_weight, .out_weight = out_weight,
        .hidden = (float *)hidden, .slopes = (float *)slopes, .dy = dy, .dx = dx, .d_in_weight = d_in_weight,
        .d_in_bias = d_in_bias, .d_out_weight = d_out_weight, .d_out_bias = d_out_bias,
    };
    if (!job.chunk) {
        backward_whole(&job);
        return;
    }
    long chunks = rows / job.chunk;
    job.partials = funnel_gemm_reserve(&scratch_partials, (size_t)(chunks * partial_size(&job)));
    job.tasks = chunks;
    funnel_parallel_for(job.tasks, backward_task, &job);
    job.tasks = funnel_task_count(chunks * partial_size(&job), 1L << 15);
    if (job.tasks > hidden_width) job.tasks = hidden_width;
    funnel_parallel_for(job.tasks, sum_task, &job);
}
