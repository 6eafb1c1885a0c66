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

#define FUNNEL_PER_PATH_BODY "quantised_body.h"
#include "per_path.h"

// A task takes at least this many weights (rows × columns): fewer cost more to hand out.
enum { QUANTISED_GRAIN = 1 << 15 };

typedef struct {
    const uint8_t *blocks;
    long rows, blocks_per_row, tasks;
    const float *x, *block_sums;
    float *y;
} quantised_job;

static long quantised_tasks(long rows, long columns) {
    long grain = QUANTISED_GRAIN / (columns > 0 ? columns : 1);
    return funnel_task_count(rows, grain < 1 ? 1 : grain);
}

static void q4_1_task(void *context, long index) {
    quantised_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(funnel_gemv_q4_1_rows_, job->blocks, job->blocks_per_row, job->x, job->block_sums,
                    job->y, begin, end);
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
    quantised_job job = {blocks, rows, blocks_per_row, quantised_tasks(rows, columns), x, sums, y};
    funnel_parallel_for(job.tasks, q4_1_task, &job);
    if (sums != stack_sums) free(sums);
}

static void q8_0_task(void *context, long index) {
    quantised_job *job = context;
    long begin, end;
    funnel_task_range(job->rows, job->tasks, index, &begin, &end);
    FUNNEL_DISPATCH(funnel_gemv_q8_0_rows_, job->blocks, job->blocks_per_row, job->x, job->y, begin, end);
}

void funnel_gemv_q8_0(const void *blocks, long rows, long columns, const float *x, float *y) {
    if (rows <= 0) return;
    quantised_job job = {blocks, rows, columns / 32, quantised_tasks(rows, columns), x, NULL, y};
    funnel_parallel_for(job.tasks, q8_0_task, &job);
}
