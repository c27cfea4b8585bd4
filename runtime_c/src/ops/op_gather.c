/* op_gather.c - Gather with constant indices along a non-time axis. */
#include <string.h>

#include "ops.h"

nnfx_result nx_plan_gather(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    (void)def;
    nx_val *x = IN(0), *ix = IN(1), *y;
    int64_t idx[NX_MAX_IO], od[NNFX_MAX_DIMS];
    int axis, cnt, i, on = 0;
    nnfx_result r;
    if (!x || !ix)
        return BADF("missing input");
    if (!nx_norm_axis(nx_attr_i(n, "axis", 0), x->ndim, &axis))
        return BADF("axis out of range");
    cnt = nx_const_ints(b, c->in[1], idx, NX_MAX_IO);
    if (cnt == -2)
        return UNSUP("more than %d indices", NX_MAX_IO);
    if (cnt < 0)
        return UNSUP("indices must be constant");
    for (i = 0; i < cnt; i++) {
        if (idx[i] < 0)
            idx[i] += x->dims[axis];
        if (idx[i] < 0 || idx[i] >= x->dims[axis])
            return BADF("index %lld out of range for extent %lld", (long long)idx[i],
                        (long long)x->dims[axis]);
        s->u.gather.indices[i] = idx[i];
    }
    if (axis == x->time_axis && b->stream)
        return UNSUP("gathering along the time axis cannot stream; use look-back mode");
    if (x->ndim - 1 + ix->ndim > NNFX_MAX_DIMS)
        return UNSUP("output rank above %d", NNFX_MAX_DIMS);
    for (i = 0; i < axis; i++)
        od[on++] = x->dims[i];
    for (i = 0; i < ix->ndim; i++)
        od[on++] = ix->dims[i];
    for (i = axis + 1; i < x->ndim; i++)
        od[on++] = x->dims[i];
    r = nx_set_shape(b, n, OUT(0), on, od);
    if (r)
        return r;
    y = OUT(0);
    y->dtype = x->dtype;
    if (x->time_axis < 0 || x->time_axis == axis)
        y->time_axis = -1;
    else
        y->time_axis = x->time_axis < axis ? x->time_axis : x->time_axis - 1 + ix->ndim;
    s->op = NX_OP_GATHER;
    s->run = nx_run_gather;
    s->u.gather.axis = axis;
    s->u.gather.count = cnt;
    s->n_in = 1;
    return NNFX_OK;
}

void nx_run_gather(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    const char *x = (const char *)X->data;
    char *y = (char *)e->v[s->out[0]].data;
    const nx_gather_args *g = &s->u.gather;
    size_t es = nx_step_elem_size(s);
    int64_t outer, inner, o;
    int j;
    nx_eff_dims(X, e, d);
    outer = nx_prod(d, g->axis);
    inner = nx_inner_of(d, X->ndim, g->axis + 1);
    for (o = 0; o < outer; o++) {
        for (j = 0; j < g->count; j++) {
            memcpy(y, x + (size_t)((o * d[g->axis] + g->indices[j]) * inner) * es,
                   (size_t)inner * es);
            y += (size_t)inner * es;
        }
    }
}
