// Run-time CPU detection and the active kernel path.
#include "kernels_internal.h"

#include <stdatomic.h>

// Per thread: a test that lowers the path (to check the portable kernels) must not change the
// arithmetic of work running on other threads at the same time. A GEMM chooses its kernels once,
// on the calling thread, and hands them to its tasks.
static _Thread_local int active_path = -1;

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
    return active_path >= 0 ? (funnel_cpu_path)active_path : funnel_detected_path();
}

void funnel_set_path(funnel_cpu_path path) {
    funnel_cpu_path detected = funnel_detected_path();
    if ((int)path > (int)detected || (int)path < 0) path = detected;
    active_path = (int)path;
}

const char *funnel_path_name(funnel_cpu_path path) {
    switch (path) {
    case FUNNEL_PATH_AVX512: return "avx512";
    case FUNNEL_PATH_AVX2: return "avx2";
    default: return "portable";
    }
}
