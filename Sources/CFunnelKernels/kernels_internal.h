// Shared declarations of the kernel files; not part of the public header.
#ifndef CFUNNEL_KERNELS_INTERNAL_H
#define CFUNNEL_KERNELS_INTERNAL_H

#include "CFunnelKernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#define FUNNEL_X86 1
#define FUNNEL_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define FUNNEL_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define FUNNEL_X86 0
#define FUNNEL_TARGET_AVX512
#define FUNNEL_TARGET_AVX2
#endif

/// Sixteen floats as one value: a zmm register on AVX-512, two ymm or four xmm elsewhere.
typedef float funnel_vector16 __attribute__((vector_size(64)));

/// Splits `count` items into tasks of at least `grain` items, at most one task per thread, and
/// returns the number of tasks (1 when the work is too small to be worth a thread).
long funnel_task_count(long count, long grain);

/// Work is cut into a few tasks per thread, so that a thread slowed down by other work on its
/// core holds up the others less (the pool hands out tasks as threads ask for them). The cut
/// depends only on the shape and the thread count.
enum { FUNNEL_TASKS_PER_THREAD = 4 };

/// Tasks for `units` independent pieces of `unit_work` each: a few per thread (at most one per
/// unit) where the whole is worth `funnel_task_count`'s threads, else 1. For work whose
/// arithmetic does not depend on the split.
long funnel_task_split(long units, long unit_work, long minimum_task_work);

/// The phases of an epilogue: after the first depth block's store, after the last's.
enum { FUNNEL_EPILOGUE_FIRST = 1, FUNNEL_EPILOGUE_LAST = 2 };

/// The epilogue's `phase` on one tile of C: `rows` × `cols` at `c` (rows ldc apart), which is
/// element (row, column) of the whole C. Runs on the calling thread.
void funnel_epilogue_tile(const funnel_epilogue *epilogue, int phase, float *c, long ldc, long rows, long cols,
                          long row, long column);

/// The epilogue's `phase` on `rows` rows of C, split across threads.
void funnel_apply_epilogue_phase(const funnel_epilogue *epilogue, int phase, float *c, long ldc, long rows,
                                 long cols);

/// y[0 ..< n] = Σ_a x[a·stride ..< a·stride + n] from 0, rows in order, on the calling thread.
void funnel_sum_rows_into(const float *x, long rows, long stride, float *y, long n);

/// The [begin, end) range of task `index` out of `tasks` over `count` items.
static inline void funnel_task_range(long count, long tasks, long index, long *begin, long *end) {
    long base = count / tasks, extra = count % tasks;
    *begin = index * base + (index < extra ? index : extra);
    *end = *begin + base + (index < extra ? 1 : 0);
}

// A 32-bit integer finaliser with low bias (C. Wellons' "lowbias32" constants): the hash of
// hash-keyed dropout masks (dropout and attention-weight dropout).
static inline uint32_t funnel_mix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    return h;
}

/// Whether dropout keeps element `index` under `key`: the same test as `funnel_dropout`.
static inline int funnel_dropout_keeps(long index, uint64_t key, uint32_t threshold) {
    uint32_t h = funnel_mix32((uint32_t)index ^ (uint32_t)key);
    h = funnel_mix32(h ^ (uint32_t)(key >> 32));
    return (h >> 8) < threshold;
}

#endif
