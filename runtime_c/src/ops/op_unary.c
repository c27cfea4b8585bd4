/* op_unary.c - elementwise functions of one input (activations, Clip, Pow by a constant, Identity,
 * Dropout, Cast to float): planning and run. */
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "ops.h"

/* Attributes of the unary ops that have some; the table gives the defaults. */
static nnfx_result unary_attrs(nx_builder *b, const nx_ctx *c, nx_unary_args *u,
                               const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    const char *op = n->op_type;
    if (!strcmp(op, "LeakyRelu") || !strcmp(op, "Elu") || !strcmp(op, "Celu") ||
        !strcmp(op, "ThresholdedRelu") || !strcmp(op, "HardSigmoid") || !strcmp(op, "Selu")) {
        u->alpha = nx_attr_f(n, "alpha", def->alpha);
        if (!strcmp(op, "HardSigmoid"))
            u->beta = nx_attr_f(n, "beta", def->beta);
        if (!strcmp(op, "Selu"))
            u->beta = nx_attr_f(n, "gamma", def->beta);
    } else if (!strcmp(op, "Shrink")) {
        u->alpha = nx_attr_f(n, "lambd", 0.5f);
        u->beta = nx_attr_f(n, "bias", 0.0f);
    } else if (!strcmp(op, "Gelu")) {
        const char *ap = nx_attr_s(n, "approximate", "none");
        if (!strcmp(ap, "tanh"))
            u->kind = NX_U_GELU_TANH;
        else if (strcmp(ap, "none"))
            return UNSUP("approximate=\"%s\" (only none or tanh)", ap);
    } else if (!strcmp(op, "Clip")) {
        float lo = -INFINITY, hi = INFINITY;
        if (c->nin > 1 && c->in[1] >= 0 && !nx_const_scalar(b, c->in[1], &lo))
            return UNSUP("min must be a constant scalar");
        if (c->nin > 2 && c->in[2] >= 0 && !nx_const_scalar(b, c->in[2], &hi))
            return UNSUP("max must be a constant scalar");
        if (nx_onnx_attr_find(n, "min"))
            lo = nx_attr_f(n, "min", lo);
        if (nx_onnx_attr_find(n, "max"))
            hi = nx_attr_f(n, "max", hi);
        u->alpha = lo;
        u->beta = hi;
    } else if (!strcmp(op, "Dropout")) {
        if (c->nout > 1 && c->out[1] >= 0)
            return UNSUP("the mask output is not supported");
    }
    return NNFX_OK;
}

nnfx_result nx_plan_unary(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0), *y;
    nnfx_result r;
    s->n_in = 1; /* Clip's min and max are folded into the step */
    if (!x)
        return BADF("missing input");
    s->op = NX_OP_UNARY;
    s->run = nx_run_unary;
    s->u.unary.kind = def->kind;
    s->u.unary.alpha = def->alpha;
    s->u.unary.beta = def->beta;
    r = unary_attrs(b, c, &s->u.unary, def);
    if (r)
        return r;
    if (x->dtype != NX_F32 && !c->folding)
        return UNSUP("integer input '%s' (only float32 tensors run)", n->inputs[0]);
    y = OUT(0);
    r = nx_set_shape(b, n, y, x->ndim, x->dims);
    if (r)
        return r;
    y->dtype = x->dtype;
    y->time_axis = x->time_axis;
    if (def->kind == NX_U_IDENTITY && !c->folding)
        y->alias_of = c->in[0];
    return NNFX_OK;
}

/* Cast of a runtime tensor: only to float, where it is the identity. */
nnfx_result nx_plan_cast(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    int64_t to = nx_attr_i(n, "to", 0);
    s->n_in = 1;
    if (to != NNFX_DT_FLOAT && to != NNFX_DT_DOUBLE)
        return UNSUP("not supported: cast of a runtime tensor to type %lld (only float)",
                     (long long)to);
    return nx_plan_unary(b, c, s, def);
}

