// Layer normalisation over the last axis as one pass each way (forward: statistics, the
// normalised values and the affine map; backward: the three gradients). Rows split across the
// pool; the gain and offset gradients sum the rows in order on one thread, so nothing depends
// on the split.
#include "kernels_internal.h"

#include <math.h>

enum { NORMALIZATION_GRAIN = 1L << 15 };

typedef struct {
    const float *x, *gain, *offset, *dy, *normalized, *inverse_deviation;
    float *y, *normalized_out, *inverse_deviation_out, *dx;
    long rows, width, tasks;
    float epsilon;
} normalization_job;

static void forward_task(void *context, long index) {
    const normalization_job *job = context;
    long begin, end, width = job->width;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    for (long r = begin; r < end; r++) {
        const float *x = job->x + r * width;
        float *normalized = job->normalized_out + r * width, *y = job->y + r * width;
        float mean = 0.0f;
        for (long i = 0; i < width; i++) mean += x[i];
        mean /= (float)width;
        float variance = 0.0f;
        for (long i = 0; i < width; i++) variance += (x[i] - mean) * (x[i] - mean);
        variance /= (float)width;
        float inverse = 1.0f / sqrtf(variance + job->epsilon);
        job->inverse_deviation_out[r] = inverse;
        for (long i = 0; i < width; i++) {
            normalized[i] = (x[i] - mean) * inverse;
            y[i] = normalized[i] * job->gain[i] + job->offset[i];
        }
    }
}

void funnel_layer_norm(const float *x, const float *gain, const float *offset, float *y,
                       float *normalized, float *inverse_deviation, long rows, long width,
                       float epsilon) {
    normalization_job job = {.x = x, .gain = gain, .offset = offset, .y = y,
                             .normalized_out = normalized,
                             .inverse_deviation_out = inverse_deviation, .rows = rows,
                             .width = width, .epsilon = epsilon,
                             .tasks = funnel_task_count(rows * width, NORMALIZATION_GRAIN)};
    funnel_parallel_for(job.tasks, forward_task, &job);
}

static void backward_task(void *context, long index) {
    const normalization_job *job = context;
    long begin, end, width = job->width;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    for (long r = begin; r < end; r++) {
        const float *dy = job->dy + r * width, *normalized = job->normalized + r * width;
        float *dx = job->dx + r * width;
        float mean_gradient = 0.0f, mean_projection = 0.0f;
        for (long i = 0; i < width; i++) {
            float g = dy[i] * job->gain[i];
            mean_gradient += g;
            mean_projection += g * normalized[i];
        }
        mean_gradient /= (float)width;
        mean_projection /= (float)width;
        float inverse = job->inverse_deviation[r];
        for (long i = 0; i < width; i++) {
            float g = dy[i] * job->gain[i];
            dx[i] = inverse * (g - mean_gradient - normalized[i] * mean_projection);
        }
    }
}

void funnel_layer_norm_backward(const float *dy, const float *gain, const float *normalized,
                                const float *inverse_deviation, float *dx, float *dgain,
                                float *doffset, long rows, long width) {
    normalization_job job = {.dy = dy, .gain = gain, .normalized = normalized,
                             .inverse_deviation = inverse_deviation, .dx = dx, .rows = rows,
                             .width = width,
                             .tasks = funnel_task_count(rows * width, NORMALIZATION_GRAIN)};
    if (dx) funnel_parallel_for(job.tasks, backward_task, &job);
    if (dgain) {
        for (long i = 0; i < width; i++) dgain[i] = 0.0f;
        for (long r = 0; r < rows; r++)
            for (long i = 0; i < width; i++) dgain[i] += dy[r * width + i] * normalized[r * width + i];
    }
    if (doffset) {
        for (long i = 0; i < width; i++) doffset[i] = 0.0f;
        for (long r = 0; r < rows; r++)
            for (long i = 0; i < width; i++) doffset[i] += dy[r * width + i];
    }
}
