// Layer normalisation over the last axis as one pass each way (forward: statistics and the
// affine map of the normalised values; backward: the three gradients, the normalised values
// recomputed from the input and the statistics), the loops compiled per
// CPU path (normalization_body.h). Rows split across the pool; the gain and offset gradients
// are summed per fixed chunk of rows and the chunks added in order, so nothing depends on the
// split.
#include "kernels_internal.h"

#include <math.h>
#include <stdlib.h>

#define FUNNEL_PER_PATH_BODY "normalization_body.h"
#include "per_path.h"

enum { NORMALIZATION_GRAIN = 1L << 15 };

typedef struct {
    const float *x, *gain, *offset;
    float *y, *means, *inverse_deviation;
    long rows, width, tasks;
    float epsilon;
} normalization_job;

static void forward_task(void *context, long index) {
    const normalization_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(funnel_layer_norm_rows_, job->x, job->gain, job->offset, job->y, job->means,
                    job->inverse_deviation, begin, end, job->width, job->epsilon);
}

void funnel_layer_norm(const float *x, const float *gain, const float *offset, float *y, float *means,
                       float *inverse_deviation, long rows, long width, float epsilon) {
    normalization_job job = {.x = x, .gain = gain, .offset = offset, .y = y, .means = means,
                             .inverse_deviation = inverse_deviation, .rows = rows,
                             .width = width, .epsilon = epsilon,
                             .tasks = funnel_task_split(rows, width, NORMALIZATION_GRAIN)};
    funnel_parallel_for(job.tasks, forward_task, &job);
}

// The backward pass runs in fixed chunks of rows: a chunk's input gradient, then its partial
// gain and offset gradients while its rows are in cache. The partials are added in chunk order
// at the end, so the sums depend on neither the thread count nor the split.
enum { BACKWARD_CHUNK_ROWS = 128 };

typedef struct {
    const float *dy, *gain, *x, *means, *inverse_deviation;
    float *dx, *gain_partials, *offset_partials;
    long rows, width, chunks, tasks;
} backward_job;

static void backward_task(void *context, long index) {
    const backward_job *job = context;
    long begin, end;
    funnel_task_range(job->chunks, job->tasks, index, &begin, &end);
    for (long chunk = begin; chunk < end; chunk++) {
        long first = chunk * BACKWARD_CHUNK_ROWS;
        long last = first + BACKWARD_CHUNK_ROWS < job->rows ? first + BACKWARD_CHUNK_ROWS : job->rows;
        if (job->dx) {
            FUNNEL_DISPATCH(funnel_layer_norm_backward_rows_, job->dy, job->gain, job->x, job->means,
                            job->inverse_deviation, job->dx, first, last, job->width);
        }
        if (job->gain_partials || job->offset_partials) {
            FUNNEL_DISPATCH(funnel_layer_norm_parameter_gradients_, job->dy + first * job->width,
                            job->x + first * job->width, job->means + first, job->inverse_deviation + first,
                            job->gain_partials ? job->gain_partials + chunk * job->width : NULL,
                            job->offset_partials ? job->offset_partials + chunk * job->width : NULL,
                            last - first, job->width);
        }
    }
}

// target[i] = Σ_c partials[c·width + i], chunks in order.
static void sum_partials(const float *partials, long chunks, long width, float *target) {
    for (long i = 0; i < width; i++) target[i] = 0.0f;
    for (long c = 0; c < chunks; c++)
        for (long i = 0; i < width; i++) target[i] += partials[c * width + i];
}

void funnel_layer_norm_backward(const float *dy, const float *gain, const float *x, const float *means,
                                const float *inverse_deviation, float *dx, float *dgain,
                                float *doffset, long rows, long width) {
    long chunks = (rows + BACKWARD_CHUNK_ROWS - 1) / BACKWARD_CHUNK_ROWS;
    long tasks = funnel_task_split(chunks, BACKWARD_CHUNK_ROWS * width, NORMALIZATION_GRAIN);
    float *partials = NULL;
    if ((dgain || doffset) && chunks > 0) {
        partials = malloc((size_t)(2 * chunks * width) * sizeof(float));
        if (!partials) abort();
    }
    backward_job job = {.dy = dy, .gain = gain, .x = x, .means = means,
                        .inverse_deviation = inverse_deviation, .dx = dx,
                        .gain_partials = dgain && partials ? partials : NULL,
                        .offset_partials = doffset && partials ? partials + chunks * width : NULL,
                        .rows = rows, .width = width, .chunks = chunks,
                        .tasks = tasks < chunks ? tasks : (chunks > 0 ? chunks : 1)};
    if (chunks > 0 && (dx || partials)) funnel_parallel_for(job.tasks, backward_task, &job);
    if (dgain) sum_partials(partials, chunks, width, dgain);
    if (doffset) sum_partials(partials ? partials + chunks * width : NULL, chunks, width, doffset);
    free(partials);
}
