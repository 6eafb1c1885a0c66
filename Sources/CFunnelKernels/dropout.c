// Dropout without a stored mask: element i is kept when a hash of (key, i) falls below the
// keep threshold, so the backward pass recomputes the forward mask from the key, the mask
// never touches memory, and the result does not depend on how the range is split.
#include "kernels_internal.h"

#define FUNNEL_PER_PATH_BODY "dropout_body.h"
#include "per_path.h"

enum { DROPOUT_GRAIN = 1L << 15 };

typedef struct {
    const float *x;
    float *y;
    long count, tasks;
    uint32_t key_low, key_high, threshold;
    float scale;
} dropout_job;

static void dropout_task(void *context, long index) {
    const dropout_job *job = context;
    long begin, end;
    funnel_task_range(job->count, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(dropout_range_, job->x, job->y, begin, end, job->key_low, job->key_high,
                    job->threshold, job->scale);
}

void funnel_dropout(const float *x, float *y, long count, uint64_t key, uint32_t threshold,
                    float scale) {
    dropout_job job = {.x = x, .y = y, .count = count,
                       .tasks = funnel_task_count(count, DROPOUT_GRAIN),
                       .key_low = (uint32_t)key, .key_high = (uint32_t)(key >> 32),
                       .threshold = threshold, .scale = scale};
    funnel_parallel_for(job.tasks, dropout_task, &job);
}
