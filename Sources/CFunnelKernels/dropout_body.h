// The dropout mask as a pure function of (key, index), compiled once per CPU path: the
// including file defines FUNNEL_BODY_TARGET and FUNNEL_BODY_SUFFIX. Integer arithmetic only,
// so every path and every split gives the same mask.

FUNNEL_BODY_TARGET
static void FUNNEL_NAME(dropout_range_)(const float *restrict x, float *restrict y, long begin,
                                        long end, uint32_t key_low, uint32_t key_high,
                                        uint32_t threshold, float scale) {
    for (long i = begin; i < end; i++) {
        uint32_t h = funnel_mix32((uint32_t)i ^ key_low);
        h = funnel_mix32(h ^ key_high);
        y[i] = (h >> 8) < threshold ? x[i] * scale : 0.0f;
    }
}
