/* ops_matmul.c - MatMul (numpy semantics, batch broadcasting) and Gemm.
 * Inner loop: C[i][:] += A[i][p] * B[p][:] over contiguous rows of B and C; a transposed B
 * (Gemm transB=1) runs as matrix-vector products over its contiguous rows (kernels.h). */
#include <string.h>

#include "engine.h"
#include "kernels.h"

static void gemm_rows(const float *A, int64_t lda_m, int64_t lda_k, const float *B, int64_t ldb_k,
                      int64_t ldb_n, float *C, int64_t m, int64_t k, int64_t n, float alpha)
{
    int64_t i, p, j;
    /* matrix-vector (a linear head): kernels.c */
    if (n == 1 && ldb_k == 1 && lda_k == 1 && (lda_m == k || m == 1)) {
        for (i = 0; i < m; i++)
            C[i] = 0.0f;
        nx_k_matvec_add(C, A, m, k, B);
        if (alpha != 1.0f)
            for (i = 0; i < m; i++)
                C[i] *= alpha;
        return;
    }
    /* B transposed (Gemm transB=1, a Linear layer's [out][in] weights): row i of C is B A[i],
     * one matrix-vector product per row over contiguous rows of B, no repacking needed */
    if (ldb_k == 1 && ldb_n == k && lda_k == 1) {
        for (i = 0; i < m; i++) {
            float *c = C + i * n;
            for (j = 0; j < n; j++)
                c[j] = 0.0f;
            nx_k_matvec_add(c, B, n, k, A + i * lda_m);
            if (alpha != 1.0f)
                for (j = 0; j < n; j++)
                    c[j] *= alpha;
        }
        return;
    }
    for (i = 0; i < m; i++) {
        float *c = C + i * n;
        for (j = 0; j < n; j++)
            c[j] = 0.0f;
        for (p = 0; p < k; p++) {
            float a = alpha * A[i * lda_m + p * lda_k];
            const float *b = B + p * ldb_k;
            if (ldb_n == 1) {
                for (j = 0; j < n; j++)
                    c[j] += a * b[j];
            } else {
                for (j = 0; j < n; j++)
                    c[j] += a * b[j * ldb_n];
            }
        }
    }
}

void nx_run_matmul(nx_step *s, const nx_exec *e)
{
    int64_t ad[NNFX_MAX_DIMS], bd[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS];
    int64_t ast[NNFX_MAX_DIMS], bst[NNFX_MAX_DIMS], idx[NNFX_MAX_DIMS];
    const nx_val *A = &e->v[s->in[0]], *B = &e->v[s->in[1]], *Y = &e->v[s->out[0]];
    int an = A->ndim, bn = B->ndim, abn, bbn, obn, k;
    int64_t m, kk, n, nb = 1, r, acc;
    nx_eff_dims(A, e, ad);
    nx_eff_dims(B, e, bd);
    nx_eff_dims(Y, e, od);
    m = an == 1 ? 1 : ad[an - 2];
    kk = ad[an - 1];
    n = bn == 1 ? 1 : bd[bn - 1];
    abn = an > 2 ? an - 2 : 0;
    bbn = bn > 2 ? bn - 2 : 0;
    obn = abn > bbn ? abn : bbn;
    /* batch strides in units of elements */
    acc = m * kk;
    for (k = obn - 1; k >= 0; k--) {
        int j = k - (obn - abn);
        if (j < 0) {
            ast[k] = 0;
        } else {
            ast[k] = ad[j] == 1 ? 0 : acc;
            acc *= ad[j];
        }
    }
    acc = kk * n;
    for (k = obn - 1; k >= 0; k--) {
        int j = k - (obn - bbn);
        if (j < 0) {
            bst[k] = 0;
        } else {
            bst[k] = bd[j] == 1 ? 0 : acc;
            acc *= bd[j];
        }
    }
    for (k = 0; k < obn; k++) {
        int64_t ea = k - (obn - abn) >= 0 ? ad[k - (obn - abn)] : 1;
        int64_t eb = k - (obn - bbn) >= 0 ? bd[k - (obn - bbn)] : 1;
        idx[k] = 0;
        nb *= ea > eb ? ea : eb;
        od[k] = ea > eb ? ea : eb;
    }
    for (r = 0; r < nb; r++) {
        int64_t ao = 0, bo = 0;
        for (k = 0; k < obn; k++) {
            ao += idx[k] * ast[k];
            bo += idx[k] * bst[k];
        }
        gemm_rows(A->data + ao, kk, 1, B->data + bo, n, 1, Y->data + r * m * n, m, kk, n, 1.0f);
        for (k = obn - 1; k >= 0; k--) {
            if (++idx[k] < od[k])
                break;
            idx[k] = 0;
        }
    }
}

/* Gemm: Y = alpha * A' B' + beta * C; s->ia[0] = transA, s->ia[1] = transB; fa alpha, fb beta. */
void nx_run_gemm(nx_step *s, const nx_exec *e)
{
    int64_t ad[NNFX_MAX_DIMS], bd[NNFX_MAX_DIMS], cd[NNFX_MAX_DIMS];
    const nx_val *A = &e->v[s->in[0]], *B = &e->v[s->in[1]], *Y = &e->v[s->out[0]];
    int64_t m, k, n, i, j;
    nx_eff_dims(A, e, ad);
    nx_eff_dims(B, e, bd);
    m = s->ia[0] ? ad[1] : ad[0];
    k = s->ia[0] ? ad[0] : ad[1];
    n = s->ia[1] ? bd[0] : bd[1];
    gemm_rows(A->data, s->ia[0] ? 1 : k, s->ia[0] ? m : 1, B->data, s->ia[1] ? 1 : n,
              s->ia[1] ? k : 1, Y->data, m, k, n, s->fa);
    if (s->in[2] >= 0 && s->fb != 0.0f) {
        const nx_val *C = &e->v[s->in[2]];
        int64_t sm, sn;
        nx_eff_dims(C, e, cd);
        /* C broadcasts to [m, n] (unidirectional). */
        if (C->ndim == 0) {
            sm = 0;
            sn = 0;
        } else if (C->ndim == 1) {
            sm = 0;
            sn = cd[0] == 1 ? 0 : 1;
        } else {
            sn = cd[1] == 1 ? 0 : 1;
            sm = cd[0] == 1 ? 0 : cd[1];
        }
        for (i = 0; i < m; i++)
            for (j = 0; j < n; j++)
                Y->data[i * n + j] += s->fb * C->data[i * sm + j * sn];
    }
}
