// Matrix-vector products over GGML-quantised rows (Q4_1 and Q8_0 blocks of 32 values), compiled
// once per CPU path: the including file defines FUNNEL_BODY_TARGET and FUNNEL_BODY_SUFFIX.
// Each row is summed on its own in a fixed order, so a row's result does not depend on how the
// rows are split across threads.

#undef FUNNEL_HALF_PAIR
#if FUNNEL_CONCAT(FUNNEL_QUANTISED_F16C_, FUNNEL_BODY_SUFFIX)
// The x86 paths: the two halves at `block` with one F16C vcvtph2ps (see quantised.c).
#define FUNNEL_HALF_PAIR(block, d, m) FUNNEL_NAME(funnel_half_pair_)(block, d, m)
static inline FUNNEL_BODY_TARGET void FUNNEL_NAME(funnel_half_pair_)(const uint8_t *block, float *d, float *m) {
    int32_t pair;
    memcpy(&pair, block, sizeof pair);
    __m128 both = _mm_cvtph_ps(_mm_cvtsi32_si128(pair));
    *d = _mm_cvtss_f32(both);
    *m = _mm_cvtss_f32(_mm_movehdup_ps(both));
}
#else
#define FUNNEL_HALF_PAIR(block, d, m) funnel_half_pair_bits(block, d, m)
#endif

/// y[r] = Σ_c W[r, c]·x[c] for rows [begin, end) of a Q4_1 matrix whose rows are `blocks_per_row`
/// consecutive 20-byte blocks (f16 d, f16 m, 16 bytes of nibbles: byte j holds element j in its
/// low nibble and element j + 16 in its high one; value = q·d + m). `block_sums[b]` = Σ of the 32
/// values of x in block b. Per block: d·Σ(q·x) in 16 lanes, m·Σx in one scalar.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_gemv_q4_1_rows_)(const uint8_t *blocks, long blocks_per_row, const float *x,
                                         const float *block_sums, float *y, long begin, long end) {
    for (long r = begin; r < end; r++) {
        const uint8_t *row = blocks + r * blocks_per_row * 20;
        float partial[16] = {0};
        float offset_total = 0.0f;
        for (long b = 0; b < blocks_per_row; b++) {
            const uint8_t *block = row + b * 20;
            float d, m;
            FUNNEL_HALF_PAIR(block, &d, &m);
            const uint8_t *qs = block + 4;
            const float *xb = x + b * 32;
            for (int lane = 0; lane < 16; lane++) {
                const float low = (float)(qs[lane] & 15), high = (float)(qs[lane] >> 4);
                partial[lane] += d * (low * xb[lane] + high * xb[lane + 16]);
            }
            offset_total += m * block_sums[b];
        }
        for (int width = 8; width >= 1; width /= 2) {
            for (int lane = 0; lane < width; lane++) partial[lane] += partial[lane + width];
        }
        y[r] = partial[0] + offset_total;
    }
}

/// y[r] = Σ_c W[r, c]·x[c] for rows [begin, end) of a Q8_0 matrix whose rows are `blocks_per_row`
/// consecutive 34-byte blocks (f16 d, 32 int8 q; value = q·d).
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_gemv_q8_0_rows_)(const uint8_t *blocks, long blocks_per_row, const float *x,
                                         float *y, long begin, long end) {
    for (long r = begin; r < end; r++) {
        const uint8_t *row = blocks + r * blocks_per_row * 34;
        float partial[16] = {0};
        for (long b = 0; b < blocks_per_row; b++) {
            const uint8_t *block = row + b * 34;
            const float d = funnel_half_to_float(funnel_load_half(block));
            const int8_t *qs = (const int8_t *)(block + 2);
            const float *xb = x + b * 32;
            for (int lane = 0; lane < 16; lane++) {
                partial[lane] += d * ((float)qs[lane] * xb[lane] + (float)qs[lane + 16] * xb[lane + 16]);
            }
        }
        for (int width = 8; width >= 1; width /= 2) {
            for (int lane = 0; lane < width; lane++) partial[lane] += partial[lane + width];
        }
        y[r] = partial[0];
    }
}
