// The loops of indexed.c, compiled once per CPU path: the including file defines
// FUNNEL_BODY_TARGET (a target attribute or nothing) and FUNNEL_BODY_SUFFIX.
#include "vector_math.h"

// Rows [begin, end) of funnel_add_indexed_rows.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_add_indexed_rows_)(float *y, long rows, long n, const float *bias,
                                           const float *const *tables, const int32_t *indices, long parts,
                                           int initialized, int rectify, long begin, long end) {
    for (long r = begin; r < end; r++) {
        float *row = y + r * n;
        long part = 0;
        if (!initialized) {
            const float *source = tables[0] + (long)indices[r] * n;
            for (long i = 0; i < n; i++) row[i] = source[i];
            part = 1;
        }
        for (; part < parts; part++) {
            const float *source = tables[part] + (long)indices[part * rows + r] * n;
#pragma clang loop vectorize(assume_safety)
            for (long i = 0; i < n; i++) row[i] += source[i];
        }
        if (rectify) {
            for (long i = 0; i < n; i++) row[i] = funnel_relu(row[i] + bias[i]);
        } else {
            for (long i = 0; i < n; i++) row[i] += bias[i];
        }
    }
}

// Columns [begin, end) of funnel_segment_sum_rows.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_segment_sum_columns_)(const float *x, long rows, long n, const int32_t *indices,
                                              long parts, int first_seen_order, float *sums, long slots,
                                              long begin, long end) {
    if (!first_seen_order || rows == 0) {
        for (long slot = 0; slot < slots; slot++) {
            float *target = sums + slot * n;
            for (long i = begin; i < end; i++) target[i] = 0.0f;
        }
    }
    // In first-seen order, a part's slots are first met in increasing order from its row 0's:
    // the first row of a slot writes it instead of adding, and no pass zeroes the sums.
    int32_t next[parts > 0 ? parts : 1];
    for (long part = 0; part < parts; part++) next[part] = first_seen_order && rows > 0 ? indices[part * rows] : -1;
    for (long r = 0; r < rows; r++) {
        const float *source = x + r * n;
        for (long part = 0; part < parts; part++) {
            int32_t slot = indices[part * rows + r];
            float *target = sums + (long)slot * n;
            if (slot == next[part]) {
                next[part]++;
                for (long i = begin; i < end; i++) target[i] = source[i];
                continue;
            }
#pragma clang loop vectorize(assume_safety)
            for (long i = begin; i < end; i++) target[i] += source[i];
        }
    }
}
