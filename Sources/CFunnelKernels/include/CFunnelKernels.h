// CFunnelKernels: the hot loops of Funnel's tensor engine.
//
// Every kernel here is plain C with run-time CPU dispatch (AVX-512, AVX2+FMA, portable).
// CPU-specific code is compiled with `__attribute__((target(...)))`, so the package needs no
// `unsafeFlags` and stays usable as a versioned SwiftPM dependency.
//
// All matrices are row-major Float32. All work splitting is deterministic: for a given thread
// count each output element is computed by the same arithmetic in the same order, whatever the
// timing of the threads.
#ifndef CFUNNEL_KERNELS_H
#define CFUNNEL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - CPU dispatch

typedef enum {
    FUNNEL_PATH_PORTABLE = 0,
    FUNNEL_PATH_AVX2 = 1,
    FUNNEL_PATH_AVX512 = 2,
} funnel_cpu_path;

/// The best path this CPU supports.
funnel_cpu_path funnel_detected_path(void);
/// The path kernels use now (the detected one unless lowered by `funnel_set_path`).
funnel_cpu_path funnel_active_path(void);
/// Lowers (or restores) the active path of the calling thread; a path the CPU lacks is clamped
/// to the detected one. GEMMs use the caller's path on every thread they split across.
void funnel_set_path(funnel_cpu_path path);
/// "avx512", "avx2" or "portable".
const char *funnel_path_name(funnel_cpu_path path);

// MARK: - Threads

/// Number of threads kernels split large work across (1 ... 64, default 1).
void funnel_set_thread_count(int count);
int funnel_thread_count(void);

typedef void (*funnel_task)(void *context, long task_index);
/// Runs `task(context, i)` for i in 0 ..< task_count on the pool (the caller takes part) and
/// returns when all are done. Nested calls run serially on the calling thread.
void funnel_parallel_for(long task_count, funnel_task task, void *context);

// MARK: - GEMM

/// C[m×n] = alpha · op(A) · op(B) + beta · C, row-major.
/// op(A) is A[m×k] (lda ≥ k) or, when transpose_a ≠ 0, Aᵀ with A stored [k×m] (lda ≥ m).
/// op(B) is B[k×n] (ldb ≥ n) or, when transpose_b ≠ 0, Bᵀ with B stored [n×k] (ldb ≥ k).
/// beta = 0 overwrites C without reading it (NaN in C does not propagate).
/// n = 1 (and m = 1) take a matrix-vector path. Large products split across the thread pool.
void funnel_sgemm(int transpose_a, int transpose_b, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb, float beta, float *c,
                  long ldc);

/// What a linear layer does to its products after the GEMM (funnel_sgemm_epilogue).
typedef enum {
    /// C += bias.
    FUNNEL_EPILOGUE_BIAS,
    /// C = max(C + bias, 0), NaN passing through.
    FUNNEL_EPILOGUE_BIAS_RELU,
    /// gelu_output = GELU(C + bias) (tanh approximation, as FUNNEL_UNARY_GELU), and C becomes
    /// C + bias, or with `derivative` its GELU′ for the backward pass.
    FUNNEL_EPILOGUE_BIAS_GELU,
    /// C = residual + (C + bias): a residual connection around the layer.
    FUNNEL_EPILOGUE_BIAS_RESIDUAL,
    /// C = C ∘ operand, no bias: a gradient times an activation's derivative (GELU′ kept by
    /// FUNNEL_EPILOGUE_BIAS_GELU), as the backward pass's product finishes each tile.
    FUNNEL_EPILOGUE_MULTIPLY,
} funnel_epilogue_kind;

typedef struct {
    funnel_epilogue_kind kind;
    const float *bias;      // [n]; NULL for FUNNEL_EPILOGUE_MULTIPLY
    float *gelu_output;     // [m, n], rows ldc apart: FUNNEL_EPILOGUE_BIAS_GELU only
    const float *operand;   // [m, n], rows ldc apart: the residual (BIAS_RESIDUAL) or the factor (MULTIPLY)
    int derivative;
} funnel_epilogue;

