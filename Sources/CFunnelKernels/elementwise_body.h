// The element-wise loops, compiled once per CPU path: the including file defines
// FUNNEL_BODY_TARGET (a target attribute or nothing) and FUNNEL_BODY_SUFFIX.
#include "vector_math.h"


#define FUNNEL_MAP(expression)                                                                 \
    for (long i = 0; i < n; i++) {                                                             \
        float v = x[i];                                                                        \
        y[i] = (expression);                                                                   \
    }                                                                                          \
    break

FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_unary_)(funnel_unary_op op, const float *x, float *y, long n) {
    switch (op) {
    case FUNNEL_UNARY_NEG: FUNNEL_MAP(-v);
    case FUNNEL_UNARY_EXP: FUNNEL_MAP(funnel_exp(v));
    case FUNNEL_UNARY_LOG: FUNNEL_MAP(funnel_log(v));
    case FUNNEL_UNARY_SQRT: FUNNEL_MAP(__builtin_elementwise_sqrt(v));  // no errno: vectorises
    case FUNNEL_UNARY_ABS: FUNNEL_MAP(fabsf(v));
    case FUNNEL_UNARY_RELU: FUNNEL_MAP(funnel_relu(v));
    case FUNNEL_UNARY_SIGMOID: FUNNEL_MAP(funnel_sigmoid(v));
    case FUNNEL_UNARY_TANH: FUNNEL_MAP(funnel_tanh(v));
    case FUNNEL_UNARY_SOFTPLUS: FUNNEL_MAP(funnel_softplus(v));
    case FUNNEL_UNARY_LOG_SIGMOID: FUNNEL_MAP(-funnel_softplus(-v));
    case FUNNEL_UNARY_SIGN: FUNNEL_MAP(v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : v));
    case FUNNEL_UNARY_RECIPROCAL: FUNNEL_MAP(1.0f / v);
    case FUNNEL_UNARY_SQUARE: FUNNEL_MAP(v * v);
    case FUNNEL_UNARY_GELU: FUNNEL_MAP(funnel_gelu(v));
    }
}
#undef FUNNEL_MAP

// One binary operation over a row, for a pair of steps (1 = walk, 0 = broadcast scalar).
#define FUNNEL_ZIP(expression)                                                                 \
    if (x_step && y_step) {                                                                    \
        for (long i = 0; i < n; i++) { float a = x[i], b = y[i]; z[i] = (expression); }        \
    } else if (x_step) {                                                                       \
        float b = y[0];                                                                        \
        for (long i = 0; i < n; i++) { float a = x[i]; z[i] = (expression); }                  \
    } else if (y_step) {                                                                       \
        float a = x[0];                                                                        \
        for (long i = 0; i < n; i++) { float b = y[i]; z[i] = (expression); }                  \
    } else {                                                                                   \
        float a = x[0], b = y[0], value = (expression);                                        \
        for (long i = 0; i < n; i++) z[i] = value;                                             \
    }                                                                                          \
    break

FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_binary_row_)(funnel_binary_op op, const float *x, long x_step,
                                     const float *y, long y_step, float *z, long n) {
    switch (op) {
    case FUNNEL_BINARY_ADD: FUNNEL_ZIP(a + b);
    case FUNNEL_BINARY_SUB: FUNNEL_ZIP(a - b);
    case FUNNEL_BINARY_MUL: FUNNEL_ZIP(a * b);
    case FUNNEL_BINARY_DIV: FUNNEL_ZIP(a / b);
    case FUNNEL_BINARY_MAX: FUNNEL_ZIP(a > b ? a : (b != b ? b : (a != a ? a : b)));
    case FUNNEL_BINARY_MIN: FUNNEL_ZIP(a < b ? a : (b != b ? b : (a != a ? a : b)));
    case FUNNEL_BINARY_POW: FUNNEL_ZIP(powf(a, b));
    case FUNNEL_BINARY_GREATER: FUNNEL_ZIP(a > b ? 1.0f : 0.0f);
    case FUNNEL_BINARY_GREATER_EQUAL: FUNNEL_ZIP(a >= b ? 1.0f : 0.0f);
    case FUNNEL_BINARY_LESS: FUNNEL_ZIP(a < b ? 1.0f : 0.0f);
    case FUNNEL_BINARY_LESS_EQUAL: FUNNEL_ZIP(a <= b ? 1.0f : 0.0f);
    case FUNNEL_BINARY_EQUAL: FUNNEL_ZIP(a == b ? 1.0f : 0.0f);
    case FUNNEL_BINARY_NOT_EQUAL: FUNNEL_ZIP(a != b ? 1.0f : 0.0f);
    case FUNNEL_BINARY_PASS_WHERE_POSITIVE: FUNNEL_ZIP(b > 0.0f ? a : 0.0f);
    case FUNNEL_BINARY_GELU_BACKWARD: FUNNEL_ZIP(a * funnel_gelu_derivative(b));
    case FUNNEL_BINARY_SIGMOID_BACKWARD: FUNNEL_ZIP(a * b * (1.0f - b));
    }
}
#undef FUNNEL_ZIP

