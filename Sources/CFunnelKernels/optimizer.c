// Optimizer update rules over dense ranges and over gathered table rows, dispatched per CPU
// path. Callers split the work across threads (rows and elements are independent).
#include "kernels_internal.h"

#define FUNNEL_PER_PATH_BODY "optimizer_body.h"
#include "per_path.h"

typedef void (*adam_rule)(float *, const float *, float *, float *, long,
                          const funnel_adam_parameters *);

static adam_rule adam_for_path(void) { return FUNNEL_FOR_PATH(funnel_adam_); }

void funnel_adam(float *values, const float *gradient, float *first, float *second, long n,
                 const funnel_adam_parameters *parameters) {
    adam_for_path()(values, gradient, first, second, n, parameters);
}

// Table rows lie anywhere in three arrays larger than the caches (values and both moments):
// fetch a few rows ahead, for writing.
enum { ADAM_ROWS_PREFETCH_DISTANCE = 4 };

void funnel_adam_rows(float *values, const float *gradient, float *first, float *second,
                      const int32_t *rows, long count, long width,
                      const funnel_adam_parameters *parameters) {
    adam_rule rule = adam_for_path();
    for (long position = 0; position < count; position++) {
        if (position + ADAM_ROWS_PREFETCH_DISTANCE < count) {
            long ahead = (long)rows[position + ADAM_ROWS_PREFETCH_DISTANCE] * width;
            for (long line = 0; line < width; line += 16) {
                __builtin_prefetch(values + ahead + line, 1, 3);
                __builtin_prefetch(first + ahead + line, 1, 3);
                __builtin_prefetch(second + ahead + line, 1, 3);
            }
        }
        long offset = (long)rows[position] * width;
        rule(values + offset, gradient + position * width, first + offset, second + offset,
             width, parameters);
    }
}
