/* op_reshape.c - Reshape, Squeeze, Unsqueeze, Flatten: a new shape over the same elements
 * (an alias of the input at run time; a copy when folding). */
#include <string.h>

#include "ops.h"

/* Time axis of a reshaped tensor: the output axis with the same extent and the same product of
 * the dimensions before it (then the memory layout is the same for any number of frames). */
static int map_time_reshape(const nx_val *x, int ondim, const int64_t *od)
{
    int64_t pre = 1, opre = 1;
    int i;
    if (x->time_axis < 0)
        return -1;
    pre = nx_prod(x->dims, x->time_axis);
    for (i = 0; i < ondim; i++) {
        if (opre == pre && od[i] == x->dims[x->time_axis])
            return i;
        opre *= od[i];
    }
    return -1;
}

static nnfx_result finish_reshape(nx_builder *b, const nx_ctx *c, nx_step *s, int ondim,
                                  const int64_t *od)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0), *y;
    nnfx_result r = nx_set_shape(b, n, OUT(0), ondim, od);
    if (r)
        return r;
    y = OUT(0);
    if (y->count != x->count)
        return BADF("cannot reshape %lld elements into %lld", (long long)x->count,
                    (long long)y->count);
    y->dtype = x->dtype;
    y->time_axis = map_time_reshape(x, ondim, od);
    if (x->time_axis >= 0 && y->time_axis < 0 && b->stream)
        return UNSUP("the time axis (extent %lld) does not stay one axis of the same extent: "
                     "cannot stream", (long long)x->dims[x->time_axis]);
    s->op = NX_OP_COPY;
    s->run = nx_run_copy;
    s->n_in = 1;
    if (!c->folding)
        y->alias_of = c->in[0];
    return NNFX_OK;
}

nnfx_result nx_plan_reshape(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0);
    int64_t sh[NX_MAX_IO], known = 1;
    int cnt, i, neg = -1;
    (void)def;
    if (!x)
        return BADF("missing input");
    cnt = c->nin > 1 ? nx_const_ints(b, c->in[1], sh, NNFX_MAX_DIMS)
                     : nx_attr_ints(n, "shape", sh, NNFX_MAX_DIMS);
    if (cnt == -2)
        return UNSUP("rank above %d", NNFX_MAX_DIMS);
    if (cnt < 0)
        return UNSUP("the target shape must be constant (it is folded at load)");
    for (i = 0; i < cnt; i++) {
        if (sh[i] == 0 && !nx_attr_i(n, "allowzero", 0)) {
            if (i >= x->ndim)
                return BADF("0 in shape beyond the input's rank");
            sh[i] = x->dims[i];
        }
        if (sh[i] == -1) {
            if (neg >= 0)
                return BADF("more than one -1 in shape");
            neg = i;
        } else if (sh[i] <= 0 || sh[i] > NX_ONNX_MAX_TENSOR_ELEMS ||
                   known > NX_ONNX_MAX_TENSOR_ELEMS / sh[i]) {
            return BADF("bad dimension %lld in shape", (long long)sh[i]);
        } else {
            known *= sh[i];
        }
    }
    if (neg >= 0) {
        if (known <= 0 || x->count % known)
            return BADF("cannot infer -1");
        sh[neg] = x->count / known;
    }
    return finish_reshape(b, c, s, cnt, sh);
}

/* Squeeze (def->kind 0) or Unsqueeze (def->kind 1). */
nnfx_result nx_plan_squeeze(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    int unsq = def->kind;
    nx_val *x = IN(0);
    int64_t axes[NX_MAX_IO], od[NNFX_MAX_DIMS];
    int cnt, i, on = 0, flag[NX_MAX_IO] = {0};
    if (!x)
        return BADF("missing input");
    cnt = (c->nin > 1 && c->in[1] >= 0) ? nx_const_ints(b, c->in[1], axes, NX_MAX_IO)
                                        : nx_attr_ints(n, "axes", axes, NX_MAX_IO);
    if (c->nin > 1 && c->in[1] >= 0 && cnt < 0)
        return UNSUP("axes must be constant");
    if (unsq) {
        int rank = x->ndim + cnt, j = 0;
        if (cnt < 0)
            return BADF("axes missing");
        if (rank > NNFX_MAX_DIMS)
            return UNSUP("rank above %d", NNFX_MAX_DIMS);
        for (i = 0; i < cnt; i++) {
            int a;
            if (!nx_norm_axis(axes[i], rank, &a) || flag[a])
                return BADF("bad axes");
            flag[a] = 1;
        }
        for (i = 0; i < rank; i++)
            od[on++] = flag[i] ? 1 : x->dims[j++];
    } else {
        if (cnt < 0) {
            for (i = 0; i < x->ndim; i++)
                flag[i] = x->dims[i] == 1;
        } else {
            for (i = 0; i < cnt; i++) {
                int a;
                if (!nx_norm_axis(axes[i], x->ndim, &a) || x->dims[a] != 1)
                    return BADF("cannot squeeze axis %lld", (long long)axes[i]);
                flag[a] = 1;
            }
        }
        if (x->time_axis >= 0 && flag[x->time_axis]) {
            if (b->stream)
                return UNSUP("squeezes the time axis");
        }
        for (i = 0; i < x->ndim; i++)
            if (!flag[i])
                od[on++] = x->dims[i];
    }
    return finish_reshape(b, c, s, on, od);
}

nnfx_result nx_plan_flatten(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0);
    int64_t od[2];
    int axis;
    (void)def;
    if (!x)
        return BADF("missing input");
    if (!nx_norm_axis(nx_attr_i(n, "axis", 1), x->ndim + 1, &axis))
        return BADF("axis out of range");
    od[0] = nx_prod(x->dims, axis);
    od[1] = x->count / od[0];
    return finish_reshape(b, c, s, 2, od);
}

void nx_run_copy(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    void *y = e->v[s->out[0]].data;
    int64_t n = nx_eff_dims(X, e, d);
    if (y != (void *)X->data)
        memmove(y, X->data, (size_t)n * nx_step_elem_size(s));
}
