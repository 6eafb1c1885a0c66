// The gated mixture of expert outputs, compiled once per CPU path: the including file defines
// FUNNEL_BODY_TARGET and FUNNEL_BODY_SUFFIX. Experts are summed in order with no contracted
// multiply-add, so every path and every split gives the same bits.

#pragma clang fp contract(off)

// y[r] = Σ_k weights[r, k]·experts[k][r] for rows [begin, end).
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(mixture_rows_)(const float *const *experts, const float *restrict weights,
                                       long count, long width, long begin, long end,
                                       float *restrict y) {
    for (long r = begin; r < end; r++) {
        float *out = y + r * width;
        const float *w = weights + r * count;
        const float *first = experts[0] + r * width;
        for (long c = 0; c < width; c++) out[c] = w[0] * first[c];
        for (long k = 1; k < count; k++) {
            const float *expert = experts[k] + r * width;
            for (long c = 0; c < width; c++) out[c] += w[k] * expert[c];
        }
    }
}

// dexperts[k][r] = weights[r, k]·dy[r] and dweights[r, k] = ⟨dy[r], experts[k][r]⟩ for rows
// [begin, end); either output may be NULL (per expert for dexperts).
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(mixture_backward_rows_)(const float *restrict dy, const float *const *experts,
                                                const float *restrict weights, long count, long width,
                                                long begin, long end, float *const *dexperts,
                                                float *restrict dweights) {
    for (long r = begin; r < end; r++) {
        const float *g = dy + r * width;
        for (long k = 0; k < count; k++) {
            if (dexperts[k]) {
                float *out = dexperts[k] + r * width;
                float w = weights[r * count + k];
                for (long c = 0; c < width; c++) out[c] = w * g[c];
            }
            if (dweights) {
                const float *expert = experts[k] + r * width;
                float sum = 0.0f;
                for (long c = 0; c < width; c++) sum += g[c] * expert[c];
                dweights[r * count + k] = sum;
            }
        }
    }
}
