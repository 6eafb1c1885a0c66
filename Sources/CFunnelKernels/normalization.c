// Layer normalisation over the last axis as one pass each way (forward: statistics, the
// normalised values and the affine map; backward: the three gradients), the loops compiled per
// CPU path (normalization_body.h). Rows split across the pool; the gain and offset gradients
// split by columns, each column summing its rows in order, so nothing depends on the split.
#include "kernels_internal.h"

#include <math.h>

#define FUNNEL_PER_PATH_BODY "normalization_body.h"
#include "per_path.h"

enum { NORMALIZATION_GRAIN = 1L << 15 };

typedef struct {
    const float *x, *gain, *offset, *dy, *normalized, *inverse_deviation;
    float *y, *normalized_out, *inverse_deviation_out, *dx;
    long rows, width, tasks;
    float epsilon;
} normalization_job;

static void forward_task(void *context, long index) {
    const normalization_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(funnel_layer_norm_rows_, job->x, job->gain, job->offset, job->y,
                    job->normalized_out, job->inverse_deviation_out, begin, end, job->width,
                    job->epsilon);
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
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(funnel_layer_norm_backward_rows_, job->dy, job->gain, job->normalized,
                    job->inverse_deviation, job->dx, begin, end, job->width);
}

typedef struct {
    const float *dy, *normalized;
    float *dgain, *doffset;
    long rows, width, tasks;
} parameter_gradient_job;

// Whole 16-column blocks per task: each column sums its rows in order on one thread whatever
// the split, and no two tasks store into one cache line.
static void parameter_gradient_task(void *context, long index) {
    const parameter_gradient_job *job = context;
    long begin, end;
    funnel_task_range((job->width + 15) / 16, job->tasks, index, &begin, &end);
    end = end * 16 < job->width ? end * 16 : job->width;
    FUNNEL_DISPATCH(funnel_layer_norm_parameter_gradients_, job->dy, job->normalized, job->dgain, job->doffset,
                    job->rows, job->width, begin * 16, end);
}

void funnel_layer_norm_backward(const float *dy, const float *gain, const float *normalized,
                                const float *inverse_deviation, float *dx, float *dgain,
                                float *doffset, long rows, long width) {
    normalization_job job = {.dy = dy, .gain = gain, .normalized = normalized,
                             .inverse_deviation = inverse_deviation, .dx = dx, .rows = rows,
                             .width = width,
                             .tasks = funnel_task_count(rows * width, NORMALIZATION_GRAIN)};
    if (dx) funnel_parallel_for(job.tasks, backward_task, &job);
    if (dgain || doffset) {
        long blocks = (width + 15) / 16;
        parameter_gradient_job parameters = {dy, normalized, dgain, doffset, rows, width,
                                             job.tasks < blocks ? job.tasks : blocks};
        funnel_parallel_for(parameters.tasks, parameter_gradient_task, &parameters);
    }
}
