// Batch normalisation's passes, compiled once per CPU path: the including file defines
// FUNNEL_BODY_TARGET and FUNNEL_BODY_SUFFIX. Every column is summed over the rows in row order
// and no multiply is contracted into an FMA, so all paths and all splits agree bit for bit.
#include <math.h>

#pragma clang fp contract(off)

// Sums of `x` (and of `(x − center)²` when `squares`) over rows for columns [begin, end).
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(column_sums_)(const float *restrict x, long rows, long width, long begin,
                                      long end, const float *restrict center, float *restrict sums) {
    for (long c = begin; c < end; c++) sums[c] = 0.0f;
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * width;
        if (center) {
            for (long c = begin; c < end; c++) {
                float d = row[c] - center[c];
                sums[c] += d * d;
            }
        } else {
            for (long c = begin; c < end; c++) sums[c] += row[c];
        }
    }
}

// y = (x − mean)·scale + offset for rows [begin, end), per column.
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(scale_rows_)(const float *restrict x, long width, long begin, long end,
                                     const float *restrict mean, const float *restrict scale,
                                     const float *restrict offset, float *restrict y) {
    for (long r = begin; r < end; r++) {
        const float *row = x + r * width;
        float *out = y + r * width;
        for (long c = 0; c < width; c++) out[c] = (row[c] - mean[c]) * scale[c] + offset[c];
    }
}

// Σ dy and Σ dy·(x − mean)·inverse over rows for columns [begin, end).
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(gradient_sums_)(const float *restrict dy, const float *restrict x, long rows,
                                        long width, long begin, long end, const float *restrict mean,
                                        const float *restrict inverse, float *restrict sum_dy,
                                        float *restrict sum_projection) {
    for (long c = begin; c < end; c++) sum_dy[c] = sum_projection[c] = 0.0f;
    for (long r = 0; r < rows; r++) {
        const float *g = dy + r * width, *row = x + r * width;
        for (long c = begin; c < end; c++) {
            sum_dy[c] += g[c];
            sum_projection[c] += g[c] * ((row[c] - mean[c]) * inverse[c]);
        }
    }
}

// dx = a·dy + b·(x − mean) + shift per column, rows [begin, end): with batch statistics
// a = gain·inverse, b = −a·inverse·Σ(dy·x̂)/n, shift = −a·Σdy/n; with running ones b = shift = 0.
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(input_gradient_rows_)(const float *restrict dy, const float *restrict x,
                                              long width, long begin, long end,
                                              const float *restrict mean, const float *restrict a,
                                              const float *restrict b, const float *restrict shift,
                                              float *restrict dx) {
    for (long r = begin; r < end; r++) {
        const float *g = dy + r * width, *row = x + r * width;
        float *out = dx + r * width;
        for (long c = 0; c < width; c++) out[c] = (a[c] * g[c] + b[c] * (row[c] - mean[c])) + shift[c];
    }
}
