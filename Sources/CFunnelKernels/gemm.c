// SGEMM driver: argument handling, path dispatch, cache blocking, packing buffers, the
// depth-parallel path and the split over the thread pool (the matrix-vector path is in
// gemm_vector.c). The arithmetic lives in the per-path files (gemm_avx512.c, gemm_avx2.c,
// gemm_portable.c).
//
// Blocking (the loops around the micro-kernel), for each block of nc columns and kc depth:
//   pack op(B)[kc×nc] into nr-column panels (shared by all tasks; stays in L2);
//   each task owns a fixed range of mr-row panels (or of nr-column panels when m is small):
//     for each mc-row block: pack op(A)[mc×kc] into mr-row panels, or read A in place (always
//     when it is row-major, and when it is depth-major but meets few column panels)
//       for each mr-row panel (stays in L1): for each nr-column panel: micro-kernel.
// Depth blocks after the first accumulate into C (beta = 1), so every element of C is summed in
// the same order whatever the thread count and wherever its tile falls.
#include "gemm_kernels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUNNEL_PER_PATH_BODY "gemm_small_body.h"
#include "per_path.h"

enum {
    // Multiply-adds below which a task costs more to hand to another thread than to run.
    MINIMUM_TASK_WORK = 1L << 20,
    // Floats of B below which packing a block is quicker than waking the other threads for it.
    MINIMUM_PARALLEL_PACK = 1L << 16,
    // Column panels up to which depth-major A is read in place rather than packed: a packed
    // copy costs a write and a read of A, a strided micro-panel of it a few cache misses per use
    // (measured: in place wins at 1 and 2 panels, packing at 4).
    IN_PLACE_TRANSPOSED_A_PANELS = 2,
    // Multiply-adds up to which a product of a batch takes the small-product loops: packing
    // and micro-kernel tiles cost more than they save on the heads of an attention layer
    // (30×30×8) or an outer product (k = 1). Measured on USD's attention: 28 % of a training
    // step went to such products through the blocked path (m = 1 or n = 1 keep the
    // matrix-vector path).
    SMALL_PRODUCT_WORK = 1L << 15,
};

static const funnel_gemm_kernels *active_kernels(void) {
#if FUNNEL_X86
    switch (funnel_active_path()) {
    case FUNNEL_PATH_AVX512: return &funnel_gemm_kernels_avx512;
    case FUNNEL_PATH_AVX2: return &funnel_gemm_kernels_avx2;
    default: break;
    }
#endif
    return &funnel_gemm_kernels_portable;
}

static long minimum(long x, long y) { return x < y ? x : y; }

// MARK: - Scratch buffers

static _Thread_local funnel_scratch_buffer scratch_a, scratch_b, scratch_small, scratch_depth, scratch_sums;

float *funnel_gemm_reserve(funnel_scratch_buffer *buffer, size_t count) {
    if (count > buffer->capacity) {
        free(buffer->data);
        size_t bytes = (count * sizeof(float) + 63) & ~(size_t)63;
        buffer->data = aligned_alloc(64, bytes);
        if (!buffer->data) abort();
        buffer->capacity = bytes / sizeof(float);
    }
    return buffer->data;
}

// MARK: - Trivial cases

static void scale_c(long m, long n, float beta, float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (beta == 0.0f) {
            memset(row, 0, (size_t)n * sizeof(float));
        } else if (beta != 1.0f) {
            for (long j = 0; j < n; j++) row[j] *= beta;
        }
    }
}

// MARK: - Blocked path

typedef struct {
    const funnel_gemm_kernels *kernels;
    int transpose_a, transpose_b;
    long m, nc, kc;
    float alpha, beta;
    const float *a;  // op(A)(0, first depth of the block)
    long lda;
    const float *b;  // op(B)(first depth of the block, first column of the block)
    long ldb;
    float *c;  // C(0, first column of the block)
    long ldc;
    float *b_packed;
    long row_panels, column_panels;
    long pack_tasks, row_tasks, column_tasks;
    const funnel_epilogue *epilogue;  // applied to each tile of this depth block when not NULL,
    int epilogue_phase;               // in these phases
    long column_offset;               // C's column of the block's first column
} block_job;

