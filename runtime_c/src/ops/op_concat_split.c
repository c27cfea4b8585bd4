/* op_concat_split.c - Concat and Split along a non-time axis. */
#include <string.h>

#include "ops.h"

nnfx_result nx_plan_concat(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    (void)def;
    nx_val *x0 = IN(0), *y;
    int64_t od[NNFX_MAX_DIMS];
    int axis, i, j, ta = -1;
    nnfx_result r;
    if (!x0 || c->nin < 1)
        return BADF("no inputs");
    if (!nx_norm_axis(nx_attr_i(n, "axis", 0), x0->ndim, &axis))
        return BADF("axis out of range");
    memcpy(od, x0->dims, sizeof od);
    od[axis] = 0;
    for (i = 0; i < c->nin; i++) {
        nx_val *x = IN(i);
        if (!x || x->ndim != x0->ndim)
            return BADF("inputs differ in rank");
        if (x->dtype != x0->dtype)
            return UNSUP("mixed integer and float inputs");
        for (j = 0; j < x->ndim; j++)
            if (j != axis && x->dims[j] != x0->dims[j])
                return BADF("input '%s' differs in dimension %d", n->inputs[i], j);
        od[axis] += x->dims[axis];
        if (x->time_axis >= 0) {
            if (ta >= 0 && ta != x->time_axis && b->stream)
                return UNSUP("inputs have their time axes at different positions");
            ta = x->time_axis;
        }
    }
    if (ta >= 0 && b->stream) {
        int64_t ext = 0;
        if (ta == axis)
            return UNSUP("concatenation along the time axis cannot stream; use look-back mode");
        for (i = 0; i < c->nin; i++)
            if (IN(i)->time_axis >= 0)
                ext = IN(i)->dims[ta];
        for (i = 0; i < c->nin; i++)
            if (IN(i)->time_axis < 0 && !nx_promote_time(b, c->in[i], ta, ext))
                return UNSUP("input '%s' does not depend on audio but is joined to audio along "
                             "axis %d: cannot stream", n->inputs[i], axis);
    }
    r = nx_set_shape(b, n, OUT(0), x0->ndim, od);
    if (r)
        return r;
    y = OUT(0);
    y->dtype = x0->dtype;
    y->time_axis = ta;
    s->op = NX_OP_CONCAT;
    s->run = nx_run_concat;
    s->u.concat.axis = axis;
    return NNFX_OK;
}

nnfx_result nx_plan_split(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    (void)def;
    nx_val *x = IN(0);
    int64_t sizes[NX_MAX_IO], od[NNFX_MAX_DIMS], off = 0;
    int axis, cnt, i;
    nnfx_result r;
    if (!x)
        return BADF("missing input");
    if (!nx_norm_axis(nx_attr_i(n, "axis", 0), x->ndim, &axis))
        return BADF("axis out of range");
    if (c->nout > NX_MAX_IO)
        return UNSUP("more than %d outputs", NX_MAX_IO);
    cnt = c->nin > 1 ? nx_const_ints(b, c->in[1], sizes, NX_MAX_IO) : -1;
    if (c->nin > 1 && c->in[1] >= 0 && cnt < 0)
        return UNSUP("split sizes must be constant");
    if (cnt < 0)
        cnt = nx_attr_ints(n, "split", sizes, NX_MAX_IO);
    if (cnt < 0) {
        int64_t per = (x->dims[axis] + c->nout - 1) / c->nout;
        for (i = 0; i < c->nout; i++) {
            sizes[i] = x->dims[axis] - per * i < per ? x->dims[axis] - per * i : per;
        }
        cnt = c->nout;
    }
    if (cnt != c->nout)
        return BADF("%d split sizes for %d outputs", cnt, c->nout);
    for (i = 0; i < cnt; i++) {
        if (sizes[i] <= 0)
            return UNSUP("empty split");
        s->u.split.offsets[i] = off;
        off += sizes[i];
    }
    if (off != x->dims[axis])
        return BADF("split sizes sum to %lld, axis has %lld", (long long)off,
                    (long long)x->dims[axis]);
    if (axis == x->time_axis && b->stream)
        return UNSUP("split along the time axis cannot stream; use look-back mode");
    for (i = 0; i < cnt; i++) {
        if (c->out[i] < 0)
            continue;
        memcpy(od, x->dims, sizeof od);
        od[axis] = sizes[i];
        r = nx_set_shape(b, n, OUT(i), x->ndim, od);
        if (r)
            return r;
        OUT(i)->dtype = x->dtype;
        OUT(i)->time_axis = axis == x->time_axis ? -1 : x->time_axis;
    }
    s->op = NX_OP_SPLIT;
    s->run = nx_run_split;
    s->u.split.axis = axis;
    s->n_in = 1;
    return NNFX_OK;
}

void nx_run_concat(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS];
    const nx_val *Y = &e->v[s->out[0]];
    size_t es = nx_step_elem_size(s);
    char *y = (char *)Y->data;
    int64_t outer, oinner, off = 0, o;
    int i;
    nx_eff_dims(Y, e, od);
    outer = nx_prod(od, s->u.concat.axis);
    oinner = nx_inner_of(od, Y->ndim, s->u.concat.axis);
    for (i = 0; i < s->n_in; i++) {
        const nx_val *X = &e->v[s->in[i]];
        const char *x = (const char *)X->data;
        int64_t inner;
        nx_eff_dims(X, e, d);
        inner = nx_inner_of(d, X->ndim, s->u.concat.axis);
        for (o = 0; o < outer; o++)
            memcpy(y + (size_t)(o * oinner + off) * es, x + (size_t)(o * inner) * es,
                   (size_t)inner * es);
        off += inner;
    }
}

void nx_run_split(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    const char *x = (const char *)X->data;
    size_t es = nx_step_elem_size(s);
    int64_t outer, iinner, after, o;
    int i;
    nx_eff_dims(X, e, d);
    outer = nx_prod(d, s->u.split.axis);
    iinner = nx_inner_of(d, X->ndim, s->u.split.axis);
    after = nx_inner_of(d, X->ndim, s->u.split.axis + 1);
    for (i = 0; i < s->n_out; i++) {
        const nx_val *Y;
        int64_t inner;
        if (s->out[i] < 0)
            continue;
        Y = &e->v[s->out[i]];
        nx_eff_dims(Y, e, od);
        inner = nx_inner_of(od, Y->ndim, s->u.split.axis);
        for (o = 0; o < outer; o++)
            memcpy((char *)Y->data + (size_t)(o * inner) * es,
                   x + (size_t)(o * iinner + s->u.split.offsets[i] * after) * es,
                   (size_t)inner * es);
    }
}
