// Portable SGEMM pieces in plain C (any CPU): a 4×16 micro-kernel the compiler can vectorize
// with the baseline vector unit (SSE2, NEON), packing, and the matrix-vector kernels.
#include "gemm_kernels.h"

enum { MR = 4, NR = 16, LANES = 8 };

static inline void tile(long depth, const float *a, long row_stride, long depth_stride,
                        const float *b, float *c, long ldc, long rows, long cols, float alpha,
                        float beta) {
    float acc[MR][NR] = {{0}};
    for (long p = 0; p < depth; p++) {
        for (int i = 0; i < MR; i++) {
            float av = a[i * row_stride];
            for (int j = 0; j < NR; j++) acc[i][j] += av * b[j];
        }
        a += depth_stride;
        b += NR;
    }
    for (long i = 0; i < rows; i++) {
        float *row = c + i * ldc;
        for (long j = 0; j < cols; j++) {
            float r = alpha * acc[i][j];
            row[j] = beta != 0.0f ? beta * row[j] + r : r;
        }
    }
}

static void micro_kernel(long depth, const float *a, long a_row_stride, long a_depth_stride,
                         const float *b, float *c, long ldc, long rows, long cols, float alpha,
                         float beta) {
    if (a_depth_stride == 1) {  // row-major A in place
        tile(depth, a, a_row_stride, 1, b, c, ldc, rows, cols, alpha, beta);
    } else if (a_depth_stride == MR) {  // packed
        tile(depth, a, 1, MR, b, c, ldc, rows, cols, alpha, beta);
    } else {  // depth-major A in place
        tile(depth, a, 1, a_depth_stride, b, c, ldc, rows, cols, alpha, beta);
    }
}

static void pack_a(long rows, long depth, const float *a, long lda, int transposed,
                   float *packed) {
    for (long i0 = 0; i0 < rows; i0 += MR, packed += MR * depth) {
        long count = rows - i0 < MR ? rows - i0 : MR;
        for (long p = 0; p < depth; p++) {
            for (long i = 0; i < MR; i++) {
                float value = 0.0f;
                if (i < count) value = transposed ? a[p * lda + i0 + i] : a[(i0 + i) * lda + p];
                packed[p * MR + i] = value;
            }
        }
    }
}

static void pack_b(long depth, long cols, const float *b, long ldb, int transposed,
                   float *packed) {
    for (long j0 = 0; j0 < cols; j0 += NR, packed += NR * depth) {
        long count = cols - j0 < NR ? cols - j0 : NR;
        for (long p = 0; p < depth; p++) {
            for (long j = 0; j < NR; j++) {
                float value = 0.0f;
                if (j < count) value = transposed ? b[(j0 + j) * ldb + p] : b[p * ldb + j0 + j];
                packed[p * NR + j] = value;
            }
        }
    }
}

static inline void store_output(float sum, float alpha, float beta, float *y) {
    float r = alpha * sum;
    *y = beta != 0.0f ? beta * *y + r : r;
}

static void gemv_rows(long rows, long depth, const float *matrix, long ld, const float *x,
                      float alpha, float beta, float *y, long incy) {
    for (long i = 0; i < rows; i++) {
        const float *row = matrix + i * ld;
        // LANES partial sums in a fixed pattern, so the compiler can use vector registers.
        float acc[LANES] = {0};
        long p = 0;
        for (; p + LANES <= depth; p += LANES)
            for (int l = 0; l < LANES; l++) acc[l] += row[p + l] * x[p + l];
        for (int l = 0; p + l < depth; l++) acc[l] += row[p + l] * x[p + l];
        for (int width = LANES / 2; width > 0; width /= 2)
            for (int l = 0; l < width; l++) acc[l] += acc[l + width];
        store_output(acc[0], alpha, beta, y + i * incy);
    }
}

static void gemv_columns(long cols, long depth, const float *matrix, long ld, const float *x,
                         float alpha, float beta, float *y, long incy) {
    enum { BLOCK = 64 };
    for (long j0 = 0; j0 < cols; j0 += BLOCK) {
        long count = cols - j0 < BLOCK ? cols - j0 : BLOCK;
        float acc[BLOCK] = {0};
        const float *source = matrix + j0;
        for (long p = 0; p < depth; p++, source += ld) {
            float xp = x[p];
            for (long j = 0; j < count; j++) acc[j] += source[j] * xp;
        }
        for (long j = 0; j < count; j++) store_output(acc[j], alpha, beta, y + (j0 + j) * incy);
    }
}

const funnel_gemm_kernels funnel_gemm_kernels_portable = {
    .mr = MR, .nr = NR, .mc = 64, .kc = 256, .nc = 512,
    .kernel = micro_kernel, .pack_a = pack_a, .pack_b = pack_b,
    .gemv_rows = gemv_rows, .gemv_columns = gemv_columns,
};
