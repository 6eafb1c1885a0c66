// The attention body's vector helpers (lane reductions, the last open key, partial loads, the
// head transposes), compiled once per CPU path with it: attention_body.h includes this file
// each time per_path.h includes it, under the same FUNNEL_BODY_TARGET and FUNNEL_BODY_SUFFIX.

// The lanes of x summed in a fixed order, as a tree (halves, quarters, …): four dependent adds
// instead of a chain of sixteen.
FUNNEL_BODY_TARGET
static inline float FUNNEL_NAME(funnel_lanes_sum_)(const funnel_vector16 *x) {
    typedef float vector8 __attribute__((vector_size(32)));
    typedef float vector4 __attribute__((vector_size(16)));
    typedef float vector2 __attribute__((vector_size(8)));
    vector8 eight = __builtin_shufflevector(*x, *x, 0, 1, 2, 3, 4, 5, 6, 7) +
                    __builtin_shufflevector(*x, *x, 8, 9, 10, 11, 12, 13, 14, 15);
    vector4 four = __builtin_shufflevector(eight, eight, 0, 1, 2, 3) +
                   __builtin_shufflevector(eight, eight, 4, 5, 6, 7);
    vector2 two = __builtin_shufflevector(four, four, 0, 1) + __builtin_shufflevector(four, four, 2, 3);
    return two[0] + two[1];
}

// The largest lane of x, NaN ignored (maxnum), as a tree: four dependent steps instead of fifteen.
FUNNEL_BODY_TARGET
static inline float FUNNEL_NAME(funnel_lanes_max_)(const funnel_vector16 *x) {
    typedef float vector8 __attribute__((vector_size(32)));
    typedef float vector4 __attribute__((vector_size(16)));
    typedef float vector2 __attribute__((vector_size(8)));
    vector8 eight = __builtin_elementwise_max(__builtin_shufflevector(*x, *x, 0, 1, 2, 3, 4, 5, 6, 7),
                                              __builtin_shufflevector(*x, *x, 8, 9, 10, 11, 12, 13, 14, 15));
    vector4 four = __builtin_elementwise_max(__builtin_shufflevector(eight, eight, 0, 1, 2, 3),
                                             __builtin_shufflevector(eight, eight, 4, 5, 6, 7));
    vector2 two = __builtin_elementwise_max(__builtin_shufflevector(four, four, 0, 1),
                                            __builtin_shufflevector(four, four, 2, 3));
    return __builtin_fmaxf(two[0], two[1]);
}

// One past the last j < count with open[j] > closed_below (0 when none): whole blocks of 16
// from the end first (a causal mask's closed future is half the row on average).
FUNNEL_BODY_TARGET
static inline long FUNNEL_NAME(funnel_open_limit_)(const float *open, long count, float closed_below) {
    long limit = count;
    while (limit >= 16) {
        funnel_vector16 block;
        __builtin_memcpy(&block, open + limit - 16, sizeof block);
        if (__builtin_reduce_or(block > closed_below)) break;
        limit -= 16;
    }
    while (limit > 0 && !(open[limit - 1] > closed_below)) limit--;
    return limit;
}

// One past the last j < count with weights[j] ≠ 0 (0 when none), blocks of 16 from the end first.
FUNNEL_BODY_TARGET
static inline long FUNNEL_NAME(funnel_nonzero_limit_)(const float *weights, long count) {
    long limit = count;
    while (limit >= 16) {
        funnel_vector16 block;
        __builtin_memcpy(&block, weights + limit - 16, sizeof block);
        if (__builtin_reduce_or(block != 0.0f)) break;
        limit -= 16;
    }
    while (limit > 0 && weights[limit - 1] == 0.0f) limit--;
    return limit;
}

