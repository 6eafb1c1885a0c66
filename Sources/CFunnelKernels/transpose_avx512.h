// A 16×16 transpose in AVX-512 registers, shared by the GEMM packing and the attention kernels.
// Include only where FUNNEL_X86 holds, after <immintrin.h>.
#ifndef CFUNNEL_TRANSPOSE_AVX512_H
#define CFUNNEL_TRANSPOSE_AVX512_H

#include "gemm_kernels.h"

// Transposes the 16×16 block whose rows are rows[0 ..< 16], in place.
FUNNEL_TARGET_AVX512 static inline __attribute__((always_inline)) void funnel_transpose_sixteen(__m512 rows[16]) {
    __m512 pairs[16];
    FUNNEL_UNROLL for (int i = 0; i < 8; i++) {
        pairs[2 * i] = _mm512_unpacklo_ps(rows[2 * i], rows[2 * i + 1]);
        pairs[2 * i + 1] = _mm512_unpackhi_ps(rows[2 * i], rows[2 * i + 1]);
    }
    // quads[4g + e], 128-bit lane l: element 4l + e of rows 4g ... 4g + 3.
    __m512 quads[16];
    FUNNEL_UNROLL for (int g = 0; g < 4; g++) {
        __m512d low = _mm512_castps_pd(pairs[4 * g]), high = _mm512_castps_pd(pairs[4 * g + 1]);
        __m512d low2 = _mm512_castps_pd(pairs[4 * g + 2]);
        __m512d high2 = _mm512_castps_pd(pairs[4 * g + 3]);
        quads[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(low, low2));
        quads[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(low, low2));
        quads[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(high, high2));
        quads[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(high, high2));
    }
    FUNNEL_UNROLL for (int e = 0; e < 4; e++) {
        __m512 even01 = _mm512_shuffle_f32x4(quads[e], quads[4 + e], 0x88);
        __m512 odd01 = _mm512_shuffle_f32x4(quads[e], quads[4 + e], 0xDD);
        __m512 even23 = _mm512_shuffle_f32x4(quads[8 + e], quads[12 + e], 0x88);
        __m512 odd23 = _mm512_shuffle_f32x4(quads[8 + e], quads[12 + e], 0xDD);
        rows[e] = _mm512_shuffle_f32x4(even01, even23, 0x88);
        rows[8 + e] = _mm512_shuffle_f32x4(even01, even23, 0xDD);
        rows[4 + e] = _mm512_shuffle_f32x4(odd01, odd23, 0x88);
        rows[12 + e] = _mm512_shuffle_f32x4(odd01, odd23, 0xDD);
    }
}

#endif