static void pack_b_task(void *context, long index) {
    const block_job *job = context;
    long nr = job->kernels->nr, begin, end;
    funnel_task_range(job->column_panels, job->pack_tasks, index, &begin, &end);
    long first = begin * nr, cols = minimum(end * nr, job->nc) - first;
    if (cols <= 0) return;
    const float *source = job->transpose_b ? job->b + first * job->ldb : job->b + first;
    job->kernels->pack_b(job->kc, cols, source, job->ldb, job->transpose_b,
                         job->b_packed + first * job->kc);
}

static void compute_task(void *context, long index) {
    const block_job *job = context;
    const funnel_gemm_kernels *kernels = job->kernels;
    long mr = kernels->mr, nr = kernels->nr, kc = job->kc;
    long row_task = index / job->column_tasks, column_task = index % job->column_tasks;
    long row_begin, row_end, column_begin, column_end;
    funnel_task_range(job->row_panels, job->row_tasks, row_task, &row_begin, &row_end);
    funnel_task_range(job->column_panels, job->column_tasks, column_task, &column_begin,
                      &column_end);
    row_begin *= mr;
    row_end = minimum(row_end * mr, job->m);
    column_begin *= nr;
    column_end = minimum(column_end * nr, job->nc);
    float *packed_a = funnel_gemm_reserve(&scratch_a, (size_t)(kernels->mc * kc));
    // A is read in place when it is row-major (each micro-panel stays in L1 while it meets
    // every column panel) and when it is depth-major but meets few column panels; otherwise
    // mc-row blocks of it are packed.
    int in_place = !job->transpose_a ||
                   column_end - column_begin <= IN_PLACE_TRANSPOSED_A_PANELS * nr;
    long in_place_row_stride = job->transpose_a ? 1 : job->lda;
    long in_place_depth_stride = job->transpose_a ? job->lda : 1;
    for (long ic = row_begin; ic < row_end; ic += kernels->mc) {
        long mc = minimum(kernels->mc, row_end - ic);
        if (!in_place) {
            const float *source = job->transpose_a ? job->a + ic : job->a + ic * job->lda;
            kernels->pack_a(mc, kc, source, job->lda, job->transpose_a, packed_a);
        }
        for (long ir = 0; ir < mc; ir += mr) {
            long rows = minimum(mr, mc - ir);
            const float *panel = packed_a + ir * kc;
            long row_stride = 1, depth_stride = mr;
            if (in_place) {
                panel = job->a + (ic + ir) * in_place_row_stride;
                if (rows == mr) {
                    row_stride = in_place_row_stride;
                    depth_stride = in_place_depth_stride;
                } else {
                    // The last rows: the kernel reads mr rows, so give it a zero-padded copy.
                    kernels->pack_a(rows, kc, panel, job->lda, job->transpose_a, packed_a);
                    panel = packed_a;
                }
            }
            float *c_row = job->c + (ic + ir) * job->ldc;
            for (long jr = column_begin; jr < column_end; jr += nr) {
                long cols = minimum(nr, column_end - jr);
                kernels->kernel(kc, panel, row_stride, depth_stride, job->b_packed + jr * kc,
                                c_row + jr, job->ldc, rows, cols, job->alpha, job->beta);
                if (job->epilogue) {
                    funnel_epilogue_tile(job->epilogue, job->epilogue_phase, c_row + jr, job->ldc, rows, cols,
                                         ic + ir, job->column_offset + jr);
                }
            }
        }
    }
}

// The depth of the blocked path's blocks. A depth a little past the block (a first layer reading
// 320 embedding values) runs as one block: a second block would read and write all of C again
// for a sliver of the work. The depth-parallel path cuts the same blocks, which keeps its bits.
static long depth_block_for(const funnel_gemm_kernels *kernels, long k) {
    return k <= kernels->kc + kernels->kc / 2 ? k : kernels->kc;
}

long funnel_gemm_depth_block(long k) { return depth_block_for(active_kernels(), k); }

