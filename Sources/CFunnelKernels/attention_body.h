// Scaled dot-product attention of one (batch, head) pair, forward and backward, compiled once
// per CPU path: the including file defines FUNNEL_BODY_TARGET and FUNNEL_BODY_SUFFIX.
//
// Heads are narrow (8 to 32 values) and sequences short (20 to 50 keys), so every loop runs
// along the keys, 16 at a time: keys and values are first copied transposed ([e × W], W the key
// count rounded up to 16, zero-padded), and the per-key quantities (scores, weights, their
// gradients) are rows of W. A single query (target attention) reads each key once: its scores
// and weight gradients are dot products along the contiguous rows instead.


#define FUNNEL_LOAD16(pointer) (*(const funnel_vector16 *)(pointer))
#define FUNNEL_STORE16(pointer, value) (*(funnel_vector16 *)(pointer) = (value))

// The lanes of x summed in a fixed order, as a tree (halves, quarters, …): four dependent adds
// instead of a chain of sixteen.
FUNNEL_BODY_TARGET
static inline float FUNNEL_NAME(funnel_lanes_sum_)(const funnel_vector16 *x) {
    typedef float vector8 __attribute__((vector_size(32)));
    typedef float vector4 __attribute__((vector_size(16)));
    typedef float vector2 __attribute__((vector_size(8)));
    vector8 eight = __builtin_shufflevector(*x, *x, 0, 1, 2, 3, 4, 5, 6, 7) +
                    __builtin_shufflevector(*x, *x, 8, 9, 10, 11, 12, 13, 14, 15);
    vector4 four = __builtin_shufflevector(eight, eight, 0, 1, 2, 3) +
                   __builtin_shufflevector(eight, eight, 4, 5, 6, 7);
    vector2 two = __builtin_shufflevector(four, four, 0, 1) + __builtin_shufflevector(four, four, 2, 3);
    return two[0] + two[1];
}

// source rows of e values `row` apart (count rows) → target [e × width], zero-padded.
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(funnel_transpose_heads_)(const float *source, long row, long count, long e,
                                                 long width, float *target) {
    for (long d = 0; d < e; d++) {
        for (long j = 0; j < count; j++) target[d * width + j] = source[j * row + d];
        for (long j = count; j < width; j++) target[d * width + j] = 0.0f;
    }
}

// out[j] = Σ_d x[d]·rows[j·row + d] for j < count: sixteen d at a time in the lanes, then the
// lanes summed as a tree and the last e mod 16 in order. One query reads each key once, so
// this replaces transposing the keys (strided scalar copies, most of a target attention's
// time) by contiguous loads.
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(funnel_row_dots_)(const float *x, const float *rows, long row, long count, long e,
                                          float *out) {
    typedef float unaligned16 __attribute__((vector_size(64), aligned(4)));
    long vectorised = e / 16 * 16;
    for (long j = 0; j < count; j++) {
        const float *r = rows + j * row;
        funnel_vector16 sum = {0};
        for (long d = 0; d < vectorised; d += 16) sum += *(const unaligned16 *)(x + d) * *(const unaligned16 *)(r + d);
        float total = FUNNEL_NAME(funnel_lanes_sum_)(&sum);
        for (long d = vectorised; d < e; d++) total += x[d] * r[d];
        out[j] = total;
    }
}

// out[0..<E] = Σ_j weights[j]·rows[j·row ..< j·row + E] (in a fixed order), accumulated in
// registers: the head's width is a compile-time constant here, so the row is one or a few
// vectors (a loop with a run-time width would keep the sums in memory).
#define FUNNEL_WEIGHTED_ROWS(E)                                                                 \
    FUNNEL_BODY_TARGET                                                                         \
    static inline void FUNNEL_NAME(funnel_weighted_rows_##E##_)(                               \
        const float *weights, const float *rows, long row, long count, float *out) {           \
        typedef float vector __attribute__((vector_size(E * sizeof(float))));                   \
        /* Four sums (keys j ≡ 0, 1, 2, 3 mod 4) added at the end: four chains of FMAs in   */ \
        /* flight instead of one that waits on each add.                                       */ \
        vector s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0}, v0, v1, v2, v3;                         \
        long j = 0;                                                                            \
        for (; j + 4 <= count; j += 4) {                                                       \
            __builtin_memcpy(&v0, rows + j * row, sizeof v0);                                  \
            __builtin_memcpy(&v1, rows + (j + 1) * row, sizeof v1);                            \
            __builtin_memcpy(&v2, rows + (j + 2) * row, sizeof v2);                            \
            __builtin_memcpy(&v3, rows + (j + 3) * row, sizeof v3);                            \
            s0 += weights[j] * v0;                                                             \
            s1 += weights[j + 1] * v1;                                                         \
            s2 += weights[j + 2] * v2;                                                         \
            s3 += weights[j + 3] * v3;                                                         \
        }                                                                                      \
        for (; j < count; j++) {                                                               \
            __builtin_memcpy(&v0, rows + j * row, sizeof v0);                                  \
            s0 += weights[j] * v0;                                                             \
        }                                                                                      \
        vector sum = (s0 + s1) + (s2 + s3);                                                    \
        __builtin_memcpy(out, &sum, sizeof sum);                                               \
    }