/// C = op(A)·op(B) followed by the epilogue, applied to each tile of C as the blocked kernel
/// finishes it (while it is in cache) instead of in passes over C before or after: the bias at
/// the first depth block's store (the bits of writing the bias into C and accumulating onto it
/// with beta = 1), the residual and the activations after the last. Products the blocked
/// kernel does not take (small, matrix-vector, depth-parallel) run as that GEMM and passes.
void funnel_sgemm_epilogue(int transpose_a, int transpose_b, long m, long n, long k, const float *a, long lda,
                           const float *b, long ldb, float *c, long ldc, const funnel_epilogue *epilogue);

/// The epilogue on `rows` rows of `cols` values of C, rows ldc apart, split across threads.
void funnel_apply_epilogue(const funnel_epilogue *epilogue, float *c, long ldc, long rows, long cols);

/// C = op(A)·op(B) and sums[i] = Σ_p op(A)[i, p]: a weight's gradient Gᵀ·X with its bias's
/// gradient, the column sums of G, each depth block of G summed as the product has just read
/// it instead of in a pass over G of its own. The sums go by depth blocks (each from its first
/// row, then the blocks in order), the same additions whatever the thread count.
void funnel_sgemm_depth_sums(int transpose_a, int transpose_b, long m, long n, long k, const float *a, long lda,
                             const float *b, long ldb, float *c, long ldc, float *sums);

/// The GELU feed-forward sublayer y = GELU(x·W₁ᵀ + b₁)·W₂ᵀ + b₂ (+ residual when not NULL),
/// keeping hidden = GELU(·) and slopes = GELU′(·) [rows × hidden_width] for the backward pass;
/// the values of funnel_sgemm_epilogue with FUNNEL_EPILOGUE_BIAS_GELU and then
/// FUNNEL_EPILOGUE_BIAS(_RESIDUAL), computed in chunks of rows that keep the hidden layer in
/// cache. Shapes: x [rows × width], in_weight [hidden_width × width], in_bias [hidden_width],
/// out_weight [outputs × hidden_width], out_bias [outputs], residual and y [rows × outputs].
void funnel_feed_forward_gelu(long rows, long width, long hidden_width, long outputs, const float *x,
                              const float *in_weight, const float *in_bias, const float *out_weight,
                              const float *out_bias, const float *residual, float *hidden, float *slopes, float *y);
/// Its backward pass from dy [rows × outputs]: dx, the weight gradients and the bias gradients
/// (all overwritten), with the bits of the separate products (dPre = (dy·W₂) ∘ slopes;
/// funnel_sgemm_depth_sums for each weight with its bias; dx = dPre·W₁).
void funnel_feed_forward_gelu_backward(long rows, long width, long hidden_width, long outputs, const float *x,
                                       const float *in_weight, const float *out_weight, const float *hidden,
                                       const float *slopes, const float *dy, float *dx, float *d_in_weight,
                                       float *d_in_bias, float *d_out_weight, float *d_out_bias);

/// `batch` independent GEMMs; matrix i uses a + i·stride_a, b + i·stride_b, c + i·stride_c.
/// A stride of 0 reuses one operand for every product.
void funnel_sgemm_batched(int transpose_a, int transpose_b, long batch, long m, long n, long k,
                          float alpha, const float *a, long lda, long stride_a, const float *b,
                          long ldb, long stride_b, float beta, float *c, long ldc,
                          long stride_c);

// MARK: - Element-wise

typedef enum {
    FUNNEL_UNARY_NEG = 0,
    FUNNEL_UNARY_EXP,
    FUNNEL_UNARY_LOG,
    FUNNEL_UNARY_SQRT,
    FUNNEL_UNARY_ABS,
    FUNNEL_UNARY_RELU,
    FUNNEL_UNARY_SIGMOID,
    FUNNEL_UNARY_TANH,
    FUNNEL_UNARY_SOFTPLUS,
    FUNNEL_UNARY_LOG_SIGMOID,
    FUNNEL_UNARY_SIGN,
    FUNNEL_UNARY_RECIPROCAL,
    FUNNEL_UNARY_SQUARE,
    /// GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    FUNNEL_UNARY_GELU,
} funnel_unary_op;

/// y[i] = op(x[i]); x and y may alias.
void funnel_unary(funnel_unary_op op, const float *x, float *y, long n);

