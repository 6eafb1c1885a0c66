// Run-time CPU detection and the active kernel path.
#include "kernels_internal.h"

#include <stdatomic.h>

static _Atomic int active_path = -1;

funnel_cpu_path funnel_detected_path(void) {
#if FUNNEL_X86
    static _Atomic int detected = -1;
    int value = atomic_load_explicit(&detected, memory_order_relaxed);
    if (value >= 0) return (funnel_cpu_path)value;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")) {
        value = FUNNEL_PATH_AVX512;
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        value = FUNNEL_PATH_AVX2;
    } else {
        value = FUNNEL_PATH_PORTABLE;
    }
    atomic_store_explicit(&detected, value, memory_order_relaxed);
    return (funnel_cpu_path)value;
#else
    return FUNNEL_PATH_PORTABLE;
#endif
}

funnel_cpu_path funnel_active_path(void) {
    int value = atomic_load_explicit(&active_path, memory_order_relaxed);
    if (value >= 0) return (funnel_cpu_path)value;
    return funnel_detected_path();
}

void funnel_set_path(funnel_cpu_path path) {
    funnel_cpu_path detected = funnel_detected_path();
    if ((int)path > (int)detected || (int)path < 0) path = detected;
    atomic_store_explicit(&active_path, (int)path, memory_order_relaxed);
}

const char *funnel_path_name(funnel_cpu_path path) {
    switch (path) {
    case FUNNEL_PATH_AVX512: return "avx512";
    case FUNNEL_PATH_AVX2: return "avx2";
    default: return "portable";
    }
}
