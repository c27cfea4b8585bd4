/* op_softmax.c - Softmax and LogSoftmax along a non-time axis. */
#include <math.h>

#include "ops.h"

nnfx_result nx_plan_softmax(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0);
    int axis;
    nnfx_result r;
    if (!x)
        return BADF("missing input");
    if (!nx_norm_axis(nx_attr_i(n, "axis", -1), x->ndim, &axis))
        return BADF("axis out of range");
    if (axis == x->time_axis && b->stream)
        return UNSUP("softmax over the time axis cannot stream");
    r = nx_set_shape(b, n, OUT(0), x->ndim, x->dims);
    if (r)
        return r;
    OUT(0)->time_axis = x->time_axis;
    s->op = NX_OP_SOFTMAX;
    s->u.softmax.log = def->kind;
    s->u.softmax.axis = axis;
    s->run = nx_run_softmax;
    return NNFX_OK;
}

void nx_run_softmax(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    float *y = e->v[s->out[0]].data;
    int64_t outer, n, inner, o, i, j;
    nx_eff_dims(X, e, d);
    outer = nx_prod(d, s->u.softmax.axis);
    n = d[s->u.softmax.axis];
    inner = nx_inner_of(d, X->ndim, s->u.softmax.axis + 1);
    for (o = 0; o < outer; o++) {
        for (j = 0; j < inner; j++) {
            const float *x = X->data + o * n * inner + j;
            float *yy = y + o * n * inner + j;
            float m = -INFINITY, sum = 0.0f;
            for (i = 0; i < n; i++)
                m = x[i * inner] > m ? x[i * inner] : m;
            for (i = 0; i < n; i++)
                sum += expf(x[i * inner] - m);
            for (i = 0; i < n; i++)
                yy[i * inner] = s->u.softmax.log ? x[i * inner] - m - logf(sum)
                                                 : expf(x[i * inner] - m) / sum;
        }
    }
}