FUNNEL_WEIGHTED_ROWS(8)
FUNNEL_WEIGHTED_ROWS(16)
FUNNEL_WEIGHTED_ROWS(32)
FUNNEL_WEIGHTED_ROWS(64)
#undef FUNNEL_WEIGHTED_ROWS

// The same for any width: widths of 8, 16, 32 and 64 take the register paths.
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(funnel_weighted_rows_)(const float *weights, const float *rows, long row,
                                               long count, long e, float *out) {
    switch (e) {
    case 8: FUNNEL_NAME(funnel_weighted_rows_8_)(weights, rows, row, count, out); return;
    case 16: FUNNEL_NAME(funnel_weighted_rows_16_)(weights, rows, row, count, out); return;
    case 32: FUNNEL_NAME(funnel_weighted_rows_32_)(weights, rows, row, count, out); return;
    case 64: FUNNEL_NAME(funnel_weighted_rows_64_)(weights, rows, row, count, out); return;
    default: break;
    }
    for (long d = 0; d < e; d++) {
        float sum = 0.0f;
        for (long j = 0; j < count; j++) sum += weights[j] * rows[j * row + d];
        out[d] = sum;
    }
}

// q: Lq rows of `e` values `row` floats apart; k: Lk such rows; v: Lk rows of `ev` values
// `value_row` apart; o: Lq rows of `ev` values `output_row` apart; mask: this pair's additive
// mask, `mask_row` and `mask_column` apart (either may be 0), or NULL; p: the Lq×Lk weights,
// written; scratch: 2·e·W + W floats, 64-byte aligned. A query row whose mask entries are all
// ≤ closed_below gets weights 0 and output 0. With a dropout threshold below 2²⁴, the weights
// (global index weight_base + i·Lk + j) are dropped before they multiply v; p keeps them whole.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_attention_pair_)(const float *q, const float *k, const float *v, long row,
                                         long value_row, long output_row, long lq, long lk,
                                         long e, long ev, float scale,
                                         const float *mask, long mask_row, long mask_column,
                                         float closed_below, float *p, float *o,
                                         float *scratch, long weight_base,
                                         uint32_t dropout_threshold, float dropout_scale,
                                         uint64_t dropout_key) {
    long width = (lk + 15) / 16 * 16;
    float *keys = scratch, *scores = scratch + 2 * e * width;
    int direct = lq == 1;
    if (!direct) FUNNEL_NAME(funnel_transpose_heads_)(k, row, lk, e, width, keys);
    for (long i = 0; i < lq; i++) {
        const float *query = q + i * row;
        // Keys after the last open one (a causal mask's future) get weight exactly 0 either
        // way: their scores, exponentials and products are skipped, the bits unchanged.
        long limit = lk;
        if (mask) {
            while (limit > 0 && !(mask[i * mask_row + (limit - 1) * mask_column] > closed_below)) limit--;
        }
        float *weights = p + i * lk;
        float *output = o + i * output_row;
        if (limit == 0) {
            for (long j = 0; j < lk; j++) weights[j] = 0.0f;
            for (long d = 0; d < ev; d++) output[d] = 0.0f;
            continue;
        }
        long used = (limit + 15) / 16 * 16;
        if (direct) {
            FUNNEL_NAME(funnel_row_dots_)(query, k, row, limit, e, scores);
            for (long j = 0; j < limit; j++) scores[j] *= scale;
        } else {
            for (long block = 0; block < used; block += 16) {
                funnel_vector16 sum = {0};
                for (long d = 0; d < e; d++) sum += query[d] * FUNNEL_LOAD16(keys + d * width + block);
                FUNNEL_STORE16(scores + block, sum * scale);
            }
        }
        float maximum = -INFINITY;
        for (long j = 0; j < limit; j++) {
            if (mask) scores[j] += mask[i * mask_row + j * mask_column];
            maximum = scores[j] > maximum ? scores[j] : maximum;
        }
        if (maximum == -INFINITY || maximum != maximum) maximum = 0.0f;
        for (long j = limit; j < used; j++) scores[j] = -INFINITY;
        // A plain loop over the row, so that the exponential vectorises.
        for (long j = 0; j < used; j++) scores[j] = funnel_exp(scores[j] - maximum);
        funnel_vector16 partial = {0};
        for (long block = 0; block < used; block += 16) partial += FUNNEL_LOAD16(scores + block);
        float inverse = 1.0f / FUNNEL_NAME(funnel_lanes_sum_)(&partial);
        for (long block = 0; block < used; block += 16) {
            FUNNEL_STORE16(scores + block, FUNNEL_LOAD16(scores + block) * inverse);
        }
        for (long j = 0; j < limit; j++) weights[j] = scores[j];
        for (long j = limit; j < lk; j++) weights[j] = 0.0f;
        if (dropout_threshold < (1u << 24)) {
            long first = weight_base + i * lk;
            for (long j = 0; j < limit; j++)
                scores[j] = funnel_dropout_keeps(first + j, dropout_key, dropout_threshold)
                                ? scores[j] * dropout_scale : 0.0f;
        }
        FUNNEL_NAME(funnel_weighted_rows_)(scores, v, value_row, limit, ev, output);
    }
}

