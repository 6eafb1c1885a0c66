// Bucket-table loops (gathered dot products and in-order scatter-adds over rows of a flat table),
// compiled once per CPU path: the including file defines FUNNEL_BODY_TARGET and FUNNEL_BODY_SUFFIX.

// Rows this far ahead are prefetched: a sketch's table of 2^16 buckets lies far outside the
// caches, and a gather that waits on each row in turn is latency-bound.
enum { FUNNEL_NAME(bucket_prefetch_distance_) = 8 };

FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_gathered_dots_)(const float *table, long stride, const int32_t *ids,
                                         long count, const float *queries, long width,
                                         float *dots, float *squares) {
    const long ahead = FUNNEL_NAME(bucket_prefetch_distance_);
    for (long r = 0; r < count; r++) {
        if (r + ahead < count) {
            const float *next = table + (long)ids[r + ahead] * stride;
            for (long line = 0; line < width; line += 16) __builtin_prefetch(next + line, 0, 1);
        }
        const float *row = table + (long)ids[r] * stride;
        const float *query = queries + r * width;
        float dot[16] = {0}, square[16] = {0};
        long j = 0;
        for (; j + 16 <= width; j += 16) {
            for (int lane = 0; lane < 16; lane++) {
                dot[lane] += row[j + lane] * query[j + lane];
                square[lane] += row[j + lane] * row[j + lane];
            }
        }
        for (; j < width; j++) {
            dot[j & 15] += row[j] * query[j];
            square[j & 15] += row[j] * row[j];
        }
        for (int half = 8; half >= 1; half /= 2) {
            for (int lane = 0; lane < half; lane++) {
                dot[lane] += dot[lane + half];
                square[lane] += square[lane + half];
            }
        }
        dots[r] = dot[0];
        squares[r] = square[0];
    }
}

FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_scatter_add_)(float *table, long stride, const int32_t *ids, long count,
                                       const float *values, long width) {
    const long ahead = FUNNEL_NAME(bucket_prefetch_distance_);
    for (long r = 0; r < count; r++) {
        if (r + ahead < count) {
            const float *next = table + (long)ids[r + ahead] * stride;
            for (long line = 0; line < width; line += 16) __builtin_prefetch(next + line, 1, 1);
        }
        float *restrict row = table + (long)ids[r] * stride;
        const float *restrict value = values + r * width;
        for (long j = 0; j < width; j++) row[j] += value[j];
    }
}
