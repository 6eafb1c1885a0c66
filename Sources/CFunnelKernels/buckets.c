// Bucket-table kernels: the loops of buckets_body.h compiled per CPU path and dispatched at run
// time. Callers split independent tables across threads; each call runs on the calling thread.
#include "kernels_internal.h"

#define FUNNEL_PER_PATH_BODY "buckets_body.h"
#include "per_path.h"

void funnel_gathered_dots(const float *table, long stride, const int32_t *ids, long count,
                          const float *queries, long width, float *dots, float *squares) {
    FUNNEL_DISPATCH(funnel_gathered_dots_, table, stride, ids, count, queries, width, dots, squares);
}

void funnel_scatter_add(float *table, long stride, const int32_t *ids, long count,
                        const float *values, long width) {
    FUNNEL_DISPATCH(funnel_scatter_add_, table, stride, ids, count, values, width);
}
