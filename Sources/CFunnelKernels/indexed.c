// Linear layers over deduplicated rows: the distinct values of an id column, the sums of
// product rows picked by index (forward) and the sums of gradient rows into their index's slot
// (backward). The loops of indexed_body.h are compiled per CPU path.
#include "kernels_internal.h"

#include <string.h>

#define FUNNEL_PER_PATH_BODY "indexed_body.h"
#include "per_path.h"

// Below this many elements a second thread costs more than it saves.
enum { PARALLEL_GRAIN = 1 << 15 };

long funnel_deduplicate(const int32_t *ids, long count, long stride, int32_t *scratch, long capacity,
                        int32_t *unique, int32_t *inverse) {
    memset(scratch, 0xff, (size_t)capacity * sizeof(int32_t));
    unsigned shift = 32;
    for (long size = capacity; size > 1; size >>= 1) shift--;
    long distinct = 0;
    for (long position = 0; position < count; position++) {
        int32_t id = ids[position * stride];
        // A multiplicative hash spreads neighbouring ids over the table; probing is linear.
        unsigned long slot = shift == 32 ? 0 : ((uint32_t)id * 0x9E3779B1u) >> shift;
        for (;;) {
            int32_t held = scratch[slot];
            if (held < 0) {
                scratch[slot] = (int32_t)distinct;
                unique[distinct] = id;
                inverse[position] = (int32_t)distinct++;
                break;
            }
            if (unique[held] == id) {
                inverse[position] = held;
                break;
            }
            slot = (slot + 1) & (unsigned long)(capacity - 1);
        }
    }
    return distinct;
}

typedef struct {
    float *y;
    long rows, n;
    const float *bias;
    const float *const *tables;
    const int32_t *indices;
    long parts;
    int initialized, rectify;
    long tasks;
} add_indexed_job;

static void add_indexed_task(void *context, long index) {
    add_indexed_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(funnel_add_indexed_rows_, job->y, job->rows, job->n, job->bias, job->tables, job->indices,
                    job->parts, job->initialized, job->rectify, begin, end);
}

void funnel_add_indexed_rows(float *y, long rows, long n, const float *bias, const float *const *tables,
                             const int32_t *indices, long parts, int initialized, int rectify) {
    long tasks = funnel_task_count(rows * n * (parts + 1), PARALLEL_GRAIN);
    add_indexed_job job = {y, rows, n, bias, tables, indices, parts, initialized, rectify, tasks < rows ? tasks : rows};
    if (job.tasks < 1) job.tasks = 1;
    funnel_parallel_for(job.tasks, add_indexed_task, &job);
}

typedef struct {
    const float *x;
    long rows, n;
    const int32_t *indices;
    long parts;
    int first_seen_order;
    float *sums;
    long slots, tasks;
} segment_sum_job;

static void segment_sum_task(void *context, long index) {
    segment_sum_job *job = context;
    long begin, end;
    // Whole 16-column blocks per task, so a task's stores never share a cache line with another's.
    funnel_task_range((job->n + 15) / 16, job->tasks, index, &begin, &end);
    begin *= 16;
    end = end * 16 < job->n ? end * 16 : job->n;
    FUNNEL_DISPATCH(funnel_segment_sum_columns_, job->x, job->rows, job->n, job->indices, job->parts,
                    job->first_seen_order, job->sums, job->slots, begin, end);
}

void funnel_segment_sum_rows(const float *x, long rows, long n, const int32_t *indices, long parts,
                             int first_seen_order, float *sums, long slots) {
    long tasks = funnel_task_count(rows * n * parts, PARALLEL_GRAIN);
    long blocks = (n + 15) / 16;
    segment_sum_job job = {x, rows, n, indices, parts, first_seen_order, sums, slots, tasks < blocks ? tasks : blocks};
    if (job.tasks < 1) job.tasks = 1;
    funnel_parallel_for(job.tasks, segment_sum_task, &job);
}
