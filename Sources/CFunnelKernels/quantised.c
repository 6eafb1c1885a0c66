// Matrix-vector products over GGML-quantised weights (Q4_1, Q8_0): the row loops of
// quantised_body.h compiled per CPU path, dispatched at run time, with the rows split across
// the thread pool. A row is always summed whole by one task, so results do not depend on the
// thread count.
#include "kernels_internal.h"

#include <stdlib.h>
#include <string.h>

/// The 16 bits at `p` (little-endian, any alignment).
static inline uint16_t funnel_load_half(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}

/// IEEE binary16 → binary32 by bit manipulation (exact; subnormals, infinities and NaNs kept).
static inline float funnel_half_to_float(uint16_t bits) {
    uint32_t sign = (uint32_t)(bits & 0x8000u) << 16;
    uint32_t exponent = (bits >> 10) & 0x1Fu;
    uint32_t mantissa = bits & 0x03FFu;
    uint32_t word;
    if (exponent == 0x1F) {
        word = sign | 0x7F800000u | (mantissa << 13);
    } else if (exponent == 0) {
        float magnitude = (float)mantissa * 0x1p-24f;
        return sign ? -magnitude : magnitude;
    } else {
        word = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    float value;
    memcpy(&value, &word, sizeof value);
    return value;
}

/// The two halves at `block` (a Q4_1 block's d and m) by bit manipulation: the portable path.
static inline void funnel_half_pair_bits(const uint8_t *block, float *d, float *m) {
    *d = funnel_half_to_float(funnel_load_half(block));
    *m = funnel_half_to_float(funnel_load_half(block + 2));
}

// The x86 paths convert a Q4_1 block's two halves with one F16C vcvtph2ps (present on every
// AVX2 and AVX-512 CPU; checked before they are chosen; exact, as the bit manipulation): their
// targets here add it. Q8_0's single half is converted by bits everywhere (no faster with F16C).
#if FUNNEL_X86
#include <immintrin.h>
#undef FUNNEL_TARGET_AVX2
#undef FUNNEL_TARGET_AVX512
#define FUNNEL_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#define FUNNEL_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,f16c")))
#endif
#define FUNNEL_QUANTISED_F16C_portable 0
#define FUNNEL_QUANTISED_F16C_avx2 1
#define FUNNEL_QUANTISED_F16C_avx512 1

#define FUNNEL_PER_PATH_BODY "quantised_body.h"
#include "per_path.h"

// A task takes at least this many weights (rows × columns): fewer cost more to hand out.
enum { QUANTISED_GRAIN = 1 << 15 };

typedef void (*q4_1_rows_kernel)(const uint8_t *, long, const float *, const float *, float *, long, long);
typedef void (*q8_0_rows_kernel)(const uint8_t *, long, const float *, float *, long, long);

// The kernels are chosen once, on the calling thread (whose path a test may have lowered), and
// handed to the tasks.
typedef struct {
    q4_1_rows_kernel q4_1;
    q8_0_rows_kernel q8_0;
    const uint8_t *blocks;
    long rows, blocks_per_row, tasks;
    const float *x, *block_sums;
    float *y;
} quantised_job;

// The active path's kernels, or the portable ones on an x86 CPU without F16C.
static q4_1_rows_kernel q4_1_kernel(void) {
    q4_1_rows_kernel kernel = FUNNEL_FOR_PATH(funnel_gemv_q4_1_rows_);
#if FUNNEL_X86
    if (!__builtin_cpu_supports("f16c")) kernel = funnel_gemv_q4_1_rows_portable;
#endif
    return kernel;
}

static q8_0_rows_kernel q8_0_kernel(void) {
    q8_0_rows_kernel kernel = FUNNEL_FOR_PATH(funnel_gemv_q8_0_rows_);
#if FUNNEL_X86
    if (!__builtin_cpu_supports("f16c")) kernel = funnel_gemv_q8_0_rows_portable;
#endif
    return kernel;
}

static long quantised_tasks(long rows, long columns) {
    long grain = QUANTISED_GRAIN / (columns > 0 ? columns : 1);
    return funnel_task_count(rows, grain < 1 ? 1 : grain);
}

static void q4_1_task(void *context, long index) {
    quantised_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    job->q4_1(job->blocks, job->blocks_per_row, job->x, job->block_sums, job->y, begin, end);
}

void funnel_gemv_q4_1(const void *blocks, long rows, long columns, const float *x, float *y) {
    if (rows <= 0) return;
    long blocks_per_row = columns / 32;
    float stack_sums[256];
    float *sums = blocks_per_row <= 256 ? stack_sums : malloc((size_t)blocks_per_row * sizeof(float));
    for (long b = 0; b < blocks_per_row; b++) {
        float total = 0.0f;
        for (int i = 0; i < 32; i++) total += x[b * 32 + i];
        sums[b] = total;
    }
    quantised_job job = {q4_1_kernel(), NULL, blocks, rows, blocks_per_row, quantised_tasks(rows, columns), x, sums, y};
    funnel_parallel_for(job.tasks, q4_1_task, &job);
    if (sums != stack_sums) free(sums);
}

static void q8_0_task(void *context, long index) {
    quantised_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    job->q8_0(job->blocks, job->blocks_per_row, job->x, job->y, begin, end);
}

void funnel_gemv_q8_0(const void *blocks, long rows, long columns, const float *x, float *y) {
    if (rows <= 0) return;
    quantised_job job = {NULL, q8_0_kernel(), blocks, rows, columns / 32, quantised_tasks(rows, columns), x, NULL, y};
    funnel_parallel_for(job.tasks, q8_0_task, &job);
}
