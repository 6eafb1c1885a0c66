// Compiles the body header named by FUNNEL_PER_PATH_BODY once per CPU path (portable, and on
// x86 AVX2 and AVX-512 through target attributes), and dispatches to the active path's copy.
// A body names its functions FUNNEL_NAME(prefix_) and marks them FUNNEL_BODY_TARGET.
//
//   #define FUNNEL_PER_PATH_BODY "attention_body.h"
//   #include "per_path.h"
#ifndef FUNNEL_PER_PATH_BODY
#error "define FUNNEL_PER_PATH_BODY before including per_path.h"
#endif

#ifndef FUNNEL_NAME
#define FUNNEL_CONCAT_(a, b) a##b
#define FUNNEL_CONCAT(a, b) FUNNEL_CONCAT_(a, b)
#define FUNNEL_NAME(name) FUNNEL_CONCAT(name, FUNNEL_BODY_SUFFIX)

#if FUNNEL_X86
// Calls the active path's copy of `name##<path>` with the arguments.
#define FUNNEL_DISPATCH(name, ...)                                                             \
    switch (funnel_active_path()) {                                                            \
    case FUNNEL_PATH_AVX512: name##avx512(__VA_ARGS__); break;                                 \
    case FUNNEL_PATH_AVX2: name##avx2(__VA_ARGS__); break;                                     \
    default: name##portable(__VA_ARGS__); break;                                               \
    }
// The same for a call with a value.
#define FUNNEL_DISPATCH_VALUE(name, ...)                                                       \
    (funnel_active_path() == FUNNEL_PATH_AVX512 ? name##avx512(__VA_ARGS__)                    \
     : funnel_active_path() == FUNNEL_PATH_AVX2 ? name##avx2(__VA_ARGS__)                      \
                                                : name##portable(__VA_ARGS__))
// The active path's copy itself (a function pointer).
#define FUNNEL_FOR_PATH(name)                                                                  \
    (funnel_active_path() == FUNNEL_PATH_AVX512 ? name##avx512                                 \
     : funnel_active_path() == FUNNEL_PATH_AVX2 ? name##avx2                                   \
                                                : name##portable)
#else
#define FUNNEL_DISPATCH(name, ...) name##portable(__VA_ARGS__)
#define FUNNEL_DISPATCH_VALUE(name, ...) name##portable(__VA_ARGS__)
#define FUNNEL_FOR_PATH(name) name##portable
#endif
#endif

// FUNNEL_BODY_AVX512 is 1 while the AVX-512 copy compiles, for the few lines that use its
// intrinsics (masked loads).
#define FUNNEL_BODY_AVX512 0
#define FUNNEL_BODY_TARGET
#define FUNNEL_BODY_SUFFIX portable
#include FUNNEL_PER_PATH_BODY
#undef FUNNEL_BODY_TARGET
#undef FUNNEL_BODY_SUFFIX

#if FUNNEL_X86
#define FUNNEL_BODY_TARGET FUNNEL_TARGET_AVX2
#define FUNNEL_BODY_SUFFIX avx2
#include FUNNEL_PER_PATH_BODY
#undef FUNNEL_BODY_TARGET
#undef FUNNEL_BODY_SUFFIX

#undef FUNNEL_BODY_AVX512
#define FUNNEL_BODY_AVX512 1
#define FUNNEL_BODY_TARGET FUNNEL_TARGET_AVX512
#define FUNNEL_BODY_SUFFIX avx512
#include FUNNEL_PER_PATH_BODY
#undef FUNNEL_BODY_TARGET
#undef FUNNEL_BODY_SUFFIX
#endif
#undef FUNNEL_BODY_AVX512
