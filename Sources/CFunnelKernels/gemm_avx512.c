// AVX-512 SGEMM pieces: a 6×64 micro-kernel (24 accumulators of the 32 zmm registers), packing
// of B into 64-column panels, and the two matrix-vector kernels.
#include "gemm_kernels.h"

#if FUNNEL_X86
#include <immintrin.h>

#include "transpose_avx512.h"

// 6×64 tiles: 24 accumulators, 4 vectors of B and a broadcast of A in the 32 registers. A
// depth block of B (kc×nc, 512 KiB) stays in L2; a micro-panel of A (6×kc) stays in L1.
enum { MR = 6, VECTORS = 4, NR = 16 * VECTORS, MC = 96, KC = 256, NC = 512 };

#define INLINE static inline __attribute__((always_inline))
#define UNROLL FUNNEL_UNROLL

FUNNEL_TARGET_AVX512 INLINE __mmask16 column_mask(long cols) {
    if (cols >= 16) return (__mmask16)0xFFFF;
    if (cols <= 0) return 0;
    return (__mmask16)((1u << cols) - 1u);
}

// The tile loop for A element (i, p) at a[i·row_stride + p·depth_stride], on the first `width`
// vectors of the panel. With constant strides and width after inlining, the broadcasts become
// memory operands of the FMAs and the accumulators stay in registers.
FUNNEL_TARGET_AVX512 INLINE void tile(long depth, const float *a, long row_stride,
                                      long depth_stride, const float *b, float *c, long ldc,
                                      long rows, long cols, float alpha, float beta, int width) {
    __m512 acc[MR][VECTORS];
    UNROLL for (int i = 0; i < MR; i++) {
        UNROLL for (int v = 0; v < width; v++) acc[i][v] = _mm512_setzero_ps();
    }
    for (int i = 0; i < MR && i < rows; i++) {
        __builtin_prefetch(c + i * ldc, 1, 3);
        __builtin_prefetch(c + i * ldc + 16 * width - 1, 1, 3);
    }
    for (long p = 0; p < depth; p++) {
        __m512 bv[VECTORS];
        UNROLL for (int v = 0; v < width; v++) bv[v] = _mm512_load_ps(b + 16 * v);
        UNROLL for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_set1_ps(a[i * row_stride]);
            UNROLL for (int v = 0; v < width; v++) {
                acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
            }
        }
        a += depth_stride;
        b += NR;
    }
    __m512 alpha_v = _mm512_set1_ps(alpha), beta_v = _mm512_set1_ps(beta);
    __mmask16 masks[VECTORS];
    UNROLL for (int v = 0; v < width; v++) masks[v] = column_mask(cols - 16 * v);
    int full = rows == MR && cols == 16 * width;
    UNROLL for (int i = 0; i < MR; i++) {
        if (i >= rows) break;
        float *row = c + i * ldc;
        UNROLL for (int v = 0; v < width; v++) {
            __m512 r = _mm512_mul_ps(acc[i][v], alpha_v);
            if (full) {
                if (beta != 0.0f) r = _mm512_fmadd_ps(beta_v, _mm512_loadu_ps(row + 16 * v), r);
                _mm512_storeu_ps(row + 16 * v, r);
            } else {
                if (beta != 0.0f)
                    r = _mm512_fmadd_ps(beta_v, _mm512_maskz_loadu_ps(masks[v], row + 16 * v), r);
                _mm512_mask_storeu_ps(row + 16 * v, masks[v], r);
            }
        }
    }
}

