// The gated mixture of a mixture-of-experts layer, read straight from each expert's output (no
// stacked copy); rows split across the pool.
#include "kernels_internal.h"

#define FUNNEL_PER_PATH_BODY "mixture_body.h"
#include "per_path.h"

enum { MIXTURE_GRAIN = 1L << 14 };

typedef struct {
    const float *const *experts;
    const float *weights, *dy;
    float *const *dexperts;
    float *y, *dweights;
    long count, width, rows, tasks;
} mixture_job;

static void forward_task(void *context, long index) {
    const mixture_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(mixture_rows_, job->experts, job->weights, job->count, job->width, begin, end,
                    job->y);
}

static void backward_task(void *context, long index) {
    const mixture_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(mixture_backward_rows_, job->dy, job->experts, job->weights, job->count,
                    job->width, begin, end, job->dexperts, job->dweights);
}

static long mixture_tasks(long rows, long count, long width) {
    long tasks = funnel_task_count(rows * count * width, MIXTURE_GRAIN);
    return tasks > rows ? (rows > 0 ? rows : 1) : tasks;
}

void funnel_mixture(const float *const *experts, const float *weights, long count, long rows,
                    long width, float *y) {
    if (count <= 0) return;
    mixture_job job = {.experts = experts, .weights = weights, .y = y, .count = count,
                       .width = width, .rows = rows, .tasks = mixture_tasks(rows, count, width)};
    funnel_parallel_for(job.tasks, forward_task, &job);
}

void funnel_mixture_backward(const float *dy, const float *const *experts, const float *weights,
                             long count, long rows, long width, float *const *dexperts,
                             float *dweights) {
    if (count <= 0) return;
    mixture_job job = {.dy = dy, .experts = experts, .weights = weights, .dexperts = dexperts,
                       .dweights = dweights, .count = count, .width = width, .rows = rows,
                       .tasks = mixture_tasks(rows, count, width)};
    funnel_parallel_for(job.tasks, backward_task, &job);
}