typedef enum {
    FUNNEL_BINARY_ADD = 0,
    FUNNEL_BINARY_SUB,
    FUNNEL_BINARY_MUL,
    FUNNEL_BINARY_DIV,
    FUNNEL_BINARY_MAX,
    FUNNEL_BINARY_MIN,
    FUNNEL_BINARY_POW,
    FUNNEL_BINARY_GREATER,
    FUNNEL_BINARY_GREATER_EQUAL,
    FUNNEL_BINARY_LESS,
    FUNNEL_BINARY_LESS_EQUAL,
    FUNNEL_BINARY_EQUAL,
    FUNNEL_BINARY_NOT_EQUAL,
    /// x where y > 0, else 0 (the backward pass of ReLU: x = gradient, y = output).
    FUNNEL_BINARY_PASS_WHERE_POSITIVE,
    /// x · GELU′(y) (the backward pass of FUNNEL_UNARY_GELU: x = gradient, y = input).
    FUNNEL_BINARY_GELU_BACKWARD,
    /// x · y · (1 − y), multiplied in that order (the backward pass of FUNNEL_UNARY_SIGMOID:
    /// x = gradient, y = output), in one pass instead of three.
    FUNNEL_BINARY_SIGMOID_BACKWARD,
} funnel_binary_op;

/// y[r, i] = row[i] for `rows` rows of `n` values (a bias written into every row before a GEMM
/// accumulates onto it), split across threads.
void funnel_repeat_row(const float *row, float *y, long rows, long n);

/// y[r, i] = max(y[r, i] + bias[i], 0) for `rows` rows of `n` values, in place, NaN passing
/// through: a linear layer's bias and ReLU in one pass.
void funnel_add_relu_rows(float *y, const float *bias, long rows, long n);

/// The backward pass of a linear layer's fused bias and ReLU: masked[r, i] = gradient[r, i]
/// where values[r, i] > 0, else 0, and, when `sums` is not NULL, sums[i] = Σ_r masked[r, i]
/// accumulated from row 0 down (the order of funnel_reduce's column sums). `masked` may be
/// `gradient` itself (in place) or disjoint from it. Split across threads by columns only, so
/// the sums do not depend on the thread count.
void funnel_relu_backward_rows(const float *gradient, const float *values, float *masked, float *sums,
                               long rows, long n);

/// The backward pass of FUNNEL_EPILOGUE_BIAS_GELU: masked[r, i] = gradient[r, i] ·
/// derivative[r, i] (its GELU′), and the bias gradient in `sums` as funnel_relu_backward_rows
/// (same order, same
/// split).
void funnel_gelu_backward_rows(const float *gradient, const float *derivative, float *masked, float *sums,
                               long rows, long n);

/// Broadcast binary operation over an outer loop of `rows` rows of `n` elements:
/// z[r·n + i] = op(x[r·x_row + i·x_step], y[r·y_row + i·y_step]), where a step is 1 or 0 (a
/// broadcast scalar within the row) and a row stride may be 0 (a broadcast row).
void funnel_binary(funnel_binary_op op, const float *x, long x_row, long x_step, const float *y,
                   long y_row, long y_step, float *z, long rows, long n);

/// y[i] = alpha · x[i] + y[i].
void funnel_axpy(long n, float alpha, const float *x, float *y);

/// y[i] = y[i] + x[i] for n values, split across threads: the bits of z = y + x, written in place.
void funnel_add_in_place(const float *x, float *y, long n);
/// x[i] = alpha · x[i].
void funnel_scale(long n, float alpha, float *x);
/// x[i] = min(max(x[i], low), high); NaN stays NaN.
void funnel_clamp(const float *x, float *y, long n, float low, float high);
/// y[i] = condition[i] ≠ 0 ? a[i] : b[i].
void funnel_select(const float *condition, const float *a, const float *b, float *y, long n);

// MARK: - Reductions over the middle axis of [outer, axis, inner]

typedef enum {
    FUNNEL_REDUCE_SUM = 0,
    FUNNEL_REDUCE_MAX,
    FUNNEL_REDUCE_MIN,
    FUNNEL_REDUCE_LOG_SUM_EXP,
} funnel_reduce_op;

/// y[o, i] = reduce over a of x[o, a, i]; y has outer·inner elements. The summation order is
/// fixed, so the result does not depend on the thread count.
void funnel_reduce(funnel_reduce_op op, const float *x, float *y, long outer, long axis,
                   long inner);

/// Softmax (or log-softmax when `log` ≠ 0) over the last axis of [rows, n], stable.
void funnel_softmax(const float *x, float *y, long rows, long n, int log);

