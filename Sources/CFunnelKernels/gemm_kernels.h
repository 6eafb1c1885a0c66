// The per-path pieces of SGEMM (micro-kernel, packing, matrix-vector) behind one table, so that
// gemm.c holds the blocking, threading and argument handling once for every path.
#ifndef CFUNNEL_GEMM_KERNELS_H
#define CFUNNEL_GEMM_KERNELS_H

#include "kernels_internal.h"

#include <stddef.h>

// Fully unrolls the next loop. Loops over a micro-kernel's accumulator array must be unrolled
// for the array to live in registers; the compiler's size limits can leave the output stage
// rolled, and then the whole array sits in memory.
#if defined(__clang__)
#define FUNNEL_UNROLL _Pragma("clang loop unroll(full)")
#else
#define FUNNEL_UNROLL
#endif

/// C[rows×cols] = alpha · op(A) · Bp + beta · C for one tile (rows ≤ mr, cols ≤ nr), Bp a packed
/// micro-panel (depth steps of nr floats). Element (i, p) of op(A) is at
/// a[i·a_row_stride + p·a_depth_stride], for i < mr whatever `rows` is: a packed micro-panel
/// (strides 1 and mr, zero-padded), or A in place when the tile has mr real rows (row-major:
/// strides lda and 1; depth-major: 1 and lda). beta = 0 does not read C. Every element is the
/// same chain of multiply-adds in depth order whatever the tile, so results do not depend on
/// where the tile falls or how A is reached.
typedef void (*funnel_gemm_micro_kernel)(long depth, const float *a, long a_row_stride,
                                         long a_depth_stride, const float *b_packed, float *c,
                                         long ldc, long rows, long cols, float alpha,
                                         float beta);

/// Packs rows [0, rows) and depth [0, depth) of op(A) into micro-panels of `mr` rows: panel q
/// holds element (q·mr + i, p) at q·mr·depth + p·mr + i, with the last panel zero-padded.
/// `a` points at op(A)(0, 0); `transposed` says A is stored depth-major
/// (op(A)(i, p) = a[p·lda + i]).
typedef void (*funnel_gemm_pack_a)(long rows, long depth, const float *a, long lda,
                                   int transposed, float *packed);

/// Packs depth [0, depth) and columns [0, cols) of op(B) into micro-panels of `nr` columns:
/// panel q holds element (p, q·nr + j) at q·nr·depth + p·nr + j, with the last panel
/// zero-padded. `transposed` says B is stored column-major (op(B)(p, j) = b[j·ldb + p]).
typedef void (*funnel_gemm_pack_b)(long depth, long cols, const float *b, long ldb,
                                   int transposed, float *packed);

/// y[i·incy] = alpha · Σ_p matrix[i·ld + p] · x[p] + beta · y[i·incy] for i < rows (beta = 0
/// does not read y). x is contiguous. Each y element's arithmetic does not depend on `rows`.
typedef void (*funnel_gemv_rows)(long rows, long depth, const float *matrix, long ld,
                                 const float *x, float alpha, float beta, float *y, long incy);

/// y[i·incy] = alpha · Σ_p matrix[p·ld + i] · x[p] + beta · y[i·incy] for i < cols, the same
/// guarantees as `funnel_gemv_rows`.
typedef void (*funnel_gemv_columns)(long cols, long depth, const float *matrix, long ld,
                                    const float *x, float alpha, float beta, float *y,
                                    long incy);

typedef struct {
    long mr, nr;             // micro-tile rows and columns
    long mc, kc, nc;         // cache blocks: rows of A, depth, columns of B
    funnel_gemm_micro_kernel kernel;
    funnel_gemm_pack_a pack_a;
    funnel_gemm_pack_b pack_b;
    funnel_gemv_rows gemv_rows;
    funnel_gemv_columns gemv_columns;
} funnel_gemm_kernels;

extern const funnel_gemm_kernels funnel_gemm_kernels_portable;
#if FUNNEL_X86
extern const funnel_gemm_kernels funnel_gemm_kernels_avx2;
extern const funnel_gemm_kernels funnel_gemm_kernels_avx512;
#endif

// MARK: - Shared by the driver's files (gemm.c, gemm_vector.c)

/// Packing buffers are per thread and kept between calls: allocating (and faulting in) half a
/// megabyte on every call would cost as much as a small product.
typedef struct {
    float *data;
    size_t capacity;
} funnel_scratch_buffer;

/// The buffer's floats, grown (64-byte aligned, contents dropped) to at least `count`.
float *funnel_gemm_reserve(funnel_scratch_buffer *buffer, size_t count);

/// The depth blocks of a product over k rows of depth on the active path (k itself when one
/// block holds it): the blocks whose products a weight gradient sums in order.
long funnel_gemm_depth_block(long k);

/// total[i] = fma(1, total[i], next[b·stride + i]) for b = 0 ..< count, i < n: the depth blocks'
/// partial products added to a sum in depth order, as the blocked kernel's store adds them.
void funnel_add_blocks_in_order(float *total, const float *next, long stride, long count, long n);

/// n = 1 or m = 1: one operand is a vector, and a blocked kernel would spend its time packing.
void funnel_gemv_path(const funnel_gemm_kernels *kernels, int transpose_a, int transpose_b, long m, long n, long k,
                      float alpha, const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);

#endif
