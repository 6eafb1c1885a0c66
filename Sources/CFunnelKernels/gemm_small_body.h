// The small-product GEMM, compiled once per CPU path: the including file defines
// FUNNEL_BODY_TARGET (a target attribute or nothing) and FUNNEL_BODY_SUFFIX.


// C[m×n] = alpha·op(A)·op(B) + beta·C for one small product. op(B) is first copied into
// `scratch` (k rows of n rounded up to 16, zero-padded), so every form reads B the same way;
// then four rows of C at a time accumulate in registers, 16 columns a block — accumulating in
// C itself would stall every step on the store of the step before. Every element sums its k
// terms in increasing p and is then scaled by alpha, whatever the form and the row's block.
FUNNEL_BODY_TARGET
void FUNNEL_NAME(funnel_small_gemm_)(int transpose_a, int transpose_b, long m, long n, long k,
                                     float alpha, const float *restrict a, long lda,
                                     const float *restrict b, long ldb, float beta,
                                     float *restrict c, long ldc, float *restrict scratch) {
    enum { BLOCK = 16, ROWS = 4 };
    long width = (n + BLOCK - 1) / BLOCK * BLOCK;
    for (long p = 0; p < k; p++) {
        float *target = scratch + p * width;
        for (long j = n; j < width; j++) target[j] = 0.0f;
    }
    if (transpose_b) {
        // Read B along its rows; a gather along its columns costs more than the scattered stores.
#pragma clang loop vectorize(disable)
        for (long j = 0; j < n; j++)
            for (long p = 0; p < k; p++) scratch[p * width + j] = b[j * ldb + p];
    } else {
        for (long p = 0; p < k; p++) __builtin_memcpy(scratch + p * width, b + p * ldb, (size_t)n * sizeof(float));
    }
    long a_row = transpose_a ? 1 : lda, a_depth = transpose_a ? lda : 1;
    for (long i = 0; i < m; i += ROWS) {
        long rows = m - i < ROWS ? m - i : ROWS;
        // Rows past the end read row i again and are never written.
        const float *a0 = a + i * a_row;
        const float *a1 = a + (i + (rows > 1 ? 1 : 0)) * a_row;
        const float *a2 = a + (i + (rows > 2 ? 2 : 0)) * a_row;
        const float *a3 = a + (i + (rows > 3 ? 3 : 0)) * a_row;
        for (long block = 0; block < width; block += BLOCK) {
            funnel_vector16 sums[ROWS] = {{0}, {0}, {0}, {0}};
            for (long p = 0; p < k; p++) {
                funnel_vector16 source = *(const funnel_vector16 *)(scratch + p * width + block);
                long depth = p * a_depth;
                sums[0] += a0[depth] * source;
                sums[1] += a1[depth] * source;
                sums[2] += a2[depth] * source;
                sums[3] += a3[depth] * source;
            }
            long columns = n - block < BLOCK ? n - block : BLOCK;
            for (long r = 0; r < rows; r++) {
                float *row = c + (i + r) * ldc + block;
                funnel_vector16 value = alpha * sums[r];
                if (columns == BLOCK) {
                    funnel_vector16 old;
                    if (beta != 0.0f) {
                        __builtin_memcpy(&old, row, sizeof old);
                        value = beta == 1.0f ? old + value : beta * old + value;
                    }
                    __builtin_memcpy(row, &value, sizeof value);
                    continue;
                }
                for (long j = 0; j < columns; j++) {
                    row[j] = beta == 0.0f ? value[j] : (beta == 1.0f ? row[j] + value[j] : beta * row[j] + value[j]);
                }
            }
        }
    }
}

