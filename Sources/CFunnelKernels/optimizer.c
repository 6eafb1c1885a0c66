// Optimizer update rules over dense ranges and over gathered table rows, dispatched per CPU
// path. Callers split the work across threads (rows and elements are independent).
#include "kernels_internal.h"

#define FUNNEL_BODY_TARGET
#define FUNNEL_BODY_SUFFIX portable
#include "optimizer_body.h"
#undef FUNNEL_BODY_TARGET
#undef FUNNEL_BODY_SUFFIX

#if FUNNEL_X86
#define FUNNEL_BODY_TARGET FUNNEL_TARGET_AVX2
#define FUNNEL_BODY_SUFFIX avx2
#include "optimizer_body.h"
#undef FUNNEL_BODY_TARGET
#undef FUNNEL_BODY_SUFFIX

#define FUNNEL_BODY_TARGET FUNNEL_TARGET_AVX512
#define FUNNEL_BODY_SUFFIX avx512
#include "optimizer_body.h"
#undef FUNNEL_BODY_TARGET
#undef FUNNEL_BODY_SUFFIX
#endif

typedef void (*adam_rule)(float *, const float *, float *, float *, long,
                          const funnel_adam_parameters *);

static adam_rule adam_for_path(void) {
#if FUNNEL_X86
    switch (funnel_active_path()) {
    case FUNNEL_PATH_AVX512: return funnel_adam_avx512;
    case FUNNEL_PATH_AVX2: return funnel_adam_avx2;
    default: return funnel_adam_portable;
    }
#else
    return funnel_adam_portable;
#endif
}

void funnel_adam(float *values, const float *gradient, float *first, float *second, long n,
                 const funnel_adam_parameters *parameters) {
    adam_for_path()(values, gradient, first, second, n, parameters);
}

void funnel_adam_rows(float *values, const float *gradient, float *first, float *second,
                      const int32_t *rows, long count, long width,
                      const funnel_adam_parameters *parameters) {
    adam_rule rule = adam_for_path();
    for (long position = 0; position < count; position++) {
        long offset = (long)rows[position] * width;
        rule(values + offset, gradient + position * width, first + offset, second + offset,
             width, parameters);
    }
}