// A linear layer's epilogue on `rows` rows of `cols` values `ldc` apart (a tile of C, or whole
// rows), in the phases of `phase` (FUNNEL_EPILOGUE_FIRST: after the first depth block's store,
// FUNNEL_EPILOGUE_LAST: after the last's). The bias goes in at the first phase where nothing
// follows it (plain and residual), the residual or the factor (`operand`, rows `ldc` apart) at
// the last, and the activations, bias included, at the last: with y (rows `ldc` apart) for GELU,
// which leaves the sum in c, or with `derivative` GELU′ of it (sharing the forward's exponential).
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_epilogue_rows_)(funnel_epilogue_kind kind, int phase, const float *bias,
                                        const float *operand, float *c, long ldc, float *y, int derivative,
                                        long rows, long cols) {
    for (long r = 0; r < rows; r++) {
        float *row = c + r * ldc;
        switch (kind) {
        case FUNNEL_EPILOGUE_BIAS:
        case FUNNEL_EPILOGUE_BIAS_RESIDUAL:
            if (phase & FUNNEL_EPILOGUE_FIRST) {
#pragma clang loop vectorize(assume_safety)
                for (long i = 0; i < cols; i++) row[i] += bias[i];
            }
            if (kind == FUNNEL_EPILOGUE_BIAS_RESIDUAL && (phase & FUNNEL_EPILOGUE_LAST)) {
                const float *added = operand + r * ldc;
#pragma clang loop vectorize(assume_safety)
                for (long i = 0; i < cols; i++) row[i] = added[i] + row[i];
            }
            break;
        case FUNNEL_EPILOGUE_BIAS_RELU:
            if (!(phase & FUNNEL_EPILOGUE_LAST)) break;
#pragma clang loop vectorize(assume_safety)
            for (long i = 0; i < cols; i++) row[i] = funnel_relu(row[i] + bias[i]);
            break;
        case FUNNEL_EPILOGUE_BIAS_GELU: {
            if (!(phase & FUNNEL_EPILOGUE_LAST)) break;
            float *out = y + r * ldc;
            if (derivative) {
#pragma clang loop vectorize(assume_safety)
                for (long i = 0; i < cols; i++) {
                    float slope;
                    out[i] = funnel_gelu_and_derivative(row[i] + bias[i], &slope);
                    row[i] = slope;
                }
            } else {
#pragma clang loop vectorize(assume_safety)
                for (long i = 0; i < cols; i++) {
                    float value = row[i] + bias[i];
                    row[i] = value;
                    out[i] = funnel_gelu(value);
                }
            }
            break;
        }
        case FUNNEL_EPILOGUE_MULTIPLY: {
            if (!(phase & FUNNEL_EPILOGUE_LAST)) break;
            const float *factor = operand + r * ldc;
#pragma clang loop vectorize(assume_safety)
            for (long i = 0; i < cols; i++) row[i] *= factor[i];
            break;
        }
        }
    }
}

// Columns [begin, end) of every row: masked = gradient · ReLU′(values) (values > 0), or with
// `gelu` gradient · values (values GELU′ of the pre-activation, FUNNEL_EPILOGUE_BIAS_GELU's
// `derivative`). The loop carries no dependency between elements, also when `masked` is
// `gradient`, which the vectoriser cannot prove on its own.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_activation_backward_columns_)(int gelu, const float *gradient, const float *values,
                                                      float *masked, float *sums, long rows, long n, long begin,
                                                      long end) {
    for (long r = 0; r < rows; r++) {
        const float *g = gradient + r * n, *v = values + r * n;
        float *m = masked + r * n;
        if (gelu) {
#pragma clang loop vectorize(assume_safety)
            for (long i = begin; i < end; i++) m[i] = g[i] * v[i];
        } else {
#pragma clang loop vectorize(assume_safety)
            for (long i = begin; i < end; i++) m[i] = v[i] > 0.0f ? g[i] : 0.0f;
        }
        if (!sums) continue;
        if (r == 0) {
            for (long i = begin; i < end; i++) sums[i] = m[i];
        } else {
            for (long i = begin; i < end; i++) sums[i] += m[i];
        }
    }
    if (sums && rows == 0) {
        for (long i = begin; i < end; i++) sums[i] = 0.0f;
    }
}