/// Softmax cross-entropy of each row of logits z [rows, n] against its class `labels[r]`, in
/// place: losses[r] = log Σ_j e^{z_rj} − z_r,label, and z becomes the loss's gradient scaled by
/// `scale`, scale · (softmax(z_r) − onehot(label)). A row's loss does not depend on the split.
void funnel_softmax_cross_entropy(float *z, long rows, long n, const int32_t *labels, float scale,
                                  float *losses);

/// Sampled softmax cross-entropy with the positive as class 0: for each row r of z [rows, n],
/// whose columns 1 ..< n hold the negatives' logits, z[r, 0] = h_r · p_r (h, p [rows, d], the
/// order of funnel_dot), z[r, j ≥ 1] −= shift (a −∞ logit stays excluded), then as
/// funnel_softmax_cross_entropy with label 0: losses[r] and z[r] = scale · (softmax − onehot).
void funnel_sampled_softmax_cross_entropy(const float *h, const float *p, long d, float *z, long rows, long n,
                                          float shift, float scale, float *losses);

/// y[r, i] = factor · s[r·s_stride] · x[r, i] over `rows` rows of `n` (x, y row-major), or with
/// `accumulate` y[r, i] += that.
void funnel_scaled_rows(const float *x, const float *s, long s_stride, float factor, float *y, long rows, long n,
                        int accumulate);

/// Softmax cross-entropy of the scores h · eᵀ (h [rows, d] row-major, e [n, d]) against
/// `labels`, never holding all scores: each thread takes a contiguous share of the rows and
/// walks it in chunks of `chunk` rows (one GEMM for the chunk's scores, the row kernel above,
/// then h_grad = dZ·e and its own e-gradient += dZᵀ·h, single-threaded GEMMs on cache-resident
/// scores); the threads' e-gradients are summed in thread order into `e_grad`, which must hold
/// zeros. `losses[r]` as funnel_softmax_cross_entropy; the gradients are scaled by `scale` and
/// skipped when `h_grad` is NULL. Same thread count → the same bits.
void funnel_table_softmax_cross_entropy(const float *h, long rows, long d, const float *e, long n,
                                        const int32_t *labels, float scale, long chunk,
                                        float *losses, float *h_grad, float *e_grad);

// MARK: - Copies

/// Copies the strided view (shape[rank], x_strides[rank], in elements; a stride may be 0) of x
/// into y in row-major order. rank ≤ 8.
void funnel_strided_copy(const float *x, float *y, int rank, const long *shape,
                         const long *x_strides);

/// Row i of out (`out_stride` floats apart) = table row ids[i] (`width` floats), or zeros where
/// has_padding and ids[i] == padding_id. Ids must be valid rows.
void funnel_gather_rows(const float *table, long width, const int32_t *ids, long count,
                        int has_padding, int32_t padding_id, float *out, long out_stride);

/// Sums rows (`width` floats each, rows[i] pointing at position i's) into slots: position i
/// adds its row into row slots[i] of `sums`; `slots` is non-decreasing and the first position
/// of a slot copies instead of adding. Each slot is summed in position order, whatever the
/// thread count.
void funnel_sum_rows(const float *const *rows, long width, const int32_t *slots, long count, float *sums);

// MARK: - Deduplicated rows

/// The distinct values of ids[0], ids[stride], …, ids[(count − 1)·stride] in the order they
/// first occur: writes them to `unique`, each position's index among them to inverse[position],
/// and returns how many there are. `scratch` holds `capacity` int32s, a power of two of at
/// least 2·count.
long funnel_deduplicate(const int32_t *ids, long count, long stride, int32_t *scratch, long capacity,
                        int32_t *unique, int32_t *inverse);

/// Adds rows picked by index to each row of y (`rows` × n): row r gains
/// tables[p][indices[p·rows + r]] (rows of n floats) for p = 0, 1, …, parts − 1 in that order,
/// then bias (then ReLU with `rectify`). Without `initialized`, y's values are ignored and part
/// 0's row starts the sum. Split by rows: the bits do not depend on the thread count.
void funnel_add_indexed_rows(float *y, long rows, long n, const float *bias, const float *const *tables,
                             const int32_t *indices, long parts, int initialized, int rectify);

