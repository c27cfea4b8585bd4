/* op_matmul.c - MatMul (numpy semantics, batch broadcasting) and Gemm.
 * Inner loop: C[i][:] += A[i][p] * B[p][:] over contiguous rows of B and C; a transposed B
 * (Gemm transB=1) runs as matrix-vector products over its contiguous rows (kernels.h). */
#include <string.h>

#include "kernels.h"
#include "ops.h"

nnfx_result nx_plan_matmul(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    nx_val *a = IN(0), *w = IN(1), *y;
    int64_t od[NNFX_MAX_DIMS];
    int an, bn, abn, bbn, obn, on = 0, k, ta = -1;
    int64_t m, kk, kb, nn, batch = 1;
    nnfx_result r;
    (void)def;
    if (!a || !w)
        return BADF("missing input");
    an = a->ndim;
    bn = w->ndim;
    if (an < 1 || bn < 1)
        return BADF("scalar operand");
    m = an == 1 ? 1 : a->dims[an - 2];
    kk = a->dims[an - 1];
    kb = bn == 1 ? w->dims[0] : w->dims[bn - 2];
    nn = bn == 1 ? 1 : w->dims[bn - 1];
    if (kk != kb)
        return BADF("inner dimensions %lld and %lld differ", (long long)kk, (long long)kb);
    abn = an > 2 ? an - 2 : 0;
    bbn = bn > 2 ? bn - 2 : 0;
    obn = abn > bbn ? abn : bbn;
    for (k = 0; k < obn; k++) {
        int ja = k - (obn - abn), jb = k - (obn - bbn);
        int64_t ea = ja >= 0 ? a->dims[ja] : 1, eb = jb >= 0 ? w->dims[jb] : 1;
        if (ea != eb && ea != 1 && eb != 1)
            return BADF("batch dimensions do not broadcast");
        od[on++] = ea > eb ? ea : eb;
        batch *= od[on - 1];
    }
    if (an > 1)
        od[on++] = m;
    if (bn > 1)
        od[on++] = nn;
    /* time axis */
    if (a->time_axis >= 0 && w->time_axis >= 0) {
        if (b->stream)
            return UNSUP("both operands depend on audio");
    } else if (a->time_axis >= 0) {
        if (a->time_axis == an - 1 && b->stream)
            return UNSUP("the time axis is the contracted axis");
        if (a->time_axis == an - 1)
            ta = -1;
        else if (a->time_axis == an - 2)
            ta = obn; /* the m axis */
        else
            ta = a->time_axis + (obn - abn);
    } else if (w->time_axis >= 0) {
        if (bn == 1 || w->time_axis == bn - 2) {
            if (b->stream)
                return UNSUP("the time axis is the contracted axis");
        } else if (w->time_axis == bn - 1) {
            ta = on - 1;
        } else {
            ta = w->time_axis + (obn - bbn);
        }
    }
    r = nx_set_shape(b, n, OUT(0), on, od);
    if (r)
        return r;
    y = OUT(0);
    y->time_axis = ta;
    s->op = NX_OP_MATMUL;
    s->run = nx_run_matmul;
    s->macs = (double)batch * (double)m * (double)kk * (double)nn;
    if (ta >= 0)
        s->macs /= (double)od[ta];
    return NNFX_OK;
}

nnfx_result nx_plan_gemm(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    nx_val *a = IN(0), *w = IN(1), *cc = c->nin > 2 ? IN(2) : NULL, *y;
    int ta_ = (int)nx_attr_i(n, "transA", 0), tb = (int)nx_attr_i(n, "transB", 0);
    int64_t m, k, kb, nn, od[2];
    nnfx_result r;
    (void)def;
    if (!a || !w || a->ndim != 2 || w->ndim != 2)
        return BADF("A and B must be 2-D");
    m = ta_ ? a->dims[1] : a->dims[0];
    k = ta_ ? a->dims[0] : a->dims[1];
    kb = tb ? w->dims[1] : w->dims[0];
    nn = tb ? w->dims[0] : w->dims[1];
    if (k != kb)
        return BADF("inner dimensions %lld and %lld differ", (long long)k, (long long)kb);
    if (w->time_axis >= 0 && b->stream)
        return UNSUP("B depends on audio");
    if (cc && cc->time_axis >= 0 && b->stream)
        return UNSUP("C depends on audio");
    if (cc && (cc->ndim > 2 || (cc->ndim >= 1 && cc->dims[cc->ndim - 1] != 1 &&
                                 cc->dims[cc->ndim - 1] != nn) ||
               (cc->ndim == 2 && cc->dims[0] != 1 && cc->dims[0] != m)))
        return BADF("C does not broadcast to [%lld, %lld]", (long long)m, (long long)nn);
    if (a->time_axis >= 0 && a->time_axis != (ta_ ? 1 : 0) && b->stream)
        return UNSUP("the time axis is the contracted axis");
    od[0] = m;
    od[1] = nn;
    r = nx_set_shape(b, n, OUT(0), 2, od);
    if (r)
        return r;
    y = OUT(0);
    y->time_axis = (a->time_axis >= 0 && a->time_axis == (ta_ ? 1 : 0)) ? 0 : -1;
    if (b->stream && y->time_axis == 0 && cc && cc->ndim == 2 && cc->dims[0] != 1)
        return UNSUP("C varies along the time axis");
    s->op = NX_OP_GEMM;
    s->run = nx_run_gemm;
    s->u.gemm.trans_a = ta_;
    s->u.gemm.trans_b = tb;
    s->u.gemm.alpha = nx_attr_f(n, "alpha", 1.0f);
    s->u.gemm.beta = nx_attr_f(n, "beta", 1.0f);
    s->macs = (double)k * (double)nn * (y->time_axis == 0 ? 1.0 : (double)m);
    if (c->nin < 3) {
        s->in[2] = -1;
        s->n_in = 3;
    }
    return NNFX_OK;
}

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

/* Gemm: Y = alpha * A' B' + beta * C (nx_gemm_args). */
void nx_run_gemm(nx_step *s, const nx_exec *e)
{
    int64_t ad[NNFX_MAX_DIMS], bd[NNFX_MAX_DIMS], cd[NNFX_MAX_DIMS];
    const nx_val *A = &e->v[s->in[0]], *B = &e->v[s->in[1]], *Y = &e->v[s->out[0]];
    const nx_gemm_args *g = &s->u.gemm;
    int64_t m, k, n, i, j;
    nx_eff_dims(A, e, ad);
    nx_eff_dims(B, e, bd);
    m = g->trans_a ? ad[1] : ad[0];
    k = g->trans_a ? ad[0] : ad[1];
    n = g->trans_b ? bd[0] : bd[1];
    gemm_rows(A->data, g->trans_a ? 1 : k, g->trans_a ? m : 1, B->data, g->trans_b ? 1 : n,
              g->trans_b ? k : 1, Y->data, m, k, n, g->alpha);
    if (s->in[2] >= 0 && g->beta != 0.0f) {
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
                Y->data[i * n + j] += g->beta * C->data[i * sm + j * sn];
    }
}
