// Element-wise kernels: the loops of elementwise_body.h compiled per CPU path, dispatched at
// run time, and split across the thread pool when the work is large.
#include "kernels_internal.h"

#include <stdlib.h>
#include <string.h>

#define FUNNEL_PER_PATH_BODY "elementwise_body.h"
#include "per_path.h"

// Below this many elements a second thread costs more than it saves.
enum { PARALLEL_GRAIN = 1 << 15 };

// MARK: Unary

typedef struct {
    funnel_unary_op op;
    const float *x;
    float *y;
    long n, tasks;
} unary_job;

static void unary_task(void *context, long index) {
    unary_job *job = context;
    long begin, end;
    funnel_task_range(job->n, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(funnel_unary_, job->op, job->x + begin, job->y + begin, end - begin);
}

void funnel_unary(funnel_unary_op op, const float *x, float *y, long n) {
    unary_job job = {op, x, y, n, funnel_task_count(n, PARALLEL_GRAIN)};
    funnel_parallel_for(job.tasks, unary_task, &job);
}

// MARK: Binary

typedef struct {
    funnel_binary_op op;
    const float *x, *y;
    long x_row, x_step, y_row, y_step;
    float *z;
    long rows, n, tasks;
} binary_job;

static void binary_task(void *context, long index) {
    binary_job *job = context;
    long begin, end;
    if (job->rows == 1) {
        funnel_task_range(job->n, job->tasks, index, &begin, &end);
        FUNNEL_DISPATCH(funnel_binary_row_, job->op, job->x + begin * job->x_step, job->x_step,
                        job->y + begin * job->y_step, job->y_step, job->z + begin, end - begin);
        return;
    }
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    for (long row = begin; row < end; row++) {
        FUNNEL_DISPATCH(funnel_binary_row_, job->op, job->x + row * job->x_row, job->x_step,
                        job->y + row * job->y_row, job->y_step, job->z + row * job->n, job->n);
    }
}

void funnel_binary(funnel_binary_op op, const float *x, long x_row, long x_step, const float *y,
                   long y_row, long y_step, float *z, long rows, long n) {
    binary_job job = {op, x, y, x_row, x_step, y_row, y_step, z, rows, n, 1};
    long total = rows * n;
    long tasks = funnel_task_count(total, PARALLEL_GRAIN);
    job.tasks = rows == 1 ? tasks : (tasks < rows ? tasks : rows);
    funnel_parallel_for(job.tasks, binary_task, &job);
}

void funnel_epilogue_tile(const funnel_epilogue *epilogue, int phase, float *c, long ldc, long rows, long cols,
                          long row, long column) {
    float *y = epilogue->gelu_output ? epilogue->gelu_output + row * ldc + column : NULL;
    const float *operand = epilogue->operand ? epilogue->operand + row * ldc + column : NULL;
    const float *bias = epilogue->bias ? epilogue->bias + column : NULL;
    FUNNEL_DISPATCH(funnel_epilogue_rows_, epilogue->kind, phase, bias, operand, c, ldc, y,
                    epilogue->derivative, rows, cols);
}

typedef struct {
    const funnel_epilogue *epilogue;
    int phase;
    float *c;
    long ldc, rows, cols, tasks;
} epilogue_job;

static void epilogue_task(void *context, long index) {
    epilogue_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    funnel_epilogue_tile(job->epilogue, job->phase, job->c + begin * job->ldc, job->ldc, end - begin, job->cols,
                         begin, 0);
}

void funnel_apply_epilogue(const funnel_epilogue *epilogue, float *c, long ldc, long rows, long cols) {
    funnel_apply_epilogue_phase(epilogue, FUNNEL_EPILOGUE_FIRST | FUNNEL_EPILOGUE_LAST, c, ldc, rows, cols);
}

void funnel_apply_epilogue_phase(const funnel_epilogue *epilogue, int phase, float *c, long ldc, long rows,
                                 long cols) {
    long tasks = funnel_task_count(rows * cols, PARALLEL_GRAIN);
    epilogue_job job = {epilogue, phase, c, ldc, rows, cols, tasks < rows ? tasks : (rows < 1 ? 1 : rows)};
    funnel_parallel_for(job.tasks, epilogue_task, &job);
}

void funnel_add_relu_rows(float *y, const float *bias, long rows, long n) {
    funnel_epilogue epilogue = {FUNNEL_EPILOGUE_BIAS_RELU, bias, NULL, NULL, 0};
    funnel_apply_epilogue(&epilogue, y, n, rows, n);
}

typedef struct {
    const float *row;
    float *y;
    long rows, n, tasks;
} repeat_row_job;

static void repeat_row_task(void *context, long index) {
    repeat_row_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    for (long r = begin; r < end; r++) {
        float *target = job->y + r * job->n;
        for (long i = 0; i < job->n; i++) target[i] = job->row[i];
    }
}

void funnel_repeat_row(const float *row, float *y, long rows, long n) {
    long tasks = funnel_task_count(rows * n, PARALLEL_GRAIN);
    repeat_row_job job = {row, y, rows, n, tasks < rows ? tasks : rows};
    funnel_parallel_for(job.tasks, repeat_row_task, &job);
}

typedef struct {
    int gelu;
    const float *gradient, *values;
    float *masked, *sums;
    long rows, n, tasks;
} activation_backward_job;

static void activation_backward_task(void *context, long index) {
    activation_backward_job *job = context;
    long begin, end;
    // Whole 16-column blocks per task, so a task's stores never share a cache line with another's.
    funnel_task_range((job->n + 15) / 16, job->tasks, index, &begin, &end);
    begin *= 16;
    end = end * 16 < job->n ? end * 16 : job->n;
    FUNNEL_DISPATCH(funnel_activation_backward_columns_, job->gelu, job->gradient, job->values, job->masked,
                    job->sums, job->rows, job->n, begin, end);
}

static void activation_backward_rows(int gelu, const float *gradient, const float *values, float *masked,
                                     float *sums, long rows, long n) {
    long tasks = funnel_task_count(rows * n, PARALLEL_GRAIN);
    long blocks = (n + 15) / 16;
    activation_backward_job job = {gelu, gradient, values, masked, sums, rows, n, tasks < blocks ? tasks : blocks};
    if (job.tasks < 1) job.tasks = 1;
    funnel_parallel_for(job.tasks, activation_backward_task, &job);
}

void funnel_relu_backward_rows(const float *gradient, const float *values, float *masked, float *sums,
                               long rows, long n) {
    activation_backward_rows(0, gradient, values, masked, sums, rows, n);
}

void funnel_gelu_backward_rows(const float *gradient, const float *derivative, float *masked, float *sums,
                               long rows, long n) {
    activation_backward_rows(1, gradient, derivative, masked, sums, rows, n);
}

void funnel_sum_rows_into(const float *x, long rows, long stride, float *y, long n) {
    memset(y, 0, (size_t)n * sizeof(float));
    FUNNEL_DISPATCH(funnel_accumulate_rows_, FUNNEL_REDUCE_SUM, x, rows, stride, y, n);
}

typedef struct {
    const float *x;
    float *y;
    long n, tasks;
} add_in_place_job;

static void add_in_place_task(void *context, long index) {
    add_in_place_job *job = context;
    long begin, end;
    funnel_task_range(job->n, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(funnel_accumulate_row_, FUNNEL_REDUCE_SUM, job->x + begin, job->y + begin, end - begin);
}

void funnel_add_in_place(const float *x, float *y, long n) {
    add_in_place_job job = {x, y, n, funnel_task_count(n, PARALLEL_GRAIN)};
    funnel_parallel_for(job.tasks, add_in_place_task, &job);
}

// MARK: Small helpers

void funnel_axpy(long n, float alpha, const float *x, float *y) {
    for (long i = 0; i < n; i++) y[i] += alpha * x[i];
}

void funnel_scale(long n, float alpha, float *x) {
    for (long i = 0; i < n; i++) x[i] *= alpha;
}

void funnel_clamp(const float *x, float *y, long n, float low, float high) {
    for (long i = 0; i < n; i++) {
        float v = x[i];
        v = v < low ? low : v;
        y[i] = v > high ? high : v;
    }
}

void funnel_select(const float *condition, const float *a, const float *b, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = condition[i] != 0.0f ? a[i] : b[i];
}

float funnel_dot(const float *x, const float *y, long n) {
    return FUNNEL_DISPATCH_VALUE(funnel_dot_row_, x, y, n);
}

// MARK: Reductions

typedef struct {
    funnel_reduce_op op;
    const float *x;
    float *y;
    long outer, axis, inner, tasks;
    int split_outer;
} reduce_job;

// Reduces x[o, :, begin ..< end] for one outer index into y[o, begin ..< end].
static void reduce_block(const reduce_job *job, long o, long begin, long end) {
    const float *x = job->x + o * job->axis * job->inner;
    float *y = job->y + o * job->inner;
    long width = end - begin;
    if (job->inner == 1) {
        const float *row = x;
        float value;
        switch (job->op) {
        case FUNNEL_REDUCE_SUM: value = FUNNEL_DISPATCH_VALUE(funnel_sum_row_, row, job->axis); break;
        default: {
            value = row[0];
            for (long a = 1; a < job->axis; a++) {
                float v = row[a];
                if (job->op == FUNNEL_REDUCE_MIN) value = (v < value || v != v) ? v : value;
                else value = (v > value || v != v) ? v : value;
            }
            if (job->op == FUNNEL_REDUCE_LOG_SUM_EXP) {
                float shift = (value == -INFINITY || value == INFINITY) ? 0.0f : value;
                float total = 0.0f;
                for (long a = 0; a < job->axis; a++) total += funnel_exp(row[a] - shift);
                value = value == INFINITY ? INFINITY : shift + funnel_log(total);
            }
        }
        }
        y[0] = value;
        return;
    }
    funnel_reduce_op pass = job->op == FUNNEL_REDUCE_LOG_SUM_EXP ? FUNNEL_REDUCE_MAX : job->op;
    for (long i = 0; i < width; i++) y[begin + i] = x[begin + i];
    FUNNEL_DISPATCH(funnel_accumulate_rows_, pass, x + job->inner + begin, job->axis - 1, job->inner,
                    y + begin, width);
    if (job->op != FUNNEL_REDUCE_LOG_SUM_EXP) return;
    float shift[256], total[256];
    for (long chunk = begin; chunk < end; chunk += 256) {
        long count = end - chunk < 256 ? end - chunk : 256;
        for (long i = 0; i < count; i++) {
            float m = y[chunk + i];
            shift[i] = (m == -INFINITY || m == INFINITY) ? 0.0f : m;
            total[i] = 0.0f;
        }
        for (long a = 0; a < job->axis; a++) {
            FUNNEL_DISPATCH(funnel_accumulate_exp_row_, x + a * job->inner + chunk, shift, total,
                            count);
        }
        for (long i = 0; i < count; i++) {
            y[chunk + i] = y[chunk + i] == INFINITY ? INFINITY : shift[i] + funnel_log(total[i]);
        }
    }
}

static void reduce_task(void *context, long index) {
    reduce_job *job = context;
    long begin, end;
    if (job->split_outer) {
        funnel_task_range(job->outer, job->tasks, index, &begin, &end);
        for (long o = begin; o < end; o++) reduce_block(job, o, 0, job->inner);
    } else {
        funnel_task_range(job->inner, job->tasks, index, &begin, &end);
        for (long o = 0; o < job->outer; o++) reduce_block(job, o, begin, end);
    }
}

void funnel_reduce(funnel_reduce_op op, const float *x, float *y, long outer, long axis,
                   long inner) {
    if (outer * inner == 0) return;
    if (axis == 0) {
        float empty = op == FUNNEL_REDUCE_SUM ? 0.0f
                      : op == FUNNEL_REDUCE_MAX || op == FUNNEL_REDUCE_LOG_SUM_EXP ? -INFINITY
                                                                                 : INFINITY;
        for (long i = 0; i < outer * inner; i++) y[i] = empty;
        return;
    }
    reduce_job job = {op, x, y, outer, axis, inner, 1, 1};
    long tasks = funnel_task_count(outer * axis * inner, PARALLEL_GRAIN);
    if (outer >= tasks) {
        job.tasks = tasks;
    } else if (inner >= tasks * 16) {
        job.tasks = tasks;
        job.split_outer = 0;
    }
    funnel_parallel_for(job.tasks, reduce_task, &job);
}

// MARK: Softmax

typedef struct {
    const float *x;
    float *y;
    long rows, n, tasks;
    int log;
} softmax_job;

static void softmax_task(void *context, long index) {
    softmax_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    for (long row = begin; row < end; row++) {
        FUNNEL_DISPATCH(funnel_softmax_row_, job->x + row * job->n, job->y + row * job->n, job->n,
                        job->log);
    }
}

void funnel_softmax(const float *x, float *y, long rows, long n, int log) {
    long tasks = funnel_task_count(rows * n, PARALLEL_GRAIN);
    softmax_job job = {x, y, rows, n, tasks < rows ? tasks : (rows < 1 ? 1 : rows), log};
    funnel_parallel_for(job.tasks, softmax_task, &job);
}

// MARK: Softmax cross-entropy

typedef struct {
    float *z;
    long rows, n, tasks;
    const int32_t *labels;
    float scale;
    float *losses;
} cross_entropy_job;

static void cross_entropy_task(void *context, long index) {
    cross_entropy_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    for (long row = begin; row < end; row++) {
        job->losses[row] = FUNNEL_DISPATCH_VALUE(funnel_softmax_cross_entropy_row_, job->z + row * job->n,
                                                 job->n, job->labels[row], job->scale);
    }
}

void funnel_softmax_cross_entropy(float *z, long rows, long n, const int32_t *labels, float scale,
                                  float *losses) {
    long tasks = funnel_task_count(rows * n, PARALLEL_GRAIN);
    cross_entropy_job job = {z, rows, n, tasks < rows ? tasks : (rows < 1 ? 1 : rows), labels, scale, losses};
    funnel_parallel_for(job.tasks, cross_entropy_task, &job);
}

// MARK: Sampled softmax cross-entropy

typedef struct {
    const float *h, *p;
    float *z, *losses;
    long d, rows, n, tasks;
    float shift, scale;
} sampled_softmax_job;

static void sampled_softmax_task(void *context, long index) {
    sampled_softmax_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    for (long row = begin; row < end; row++) {
        float *z = job->z + row * job->n;
        z[0] = FUNNEL_DISPATCH_VALUE(funnel_dot_row_, job->h + row * job->d, job->p + row * job->d, job->d);
        if (job->shift != 0.0f) {
            for (long j = 1; j < job->n; j++) z[j] -= job->shift;
        }
        job->losses[row] = FUNNEL_DISPATCH_VALUE(funnel_softmax_cross_entropy_row_, z, job->n, 0, job->scale);
    }
}

void funnel_sampled_softmax_cross_entropy(const float *h, const float *p, long d, float *z, long rows, long n,
                                          float shift, float scale, float *losses) {
    sampled_softmax_job job = {h, p, z, losses, d, rows, n, funnel_task_split(rows, n + d, PARALLEL_GRAIN), shift, scale};
    funnel_parallel_for(job.tasks, sampled_softmax_task, &job);
}

typedef struct {
    const float *x, *s;
    float *y;
    long s_stride, rows, n, tasks;
    float factor;
    int accumulate;
} scaled_rows_job;

static void scaled_rows_task(void *context, long index) {
    scaled_rows_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(funnel_scaled_rows_, job->x + begin * job->n, job->s + begin * job->s_stride, job->s_stride,
                    job->factor, job->y + begin * job->n, end - begin, job->n, job->accumulate);
}

void funnel_scaled_rows(const float *x, const float *s, long s_stride, float factor, float *y, long rows, long n,
                        int accumulate) {
    long tasks = funnel_task_count(rows * n, PARALLEL_GRAIN);
    scaled_rows_job job = {x, s, y, s_stride, rows, n, tasks < rows ? tasks : (rows < 1 ? 1 : rows), factor, accumulate};
    funnel_parallel_for(job.tasks, scaled_rows_task, &job);
}

// MARK: Table softmax cross-entropy

typedef struct {
    const float *h, *e;
    long rows, d, n, chunk, tasks;
    const int32_t *labels;
    float scale;
    float *losses, *h_grad, *e_grad;
    // Per task: chunk × n scores, then (tasks after the first) an n × d e-gradient.
    float *workspace;
} table_job;

static void table_task(void *context, long index) {
    table_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    long share = job->chunk * job->n + job->n * job->d;
    float *scores = job->workspace + index * share;
    float *e_grad = index == 0 ? job->e_grad : scores + job->chunk * job->n;
    for (long start = begin; start < end; start += job->chunk) {
        long count = end - start < job->chunk ? end - start : job->chunk;
        const float *h = job->h + start * job->d;
        // Nested inside the pool, these GEMMs run on this thread alone.
        funnel_sgemm(0, 1, count, job->n, job->d, 1.0f, h, job->d, job->e, job->d, 0.0f, scores, job->n);
        for (long row = 0; row < count; row++) {
            job->losses[start + row] = FUNNEL_DISPATCH_VALUE(
                funnel_softmax_cross_entropy_row_, scores + row * job->n, job->n, job->labels[start + row],
                job->scale);
        }
        if (job->h_grad) {
            funnel_sgemm(0, 0, count, job->d, job->n, 1.0f, scores, job->n, job->e, job->d, 0.0f,
                         job->h_grad + start * job->d, job->d);
            funnel_sgemm(1, 0, job->n, job->d, count, 1.0f, scores, job->n, h, job->d, 1.0f, e_grad, job->d);
        }
    }
}

void funnel_table_softmax_cross_entropy(const float *h, long rows, long d, const float *e, long n,
                                        const int32_t *labels, float scale, long chunk,
                                        float *losses, float *h_grad, float *e_grad) {
    long tasks = funnel_thread_count();
    if (tasks > rows / chunk) tasks = rows / chunk > 0 ? rows / chunk : 1;
    long share = chunk * n + n * d;
    float *workspace = malloc(sizeof(float) * (size_t)(share * tasks));
    for (long task = 1; h_grad && task < tasks; task++) {
        memset(workspace + task * share + chunk * n, 0, sizeof(float) * (size_t)(n * d));
    }
    table_job job = {h, e, rows, d, n, chunk, tasks, labels, scale, losses, h_grad, e_grad, workspace};
    funnel_parallel_for(tasks, table_task, &job);
    for (long task = 1; h_grad && task < tasks; task++) {
        funnel_axpy(n * d, 1.0f, workspace + task * share + chunk * n, e_grad);
    }
    free(workspace);
}
