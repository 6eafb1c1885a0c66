// TEMPORARY naive GEMM (weak) until gemm.c lands. Delete.
#include "kernels_internal.h"
__attribute__((weak)) void funnel_sgemm(int ta, int tb, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    for (long i = 0; i < m; i++) for (long j = 0; j < n; j++) {
        float s = 0;
        for (long p = 0; p < k; p++) s += (ta ? a[p*lda+i] : a[i*lda+p]) * (tb ? b[j*ldb+p] : b[p*ldb+j]);
        c[i*ldc+j] = alpha*s + (beta == 0 ? 0 : beta*c[i*ldc+j]);
    }
}
__attribute__((weak)) void funnel_sgemm_batched(int ta, int tb, long batch, long m, long n, long k,
                          float alpha, const float *a, long lda, long sa, const float *b,
                          long ldb, long sb, float beta, float *c, long ldc, long sc) {
    for (long i = 0; i < batch; i++) funnel_sgemm(ta, tb, m, n, k, alpha, a+i*sa, lda, b+i*sb, ldb, beta, c+i*sc, ldc);
}
