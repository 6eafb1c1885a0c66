// AVX2+FMA SGEMM pieces: a 6×16 micro-kernel (12 accumulators of the 16 ymm registers), packing,
// and the two matrix-vector kernels.
#include "gemm_kernels.h"

#if FUNNEL_X86
#include <immintrin.h>

enum { MR = 6, VECTORS = 2, NR = 8 * VECTORS };

#define INLINE static inline __attribute__((always_inline))
#define UNROLL FUNNEL_UNROLL

// Lane l is all ones when l < count (count clamped to 0 ... 8), for masked loads and stores.
FUNNEL_TARGET_AVX2 INLINE __m256i lane_mask(long count) {
    if (count < 0) count = 0;
    if (count > 8) count = 8;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// The tile loop for A element (i, p) at a[i·row_stride + p·depth_stride], on the first `width`
// vectors of the panel (constant after inlining).
FUNNEL_TARGET_AVX2 INLINE void tile(long depth, const float *a, long row_stride,
                                    long depth_stride, const float *b, float *c, long ldc,
                                    long rows, long cols, float alpha, float beta, int width) {
    __m256 acc[MR][VECTORS];
    UNROLL for (int i = 0; i < MR; i++) {
        UNROLL for (int v = 0; v < width; v++) acc[i][v] = _mm256_setzero_ps();
    }
    for (int i = 0; i < MR && i < rows; i++) __builtin_prefetch(c + i * ldc, 1, 3);
    for (long p = 0; p < depth; p++) {
        __m256 bv[VECTORS];
        UNROLL for (int v = 0; v < width; v++) bv[v] = _mm256_load_ps(b + 8 * v);
        UNROLL for (int i = 0; i < MR; i++) {
            __m256 av = _mm256_broadcast_ss(a + i * row_stride);
            UNROLL for (int v = 0; v < width; v++) {
                acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
            }
        }
        a += depth_stride;
        b += NR;
    }
    __m256 alpha_v = _mm256_set1_ps(alpha), beta_v = _mm256_set1_ps(beta);
    __m256i masks[VECTORS];
    UNROLL for (int v = 0; v < width; v++) masks[v] = lane_mask(cols - 8 * v);
    int full = rows == MR && cols == 8 * width;
    UNROLL for (int i = 0; i < MR; i++) {
        if (i >= rows) break;
        float *row = c + i * ldc;
        UNROLL for (int v = 0; v < width; v++) {
            __m256 r = _mm256_mul_ps(acc[i][v], alpha_v);
            if (full) {
                if (beta != 0.0f) r = _mm256_fmadd_ps(beta_v, _mm256_loadu_ps(row + 8 * v), r);
                _mm256_storeu_ps(row + 8 * v, r);
            } else {
                if (beta != 0.0f)
                    r = _mm256_fmadd_ps(beta_v, _mm256_maskload_ps(row + 8 * v, masks[v]), r);
                _mm256_maskstore_ps(row + 8 * v, masks[v], r);
            }
        }
    }
}

FUNNEL_TARGET_AVX2 INLINE void tile_of_width(long depth, const float *a, long row_stride,
                                             long depth_stride, const float *b, float *c,
                                             long ldc, long rows, long cols, float alpha,
                                             float beta, int width) {
    if (depth_stride == 1) {  // row-major A in place
        tile(depth, a, row_stride, 1, b, c, ldc, rows, cols, alpha, beta, width);
    } else if (depth_stride == MR) {  // packed
        tile(depth, a, 1, MR, b, c, ldc, rows, cols, alpha, beta, width);
    } else {  // depth-major A in place
        tile(depth, a, 1, depth_stride, b, c, ldc, rows, cols, alpha, beta, width);
    }
}

// A tile of at most 8 columns skips the vector of B's zero padding.
FUNNEL_TARGET_AVX2 static void micro_kernel(long depth, const float *a, long a_row_stride,
                                            long a_depth_stride, const float *b, float *c,
                                            long ldc, long rows, long cols, float alpha,
                                            float beta) {
    long row = a_row_stride, step = a_depth_stride;
    if (cols <= 8) {
        tile_of_width(depth, a, row, step, b, c, ldc, rows, cols, alpha, beta, 1);
    } else {
        tile_of_width(depth, a, row, step, b, c, ldc, rows, cols, alpha, beta, 2);
    }
}

FUNNEL_TARGET_AVX2 static void pack_a(long rows, long depth, const float *a, long lda,
                                      int transposed, float *packed) {
    if (transposed) {
        // Depth-major A: walk each stored row once and deal its pieces out to the panels with
        // plain 16- and 8-byte moves (masked stores are slow); the rows lie a page or more
        // apart, beyond the hardware prefetchers, so fetch a few rows ahead by hand.
        long full = rows / MR * MR;
        for (long p = 0; p < depth; p++) {
            const float *source = a + p * lda;
            if (p + 4 < depth) {
                for (long i = 0; i < rows; i += 16)
                    _mm_prefetch((const char *)(source + 4 * lda + i), _MM_HINT_T0);
            }
            float *target = packed + p * MR;
            for (long i0 = 0; i0 < full; i0 += MR, target += MR * depth) {
                _mm_storeu_ps(target, _mm_loadu_ps(source + i0));
                _mm_storeu_si64(target + 4, _mm_loadu_si64(source + i0 + 4));
            }
            if (full < rows) {
                for (long i = 0; i < MR; i++) target[i] = full + i < rows ? source[full + i] : 0.0f;
            }
        }
        return;
    }
    for (long i0 = 0; i0 < rows; i0 += MR, packed += MR * depth) {
        long count = rows - i0 < MR ? rows - i0 : MR;
        for (long p = 0; p < depth; p++) {
            for (long i = 0; i < MR; i++)
                packed[p * MR + i] = i < count ? a[(i0 + i) * lda + p] : 0.0f;
        }
    }
}

FUNNEL_TARGET_AVX2 static void pack_b(long depth, long cols, const float *b, long ldb,
                                      int transposed, float *packed) {
    for (long j0 = 0; j0 < cols; j0 += NR, packed += NR * depth) {
        long count = cols - j0 < NR ? cols - j0 : NR;
        if (!transposed) {
            __m256i masks[VECTORS];
            for (int v = 0; v < VECTORS; v++) masks[v] = lane_mask(count - 8 * v);
            for (long p = 0; p < depth; p++) {
                const float *source = b + p * ldb + j0;
                for (int v = 0; v < VECTORS; v++)
                    _mm256_store_ps(packed + p * NR + 8 * v,
                                    _mm256_maskload_ps(source + 8 * v, masks[v]));
            }
        } else {
            for (long p = 0; p < depth; p++)
                for (long j = 0; j < NR; j++)
                    packed[p * NR + j] = j < count ? b[(j0 + j) * ldb + p] : 0.0f;
        }
    }
}

// Lane r of the result is the total of rows[r], by a fixed tree.
FUNNEL_TARGET_AVX2 INLINE __m256 reduce_eight(const __m256 rows[8]) {
    __m256 halves[4], pairs[2];
    for (int j = 0; j < 4; j++) {
        halves[j] = _mm256_add_ps(_mm256_permute2f128_ps(rows[j], rows[j + 4], 0x20),
                                  _mm256_permute2f128_ps(rows[j], rows[j + 4], 0x31));
    }  // 128-bit halves: j, j+4
    for (int j = 0; j < 2; j++) {
        __m256d x = _mm256_castps_pd(halves[j]), y = _mm256_castps_pd(halves[j + 2]);
        pairs[j] = _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(x, y)),
                                 _mm256_castpd_ps(_mm256_unpackhi_pd(x, y)));
    }
    __m256 sums = _mm256_add_ps(_mm256_shuffle_ps(pairs[0], pairs[1], 0x88),
                                _mm256_shuffle_ps(pairs[0], pairs[1], 0xDD));
    // sums holds rows 0 2 1 3 4 6 5 7
    return _mm256_permutevar8x32_ps(sums, _mm256_setr_epi32(0, 2, 1, 3, 4, 6, 5, 7));
}