// `epilogue` (or NULL): the bias on each tile at the first depth block's store, an activation
// at the last block's (funnel_sgemm_epilogue).
static void blocked_path(const funnel_gemm_kernels *kernels, int transpose_a, int transpose_b,
                         long m, long n, long k, float alpha, const float *a, long lda,
                         const float *b, long ldb, float beta, float *c, long ldc,
                         const funnel_epilogue *epilogue) {
    long mr = kernels->mr, nr = kernels->nr;
    long row_panels = (m + mr - 1) / mr;
    long depth_block = depth_block_for(kernels, k);
    block_job job = {
        .kernels = kernels, .transpose_a = transpose_a, .transpose_b = transpose_b,
        .m = m, .alpha = alpha, .lda = lda, .ldb = ldb, .ldc = ldc, .row_panels = row_panels,
    };
    long work_per_row_panel = mr * minimum(n, kernels->nc) * depth_block;
    long threads = funnel_task_count(row_panels * work_per_row_panel, MINIMUM_TASK_WORK);
    long tasks = threads > 1 ? threads * FUNNEL_TASKS_PER_THREAD : 1;
    long n_panels = (minimum(n, kernels->nc) + nr - 1) / nr;
    if (threads > 1 && row_panels < 4 * threads && n_panels >= threads) {
        job.row_tasks = 1;  // too few rows to share out evenly: split the columns instead
        job.column_tasks = minimum(tasks, n_panels);
    } else {
        job.row_tasks = minimum(tasks, row_panels);
        job.column_tasks = 1;
    }
    float *b_packed = funnel_gemm_reserve(&scratch_b, (size_t)(depth_block *
                                                    n_panels * nr));
    for (long jc = 0; jc < n; jc += kernels->nc) {
        job.nc = minimum(kernels->nc, n - jc);
        job.column_panels = (job.nc + nr - 1) / nr;
        for (long pc = 0; pc < k; pc += depth_block) {
            job.kc = minimum(depth_block, k - pc);
            job.beta = pc == 0 ? beta : 1.0f;
            job.a = transpose_a ? a + pc * lda : a + pc;
            job.b = transpose_b ? b + jc * ldb + pc : b + pc * ldb + jc;
            job.c = c + jc;
            job.column_offset = jc;
            job.epilogue_phase = (pc == 0 ? FUNNEL_EPILOGUE_FIRST : 0) | (pc + job.kc >= k ? FUNNEL_EPILOGUE_LAST : 0);
            job.epilogue = job.epilogue_phase ? epilogue : NULL;
            job.b_packed = b_packed;
            // One full column panel of row-major B with rows nr apart is already the packed
            // layout (a weight gradient's 64-wide input): read in place, where the pack would copy
            // it out of memory for the same bits.
            if (!transpose_b && job.nc == nr && ldb == nr && ((uintptr_t)job.b & 63) == 0) {
                job.b_packed = (float *)job.b;
            } else {
                job.pack_tasks = threads > 1 && job.kc * job.nc >= MINIMUM_PARALLEL_PACK
                                     ? minimum(tasks, job.column_panels)
                                     : 1;
                funnel_parallel_for(job.pack_tasks, pack_b_task, &job);
            }
            funnel_parallel_for(job.row_tasks * job.column_tasks, compute_task, &job);
        }
    }
}

// MARK: - Depth-parallel path

// A weight's gradient (m and n the layer's widths, k the batch's rows) has little work per
// depth block, so the blocked path keeps it on one thread, block after block. Here each depth
// block's product goes to its own slice of a scratch buffer, the blocks side by side on the
// threads, and the slices are then added into C in depth order: the additions the blocked path
// makes, in its order, so the bits are the same.
typedef struct {
    const funnel_gemm_kernels *kernels;
    int transpose_a, transpose_b;
    long m, n, k, kc, blocks, tasks;
    float alpha, beta;
    const float *a, *b;
    long lda, ldb;
    float *partials, *c;
    long ldc;
    float *sums, *partial_sums;  // funnel_sgemm_depth_sums: the sums, and one slice of m per block
    int swapped;                 // the blocks compute Cᵀ = op(B)ᵀ·op(A)ᵀ, partials n×m
} depth_job;