// x[0 ..< count] in the first lanes (0 ≤ count ≤ 16), zeros after, without reading past
// x[count − 1]: one masked load on AVX-512, lane by lane elsewhere. Filling a vector this way
// instead of storing the values into memory it is then loaded from avoids a failed store
// forwarding (a vector load of scalar stores waits for them to reach the cache).
FUNNEL_BODY_TARGET
static inline funnel_vector16 FUNNEL_NAME(funnel_load_first_)(const float *x, long count) {
#if FUNNEL_BODY_AVX512
    return (funnel_vector16)_mm512_maskz_loadu_ps((__mmask16)((1u << count) - 1u), x);
#else
    funnel_vector16 v = {0};
    for (long lane = 0; lane < count; lane++) v[lane] = x[lane];
    return v;
#endif
}

// The lanes of x from `count` on replaced by `fill` (0 ≤ count ≤ 16).
FUNNEL_BODY_TARGET
static inline funnel_vector16 FUNNEL_NAME(funnel_fill_from_)(funnel_vector16 x, long count, float fill) {
    typedef int32_t integers16 __attribute__((vector_size(64)));
    const integers16 lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    integers16 keep = lanes < (int32_t)count;
    funnel_vector16 filler = {0};
    filler += fill;
    return (funnel_vector16)(((integers16)x & keep) | ((integers16)filler & ~keep));
}

// source rows of e values `row` apart (count rows) → target [e × width], zero-padded.
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(funnel_transpose_heads_)(const float *source, long row, long count, long e,
                                                 long width, float *target) {
#if FUNNEL_BODY_AVX512
    if (e % 16 == 0) {
        // 16 × 16 blocks in registers (strided scalar copies were a tenth of the attention).
        for (long first = 0; first < width; first += 16) {
            long rows = count - first < 16 ? (count - first > 0 ? count - first : 0) : 16;
            for (long d = 0; d < e; d += 16) {
                __m512 block[16];
                for (long r = 0; r < 16; r++)
                    block[r] = r < rows ? _mm512_loadu_ps(source + (first + r) * row + d) : _mm512_setzero_ps();
                funnel_transpose_sixteen(block);
                for (long c = 0; c < 16; c++) _mm512_storeu_ps(target + (d + c) * width + first, block[c]);
            }
        }
        return;
    }
#endif
    for (long d = 0; d < e; d++) {
        for (long j = 0; j < count; j++) target[d * width + j] = source[j * row + d];
        for (long j = count; j < width; j++) target[d * width + j] = 0.0f;
    }
}

// The transposed gradients [e × width] back to `count` rows of e values `row` apart: rows
// j < columns from the block, the rest 0; with `accumulate`, added to the rows instead.
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(funnel_untranspose_)(const float *transposed, long width, long columns, long count, long e,
                                             float *rows, long row, int accumulate) {
    long j = 0;
#if FUNNEL_BODY_AVX512
    if (e % 16 == 0) {
        // Whole blocks of 16 columns (width is a multiple of 16); rows past `count` not stored.
        for (; j < count; j += 16) {
            long stored = count - j < 16 ? count - j : 16;
            for (long d = 0; d < e; d += 16) {
                __m512 block[16];
                for (long c = 0; c < 16; c++)
                    block[c] = j < columns ? _mm512_loadu_ps(transposed + (d + c) * width + j) : _mm512_setzero_ps();
                funnel_transpose_sixteen(block);
                for (long r = 0; r < stored; r++) {
                    float *out = rows + (j + r) * row + d;
                    _mm512_storeu_ps(out, accumulate ? _mm512_add_ps(_mm512_loadu_ps(out), block[r]) : block[r]);
                }
            }
        }
    }
#endif
    for (; j < count; j++) {
        float *out = rows + j * row;
        int open = j < columns;
        if (accumulate)
            for (long d = 0; d < e; d++) out[d] += open ? transposed[d * width + j] : 0.0f;
        else
            for (long d = 0; d < e; d++) out[d] = open ? transposed[d * width + j] : 0.0f;
    }
}