FUNNEL_TARGET_AVX2 INLINE void store_outputs(__m256 sums, long count, float alpha, float beta,
                                             float *y, long incy) {
    __m256 r = _mm256_mul_ps(sums, _mm256_set1_ps(alpha));
    if (incy == 1 && count == 8) {
        if (beta != 0.0f) r = _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(y), r);
        _mm256_storeu_ps(y, r);
        return;
    }
    float values[8];
    _mm256_storeu_ps(values, r);
    for (long i = 0; i < count; i++) {
        float *out = y + i * incy;
        *out = beta != 0.0f ? __builtin_fmaf(beta, *out, values[i]) : values[i];
    }
}

FUNNEL_TARGET_AVX2 static void gemv_rows(long rows, long depth, const float *matrix, long ld,
                                         const float *x, float alpha, float beta, float *y,
                                         long incy) {
    for (long i0 = 0; i0 < rows; i0 += 8) {
        long count = rows - i0 < 8 ? rows - i0 : 8;
        const float *row[8];
        // Missing rows of the last block re-read the last real row; their sums are dropped.
        for (int r = 0; r < 8; r++) row[r] = matrix + (i0 + (r < count ? r : count - 1)) * ld;
        __m256 acc[8];
        for (int r = 0; r < 8; r++) acc[r] = _mm256_setzero_ps();
        long p = 0;
        for (; p + 8 <= depth; p += 8) {
            __m256 xv = _mm256_loadu_ps(x + p);
            for (int r = 0; r < 8; r++)
                acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(row[r] + p), xv, acc[r]);
        }
        if (p < depth) {
            __m256i mask = lane_mask(depth - p);
            __m256 xv = _mm256_maskload_ps(x + p, mask);
            for (int r = 0; r < 8; r++)
                acc[r] = _mm256_fmadd_ps(_mm256_maskload_ps(row[r] + p, mask), xv, acc[r]);
        }
        store_outputs(reduce_eight(acc), count, alpha, beta, y + i0 * incy, incy);
    }
}