FUNNEL_TARGET_AVX512 INLINE void tile_of_width(long depth, const float *a, long row_stride,
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

// Narrow tiles (the last panel, or a product with few columns) skip the vectors of B's zero
// padding.
FUNNEL_TARGET_AVX512 static void micro_kernel(long depth, const float *a, long a_row_stride,
                                              long a_depth_stride, const float *b, float *c,
                                              long ldc, long rows, long cols, float alpha,
                                              float beta) {
    long row = a_row_stride, step = a_depth_stride;
    switch ((cols + 15) / 16) {
    case 1: tile_of_width(depth, a, row, step, b, c, ldc, rows, cols, alpha, beta, 1); break;
    case 2: tile_of_width(depth, a, row, step, b, c, ldc, rows, cols, alpha, beta, 2); break;
    case 3: tile_of_width(depth, a, row, step, b, c, ldc, rows, cols, alpha, beta, 3); break;
    default: tile_of_width(depth, a, row, step, b, c, ldc, rows, cols, alpha, beta, 4); break;
    }
}

FUNNEL_TARGET_AVX512 static void pack_a(long rows, long depth, const float *a, long lda,
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

FUNNEL_TARGET_AVX512 static void pack_b(long depth, long cols, const float *b, long ldb,
                                        int transposed, float *packed) {
    for (long j0 = 0; j0 < cols; j0 += NR, packed += NR * depth) {
        long count = cols - j0 < NR ? cols - j0 : NR;
        if (!transposed) {
            __mmask16 masks[VECTORS];
            for (int v = 0; v < VECTORS; v++) masks[v] = column_mask(count - 16 * v);
            for (long p = 0; p < depth; p++) {
                const float *source = b + p * ldb + j0;
                for (int v = 0; v < VECTORS; v++)
                    _mm512_store_ps(packed + p * NR + 16 * v,
                                    _mm512_maskz_loadu_ps(masks[v], source + 16 * v));
            }
        } else {
            // Column-major B: 16×16 blocks transposed in registers. Reading the 64 columns
            // element by element instead would touch 64 lines a stride apart for every depth
            // step, and with power-of-two strides they share a few cache sets.
            for (long p0 = 0; p0 < depth; p0 += 16) {
                long steps = depth - p0 < 16 ? depth - p0 : 16;
                __mmask16 mask = column_mask(steps);
                for (int group = 0; group < VECTORS; group++) {
                    __m512 block[16];
                    UNROLL for (int i = 0; i < 16; i++) {
                        long j = 16 * group + i;
                        block[i] = j < count ? _mm512_maskz_loadu_ps(mask, b + (j0 + j) * ldb + p0)
                                             : _mm512_setzero_ps();
                    }
                    funnel_transpose_sixteen(block);
                    for (long step = 0; step < steps; step++)
                        _mm512_store_ps(packed + (p0 + step) * NR + 16 * group, block[step]);
                }
            }
        }
    }
}

FUNNEL_TARGET_AVX512 INLINE void store_outputs(__m512 sums, long count, float alpha, float beta,
                                               float *y, long incy) {
    __m512 r = _mm512_mul_ps(sums, _mm512_set1_ps(alpha));
    __mmask16 mask = column_mask(count);
    if (incy == 1) {
        if (beta != 0.0f)
            r = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask, y), r);
        _mm512_mask_storeu_ps(y, mask, r);
        return;
    }
    float values[16];
    _mm512_storeu_ps(values, r);
    for (long i = 0; i < count; i++) {
        float *out = y + i * incy;
        *out = beta != 0.0f ? __builtin_fmaf(beta, *out, values[i]) : values[i];
    }
}

// Lane r of the result is the total of rows[r], by a fixed tree.
FUNNEL_TARGET_AVX512 INLINE __m256 reduce_eight(const __m256 rows[8]) {
    __m256 halves[4], pairs[2];
    UNROLL for (int j = 0; j < 4; j++) {
        halves[j] = _mm256_add_ps(_mm256_permute2f128_ps(rows[j], rows[j + 4], 0x20),
                                  _mm256_permute2f128_ps(rows[j], rows[j + 4], 0x31));
    }  // 128-bit halves: j, j+4
    UNROLL for (int j = 0; j < 2; j++) {
        __m256d x = _mm256_castps_pd(halves[j]), y = _mm256_castps_pd(halves[j + 2]);
        pairs[j] = _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(x, y)),
                                 _mm256_castpd_ps(_mm256_unpackhi_pd(x, y)));
    }
    __m256 sums = _mm256_add_ps(_mm256_shuffle_ps(pairs[0], pairs[1], 0x88),
                                _mm256_shuffle_ps(pairs[0], pairs[1], 0xDD));
    // sums holds rows 0 2 1 3 4 6 5 7
    return _mm256_permutevar8x32_ps(sums, _mm256_setr_epi32(0, 2, 1, 3, 4, 6, 5, 7));
}