static float softplus(float x)
{
    /* log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|). */
    return (x > 0.0f ? x : 0.0f) + log1pf(expf(-fabsf(x)));
}

static float unary_scalar(const nx_unary_args *u, float x)
{
    switch (u->kind) {
    case NX_U_IDENTITY: return x;
    case NX_U_RELU: return x > 0.0f ? x : 0.0f;
    case NX_U_LEAKYRELU: return x >= 0.0f ? x : u->alpha * x;
    case NX_U_TANH: return tanhf(x);
    case NX_U_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case NX_U_ELU: return x > 0.0f ? x : u->alpha * (expf(x) - 1.0f);
    case NX_U_SELU: return x > 0.0f ? u->beta * x : u->beta * (u->alpha * expf(x) - u->alpha);
    case NX_U_SOFTPLUS: return softplus(x);
    case NX_U_SHRINK: return x < -u->alpha ? x + u->beta : (x > u->alpha ? x - u->beta : 0.0f);
    case NX_U_SIN: return sinf(x);
    case NX_U_COS: return cosf(x);
    case NX_U_ERF: return erff(x);
    case NX_U_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case NX_U_GELU_TANH:
        return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case NX_U_CLIP: return x < u->alpha ? u->alpha : (x > u->beta ? u->beta : x);
    case NX_U_ABS: return fabsf(x);
    case NX_U_NEG: return -x;
    case NX_U_EXP: return expf(x);
    case NX_U_LOG: return logf(x);
    case NX_U_SQRT: return sqrtf(x);
    case NX_U_POW:
        if (u->alpha == 2.0f)
            return x * x;
        if (u->alpha == 1.0f)
            return x;
        if (u->alpha == 3.0f)
            return x * x * x;
        if (u->alpha == 0.5f)
            return sqrtf(x);
        return powf(x, u->alpha);
    case NX_U_RECIPROCAL: return 1.0f / x;
    case NX_U_HARDSIGMOID: {
        float y = u->alpha * x + u->beta;
        return y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
    }
    case NX_U_SOFTSIGN: return x / (1.0f + fabsf(x));
    case NX_U_FLOOR: return floorf(x);
    case NX_U_CEIL: return ceilf(x);
    case NX_U_ROUND: {
        /* ONNX Round: half to even. */
        float r = nearbyintf(x);
        return r;
    }
    case NX_U_HARDSWISH: {
        float y = x / 6.0f + 0.5f;
        y = y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
        return x * y;
    }
    case NX_U_SIGN: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
    case NX_U_CELU: return x > 0.0f ? x : u->alpha * (expf(x / u->alpha) - 1.0f);
    case NX_U_THRESHOLDEDRELU: return x > u->alpha ? x : 0.0f;
    case NX_U_MISH: return x * tanhf(softplus(x));
    }
    return x;
}

void nx_run_unary(nx_step *s, const nx_exec *e)
{
    int64_t dims[NNFX_MAX_DIMS];
    const nx_val *in = &e->v[s->in[0]];
    const float *x = in->data;
    float *y = e->v[s->out[0]].data;
    int64_t n = nx_eff_dims(in, e, dims), i;
    switch (s->u.unary.kind) {
    case NX_U_IDENTITY:
        if (x != y)
            memmove(y, x, (size_t)n * sizeof *y);
        return;
    case NX_U_RELU:
        for (i = 0; i < n; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        return;
    case NX_U_LEAKYRELU: {
        float a = s->u.unary.alpha;
        for (i = 0; i < n; i++)
            y[i] = x[i] >= 0.0f ? x[i] : a * x[i];
        return;
    }
    case NX_U_TANH: /* kernels.c: vectorized, <= 4 ulp */
        nx_k_tanh(y, x, n);
        return;
    case NX_U_SIGMOID:
        nx_k_sigmoid(y, x, n);
        return;
    default:
        for (i = 0; i < n; i++)
            y[i] = unary_scalar(&s->u.unary, x[i]);
        return;
    }
}
