// Branch-free scalar math written so that clang vectorises loops that call it. Included by the
// element-wise kernel bodies, which are compiled once per CPU path.
#ifndef CFUNNEL_VECTOR_MATH_H
#define CFUNNEL_VECTOR_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float funnel_bits_to_float(uint32_t bits) {
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static inline uint32_t funnel_float_to_bits(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

/// max(v, 0), NaN passing through.
static inline float funnel_relu(float v) { return v > 0.0f ? v : (v != v ? v : 0.0f); }

/// e^x to about 1 ulp: 2^n · p(r) with r = x − n·ln 2 in [−ln2/2, ln2/2].
static inline float funnel_exp(float x) {
    float clamped = x < -87.33654f ? -87.33654f : (x > 88.72283f ? 88.72283f : x);
    float n = floorf(clamped * 1.44269504088896341f + 0.5f);
    float r = clamped - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    // 2^n applied as two halves so that n = 128 and n = −126 (the ends) stay representable.
    int32_t half = (int32_t)n >> 1;
    float low = funnel_bits_to_float((uint32_t)(half + 127) << 23);
    float high = funnel_bits_to_float((uint32_t)((int32_t)n - half + 127) << 23);
    float result = (p * low) * high;
    result = x < -87.33654f ? 0.0f : result;
    result = x > 88.72283f ? INFINITY : result;
    return x != x ? x : result;
}

/// Natural logarithm to about 1 ulp; log(0) = −inf, log(x < 0) = NaN, subnormals handled.
static inline float funnel_log(float x) {
    int subnormal = x < 1.17549435e-38f;
    float scaled = subnormal ? x * 8388608.0f : x;
    uint32_t bits = funnel_float_to_bits(scaled);
    int32_t exponent = (int32_t)((bits >> 23) & 0xff) - 126 - (subnormal ? 23 : 0);
    float mantissa = funnel_bits_to_float((bits & 0x007fffffu) | 0x3f000000u);  // [0.5, 1)
    int small = mantissa < 0.707106781186547524f;
    exponent -= small;
    float m = small ? mantissa + mantissa - 1.0f : mantissa - 1.0f;
    float z = m * m;
    float y = 7.0376836292e-2f;
    y = y * m - 1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m - 1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m - 1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m - 2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = y * m * z;
    float e = (float)exponent;
    y += e * -2.12194440e-4f;
    y += -0.5f * z;
    float result = m + y + e * 0.693359375f;
    result = x == 0.0f ? -INFINITY : result;
    result = x < 0.0f ? NAN : result;
    result = x == INFINITY ? INFINITY : result;
    return x != x ? x : result;
}

/// log(1 + t) for t ≥ −1, accurate for tiny t (corrects the rounding of 1 + t).
static inline float funnel_log1p(float t) {
    float u = 1.0f + t;
    float correction = (u - 1.0f) - t;
    float result = funnel_log(u) - (u == 1.0f ? 0.0f : correction / u);
    return u == 1.0f ? t : result;
}

/// softplus(x) = log(1 + e^x), stable for any x.
static inline float funnel_softplus(float x) {
    float positive = x > 0.0f ? x : 0.0f;
    float absolute = fabsf(x);
    return positive + funnel_log1p(funnel_exp(-absolute));
}

static inline float funnel_sigmoid(float x) {
    float e = funnel_exp(-fabsf(x));
    float positive = 1.0f / (1.0f + e);
    return x >= 0.0f ? positive : e * positive;
}

static inline float funnel_tanh(float x) {
    float absolute = fabsf(x);
    float z = x * x;
    // Near 0 the exp form cancels; the series is exact to float precision below 0.25.
    float series = x * (1.0f + z * (-0.333333333f + z * (0.133333333f +
                        z * (-0.0539682540f + z * 0.0218694885f))));
    float e = funnel_exp(-2.0f * absolute);
    float large = (1.0f - e) / (1.0f + e);
    large = x < 0.0f ? -large : large;
    float result = absolute < 0.25f ? series : large;
    return x != x ? x : result;
}

/// GELU, tanh approximation (Hendrycks & Gimpel): 0.5·x·(1 + tanh(u)), u = c·(x + 0.044715·x³),
/// c = √(2/π), evaluated as x·σ(2u) with σ(2u) = 1 / (1 + e^(−2u)) (the same function: one
/// exponential and one division instead of tanh's two branches).
static inline float funnel_gelu(float x) {
    float twice = 1.5957691216f * (x + 0.044715f * x * x * x);
    return x * (1.0f / (1.0f + funnel_exp(-twice)));
}

/// funnel_gelu(x), returning its derivative s + x·s·(1 − s)·2u′ (s = σ(2u)) in `derivative`
/// from the same exponential and division.
static inline float funnel_gelu_and_derivative(float x, float *derivative) {
    float twice = 1.5957691216f * (x + 0.044715f * x * x * x);
    float s = 1.0f / (1.0f + funnel_exp(-twice));
    *derivative = s + x * s * (1.0f - s) * 1.5957691216f * (1.0f + 0.134145f * x * x);
    return x * s;
}

/// d GELU / dx of the tanh approximation.
static inline float funnel_gelu_derivative(float x) {
    float derivative;
    (void)funnel_gelu_and_derivative(x, &derivative);
    return derivative;
}

#endif