/// The backward pass of funnel_add_indexed_rows: sums (`slots` × n) = 0, then for every row r in
/// order and every part p, sums[indices[p·rows + r]] += x[r]. With `first_seen_order` (every
/// part's slots are a range that its rows meet first in increasing order, each slot at least
/// once), the first row of each slot is copied instead (0 + x is x) and nothing is zeroed. Split
/// by columns only: the bits do not depend on the thread count.
void funnel_segment_sum_rows(const float *x, long rows, long n, const int32_t *indices, long parts,
                             int first_seen_order, float *sums, long slots);

/// words[r·⌈bits/64⌉ + w] bit j = 1 where x[r·bits + 64w + j] > 0 (0 for 0 and NaN): the
/// SimHash signatures of `rows` projected rows.
void funnel_sign_bits(const float *x, long rows, long bits, uint64_t *words);

/// Dot product with a fixed summation order.
float funnel_dot(const float *x, const float *y, long n);

// MARK: - Bucket tables

/// For each of `count` rows r, with `bucket` = table + ids[r]·stride: dots[r] = Σ_j bucket[j] ·
/// queries[r·width + j] and squares[r] = Σ_j bucket[j]² over j < width, in the fixed order of
/// `funnel_dot`. Runs on the calling thread (callers split independent tables across threads).
void funnel_gathered_dots(const float *table, long stride, const int32_t *ids, long count,
                          const float *queries, long width, float *dots, float *squares);

/// table[ids[r]·stride + j] += values[r·width + j] for j < width, rows in order r = 0, 1, …
/// (repeated ids accumulate in that order). Runs on the calling thread.
void funnel_scatter_add(float *table, long stride, const int32_t *ids, long count,
                        const float *values, long width);

// MARK: - Normalisation

/// Layer normalisation of `rows` rows of `width`: normalized = (x − mean)·inverse with inverse =
/// 1/√(var + ε) (biased variance), y = normalized·gain + offset; `means` and
/// `inverse_deviation` (per row) are kept for the backward pass.
void funnel_layer_norm(const float *x, const float *gain, const float *offset, float *y, float *means,
                       float *inverse_deviation, long rows, long width, float epsilon);
/// dx = inverse·(g − mean(g) − normalized·mean(g·normalized)) with g = dy·gain; dgain =
/// Σ_rows dy·normalized; doffset = Σ_rows dy (in fixed chunks of rows, added in order), the
/// normalised values recomputed from x, `means` and `inverse_deviation` bit for bit as the
/// forward pass computed them. Any output may be NULL.
void funnel_layer_norm_backward(const float *dy, const float *gain, const float *x, const float *means,
                                const float *inverse_deviation, float *dx, float *dgain,
                                float *doffset, long rows, long width);

/// Batch normalisation over the rows of `[rows, width]`. With `batch_statistics`, `mean` and
/// `variance` (biased) are written from `x`; otherwise they are read (running statistics).
/// `inverse_deviation` = 1/√(variance + ε) is written either way, and
/// y = (x − mean)·(inverse_deviation·gain) + offset.
void funnel_batch_norm(const float *x, long rows, long width, const float *gain,
                       const float *offset, float epsilon, int batch_statistics, float *mean,
                       float *variance, float *inverse_deviation, float *y);
/// The gradients of `funnel_batch_norm` with x̂ = (x − mean)·inverse_deviation: dgain = Σ dy·x̂,
/// doffset = Σ dy (rows summed in order); dx = gain·inverse·(dy − Σdy/n − x̂·Σ(dy·x̂)/n) with
/// batch statistics, gain·inverse·dy with running ones. Any output may be NULL.
void funnel_batch_norm_backward(const float *dy, const float *x, long rows, long width,
                                const float *gain, const float *mean,
                                const float *inverse_deviation, int batch_statistics, float *dx,
                                float *dgain, float *doffset);

/// The gated mixture of `count` expert outputs `[rows, width]` each: y[r] = Σ_k
/// weights[r, k]·experts[k][r], with `weights` `[rows, count]`; experts summed in order.
void funnel_mixture(const float *const *experts, const float *weights, long count, long rows,
                    long width, float *y);
/// Its gradients: dexperts[k][r] = weights[r, k]·dy[r] (a NULL entry skips expert k) and
/// dweights[r, k] = ⟨dy[r], experts[k][r]⟩ (NULL skips them).
void funnel_mixture_backward(const float *dy, const float *const *experts, const float *weights,
                             long count, long rows, long width, float *const *dexperts,
                             float *dweights);

