/* op_reduce.c - ReduceMean, ReduceSum, ReduceMax, ReduceMin over non-time axes. */
#include <math.h>
#include <string.h>

#include "ops.h"

nnfx_result nx_plan_reduce(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0), *y;
    int64_t axes[NX_MAX_IO], od[NNFX_MAX_DIMS];
    int cnt, i, on = 0, keep = (int)nx_attr_i(n, "keepdims", 1);
    nx_reduce_args *ra = &s->u.reduce;
    nnfx_result r;
    if (!x)
        return BADF("missing input");
    cnt = (c->nin > 1 && c->in[1] >= 0) ? nx_const_ints(b, c->in[1], axes, NX_MAX_IO)
                                        : nx_attr_ints(n, "axes", axes, NX_MAX_IO);
    for (i = 0; i < x->ndim; i++)
        ra->reduced[i] = cnt < 0 ? 1 : 0;
    for (i = 0; i < cnt; i++) {
        int a;
        if (!nx_norm_axis(axes[i], x->ndim, &a))
            return BADF("axis out of range");
        ra->reduced[a] = 1;
    }
    if (x->time_axis >= 0 && ra->reduced[x->time_axis] && b->stream)
        return UNSUP("reduces over the time axis: cannot stream");
    y = OUT(0);
    y->time_axis = -1;
    for (i = 0; i < x->ndim; i++) {
        if (!ra->reduced[i] || keep) {
            if (i == x->time_axis && !ra->reduced[i])
                y->time_axis = on;
            od[on++] = ra->reduced[i] ? 1 : x->dims[i];
        }
    }
    r = nx_set_shape(b, n, y, on, od);
    if (r)
        return r;
    s->op = NX_OP_REDUCE;
    ra->kind = def->kind;
    s->run = nx_run_reduce;
    s->n_in = 1;
    return NNFX_OK;
}

/* The output has the input's rank in memory order (keepdims or not, same element order). */
void nx_run_reduce(nx_step *s, const nx_exec *e)
{
    const nx_reduce_args *ra = &s->u.reduce;
    int64_t d[NNFX_MAX_DIMS], st[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS] = {0}, idx[NNFX_MAX_DIMS];
    int64_t ost[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    float *y = e->v[s->out[0]].data;
    int64_t total, r, ocount = 1, rcount = 1;
    int k, nd = X->ndim;
    total = nx_eff_dims(X, e, d);
    nx_strides_of(nd, d, st);
    for (k = 0; k < nd; k++) {
        od[k] = ra->reduced[k] ? 1 : d[k];
        ocount *= od[k];
        if (ra->reduced[k])
            rcount *= d[k];
        idx[k] = 0;
    }
    nx_strides_of(nd, od, ost);
    for (r = 0; r < ocount; r++)
        y[r] = ra->kind == NX_R_MAX ? -INFINITY : (ra->kind == NX_R_MIN ? INFINITY : 0.0f);
    for (r = 0; r < total; r++) {
        int64_t o = 0;
        float x = X->data[r];
        for (k = 0; k < nd; k++)
            o += (ra->reduced[k] ? 0 : idx[k]) * ost[k];
        if (ra->kind == NX_R_MEAN || ra->kind == NX_R_SUM)
            y[o] += x;
        else if (ra->kind == NX_R_MAX)
            y[o] = x > y[o] ? x : y[o];
        else
            y[o] = x < y[o] ? x : y[o];
        for (k = nd - 1; k >= 0; k--) {
            if (++idx[k] < d[k])
                break;
            idx[k] = 0;
        }
    }
    if (ra->kind == NX_R_MEAN && rcount > 0)
        for (r = 0; r < ocount; r++)
            y[r] /= (float)rcount;
}
