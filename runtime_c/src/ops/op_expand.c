/* op_expand.c - Expand (broadcast to a constant shape). */
#include <string.h>

#include "ops.h"

nnfx_result nx_plan_expand(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    (void)def;
    nx_val *x = IN(0), *y, tmp;
    int64_t sh[NX_MAX_IO], od[NNFX_MAX_DIMS];
    int cnt, on, i;
    nnfx_result r;
    if (!x)
        return BADF("missing input");
    cnt = nx_const_ints(b, c->in[1], sh, NNFX_MAX_DIMS);
    if (cnt < 0)
        return UNSUP("the shape must be constant");
    memset(&tmp, 0, sizeof tmp);
    tmp.ndim = cnt;
    for (i = 0; i < cnt; i++)
        tmp.dims[i] = sh[i];
    if (!nx_broadcast_shape(x, &tmp, &on, od))
        return BADF("shape does not broadcast");
    r = nx_set_shape(b, n, OUT(0), on, od);
    if (r)
        return r;
    y = OUT(0);
    y->dtype = x->dtype;
    y->time_axis = x->time_axis >= 0 ? x->time_axis + (on - x->ndim) : -1;
    if (y->time_axis >= 0 && od[y->time_axis] != x->dims[x->time_axis] && b->stream)
        return UNSUP("expands along the time axis");
    if (x->time_axis < 0) {
        int grown = -1, count = 0;
        for (i = 0; i < on; i++) {
            int j = i - (on - x->ndim);
            if ((j < 0 || x->dims[j] == 1) && od[i] > 1) {
                grown = i;
                count++;
            }
        }
        if (count == 1)
            y->bcast_axis = grown;
    }
    s->op = NX_OP_EXPAND;
    s->run = nx_run_expand;
    s->n_in = 1;
    return NNFX_OK;
}

void nx_run_expand(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    const nx_val *Y = &e->v[s->out[0]];
    nx_eff_dims(X, e, d);
    nx_eff_dims(Y, e, od);
    nx_expand_raw(X->data, Y->data, nx_step_elem_size(s), X->ndim, d, Y->ndim, od);
}