/// Inverted dropout: y[i] = x[i]·scale where the 24-bit hash of (key, i) is below `threshold`,
/// else 0. Applying it to a gradient with the same key gives the backward pass. `count` < 2³².
void funnel_dropout(const float *x, float *y, long count, uint64_t key, uint32_t threshold,
                    float scale);

// MARK: - Attention

/// The shape of a fused multi-head attention: queries [batch, query_length, heads·head_width],
/// keys [batch, key_length, heads·head_width], values [batch, key_length,
/// (heads / value_groups)·value_width] (heads side by side in the last axis; value_groups
/// consecutive query heads share one value head), output [batch, query_length,
/// heads·value_width];
/// an additive mask read at mask_strides · (batch, head, query, key) (a stride may be 0);
/// scores (q·k)·scale + mask; a query row whose mask entries are all ≤ closed_below gets
/// weights 0 (and output 0). With dropout_threshold < 2²⁴ the weights are dropped as
/// `funnel_dropout` drops elements (weight index (pair·Lq + i)·Lk + j under dropout_key, kept
/// ones scaled by dropout_scale) before they multiply v; p keeps the undropped weights and the
/// backward pass recomputes the mask. With packed_row > 0, q, k and v (and dq, dk, dv) are
/// column blocks of one tensor [batch, length, packed_row] (one projection's output), the
/// pointers given at each block's first column; 0: each is a tensor of its own.
typedef struct {
    long batch, heads, query_length, key_length, head_width;
    long value_width, value_groups, packed_row;
    float scale, closed_below;
    long mask_strides[4];
    uint32_t dropout_threshold;
    float dropout_scale;
    uint64_t dropout_key;
} funnel_attention_shape;

/// o = softmax((q·kᵀ)·scale + mask)·v per (batch, head); p [batch, heads, Lq, Lk] receives the
/// weights for the backward pass. `mask` may be NULL.
void funnel_attention(const funnel_attention_shape *shape, const float *q, const float *k,
                      const float *v, const float *mask, float *p, float *o);
/// The gradients of q, k and v (overwritten) from the output's gradient and the weights p.
void funnel_attention_backward(const funnel_attention_shape *shape, const float *q,
                               const float *k, const float *v, const float *p,
                               const float *dout, float *dq, float *dk, float *dv);

// MARK: - Optimizer rules

/// The constants of one Adam update (PyTorch's `torch.optim.Adam`, AdamW when
/// `decoupled_scale` ≠ 1): step_size = lr/(1 − β₁ᵗ), root2 = √(1 − β₂ᵗ), coupled_decay the L2
/// penalty added to the gradient, decoupled_scale = 1 − lr·decay multiplying the values.
typedef struct {
    float beta1, beta2, epsilon, step_size, root2, coupled_decay, decoupled_scale;
} funnel_adam_parameters;

/// g = gradient + coupled·θ; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²;
/// θ = θ·decoupled − step_size·m/(√v/root2 + ε), over n contiguous values.
void funnel_adam(float *values, const float *gradient, float *first, float *second, long n,
                 const funnel_adam_parameters *parameters);
/// The same rule on `count` table rows of `width` values: row rows[i] of values, first and
/// second with gradient row i (the coalesced row-sparse gradient). Rows must be distinct.
void funnel_adam_rows(float *values, const float *gradient, float *first, float *second,
                      const int32_t *rows, long count, long width,
                      const funnel_adam_parameters *parameters);

/// y[r] = Σ_c W[r, c]·x[c] for a `rows × columns` matrix W stored as GGML Q4_1 blocks: row r is
/// columns/32 consecutive 20-byte blocks (f16 d, f16 m, 16 bytes of nibbles; byte j holds
/// element j in its low nibble and element j + 16 in its high one; value = q·d + m). `columns`
/// must be a multiple of 32. Each block adds d·Σ(q·x) + m·Σx (the block sums of x taken once per
/// call). Rows split across the thread pool; each row is summed in a fixed order by one task,
/// so y does not depend on the thread count. Shapes: x [columns], y [rows].
void funnel_gemv_q4_1(const void *blocks, long rows, long columns, const float *x, float *y);

/// As funnel_gemv_q4_1 for GGML Q8_0 blocks: row r is columns/32 consecutive 34-byte blocks
/// (f16 d, 32 int8 q; value = q·d).
void funnel_gemv_q8_0(const void *blocks, long rows, long columns, const float *x, float *y);

#ifdef __cplusplus
}
#endif

#endif
