// The matrix-vector path of SGEMM (gemm.c's dispatch sends n = 1 and m = 1 here): the
// per-path row and column kernels split across the thread pool by blocks of 16 outputs.
#include "gemm_kernels.h"

enum {
    // Multiply-adds below which a matrix-vector task costs more to hand to another thread than to run.
    MINIMUM_GEMV_TASK_WORK = 1L << 18,
};

static _Thread_local funnel_scratch_buffer scratch_vector;

typedef struct {
    const funnel_gemm_kernels *kernels;
    int columns_form;  // y[i] = Σ_p M[p, i] x[p] rather than Σ_p M[i, p] x[p]
    long outputs, depth;
    const float *matrix;
    long ld;
    const float *x;
    float alpha, beta;
    float *y;
    long incy, tasks;
} gemv_job;

static void gemv_task(void *context, long index) {
    const gemv_job *job = context;
    long blocks = (job->outputs + 15) / 16, begin, end;
    funnel_task_range(blocks, job->tasks, index, &begin, &end);
    begin *= 16;
    end = end * 16 < job->outputs ? end * 16 : job->outputs;
    if (begin >= end) return;
    if (job->columns_form) {
        job->kernels->gemv_columns(end - begin, job->depth, job->matrix + begin, job->ld, job->x,
                                   job->alpha, job->beta, job->y + begin * job->incy, job->incy);
    } else {
        job->kernels->gemv_rows(end - begin, job->depth, job->matrix + begin * job->ld, job->ld,
                                job->x, job->alpha, job->beta, job->y + begin * job->incy,
                                job->incy);
    }
}

void funnel_gemv_path(const funnel_gemm_kernels *kernels, int transpose_a, int transpose_b,
                      long m, long n, long k, float alpha, const float *a, long lda,
                      const float *b, long ldb, float beta, float *c, long ldc) {
    gemv_job job = {.kernels = kernels, .depth = k, .alpha = alpha, .beta = beta, .y = c};
    const float *vector;
    long vector_stride;
    if (n == 1) {
        // c[i] = Σ_p op(A)(i, p) · op(B)(p, 0)
        vector = b;
        vector_stride = transpose_b ? 1 : ldb;
        job.columns_form = transpose_a;
        job.outputs = m;
        job.matrix = a;
        job.ld = lda;
        job.incy = ldc;
    } else {
        // c[j] = Σ_p op(A)(0, p) · op(B)(p, j)
        vector = a;
        vector_stride = transpose_a ? lda : 1;
        job.columns_form = !transpose_b;
        job.outputs = n;
        job.matrix = b;
        job.ld = ldb;
        job.incy = 1;
    }
    if (vector_stride != 1) {
        float *copy = funnel_gemm_reserve(&scratch_vector, (size_t)k);
        for (long p = 0; p < k; p++) copy[p] = vector[p * vector_stride];
        vector = copy;
    }
    job.x = vector;
    job.tasks = funnel_task_split((job.outputs + 15) / 16, 16 * k, MINIMUM_GEMV_TASK_WORK);
    funnel_parallel_for(job.tasks, gemv_task, &job);
}
