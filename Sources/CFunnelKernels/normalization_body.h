// Layer normalisation's row loops, compiled once per CPU path: the including file defines
// FUNNEL_BODY_TARGET and FUNNEL_BODY_SUFFIX. Row sums run in 16 lanes combined as a tree (a
// fixed order that vectorises; a single running sum would not).

#define FUNNEL_LANE_SUM(result, expression)                                                    \
    do {                                                                                       \
        float partial[16] = {0};                                                               \
        long i = 0;                                                                            \
        for (; i + 16 <= width; i += 16)                                                       \
            for (int lane = 0; lane < 16; lane++) {                                            \
                long at = i + lane;                                                            \
                partial[lane] += (expression);                                                 \
            }                                                                                  \
        for (; i < width; i++) {                                                               \
            long at = i;                                                                       \
            partial[i & 15] += (expression);                                                   \
        }                                                                                      \
        for (int span = 8; span >= 1; span /= 2)                                               \
            for (int lane = 0; lane < span; lane++) partial[lane] += partial[lane + span];     \
        result = partial[0];                                                                   \
    } while (0)

/// Rows [begin, end) of the forward pass.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_layer_norm_rows_)(const float *x_rows, const float *gain,
                                          const float *offset, float *y_rows, float *means,
                                          float *inverse_deviation, long begin, long end, long width,
                                          float epsilon) {
    for (long r = begin; r < end; r++) {
        const float *x = x_rows + r * width;
        float *y = y_rows + r * width;
        float mean, variance;
        FUNNEL_LANE_SUM(mean, x[at]);
        mean /= (float)width;
        FUNNEL_LANE_SUM(variance, (x[at] - mean) * (x[at] - mean));
        variance /= (float)width;
        float inverse = 1.0f / sqrtf(variance + epsilon);
        means[r] = mean;
        inverse_deviation[r] = inverse;
        for (long i = 0; i < width; i++) {
            float normalized = (x[i] - mean) * inverse;
            y[i] = normalized * gain[i] + offset[i];
        }
    }
}

/// Rows [begin, end) of the input's gradient.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_layer_norm_backward_rows_)(const float *dy_rows, const float *gain,
                                                   const float *x_rows, const float *means,
                                                   const float *inverse_deviation, float *dx_rows,
                                                   long begin, long end, long width) {
    for (long r = begin; r < end; r++) {
        const float *dy = dy_rows + r * width, *x = x_rows + r * width;
        float *dx = dx_rows + r * width;
        float mean = means[r], inverse = inverse_deviation[r];
        float mean_gradient, mean_projection;
        FUNNEL_LANE_SUM(mean_gradient, dy[at] * gain[at]);
        FUNNEL_LANE_SUM(mean_projection, dy[at] * gain[at] * ((x[at] - mean) * inverse));
        mean_gradient /= (float)width;
        mean_projection /= (float)width;
        for (long i = 0; i < width; i++) {
            float g = dy[i] * gain[i];
            float normalized = (x[i] - mean) * inverse;
            dx[i] = inverse * (g - mean_gradient - normalized * mean_projection);
        }
    }
}

/// dgain[i] = Σ_r dy·normalized, doffset[i] = Σ_r dy, rows in order (either may be NULL), the
/// normalised values recomputed from x as the forward pass computed them; blocks of 16 columns
/// keep their sums in registers down the rows.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_layer_norm_parameter_gradients_)(const float *dy, const float *x, const float *means,
                                                         const float *inverse_deviation, float *dgain,
                                                         float *doffset, long rows, long width) {
    long i = 0;
    for (; i + 16 <= width; i += 16) {
        funnel_vector16 gain = {0}, offset = {0}, gradient, value;
        for (long r = 0; r < rows; r++) {
            __builtin_memcpy(&gradient, dy + r * width + i, sizeof gradient);
            if (dgain) {
                __builtin_memcpy(&value, x + r * width + i, sizeof value);
                gain += gradient * ((value - means[r]) * inverse_deviation[r]);
            }
            offset += gradient;
        }
        if (dgain) __builtin_memcpy(dgain + i, &gain, sizeof gain);
        if (doffset) __builtin_memcpy(doffset + i, &offset, sizeof offset);
    }
    for (; i < width; i++) {
        float gain = 0.0f, offset = 0.0f;
        for (long r = 0; r < rows; r++) {
            if (dgain) gain += dy[r * width + i] * ((x[r * width + i] - means[r]) * inverse_deviation[r]);
            offset += dy[r * width + i];
        }
        if (dgain) dgain[i] = gain;
        if (doffset) doffset[i] = offset;
    }
}

#undef FUNNEL_LANE_SUM