// The backward pass of one pair: dout as o, p from the forward pass; writes dq (Lq rows) and
// dk, dv (Lk rows), adding to dv instead when `accumulate` (a value head shared by several
// query heads). scratch: 2·(e + ev)·W + 4·W floats, 64-byte aligned. The dropout arguments are the
// forward pass's: v saw the dropped weights D = P∘m/keep, so dV = Dᵀ·dO and the softmax's
// backward takes dP = (dO·vᵀ)∘m/keep.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_attention_pair_backward_)(const float *q, const float *k, const float *v,
                                                  long row, long value_row, long output_row,
                                                  long lq, long lk, long e, long ev,
                                                  int accumulate, float scale, const float *p, const float *dout,
                                                  float *dq, float *dk, float *dv,
                                                  float *scratch, long weight_base,
                                                  uint32_t dropout_threshold, float dropout_scale,
                                                  uint64_t dropout_key) {
    long width = (lk + 15) / 16 * 16;
    float *values = scratch + e * width;
    float *key_gradients = values + ev * width, *value_gradients = key_gradients + e * width;
    float *weights = value_gradients + ev * width, *weight_gradients = weights + width;
    float *score_gradients = weight_gradients + width, *dropped = score_gradients + width;
    int dropping = dropout_threshold < (1u << 24);
    // One query (target attention): each key's and value's gradient is one product, written
    // in place; several queries accumulate along the keys in the transposed buffers.
    int direct = lq == 1;
    if (!direct) {
        FUNNEL_NAME(funnel_transpose_heads_)(v, value_row, lk, ev, width, values);
        for (long index = 0; index < (e + ev) * width; index++) key_gradients[index] = 0.0f;
    }
    for (long i = 0; i < lq; i++) {
        const float *gradient = dout + i * output_row;
        const float *query = q + i * row;
        // Keys after the last nonzero weight add exactly 0 to every gradient: skipped.
        long limit = lk;
        if (!direct)
            while (limit > 0 && p[i * lk + limit - 1] == 0.0f) limit--;
        long used = (limit + 15) / 16 * 16;
        for (long j = 0; j < limit; j++) weights[j] = p[i * lk + j];
        for (long j = limit; j < used; j++) weights[j] = 0.0f;
        // dropped: each weight's factor m/keep (then, once dW is known, the dropped weights).
        if (dropping) {
            long first = weight_base + i * lk;
            for (long j = 0; j < limit; j++)
                dropped[j] = funnel_dropout_keeps(first + j, dropout_key, dropout_threshold) ? dropout_scale : 0.0f;
            for (long j = limit; j < used; j++) dropped[j] = 0.0f;
        }
        // dW = dO·vᵀ, then the softmax's backward: dS = P ∘ (dW − Σ P∘dW), times the scale.
        funnel_vector16 dot = {0};
        if (direct) {
            FUNNEL_NAME(funnel_row_dots_)(gradient, v, value_row, limit, ev, weight_gradients);
            for (long j = limit; j < used; j++) weight_gradients[j] = 0.0f;
        }
        for (long block = 0; block < used; block += 16) {
            funnel_vector16 sum = {0};
            if (direct) {
                sum = FUNNEL_LOAD16(weight_gradients + block);
            } else {
                for (long d = 0; d < ev; d++) sum += gradient[d] * FUNNEL_LOAD16(values + d * width + block);
            }
            if (dropping) sum *= FUNNEL_LOAD16(dropped + block);
            FUNNEL_STORE16(weight_gradients + block, sum);
            dot += FUNNEL_LOAD16(weights + block) * sum;
        }
        const float *value_weights = weights;
        if (dropping) {
            for (long block = 0; block < used; block += 16)
                FUNNEL_STORE16(dropped + block, FUNNEL_LOAD16(dropped + block) * FUNNEL_LOAD16(weights + block));
            value_weights = dropped;
        }
        float total = FUNNEL_NAME(funnel_lanes_sum_)(&dot);
        for (long block = 0; block < used; block += 16) {
            funnel_vector16 w = FUNNEL_LOAD16(weights + block);
            FUNNEL_STORE16(score_gradients + block, w * (FUNNEL_LOAD16(weight_gradients + block) - total) * scale);
        }
        FUNNEL_NAME(funnel_weighted_rows_)(score_gradients, k, row, limit, e, dq + i * row);
        if (direct) {
            for (long j = 0; j < lk; j++) {
                for (long d = 0; d < e; d++) dk[j * row + d] = score_gradients[j] * query[d];
                float *value_gradient = dv + j * value_row;
                if (accumulate)
                    for (long d = 0; d < ev; d++) value_gradient[d] += value_weights[j] * gradient[d];
                else
                    for (long d = 0; d < ev; d++) value_gradient[d] = value_weights[j] * gradient[d];
            }
            continue;
        }
        // Plain attention's widths agree: one fused loop, and the other two run only when
        // values are wider or narrower than keys.
        long common = e < ev ? e : ev;
        for (long d = 0; d < common; d++) {
            for (long block = 0; block < used; block += 16) {
                funnel_vector16 s = FUNNEL_LOAD16(score_gradients + block);
                FUNNEL_STORE16(key_gradients + d * width + block,
                               FUNNEL_LOAD16(key_gradients + d * width + block) + query[d] * s);
                FUNNEL_STORE16(value_gradients + d * width + block,
                               FUNNEL_LOAD16(value_gradients + d * width + block) +
                                   gradient[d] * FUNNEL_LOAD16(value_weights + block));
            }
        }
        for (long d = common; d < e; d++) {
            for (long block = 0; block < used; block += 16) {
                FUNNEL_STORE16(key_gradients + d * width + block,
                               FUNNEL_LOAD16(key_gradients + d * width + block) +
                                   query[d] * FUNNEL_LOAD16(score_gradients + block));
            }
        }
        for (long d = common; d < ev; d++) {
            for (long block = 0; block < used; block += 16) {
                FUNNEL_STORE16(value_gradients + d * width + block,
                               FUNNEL_LOAD16(value_gradients + d * width + block) +
                                   gradient[d] * FUNNEL_LOAD16(value_weights + block));
            }
        }
    }
    if (direct) return;
    for (long j = 0; j < lk; j++) {
        for (long d = 0; d < e; d++) dk[j * row + d] = key_gradients[d * width + j];
        float *value_gradient = dv + j * value_row;
        if (accumulate)
            for (long d = 0; d < ev; d++) value_gradient[d] += value_gradients[d * width + j];
        else
            for (long d = 0; d < ev; d++) value_gradient[d] = value_gradients[d * width + j];
    }
}

#undef FUNNEL_LOAD16
#undef FUNNEL_STORE16
