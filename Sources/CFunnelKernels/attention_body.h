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

#include "attention_vectors_body.h"

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

// The small products of a pair's queries, in registers: up to eight rows (queries, or one
// head's dimensions) share each loaded vector, so that eight independent chains of FMAs are in
// flight instead of one that waits on each add, and each sum is stored once.
//
// out[g·width + b] = Σ_d x[g·x_row + d]·t[d·width + b] (d ascending) for g < count ≤ 8 and the
// first `blocks` blocks of 16 columns; out holds 8 rows (rows past count are scratch).
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(funnel_rows_by_columns_)(const float *x, long x_row, long count, const float *t,
                                                 long width, long depth, long blocks, float *out) {
    const float *r[8];
    for (long g = 0; g < 8; g++) r[g] = x + (g < count ? g : count - 1) * x_row;
    for (long block = 0; block < blocks * 16; block += 16) {
        funnel_vector16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
        for (long d = 0; d < depth; d++) {
            funnel_vector16 c = FUNNEL_LOAD16(t + d * width + block);
            a0 += r[0][d] * c;
            a1 += r[1][d] * c;
            a2 += r[2][d] * c;
            a3 += r[3][d] * c;
            a4 += r[4][d] * c;
            a5 += r[5][d] * c;
            a6 += r[6][d] * c;
            a7 += r[7][d] * c;
        }
        FUNNEL_STORE16(out + block, a0);
        FUNNEL_STORE16(out + width + block, a1);
        FUNNEL_STORE16(out + 2 * width + block, a2);
        FUNNEL_STORE16(out + 3 * width + block, a3);
        FUNNEL_STORE16(out + 4 * width + block, a4);
        FUNNEL_STORE16(out + 5 * width + block, a5);
        FUNNEL_STORE16(out + 6 * width + block, a6);
        FUNNEL_STORE16(out + 7 * width + block, a7);
    }
}

// out[d·width + b] = Σ_i x[i·x_row + d]·s[i·width + b] (i ascending, over the rows i whose
// `limits[i]` exceeds b's block: the others add exactly 0) for d < depth, every block of 16 below
// `columns`: the transposed gradients of keys and values, eight dimensions at a time.
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(funnel_columns_by_rows_)(const float *x, long x_row, long rows, const float *s,
                                                 const long *limits, long width, long depth, long columns,
                                                 float *out) {
    for (long first = 0; first < depth; first += 8) {
        long d[8];
        for (long g = 0; g < 8; g++) d[g] = first + g < depth ? first + g : depth - 1;
        for (long block = 0; block < columns; block += 16) {
            funnel_vector16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
            for (long i = 0; i < rows; i++) {
                if (limits[i] <= block) continue;
                const float *xi = x + i * x_row;
                funnel_vector16 c = FUNNEL_LOAD16(s + i * width + block);
                a0 += xi[d[0]] * c;
                a1 += xi[d[1]] * c;
                a2 += xi[d[2]] * c;
                a3 += xi[d[3]] * c;
                a4 += xi[d[4]] * c;
                a5 += xi[d[5]] * c;
                a6 += xi[d[6]] * c;
                a7 += xi[d[7]] * c;
            }
            // Clamped dimensions store the same sums to the same row.
            FUNNEL_STORE16(out + d[0] * width + block, a0);
            FUNNEL_STORE16(out + d[1] * width + block, a1);
            FUNNEL_STORE16(out + d[2] * width + block, a2);
            FUNNEL_STORE16(out + d[3] * width + block, a3);
            FUNNEL_STORE16(out + d[4] * width + block, a4);
            FUNNEL_STORE16(out + d[5] * width + block, a5);
            FUNNEL_STORE16(out + d[6] * width + block, a6);
            FUNNEL_STORE16(out + d[7] * width + block, a7);
        }
    }
}