// sums[i] = Σ_p op(A)[i, p] over one depth block of kc values, p ascending, from 0.
static void block_depth_sums(int transpose_a, long m, long kc, const float *a, long lda, float *sums) {
    if (transpose_a) {
        funnel_sum_rows_into(a, kc, lda, sums, m);
        return;
    }
    for (long i = 0; i < m; i++) {
        float total = 0.0f;
        for (long p = 0; p < kc; p++) total += a[i * lda + p];
        sums[i] = total;
    }
}

static void depth_block_task(void *context, long index) {
    const depth_job *job = context;
    long begin, end;
    funnel_task_range(job->blocks, job->tasks, index, &begin, &end);
    for (long block = begin; block < end; block++) {
        long pc = block * job->kc, kc = minimum(job->kc, job->k - pc);
        const float *a = job->transpose_a ? job->a + pc * job->lda : job->a + pc;
        const float *b = job->transpose_b ? job->b + pc : job->b + pc * job->ldb;
        // Inside a pool task: one block of depth, one thread.
        float *partial = job->partials + block * job->m * job->n;
        if (job->swapped) {
            blocked_path(job->kernels, 1, 0, job->n, job->m, kc, job->alpha, b, job->ldb, a, job->lda, 0.0f, partial,
                         job->m, NULL);
        } else {
            blocked_path(job->kernels, job->transpose_a, job->transpose_b, job->m, job->n, kc, job->alpha, a,
                         job->lda, b, job->ldb, 0.0f, partial, job->n, NULL);
        }
        // The block of A was just read by the product: summed while it is still in cache.
        if (job->sums) block_depth_sums(job->transpose_a, job->m, kc, a, job->lda, job->partial_sums + block * job->m);
    }
}

void funnel_add_blocks_in_order(float *total, const float *next, long stride, long count, long n) {
    for (long block = 0; block < count; block++) {
        const float *partial = next + block * stride;
        for (long i = 0; i < n; i++) total[i] = __builtin_fmaf(1.0f, total[i], partial[i]);
    }
}

// The sums of the blocks' bias partials (one slice of m per block), elements [begin, end).
static void add_partial_sums(const depth_job *job, long begin, long end) {
    memcpy(job->sums + begin, job->partial_sums + begin, (size_t)(end - begin) * sizeof(float));
    funnel_add_blocks_in_order(job->sums + begin, job->partial_sums + job->m + begin, job->m, job->blocks - 1,
                               end - begin);
}

// The sums of depth_sum_task for Cᵀ's partials: column j of C gathered in block 0's row j, then
// written down the column.
static void transposed_depth_sum_task(void *context, long index) {
    const depth_job *job = context;
    long begin, end, m = job->m, size = job->m * job->n;
    funnel_task_range(job->n, job->tasks, index, &begin, &end);
    for (long j = begin; j < end; j++) {
        float *total = job->partials + j * m;
        if (job->beta != 0.0f) {
            for (long i = 0; i < m; i++) total[i] = __builtin_fmaf(job->beta, job->c[i * job->ldc + j], total[i]);
        }
        funnel_add_blocks_in_order(total, total + size, size, job->blocks - 1, m);
        for (long i = 0; i < m; i++) job->c[i * job->ldc + j] = total[i];
    }
    funnel_task_range(m, job->tasks, index, &begin, &end);
    if (job->sums) add_partial_sums(job, begin, end);
}

static void depth_sum_task(void *context, long index) {
    const depth_job *job = context;
    long begin, end;
    funnel_task_range(job->m, job->tasks, index, &begin, &end);
    long size = job->m * job->n;
    for (long i = begin; i < end; i++) {
        float *row = job->c + i * job->ldc;
        const float *first = job->partials + i * job->n;
        // The kernel's store: alpha·sum, then fma(beta, C, ·) when beta ≠ 0, then C + block.
        for (long j = 0; j < job->n; j++)
            row[j] = job->beta != 0.0f ? __builtin_fmaf(job->beta, row[j], first[j]) : first[j];
        funnel_add_blocks_in_order(row, first + size, size, job->blocks - 1, job->n);
    }
    if (job->sums) add_partial_sums(job, begin, end);
}