FUNNEL_TARGET_AVX2 static void gemv_columns(long cols, long depth, const float *matrix, long ld,
                                            const float *x, float alpha, float beta, float *y,
                                            long incy) {
    enum { BLOCK = 8 };  // vectors of outputs kept in registers while walking the depth
    long j0 = 0;
    for (; j0 + 8 * BLOCK <= cols; j0 += 8 * BLOCK) {
        __m256 acc[BLOCK];
        for (int v = 0; v < BLOCK; v++) acc[v] = _mm256_setzero_ps();
        const float *source = matrix + j0;
        for (long p = 0; p < depth; p++, source += ld) {
            __m256 xv = _mm256_broadcast_ss(x + p);
            for (int v = 0; v < BLOCK; v++)
                acc[v] = _mm256_fmadd_ps(_mm256_loadu_ps(source + 8 * v), xv, acc[v]);
        }
        for (int v = 0; v < BLOCK; v++)
            store_outputs(acc[v], 8, alpha, beta, y + (j0 + 8 * v) * incy, incy);
    }
    for (; j0 < cols; j0 += 8) {
        long count = cols - j0 < 8 ? cols - j0 : 8;
        __m256i mask = lane_mask(count);
        __m256 acc = _mm256_setzero_ps();
        const float *source = matrix + j0;
        for (long p = 0; p < depth; p++, source += ld)
            acc = _mm256_fmadd_ps(_mm256_maskload_ps(source, mask), _mm256_broadcast_ss(x + p),
                                  acc);
        store_outputs(acc, count, alpha, beta, y + j0 * incy, incy);
    }
}

const funnel_gemm_kernels funnel_gemm_kernels_avx2 = {
    .mr = MR, .nr = NR, .mc = 96, .kc = 256, .nc = 512,
    .kernel = micro_kernel, .pack_a = pack_a, .pack_b = pack_b,
    .gemv_rows = gemv_rows, .gemv_columns = gemv_columns,
};

#endif