// The sums of funnel_columns_by_rows_ followed by funnel_untranspose_, computed as rows:
// out[j·out_row + d] = Σ_i s[i·width + j]·x[i·x_row + d] (i ascending over the rows whose limit
// exceeds j's block of 16: the others add exactly 0) for keys j < columns, 0 for columns ≤ j <
// count; with `accumulate`, added to the rows (which keep their values past the columns). Eight
// keys at a time with the head (VECTORS × 16 values) in registers: no transposes.
#define FUNNEL_KEY_ROWS(VECTORS)                                                                     \
    FUNNEL_BODY_TARGET                                                                               \
    static void FUNNEL_NAME(funnel_key_rows_##VECTORS##_)(const float *x, long x_row, long rows,     \
                                                          const float *s, const long *limits,        \
                                                          long width, long count, long columns,      \
                                                          float *out, long out_row, int accumulate) { \
        typedef float unaligned16 __attribute__((vector_size(64), aligned(4)));                      \
        for (long first = 0; first < count; first += 8) {                                           \
            long keys = count - first < 8 ? count - first : 8, block = first / 16 * 16;               \
            funnel_vector16 sums[8][VECTORS];                                                        \
            for (long key = 0; key < 8; key++)                                                       \
                for (long v = 0; v < VECTORS; v++) sums[key][v] = (funnel_vector16){0};              \
            for (long i = 0; first < columns && i < rows; i++) {                                     \
                if (limits[i] <= block) continue;                                                    \
                const float *weights = s + i * width + first;                                        \
                funnel_vector16 values[VECTORS];                                                     \
                for (long v = 0; v < VECTORS; v++) values[v] = *(const unaligned16 *)(x + i * x_row + 16 * v); \
                for (long key = 0; key < 8; key++)                                                   \
                    for (long v = 0; v < VECTORS; v++) sums[key][v] += weights[key] * values[v];      \
            }                                                                                        \
            for (long key = 0; key < keys; key++) {                                                  \
                float *target = out + (first + key) * out_row;                                       \
                for (long v = 0; v < VECTORS; v++) {                                                 \
                    funnel_vector16 value = sums[key][v];                                            \
                    if (accumulate) value = *(const unaligned16 *)(target + 16 * v) + value;          \
                    *(unaligned16 *)(target + 16 * v) = value;                                       \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
    }
FUNNEL_KEY_ROWS(1)
FUNNEL_KEY_ROWS(2)
#undef FUNNEL_KEY_ROWS

// Those sums for heads of `e` values: as rows for 16 and 32, otherwise into the transposed block
// `transposed` ([e × width]), eight dimensions at a time, and back.
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(funnel_gradient_rows_)(const float *x, long x_row, long rows, const float *s,
                                               const long *limits, long width, long count, long columns, long e,
                                               float *transposed, float *out, long out_row, int accumulate) {
    if (e == 16) {
        FUNNEL_NAME(funnel_key_rows_1_)(x, x_row, rows, s, limits, width, count, columns, out, out_row, accumulate);
    } else if (e == 32) {
        FUNNEL_NAME(funnel_key_rows_2_)(x, x_row, rows, s, limits, width, count, columns, out, out_row, accumulate);
    } else {
        FUNNEL_NAME(funnel_columns_by_rows_)(x, x_row, rows, s, limits, width, e, columns, transposed);
        FUNNEL_NAME(funnel_untranspose_)(transposed, width, columns, count, e, out, out_row, accumulate);
    }
}

// q: Lq rows of `e` values `row` floats apart; k: Lk such rows; v: Lk rows of `ev` values
// `value_row` apart; o: Lq rows of `ev` values `output_row` apart; mask: this pair's additive
// mask, `mask_row` and `mask_column` apart (either may be 0), or NULL; p: the Lq×Lk weights,
// written; scratch: (e + 8)·W floats, 64-byte aligned. A query row whose mask entries are all
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
    float *keys = scratch, *products = scratch + e * width;
    int direct = lq == 1;
    if (!direct) FUNNEL_NAME(funnel_transpose_heads_)(k, row, lk, e, width, keys);
    for (long group = 0; group < lq; group += 8) {
        long count = lq - group < 8 ? lq - group : 8;
        // Keys after the last open one (a causal mask's future) get weight exactly 0 either
        // way: their scores, exponentials and products are skipped, the bits unchanged.
        long limits[8], blocks = 0;
        for (long g = 0; g < count; g++) {
            long i = group + g, limit = lk;
            if (mask && mask_column == 1) {
                limit = FUNNEL_NAME(funnel_open_limit_)(mask + i * mask_row, lk, closed_below);
            } else if (mask) {
                while (limit > 0 && !(mask[i * mask_row + (limit - 1) * mask_column] > closed_below)) limit--;
            }
            limits[g] = limit;
            blocks = (limit + 15) / 16 > blocks ? (limit + 15) / 16 : blocks;
        }
        if (!direct) FUNNEL_NAME(funnel_rows_by_columns_)(q + group * row, row, count, keys, width, e, blocks, products);
        float maxima[8], inverses[8];
        for (long g = 0; g < count; g++) {
            long i = group + g, limit = limits[g];
            float *scores = products + g * width;
            if (limit == 0) {
                float *weights = p + i * lk, *output = o + i * output_row;
                for (long j = 0; j < lk; j++) weights[j] = 0.0f;
                for (long d = 0; d < ev; d++) output[d] = 0.0f;
                continue;
            }
            long used = (limit + 15) / 16 * 16;
            if (!direct && (!mask || mask_column == 1)) {
                // Scale, mask and the closed tail's −∞, a block of 16 scores at a time.
                for (long block = 0; block < used; block += 16) {
                    funnel_vector16 score = FUNNEL_LOAD16(scores + block) * scale;
                    long open = limit - block < 16 ? limit - block : 16;
                    if (mask) {
                        const float *added = mask + i * mask_row + block;
                        funnel_vector16 values;
                        if (open == 16) __builtin_memcpy(&values, added, sizeof values);
                        else values = FUNNEL_NAME(funnel_load_first_)(added, open);
                        score += values;
                    }
                    if (open < 16) score = FUNNEL_NAME(funnel_fill_from_)(score, open, -INFINITY);
                    FUNNEL_STORE16(scores + block, score);
                }
            } else {
                if (direct) {
                    FUNNEL_NAME(funnel_row_dots_)(q + i * row, k, row, limit, e, scores);
                    for (long j = 0; j < limit; j++) scores[j] *= scale;
                } else {
                    for (long block = 0; block < used; block += 16) {
                        FUNNEL_STORE16(scores + block, FUNNEL_LOAD16(scores + block) * scale);
                    }
                }
                if (mask) {
                    for (long j = 0; j < limit; j++) scores[j] += mask[i * mask_row + j * mask_column];
                }
                for (long j = limit; j < used; j++) scores[j] = -INFINITY;
            }
            // The largest score, NaN ignored (maxnum), lane by lane and then across the lanes.
            funnel_vector16 top = FUNNEL_LOAD16(scores);
            for (long block = 16; block < used; block += 16) {
                top = __builtin_elementwise_max(top, FUNNEL_LOAD16(scores + block));
            }
            float maximum = FUNNEL_NAME(funnel_lanes_max_)(&top);
            maxima[g] = maximum == -INFINITY || maximum != maximum ? 0.0f : maximum;
        }
        for (long g = 0; g < count; g++) {
            long limit = limits[g], used = (limit + 15) / 16 * 16;
            if (limit == 0) continue;
            float *scores = products + g * width, maximum = maxima[g];
            // A plain loop over the row, so that the exponential vectorises.
            for (long j = 0; j < used; j++) scores[j] = funnel_exp(scores[j] - maximum);
            funnel_vector16 partial = {0};
            for (long block = 0; block < used; block += 16) partial += FUNNEL_LOAD16(scores + block);
            inverses[g] = 1.0f / FUNNEL_NAME(funnel_lanes_sum_)(&partial);
        }
        // Then each row's weights and output: the rows' exponentials and sums above are
        // independent chains, kept apart from the stores and products that follow them.
        for (long g = 0; g < count; g++) {
            long i = group + g, limit = limits[g];
            if (limit == 0) continue;
            long used = (limit + 15) / 16 * 16;
            float *weights = p + i * lk, *output = o + i * output_row, *scores = products + g * width;
            for (long block = 0; block < used; block += 16) {
                FUNNEL_STORE16(scores + block, FUNNEL_LOAD16(scores + block) * inverses[g]);
            }
            __builtin_memcpy(weights, scores, (size_t)limit * sizeof(float));
            __builtin_memset(weights + limit, 0, (size_t)(lk - limit) * sizeof(float));
            if (dropout_threshold < (1u << 24)) {
                long first = weight_base + i * lk;
                for (long j = 0; j < limit; j++)
                    scores[j] = funnel_dropout_keeps(first + j, dropout_key, dropout_threshold)
                                    ? scores[j] * dropout_scale : 0.0f;
            }
            FUNNEL_NAME(funnel_weighted_rows_)(scores, v, value_row, limit, ev, output);
        }
    }
}

// The backward pass of one query (target attention): each key's and value's gradient is one
// product, written in place. scratch: 4·W floats, 64-byte aligned.
FUNNEL_BODY_TARGET
static void FUNNEL_NAME(funnel_attention_query_backward_)(const float *q, const float *k, const float *v,
                                                          long row, long value_row, long lk, long e, long ev,
                                                          int accumulate, float scale, const float *p,
                                                          const float *dout, float *dq, float *dk, float *dv,
                                                          float *scratch, long weight_base,
                                                          uint32_t dropout_threshold, float dropout_scale,
                                                          uint64_t dropout_key) {
    long width = (lk + 15) / 16 * 16;
    float *weights = scratch, *weight_gradients = weights + width;
    float *score_gradients = weight_gradients + width, *dropped = score_gradients + width;
    int dropping = dropout_threshold < (1u << 24);
    for (long j = 0; j < lk; j++) weights[j] = p[j];
    for (long j = lk; j < width; j++) weights[j] = 0.0f;
    if (dropping) {
        for (long j = 0; j < lk; j++)
            dropped[j] = funnel_dropout_keeps(weight_base + j, dropout_key, dropout_threshold) ? dropout_scale : 0.0f;
        for (long j = lk; j < width; j++) dropped[j] = 0.0f;
    }
    // dW = dO·vᵀ, then the softmax's backward: dS = P ∘ (dW − Σ P∘dW), times the scale.
    FUNNEL_NAME(funnel_row_dots_)(dout, v, value_row, lk, ev, weight_gradients);
    for (long j = lk; j < width; j++) weight_gradients[j] = 0.0f;
    funnel_vector16 dot = {0};
    for (long block = 0; block < width; block += 16) {
        funnel_vector16 sum = FUNNEL_LOAD16(weight_gradients + block);
        if (dropping) sum *= FUNNEL_LOAD16(dropped + block);
        FUNNEL_STORE16(weight_gradients + block, sum);
        dot += FUNNEL_LOAD16(weights + block) * sum;
    }
    const float *value_weights = weights;
    if (dropping) {
        for (long block = 0; block < width; block += 16)
            FUNNEL_STORE16(dropped + block, FUNNEL_LOAD16(dropped + block) * FUNNEL_LOAD16(weights + block));
        value_weights = dropped;
    }
    float total = FUNNEL_NAME(funnel_lanes_sum_)(&dot);
    for (long block = 0; block < width; block += 16) {
        funnel_vector16 w = FUNNEL_LOAD16(weights + block);
        FUNNEL_STORE16(score_gradients + block, w * (FUNNEL_LOAD16(weight_gradients + block) - total) * scale);
    }
    FUNNEL_NAME(funnel_weighted_rows_)(score_gradients, k, row, lk, e, dq);
    for (long j = 0; j < lk; j++) {
        for (long d = 0; d < e; d++) dk[j * row + d] = score_gradients[j] * q[d];
        float *value_gradient = dv + j * value_row;
        if (accumulate)
            for (long d = 0; d < ev; d++) value_gradient[d] += value_weights[j] * dout[d];
        else
            for (long d = 0; d < ev; d++) value_gradient[d] = value_weights[j] * dout[d];
    }
}

// The backward pass of one pair: dout as o, p from the forward pass; writes dq (Lq rows) and
// dk, dv (Lk rows), adding to dv instead when `accumulate` (a value head shared by several
// query heads). scratch: (e + 2·ev + 2·Lq + 9)·W floats and then Lq longs, 64-byte aligned. The
// dropout arguments are the forward pass's: v saw the dropped weights D = P∘m/keep, so
// dV = Dᵀ·dO and the softmax's backward takes dP = (dO·vᵀ)∘m/keep.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_attention_pair_backward_)(const float *q, const float *k, const float *v,
                                                  long row, long value_row, long output_row,
                                                  long lq, long lk, long e, long ev,
                                                  int accumulate, float scale, const float *p, const float *dout,
                                                  float *dq, float *dk, float *dv,
                                                  float *scratch, long weight_base,
                                                  uint32_t dropout_threshold, float dropout_scale,
                                                  uint64_t dropout_key) {
    if (lq == 1) {
        FUNNEL_NAME(funnel_attention_query_backward_)(q, k, v, row, value_row, lk, e, ev, accumulate, scale, p, dout,
                                                      dq, dk, dv, scratch, weight_base, dropout_threshold,
                                                      dropout_scale, dropout_key);
        return;
    }
    long width = (lk + 15) / 16 * 16;
    float *values = scratch;
    float *key_gradients = values + ev * width, *value_gradients = key_gradients + e * width;
    // Per query, rows of W: the score gradients dS and the weights that multiplied v.
    float *score_rows = value_gradients + ev * width, *value_weight_rows = score_rows + lq * width;
    float *products = value_weight_rows + lq * width, *dropped = products + 8 * width;
    long *limits = (long *)(dropped + width);
    int dropping = dropout_threshold < (1u << 24);
    FUNNEL_NAME(funnel_transpose_heads_)(v, value_row, lk, ev, width, values);
    // Keys after a query's last nonzero weight add exactly 0 to every gradient: skipped.
    long columns = 0;
    for (long i = 0; i < lq; i++) {
        long limit = FUNNEL_NAME(funnel_nonzero_limit_)(p + i * lk, lk);
        limits[i] = limit;
        columns = limit > columns ? limit : columns;
    }
    columns = (columns + 15) / 16 * 16;
    for (long group = 0; group < lq; group += 8) {
        long count = lq - group < 8 ? lq - group : 8, blocks = 0;
        for (long g = 0; g < count; g++) {
            long needed = (limits[group + g] + 15) / 16;
            blocks = needed > blocks ? needed : blocks;
        }
        // dW = dO·vᵀ for the group's queries.
        FUNNEL_NAME(funnel_rows_by_columns_)(dout + group * output_row, output_row, count, values, width, ev, blocks,
                                             products);
        for (long g = 0; g < count; g++) {
            long i = group + g, limit = limits[i], span = (limit + 15) / 16 * 16;
            float *weights = value_weight_rows + i * width, *weight_gradients = products + g * width;
            float *score_gradients = score_rows + i * width;
            for (long block = 0; block < width; block += 16) {
                long open = limit - block < 16 ? (limit - block > 0 ? limit - block : 0) : 16;
                funnel_vector16 weight;
                if (open == 16) __builtin_memcpy(&weight, p + i * lk + block, sizeof weight);
                else weight = FUNNEL_NAME(funnel_load_first_)(p + i * lk + block, open);
                FUNNEL_STORE16(weights + block, weight);
            }
            // dropped: each weight's factor m/keep (then the dropped weights themselves).
            if (dropping) {
                long first = weight_base + i * lk;
                for (long j = 0; j < limit; j++)
                    dropped[j] = funnel_dropout_keeps(first + j, dropout_key, dropout_threshold) ? dropout_scale : 0.0f;
                for (long j = limit; j < span; j++) dropped[j] = 0.0f;
            }
            // The softmax's backward: dS = P ∘ (dW − Σ P∘dW), times the scale.
            funnel_vector16 dot = {0};
            for (long block = 0; block < span; block += 16) {
                funnel_vector16 sum = FUNNEL_LOAD16(weight_gradients + block);
                if (dropping) sum *= FUNNEL_LOAD16(dropped + block);
                dot += FUNNEL_LOAD16(weights + block) * sum;
                FUNNEL_STORE16(weight_gradients + block, sum);
            }
            float total = FUNNEL_NAME(funnel_lanes_sum_)(&dot);
            for (long block = 0; block < span; block += 16) {
                funnel_vector16 w = FUNNEL_LOAD16(weights + block);
                FUNNEL_STORE16(score_gradients + block, w * (FUNNEL_LOAD16(weight_gradients + block) - total) * scale);
            }
            for (long j = span; j < width; j++) score_gradients[j] = 0.0f;
            if (dropping) {
                for (long block = 0; block < span; block += 16)
                    FUNNEL_STORE16(weights + block, FUNNEL_LOAD16(dropped + block) * FUNNEL_LOAD16(weights + block));
            }
        }
        // dQ = dS·k, after the group's score gradients (independent chains, kept together).
        for (long i = group; i < group + count; i++) {
            FUNNEL_NAME(funnel_weighted_rows_)(score_rows + i * width, k, row, limits[i], e, dq + i * row);
        }
    }
    // dK = Σᵢ dSᵢ ⊗ qᵢ and dV = Σᵢ Dᵢ ⊗ dOᵢ.
    FUNNEL_NAME(funnel_gradient_rows_)(q, row, lq, score_rows, limits, width, lk, columns, e, key_gradients, dk, row, 0);
    FUNNEL_NAME(funnel_gradient_rows_)(dout, output_row, lq, value_weight_rows, limits, width, lk, columns, ev,
                                       value_gradients, dv, value_row, accumulate);
}

#undef FUNNEL_LOAD16
#undef FUNNEL_STORE16