// Whether the depth-parallel path applies: the blocked path would split each depth block into
// pool jobs of a few tens of microseconds (or not at all), and the blocks together hold work for
// several threads.
static int depth_parallel(const funnel_gemm_kernels *kernels, long m, long n, long k) {
    long depth_block = depth_block_for(kernels, k);
    long blocks = (k + depth_block - 1) / depth_block;
    if (blocks < 2 || n > kernels->nc || m * n * blocks > (1L << 22)) return 0;
    long row_panels = (m + kernels->mr - 1) / kernels->mr;
    long per_block = row_panels * kernels->mr * n * depth_block;
    return funnel_task_count(per_block, 4 * MINIMUM_TASK_WORK) == 1 &&
           funnel_task_count(m * n * k, MINIMUM_TASK_WORK) > 1;
}

// `sums` (or NULL): funnel_sgemm_depth_sums's.
static void depth_parallel_path(const funnel_gemm_kernels *kernels, int transpose_a, int transpose_b,
                                long m, long n, long k, float alpha, const float *a, long lda,
                                const float *b, long ldb, float beta, float *c, long ldc, float *sums) {
    long kc = depth_block_for(kernels, k), blocks = (k + kc - 1) / kc;
    float *partials = funnel_gemm_reserve(&scratch_depth, (size_t)(blocks * m * n + (sums ? blocks * m : 0)));
    depth_job job = {
        .kernels = kernels, .transpose_a = transpose_a, .transpose_b = transpose_b, .m = m, .n = n,
        .k = k, .kc = kc, .blocks = blocks, .alpha = alpha, .beta = beta, .a = a, .b = b, .lda = lda,
        .ldb = ldb, .partials = partials, .c = c, .ldc = ldc, .sums = sums,
        .partial_sums = sums ? partials + blocks * m * n : NULL,
        // A weight gradient Gᵀ·X with few outputs and many inputs (m ≤ nr < n): each block would
        // pack n columns of X; as Xᵀ·G, X is read in place as depth-major A and G, one panel
        // wide, in place as B. fma(a, b, c) = fma(b, a, c), so each sum keeps its bits.
        .swapped = transpose_a && !transpose_b && m <= kernels->nr && n > kernels->nr,
    };
    job.tasks = funnel_task_split(blocks, m * n * kc, MINIMUM_TASK_WORK / 4);
    funnel_parallel_for(job.tasks, depth_block_task, &job);
    long rows = job.swapped ? n : m;
    job.tasks = funnel_task_count(m * n * blocks, 1L << 15);
    if (job.tasks > rows) job.tasks = rows;
    funnel_parallel_for(job.tasks, job.swapped ? transposed_depth_sum_task : depth_sum_task, &job);
}

typedef void (*small_gemm)(int, int, long, long, long, float, const float *, long, const float *,
                           long, float, float *, long, float *);

static small_gemm small_gemm_for_path(void) { return FUNNEL_FOR_PATH(funnel_small_gemm_); }

// MARK: - Public entry points

void funnel_sgemm(int transpose_a, int transpose_b, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb, float beta, float *c,
                  long ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc);
        return;
    }
    const funnel_gemm_kernels *kernels = active_kernels();
    if (n == 1 || m == 1) {
        funnel_gemv_path(kernels, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                  ldc);
    } else if (m * n * k <= SMALL_PRODUCT_WORK) {
        float *scratch = funnel_gemm_reserve(&scratch_small, (size_t)(k * ((n + 15) / 16 * 16)));
        small_gemm_for_path()(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                              ldc, scratch);
    } else if (depth_parallel(kernels, m, n, k)) {
        depth_parallel_path(kernels, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta,
                            c, ldc, NULL);
    } else {
        blocked_path(kernels, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                     ldc, NULL);
    }
}

