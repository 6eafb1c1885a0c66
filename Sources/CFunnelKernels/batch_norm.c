// Batch normalisation over the rows of [rows, width] as a few passes each way, dispatched per
// CPU path. Column statistics split the columns into blocks of 64 across the pool (each column
// summed over all rows in order on one thread); the element-wise passes split the rows.
#include "kernels_internal.h"

#include <stdlib.h>

#define FUNNEL_PER_PATH_BODY "batch_norm_body.h"
#include "per_path.h"

enum { BATCH_NORM_GRAIN = 1L << 15, COLUMN_BLOCK = 64 };

typedef struct {
    const float *x, *dy, *center, *mean, *inverse, *scale, *shift, *b;
    float *sums, *second_sums, *y;
    long rows, width, tasks, blocks;
} batch_norm_job;

static void column_range(const batch_norm_job *job, long index, long *begin, long *end) {
    long first, last;
    funnel_task_range(job->blocks, job->tasks, index, &first, &last);
    *begin = first * COLUMN_BLOCK;
    *end = last * COLUMN_BLOCK < job->width ? last * COLUMN_BLOCK : job->width;
}

static void column_sums_task(void *context, long index) {
    const batch_norm_job *job = context;
    long begin, end;
    column_range(job, index, &begin, &end);
    FUNNEL_DISPATCH(column_sums_, job->x, job->rows, job->width, begin, end, job->center, job->sums);
}

static void gradient_sums_task(void *context, long index) {
    const batch_norm_job *job = context;
    long begin, end;
    column_range(job, index, &begin, &end);
    FUNNEL_DISPATCH(gradient_sums_, job->dy, job->x, job->rows, job->width, begin, end, job->mean,
                    job->inverse, job->sums, job->second_sums);
}

static void scale_rows_task(void *context, long index) {
    const batch_norm_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(scale_rows_, job->x, job->width, begin, end, job->mean, job->scale, job->shift,
                    job->y);
}

static void input_gradient_task(void *context, long index) {
    const batch_norm_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(input_gradient_rows_, job->dy, job->x, job->width, begin, end, job->mean,
                    job->scale, job->b, job->shift, job->y);
}

static batch_norm_job column_job(long rows, long width) {
    batch_norm_job job = {.rows = rows, .width = width,
                          .blocks = (width + COLUMN_BLOCK - 1) / COLUMN_BLOCK};
    job.tasks = funnel_task_count(rows * width, BATCH_NORM_GRAIN);
    if (job.tasks > job.blocks) job.tasks = job.blocks;
    return job;
}

static long row_tasks(long rows, long width) {
    long tasks = funnel_task_count(rows * width, BATCH_NORM_GRAIN);
    return tasks > rows ? rows : tasks;
}

void funnel_batch_norm(const float *x, long rows, long width, const float *gain,
                       const float *offset, float epsilon, int batch_statistics, float *mean,
                       float *variance, float *inverse_deviation, float *y) {
    if (rows <= 0 || width <= 0) return;
    batch_norm_job job = column_job(rows, width);
    job.x = x;
    if (batch_statistics) {
        job.sums = mean;
        funnel_parallel_for(job.tasks, column_sums_task, &job);
        for (long c = 0; c < width; c++) mean[c] /= (float)rows;
        job.center = mean;
        job.sums = variance;
        funnel_parallel_for(job.tasks, column_sums_task, &job);
        for (long c = 0; c < width; c++) variance[c] /= (float)rows;
    }
    float *scale = malloc(sizeof(float) * (size_t)width);
    for (long c = 0; c < width; c++) {
        inverse_deviation[c] = 1.0f / sqrtf(variance[c] + epsilon);
        scale[c] = gain[c] * inverse_deviation[c];
    }
    batch_norm_job rows_job = {.x = x, .mean = mean, .scale = scale, .shift = offset, .y = y,
                               .rows = rows, .width = width, .tasks = row_tasks(rows, width)};
    funnel_parallel_for(rows_job.tasks, scale_rows_task, &rows_job);
    free(scale);
}

void funnel_batch_norm_backward(const float *dy, const float *x, long rows, long width,
                                const float *gain, const float *mean,
                                const float *inverse_deviation, int batch_statistics, float *dx,
                                float *dgain, float *doffset) {
    if (rows <= 0 || width <= 0) return;
    float *scratch = malloc(sizeof(float) * (size_t)width * 5);
    float *sum_dy = scratch, *sum_projection = scratch + width, *a = scratch + 2 * width;
    float *b = scratch + 3 * width, *shift = scratch + 4 * width;
    batch_norm_job job = column_job(rows, width);
    job.dy = dy;
    job.x = x;
    job.mean = mean;
    job.inverse = inverse_deviation;
    job.sums = sum_dy;
    job.second_sums = sum_projection;
    funnel_parallel_for(job.tasks, gradient_sums_task, &job);
    for (long c = 0; c < width; c++) {
        if (dgain) dgain[c] = sum_projection[c];
        if (doffset) doffset[c] = sum_dy[c];
        a[c] = gain[c] * inverse_deviation[c];
        b[c] = batch_statistics ? -(a[c] * inverse_deviation[c]) * (sum_projection[c] / (float)rows) : 0.0f;
        shift[c] = batch_statistics ? -a[c] * (sum_dy[c] / (float)rows) : 0.0f;
    }
    if (dx) {
        batch_norm_job rows_job = {.dy = dy, .x = x, .mean = mean, .scale = a, .b = b,
                                   .shift = shift, .y = dx, .rows = rows, .width = width,
                                   .tasks = row_tasks(rows, width)};
        funnel_parallel_for(rows_job.tasks, input_gradient_task, &rows_job);
    }
    free(scratch);
}
