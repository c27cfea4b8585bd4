/* op_transpose.c - Transpose (any permutation; int64 too when folding). */
#include <string.h>

#include "ops.h"

nnfx_result nx_plan_transpose(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    (void)def;
    nx_val *x = IN(0), *y;
    int64_t perm[NX_MAX_IO], od[NNFX_MAX_DIMS];
    int cnt = nx_attr_ints(n, "perm", perm, NX_MAX_IO), i, j, seen = 0;
    nnfx_result r;
    if (!x)
        return BADF("missing input");
    if (cnt < 0)
        for (i = 0; i < x->ndim; i++)
            perm[i] = x->ndim - 1 - i;
    else if (cnt != x->ndim)
        return BADF("perm has %d entries for a rank-%d input", cnt, x->ndim);
    for (i = 0; i < x->ndim; i++) {
        if (perm[i] < 0 || perm[i] >= x->ndim || (seen & (1 << perm[i])))
            return BADF("perm is not a permutation");
        seen |= 1 << perm[i];
        od[i] = x->dims[perm[i]];
    }
    r = nx_set_shape(b, n, OUT(0), x->ndim, od);
    if (r)
        return r;
    y = OUT(0);
    y->dtype = x->dtype;
    y->time_axis = -1;
    for (j = 0; j < x->ndim; j++)
        if (perm[j] == x->time_axis)
            y->time_axis = j;
    s->op = NX_OP_TRANSPOSE;
    s->run = nx_run_transpose;
    memcpy(s->u.transpose.perm, perm, sizeof(int64_t) * (size_t)x->ndim);
    return NNFX_OK;
}

/* Generic data movement on elements of `es` bytes (float at run time, int64 when folding). */
static void transpose_raw(const void *src, void *dst, size_t es, int ndim, const int64_t *dims,
                          const int64_t *perm)
{
    int64_t ist[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS], ost[NNFX_MAX_DIMS], idx[NNFX_MAX_DIMS];
    int64_t total = 1, r;
    const char *s = (const char *)src;
    char *d = (char *)dst;
    int k;
    nx_strides_of(ndim, dims, ist);
    for (k = 0; k < ndim; k++) {
        od[k] = dims[perm[k]];
        ost[k] = ist[perm[k]]; /* input stride walked by output axis k */
        idx[k] = 0;
        total *= od[k];
    }
    if (ndim == 0) {
        memcpy(d, s, es);
        return;
    }
    for (r = 0; r < total;) {
        int64_t off = 0, n = od[ndim - 1], st = ost[ndim - 1], j;
        for (k = 0; k < ndim - 1; k++)
            off += idx[k] * ost[k];
        if (es == 4) {
            const float *sp = (const float *)(const void *)s + off;
            float *dp = (float *)(void *)d + r;
            for (j = 0; j < n; j++)
                dp[j] = sp[j * st];
        } else {
            for (j = 0; j < n; j++)
                memcpy(d + (size_t)(r + j) * es, s + (size_t)(off + j * st) * es, es);
        }
        r += n;
        for (k = ndim - 2; k >= 0; k--) {
            if (++idx[k] < od[k])
                break;
            idx[k] = 0;
        }
    }
}

void nx_run_transpose(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    nx_eff_dims(X, e, d);
    transpose_raw(X->data, e->v[s->out[0]].data, nx_step_elem_size(s), X->ndim, d,
                  s->u.transpose.perm);
}