/// Sum of x[0 ..< n] with 16 independent partial sums combined in a fixed order.
FUNNEL_BODY_TARGET
float FUNNEL_NAME(funnel_sum_row_)(const float *x, long n) {
    float partial[16] = {0};
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int lane = 0; lane < 16; lane++) partial[lane] += x[i + lane];
    }
    for (; i < n; i++) partial[i & 15] += x[i];
    for (int width = 8; width >= 1; width /= 2) {
        for (int lane = 0; lane < width; lane++) partial[lane] += partial[lane + width];
    }
    return partial[0];
}

/// Dot product with the same fixed order as the row sum.
FUNNEL_BODY_TARGET
float FUNNEL_NAME(funnel_dot_row_)(const float *x, const float *y, long n) {
    float partial[16] = {0};
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int lane = 0; lane < 16; lane++) partial[lane] += x[i + lane] * y[i + lane];
    }
    for (; i < n; i++) partial[i & 15] += x[i] * y[i];
    for (int width = 8; width >= 1; width /= 2) {
        for (int lane = 0; lane < width; lane++) partial[lane] += partial[lane + width];
    }
    return partial[0];
}

/// y[i] op= x[i] over a row (accumulating a reduction across rows).
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_accumulate_row_)(funnel_reduce_op op, const float *x, float *y, long n) {
    switch (op) {
    case FUNNEL_REDUCE_SUM:
        for (long i = 0; i < n; i++) y[i] += x[i];
        break;
    case FUNNEL_REDUCE_MAX:
    case FUNNEL_REDUCE_LOG_SUM_EXP:
        for (long i = 0; i < n; i++) y[i] = (x[i] > y[i] || x[i] != x[i]) ? x[i] : y[i];
        break;
    case FUNNEL_REDUCE_MIN:
        for (long i = 0; i < n; i++) y[i] = (x[i] < y[i] || x[i] != x[i]) ? x[i] : y[i];
        break;
    }
}

/// y[0 ..< 16·vectors] += Σ_a x[a·stride ..< a·stride + 16·vectors], rows in order, the sums
/// held in registers down the rows (through y each row's add would wait for the previous row's
/// store). `vectors` is a constant after inlining (1 or 4).
FUNNEL_BODY_TARGET
static inline __attribute__((always_inline)) void FUNNEL_NAME(funnel_sum_columns_)(const float *x, long rows,
                                                                                  long stride, float *y,
                                                                                  const int vectors) {
    funnel_vector16 sums[4] = {{0}}, value;
    for (int v = 0; v < vectors; v++) __builtin_memcpy(&sums[v], y + 16 * v, sizeof value);
    for (long a = 0; a < rows; a++) {
        for (int v = 0; v < vectors; v++) {
            __builtin_memcpy(&value, x + a * stride + 16 * v, sizeof value);
            sums[v] += value;
        }
    }
    for (int v = 0; v < vectors; v++) __builtin_memcpy(y + 16 * v, &sums[v], sizeof value);
}

/// The same over `rows` rows `stride` apart, in row order: one call for a whole column block,
/// where a call per row cost more than its few adds (bias gradients of narrow layers).
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_accumulate_rows_)(funnel_reduce_op op, const float *x, long rows, long stride,
                                          float *y, long n) {
    long i = 0;
    if (op == FUNNEL_REDUCE_SUM) {
        // The same additions, row by row, as through y.
        for (; i + 64 <= n; i += 64) FUNNEL_NAME(funnel_sum_columns_)(x + i, rows, stride, y + i, 4);
        for (; i + 16 <= n; i += 16) FUNNEL_NAME(funnel_sum_columns_)(x + i, rows, stride, y + i, 1);
    }
    for (long a = 0; a < rows; a++) FUNNEL_NAME(funnel_accumulate_row_)(op, x + a * stride + i, y + i, n - i);
}