void funnel_sgemm_epilogue(int transpose_a, int transpose_b, long m, long n, long k, const float *a, long lda,
                           const float *b, long ldb, float *c, long ldc, const funnel_epilogue *epilogue) {
    if (m <= 0 || n <= 0) return;
    const funnel_gemm_kernels *kernels = active_kernels();
    if (k > 0 && n != 1 && m != 1 && m * n * k > SMALL_PRODUCT_WORK && !depth_parallel(kernels, m, n, k)) {
        blocked_path(kernels, transpose_a, transpose_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, epilogue);
    } else if (epilogue->kind == FUNNEL_EPILOGUE_BIAS || epilogue->kind == FUNNEL_EPILOGUE_BIAS_RESIDUAL) {
        for (long i = 0; i < m; i++) memcpy(c + i * ldc, epilogue->bias, (size_t)n * sizeof(float));
        funnel_sgemm(transpose_a, transpose_b, m, n, k, 1.0f, a, lda, b, ldb, 1.0f, c, ldc);
        if (epilogue->kind == FUNNEL_EPILOGUE_BIAS_RESIDUAL)
            funnel_apply_epilogue_phase(epilogue, FUNNEL_EPILOGUE_LAST, c, ldc, m, n);
    } else {
        funnel_sgemm(transpose_a, transpose_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
        funnel_apply_epilogue(epilogue, c, ldc, m, n);
    }
}

void funnel_sgemm_depth_sums(int transpose_a, int transpose_b, long m, long n, long k, const float *a, long lda,
                             const float *b, long ldb, float *c, long ldc, float *sums) {
    if (m <= 0) return;
    const funnel_gemm_kernels *kernels = active_kernels();
    if (n > 1 && m > 1 && k > 0 && m * n * k > SMALL_PRODUCT_WORK && depth_parallel(kernels, m, n, k)) {
        depth_parallel_path(kernels, transpose_a, transpose_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, sums);
        return;
    }
    funnel_sgemm(transpose_a, transpose_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
    // The depth-parallel path's additions, one block after another.
    if (k <= 0) memset(sums, 0, (size_t)m * sizeof(float));
    long kc = depth_block_for(kernels, k > 0 ? k : 1);
    float *partial = funnel_gemm_reserve(&scratch_sums, (size_t)m);
    for (long pc = 0; pc < k; pc += kc) {
        const float *block = transpose_a ? a + pc * lda : a + pc;
        block_depth_sums(transpose_a, m, minimum(kc, k - pc), block, lda, pc == 0 ? sums : partial);
        if (pc > 0)
            for (long i = 0; i < m; i++) sums[i] += partial[i];
    }
}

typedef struct {
    int transpose_a, transpose_b;
    long batch, m, n, k;
    float alpha, beta;
    const float *a;
    long lda, stride_a;
    const float *b;
    long ldb, stride_b;
    float *c;
    long ldc, stride_c, tasks;
} batch_job;

static void batch_task(void *context, long index) {
    const batch_job *job = context;
    long begin, end;
    funnel_task_range(job->batch, job->tasks, index, &begin, &end);
    // Inside a pool task the nested splits in funnel_sgemm run serially on this thread.
    for (long i = begin; i < end; i++) {
        funnel_sgemm(job->transpose_a, job->transpose_b, job->m, job->n, job->k, job->alpha,
                     job->a + i * job->stride_a, job->lda, job->b + i * job->stride_b, job->ldb,
                     job->beta, job->c + i * job->stride_c, job->ldc);
    }
}

void funnel_sgemm_batched(int transpose_a, int transpose_b, long batch, long m, long n, long k,
                          float alpha, const float *a, long lda, long stride_a, const float *b,
                          long ldb, long stride_b, float beta, float *c, long ldc,
                          long stride_c) {
    if (batch <= 0 || m <= 0 || n <= 0) return;
    batch_job job = {
        .transpose_a = transpose_a, .transpose_b = transpose_b, .batch = batch, .m = m, .n = n,
        .k = k, .alpha = alpha, .beta = beta, .a = a, .lda = lda, .stride_a = stride_a, .b = b,
        .ldb = ldb, .stride_b = stride_b, .c = c, .ldc = ldc, .stride_c = stride_c, .tasks = 1,
    };
    long work = m * n * (k > 0 ? k : 1);
    // Products big enough to split on their own keep all threads; small ones share the batch.
    if (batch > 1 && work < 4 * MINIMUM_TASK_WORK) {
        job.tasks = funnel_task_split(batch, work, MINIMUM_TASK_WORK);
    }
    funnel_parallel_for(job.tasks, batch_task, &job);
}
