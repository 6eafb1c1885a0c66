// The optimizer update rules, compiled once per CPU path: the including file defines
// FUNNEL_BODY_TARGET (a target attribute or nothing) and FUNNEL_BODY_SUFFIX.
#include <math.h>


// Contraction into FMAs would make the paths disagree in the last bit; every path computes
// the rule with separate multiplies and adds, as the Swift reference did.
#pragma clang fp contract(off)

FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_adam_)(float *restrict values, const float *restrict gradient,
                               float *restrict first, float *restrict second, long n,
                               const funnel_adam_parameters *parameters) {
    const float beta1 = parameters->beta1, beta2 = parameters->beta2;
    const float keep1 = 1.0f - beta1, keep2 = 1.0f - beta2;
    const float epsilon = parameters->epsilon, step_size = parameters->step_size;
    const float root2 = parameters->root2, coupled = parameters->coupled_decay;
    const float decoupled = parameters->decoupled_scale;
    for (long i = 0; i < n; i++) {
        float g = gradient[i] + coupled * values[i];
        float m = beta1 * first[i] + keep1 * g;
        float v = beta2 * second[i] + keep2 * g * g;
        first[i] = m;
        second[i] = v;
        // The builtin has no errno side effect, which would keep sqrtf from vectorising.
        values[i] = values[i] * decoupled - step_size * m / (__builtin_elementwise_sqrt(v) / root2 + epsilon);
    }
}