/// y[i] += exp(x[i] − shift[i]) over a row.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_accumulate_exp_row_)(const float *x, const float *shift, float *y,
                                             long n) {
    for (long i = 0; i < n; i++) y[i] += funnel_exp(x[i] - shift[i]);
}

/// Softmax or log-softmax of one row.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_softmax_row_)(const float *x, float *y, long n, int log) {
    float maximum = -INFINITY;
    for (long i = 0; i < n; i++) maximum = x[i] > maximum ? x[i] : maximum;
    if (maximum == -INFINITY || maximum != maximum) maximum = 0.0f;
    float partial[16] = {0};
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int lane = 0; lane < 16; lane++) {
            float e = funnel_exp(x[i + lane] - maximum);
            if (!log) y[i + lane] = e;
            partial[lane] += e;
        }
    }
    for (; i < n; i++) {
        float e = funnel_exp(x[i] - maximum);
        if (!log) y[i] = e;
        partial[i & 15] += e;
    }
    for (int width = 8; width >= 1; width /= 2) {
        for (int lane = 0; lane < width; lane++) partial[lane] += partial[lane + width];
    }
    if (log) {
        // (x − max) − log Σ keeps full precision near the maximum, where x − (max + log Σ)
        // would round the shift to the spacing of large values first.
        float logarithm = funnel_log(partial[0]);
        for (long j = 0; j < n; j++) y[j] = (x[j] - maximum) - logarithm;
    } else {
        float scale = 1.0f / partial[0];
        for (long j = 0; j < n; j++) y[j] *= scale;
    }
}


/// y[r, i] = factor · s[r·s_stride] · x[r, i], or with `accumulate` y[r, i] += that.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_scaled_rows_)(const float *x, const float *s, long s_stride, float factor, float *y,
                                      long rows, long n, int accumulate) {
    for (long r = 0; r < rows; r++) {
        const float *in = x + r * n;
        float *out = y + r * n;
        float weight = factor * s[r * s_stride];
        if (accumulate) {
            for (long i = 0; i < n; i++) out[i] += weight * in[i];
        } else {
            for (long i = 0; i < n; i++) out[i] = weight * in[i];
        }
    }
}

/// One row of funnel_softmax_cross_entropy: the row becomes scale · (softmax − onehot(label));
/// returns log Σ e^z − z_label, computed as (max − z_label) + log Σ e^(z − max).
FUNNEL_BODY_TARGET
float FUNNEL_NAME(funnel_softmax_cross_entropy_row_)(float *z, long n, long label, float scale) {
    // The maximum 16 lanes at a time (NaN ignored, as the scalar tail): one chain of n
    // dependent compares would cost more than the exponentials.
    funnel_vector16 top = {0}, block;
    for (int lane = 0; lane < 16; lane++) top[lane] = -INFINITY;
    long at = 0;
    for (; at + 16 <= n; at += 16) {
        __builtin_memcpy(&block, z + at, sizeof block);
        top = __builtin_elementwise_max(top, block);
    }
    float maximum = -INFINITY;
    for (int lane = 0; lane < 16; lane++) maximum = top[lane] > maximum ? top[lane] : maximum;
    for (; at < n; at++) maximum = z[at] > maximum ? z[at] : maximum;
    if (maximum == -INFINITY || maximum != maximum) maximum = 0.0f;
    float target = z[label];
    float partial[16] = {0};
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int lane = 0; lane < 16; lane++) {
            float e = funnel_exp(z[i + lane] - maximum);
            z[i + lane] = e;
            partial[lane] += e;
        }
    }
    if (i < n) {
        // The tail as one more vector of 16, −∞ past the row (e = 0 adds exactly nothing):
        // vectorised, where a lane at a time took a scalar exponential each.
        float tail[16];
        for (int lane = 0; lane < 16; lane++) tail[lane] = i + lane < n ? z[i + lane] : -INFINITY;
        for (int lane = 0; lane < 16; lane++) {
            tail[lane] = funnel_exp(tail[lane] - maximum);
            partial[lane] += tail[lane];
        }
        for (long lane = 0; i + lane < n; lane++) z[i + lane] = tail[lane];
    }
    for (int width = 8; width >= 1; width /= 2) {
        for (int lane = 0; lane < width; lane++) partial[lane] += partial[lane + width];
    }
    float factor = scale / partial[0];
    for (long j = 0; j < n; j++) z[j] *= factor;
    z[label] -= scale;
    return (maximum - target) + funnel_log(partial[0]);
}