// Adds row r's products over depth [p, p + length) (length ≤ 64) into acc[r] for 16 rows, row r
// at base + min(r, count - 1)·ld. The x piece stays in eight registers and each row's piece is
// read front to back, so the 16 rows stream through the caches in memory order.
FUNNEL_TARGET_AVX512 INLINE void rows_segment(const float *base, long ld, long count,
                                              const float *x, long length, __m256 acc[16]) {
    __m256 xv[8];
    __mmask8 masks[8];
    UNROLL for (int c = 0; c < 8; c++) {
        masks[c] = (__mmask8)column_mask(length - 8 * c);
        xv[c] = length >= 64 ? _mm256_loadu_ps(x + 8 * c)
                             : _mm256_maskz_loadu_ps(masks[c], x + 8 * c);
    }
    UNROLL for (int r = 0; r < 16; r++) {
        const float *row = base + (r < count ? r : count - 1) * ld;
        UNROLL for (int c = 0; c < 8; c++) {
            if (length >= 64) {
                acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(row + 8 * c), xv[c], acc[r]);
            } else if (8 * c < length) {
                acc[r] = _mm256_fmadd_ps(_mm256_maskz_loadu_ps(masks[c], row + 8 * c), xv[c],
                                         acc[r]);
            }
        }
    }
}

// y for 16 rows (the last count - 1 repeated when count < 16).
FUNNEL_TARGET_AVX512 INLINE __m512 rows_block(const float *base, long ld, long count, long depth,
                                              const float *x) {
    __m256 acc[16];
    UNROLL for (int r = 0; r < 16; r++) acc[r] = _mm256_setzero_ps();
    long p = 0;
    for (; p + 64 <= depth; p += 64) rows_segment(base + p, ld, count, x + p, 64, acc);
    if (p < depth) rows_segment(base + p, ld, count, x + p, depth - p, acc);
    return _mm512_insertf32x8(_mm512_castps256_ps512(reduce_eight(acc)), reduce_eight(acc + 8),
                              1);
}

// 256-bit vectors: on Zen 4 they run at the same FLOP rate as 512-bit ones, and their shuffles
// (the horizontal sums) are much cheaper.
FUNNEL_TARGET_AVX512 static void gemv_rows(long rows, long depth, const float *matrix, long ld,
                                           const float *x, float alpha, float beta, float *y,
                                           long incy) {
    long i0 = 0;
    for (; i0 + 16 <= rows; i0 += 16) {
        store_outputs(rows_block(matrix + i0 * ld, ld, 16, depth, x), 16, alpha, beta,
                      y + i0 * incy, incy);
    }
    if (i0 < rows) {
        store_outputs(rows_block(matrix + i0 * ld, ld, rows - i0, depth, x), rows - i0, alpha,
                      beta, y + i0 * incy, incy);
    }
}

FUNNEL_TARGET_AVX512 static void gemv_columns(long cols, long depth, const float *matrix,
                                              long ld, const float *x, float alpha, float beta,
                                              float *y, long incy) {
    enum { BLOCK = 8 };  // vectors of outputs kept in registers while walking the depth
    long j0 = 0;
    for (; j0 + 16 * BLOCK <= cols; j0 += 16 * BLOCK) {
        __m512 acc[BLOCK];
        UNROLL for (int v = 0; v < BLOCK; v++) acc[v] = _mm512_setzero_ps();
        const float *source = matrix + j0;
        for (long p = 0; p < depth; p++, source += ld) {
            __m512 xv = _mm512_set1_ps(x[p]);
            UNROLL for (int v = 0; v < BLOCK; v++)
                acc[v] = _mm512_fmadd_ps(_mm512_loadu_ps(source + 16 * v), xv, acc[v]);
        }
        UNROLL for (int v = 0; v < BLOCK; v++)
            store_outputs(acc[v], 16, alpha, beta, y + (j0 + 16 * v) * incy, incy);
    }
    for (; j0 < cols; j0 += 16) {
        long count = cols - j0 < 16 ? cols - j0 : 16;
        __mmask16 mask = column_mask(count);
        __m512 acc = _mm512_setzero_ps();
        const float *source = matrix + j0;
        for (long p = 0; p < depth; p++, source += ld)
            acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, source), _mm512_set1_ps(x[p]), acc);
        store_outputs(acc, count, alpha, beta, y + j0 * incy, incy);
    }
}

const funnel_gemm_kernels funnel_gemm_kernels_avx512 = {
    .mr = MR, .nr = NR, .mc = MC, .kc = KC, .nc = NC,
    .kernel = micro_kernel, .pack_a = pack_a, .pack_b = pack_b,
    .gemv_rows = gemv_rows, .gemv_columns = gemv_columns,
};

#endif
