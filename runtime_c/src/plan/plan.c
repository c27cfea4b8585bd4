/*
 * plan.c - from the parsed ONNX graph to the plan: constant folding, shape inference,
 * time-axis analysis, classification (const / param / dyn), dead-step removal and the
 * one-arena memory plan. See engine.h for the model of values and steps.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "onnx_names.h"

typedef struct {
    const nx_onnx_model *om;
    nnfx_model *m;
    nx_names names;
    nx_val *v;
    int nv, capv;
    nx_step *steps;   /* runtime steps (pre and main mixed, split at the end) */
    int nsteps, caps;
    int stream;
    int max_block;
    nnfx_error *err;
} nx_builder;

/* ---------------------------------------------------------------- helpers */

static nnfx_result node_fail(nx_builder *b, const nx_onnx_node *n, nnfx_result code,
                             const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#include <stdarg.h>
static nnfx_result node_fail(nx_builder *b, const nx_onnx_node *n, nnfx_result code,
                             const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nx_set_error(b->err, code, "node %s (%s): %s", n->name[0] ? n->name : "<unnamed>",
                          n->op_type, msg);
}

#define UNSUP(...) node_fail(b, n, NNFX_ERR_UNSUPPORTED, __VA_ARGS__)
#define BADF(...) node_fail(b, n, NNFX_ERR_FORMAT, __VA_ARGS__)

static int new_val(nx_builder *b)
{
    if (b->nv == b->capv) {
        int nc = b->capv ? b->capv * 2 : 64;
        nx_val *nvv = (nx_val *)nx_realloc(b->v, (size_t)nc * sizeof *nvv);
        if (!nvv)
            return -1;
        b->v = nvv;
        b->capv = nc;
    }
    memset(&b->v[b->nv], 0, sizeof b->v[0]);
    b->v[b->nv].time_axis = -1;
    b->v[b->nv].alias_of = -1;
    b->v[b->nv].dtype = NX_F32;
    b->v[b->nv].bcast_axis = -1;
    b->v[b->nv].producer = -1;
    return b->nv++;
}

static nx_step *new_step(nx_builder *b)
{
    nx_step *s;
    if (b->nsteps == b->caps) {
        int nc = b->caps ? b->caps * 2 : 64;
        nx_step *ns = (nx_step *)nx_realloc(b->steps, (size_t)nc * sizeof *ns);
        if (!ns)
            return NULL;
        b->steps = ns;
        b->caps = nc;
    }
    s = &b->steps[b->nsteps];
    memset(s, 0, sizeof *s);
    return s;
}

static int64_t prod(const int64_t *d, int n)
{
    int64_t p = 1;
    int i;
    for (i = 0; i < n; i++)
        p *= d[i];
    return p;
}

static nnfx_result set_shape(nx_builder *b, const nx_onnx_node *n, nx_val *v, int ndim,
                             const int64_t *dims)
{
    int i;
    int64_t c = 1;
    if (ndim < 0 || ndim > NNFX_MAX_DIMS)
        return UNSUP("output rank %d exceeds %d", ndim, NNFX_MAX_DIMS);
    for (i = 0; i < ndim; i++) {
        if (dims[i] <= 0)
            return UNSUP("output dimension %d is %lld (empty or unknown tensors are not supported)",
                         i, (long long)dims[i]);
        if (dims[i] > NX_ONNX_MAX_TENSOR_ELEMS || c > NX_ONNX_MAX_TENSOR_ELEMS / dims[i])
            return node_fail(b, n, NNFX_ERR_LIMIT, "output tensor too large");
        c *= dims[i];
        v->dims[i] = dims[i];
    }
    v->ndim = ndim;
    v->count = c;
    return NNFX_OK;
}

static int64_t attr_i(const nx_onnx_node *n, const char *name, int64_t def)
{
    const nx_onnx_attr *a = nx_onnx_attr_find(n, name);
    return (a && a->type == NNFX_ATTR_INT) ? a->i : def;
}

static float attr_f(const nx_onnx_node *n, const char *name, float def)
{
    const nx_onnx_attr *a = nx_onnx_attr_find(n, name);
    if (a && a->type == NNFX_ATTR_FLOAT)
        return a->f;
    if (a && a->type == NNFX_ATTR_INT)
        return (float)a->i;
    return def;
}

static const char *attr_s(const nx_onnx_node *n, const char *name, const char *def)
{
    const nx_onnx_attr *a = nx_onnx_attr_find(n, name);
    return (a && a->type == NNFX_ATTR_STRING && a->s) ? a->s : def;
}

/* INTS attribute into out (at most max); returns count, -1 absent, -2 too many. */
static int attr_ints(const nx_onnx_node *n, const char *name, int64_t *out, int max)
{
    const nx_onnx_attr *a = nx_onnx_attr_find(n, name);
    size_t i;
    if (!a || a->type != NNFX_ATTR_INTS)
        return -1;
    if (a->n > (size_t)max)
        return -2;
    for (i = 0; i < a->n; i++)
        out[i] = a->ints[i];
    return (int)a->n;
}

/* A constant input as integers (int64 or float data); returns count or -1 when not constant,
 * -2 when longer than max. */
static int const_ints(nx_builder *b, int idx, int64_t *out, int max)
{
    const nx_val *v;
    int64_t i;
    if (idx < 0)
        return -1;
    v = &b->v[idx];
    if (v->cls != NX_CONST || !v->tmp)
        return -1;
    if (v->count > max)
        return -2;
    for (i = 0; i < v->count; i++) {
        if (v->dtype == NX_I64) {
            out[i] = ((const int64_t *)v->tmp)[i];
        } else {
            float f = ((const float *)v->tmp)[i];
            if (!(f > -9.2e18f && f < 9.2e18f))
                return -1;
            out[i] = (int64_t)f;
        }
    }
    return (int)v->count;
}

/* A constant scalar (single element) as float; 0 when absent/not constant. */
static int const_scalar(nx_builder *b, int idx, float *out)
{
    const nx_val *v;
    if (idx < 0)
        return 0;
    v = &b->v[idx];
    if (v->cls != NX_CONST || !v->tmp || v->count != 1)
        return 0;
    *out = v->dtype == NX_I64 ? (float)((const int64_t *)v->tmp)[0] : ((const float *)v->tmp)[0];
    return 1;
}

static int norm_axis(int64_t a, int rank, int *out)
{
    if (a < 0)
        a += rank;
    if (a < 0 || a >= rank)
        return 0;
    *out = (int)a;
    return 1;
}

/* ------------------------------------------------------- per-op planning */

/* Context passed to each planner: node, input value indices, output value indices. */
typedef struct {
    const nx_onnx_node *n;
    int nin, nout;
    int in[NX_MAX_IO];
    int out[NX_MAX_IO];
    int folding; /* all inputs constant: planned to be run once now */
} nx_ctx;

#define IN(k) (c->in[k] >= 0 ? &b->v[c->in[k]] : NULL)
#define OUT(k) (&b->v[c->out[k]])

static const struct {
    const char *op;
    int sub;
    float fa, fb;
} unary_ops[] = {
    {"Relu", NX_U_RELU, 0, 0},       {"LeakyRelu", NX_U_LEAKYRELU, 0.01f, 0},
    {"Tanh", NX_U_TANH, 0, 0},       {"Sigmoid", NX_U_SIGMOID, 0, 0},
    {"Elu", NX_U_ELU, 1.0f, 0},      {"Selu", NX_U_SELU, 1.67326319217681884765625f,
                                       1.05070102214813232421875f},
    {"Softplus", NX_U_SOFTPLUS, 0, 0}, {"Shrink", NX_U_SHRINK, 0.5f, 0.0f},
    {"Sin", NX_U_SIN, 0, 0},         {"Cos", NX_U_COS, 0, 0},
    {"Erf", NX_U_ERF, 0, 0},         {"Gelu", NX_U_GELU, 0, 0},
    {"Identity", NX_U_IDENTITY, 0, 0}, {"Dropout", NX_U_IDENTITY, 0, 0},
    {"Clip", NX_U_CLIP, 0, 0},       {"Abs", NX_U_ABS, 0, 0},
    {"Neg", NX_U_NEG, 0, 0},         {"Exp", NX_U_EXP, 0, 0},
    {"Log", NX_U_LOG, 0, 0},         {"Sqrt", NX_U_SQRT, 0, 0},
    {"Reciprocal", NX_U_RECIPROCAL, 0, 0}, {"HardSigmoid", NX_U_HARDSIGMOID, 0.2f, 0.5f},
    {"Softsign", NX_U_SOFTSIGN, 0, 0}, {"Floor", NX_U_FLOOR, 0, 0},
    {"Ceil", NX_U_CEIL, 0, 0},       {"Round", NX_U_ROUND, 0, 0},
    {"HardSwish", NX_U_HARDSWISH, 0, 0}, {"Sign", NX_U_SIGN, 0, 0},
    {"Celu", NX_U_CELU, 1.0f, 0},    {"ThresholdedRelu", NX_U_THRESHOLDEDRELU, 1.0f, 0},
    {"Mish", NX_U_MISH, 0, 0},
};

static const struct {
    const char *op;
    int sub;
} binary_ops[] = {
    {"Add", NX_B_ADD}, {"Sub", NX_B_SUB}, {"Mul", NX_B_MUL}, {"Div", NX_B_DIV},
    {"Pow", NX_B_POW}, {"Max", NX_B_MAX}, {"Min", NX_B_MIN}, {"PRelu", NX_B_PRELU},
    {"Equal", NX_B_EQUAL}, {"Less", NX_B_LESS}, {"Greater", NX_B_GREATER}, {"Mod", NX_B_MOD},
};

static nnfx_result plan_unary(nx_builder *b, const nx_ctx *c, nx_step *s, int sub, float fa,
                              float fb)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0), *y;
    nnfx_result r;
    if (!x)
        return BADF("missing input");
    s->op = NX_OP_UNARY;
    s->sub = sub;
    s->run = nx_run_unary;
    s->fa = fa;
    s->fb = fb;
    if (!strcmp(n->op_type, "LeakyRelu") || !strcmp(n->op_type, "Elu") ||
        !strcmp(n->op_type, "Celu") || !strcmp(n->op_type, "ThresholdedRelu") ||
        !strcmp(n->op_type, "HardSigmoid") || !strcmp(n->op_type, "Selu")) {
        s->fa = attr_f(n, "alpha", fa);
        if (!strcmp(n->op_type, "HardSigmoid"))
            s->fb = attr_f(n, "beta", fb);
        if (!strcmp(n->op_type, "Selu"))
            s->fb = attr_f(n, "gamma", fb);
    } else if (!strcmp(n->op_type, "Shrink")) {
        s->fa = attr_f(n, "lambd", 0.5f);
        s->fb = attr_f(n, "bias", 0.0f);
    } else if (!strcmp(n->op_type, "Gelu")) {
        const char *ap = attr_s(n, "approximate", "none");
        if (!strcmp(ap, "tanh"))
            s->sub = NX_U_GELU_TANH;
        else if (strcmp(ap, "none"))
            return UNSUP("approximate=\"%s\" (only none or tanh)", ap);
    } else if (!strcmp(n->op_type, "Clip")) {
        float lo = -INFINITY, hi = INFINITY;
        if (c->nin > 1 && c->in[1] >= 0 && !const_scalar(b, c->in[1], &lo))
            return UNSUP("min must be a constant scalar");
        if (c->nin > 2 && c->in[2] >= 0 && !const_scalar(b, c->in[2], &hi))
            return UNSUP("max must be a constant scalar");
        if (nx_onnx_attr_find(n, "min"))
            lo = attr_f(n, "min", lo);
        if (nx_onnx_attr_find(n, "max"))
            hi = attr_f(n, "max", hi);
        s->fa = lo;
        s->fb = hi;
    } else if (!strcmp(n->op_type, "Dropout")) {
        if (c->nout > 1 && c->out[1] >= 0)
            return UNSUP("the mask output is not supported");
    }
    if (x->dtype != NX_F32 && !c->folding)
        return UNSUP("integer input '%s' (only float32 tensors run)", n->inputs[0]);
    y = OUT(0);
    r = set_shape(b, n, y, x->ndim, x->dims);
    if (r)
        return r;
    y->dtype = x->dtype;
    y->time_axis = x->time_axis;
    if (sub == NX_U_IDENTITY && !c->folding)
        y->alias_of = c->in[0];
    return NNFX_OK;
}

/* numpy broadcasting of two shapes into out; returns 0 if incompatible. */
static int broadcast(const nx_val *a, const nx_val *bb, int *ondim, int64_t *od)
{
    int on = a->ndim > bb->ndim ? a->ndim : bb->ndim, i;
    for (i = 0; i < on; i++) {
        int ia = i - (on - a->ndim), ib = i - (on - bb->ndim);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? bb->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return 0;
        od[i] = da > db ? da : db;
    }
    *ondim = on;
    return 1;
}

/* Stream mode: a value that is an Expand (to the static number of frames) of something without
 * a time axis, met next to audio whose time axis is `axis` with the same extent, becomes a
 * per-block value: its Expand runs every block and produces T frames. Returns 1 if promoted. */
static int promote_time(nx_builder *b, int vi, int axis, int64_t extent)
{
    nx_val *v = &b->v[vi];
    if (!b->stream || v->time_axis >= 0 || v->bcast_axis != axis || v->producer < 0 ||
        v->dims[axis] != extent || v->cls == NX_CONST)
        return 0;
    v->time_axis = axis;
    v->cls = NX_DYN;
    v->bcast_axis = -1;
    return 1;
}

/* Output time axis of an op whose inputs broadcast right-aligned into rank `on`.
 * Refuses (in stream mode) inputs that vary along the time axis without being audio. */
static nnfx_result bcast_time(nx_builder *b, const nx_ctx *c, int on, int first, int count,
                              int *ta_out)
{
    const nx_onnx_node *n = c->n;
    int ta = -1, i;
    for (i = first; i < first + count; i++) {
        const nx_val *x = IN(i);
        if (x && x->time_axis >= 0) {
            int t = x->time_axis + (on - x->ndim);
            if (ta >= 0 && t != ta) {
                if (b->stream)
                    return UNSUP("inputs have their time axes at different positions");
                ta = -2;
            } else if (ta != -2) {
                ta = t;
            }
        }
    }
    if (ta == -2)
        ta = -1;
    if (ta >= 0 && b->stream) {
        int64_t ext = 0;
        for (i = first; i < first + count; i++) {
            const nx_val *x = IN(i);
            if (x && x->time_axis >= 0)
                ext = x->dims[x->time_axis];
        }
        for (i = first; i < first + count; i++) {
            const nx_val *x = IN(i);
            int j;
            if (!x || x->time_axis >= 0)
                continue;
            j = ta - (on - x->ndim);
            if (j >= 0 && x->dims[j] != 1 && promote_time(b, c->in[i], j, ext))
                continue;
            if (j >= 0 && x->dims[j] != 1)
                return UNSUP("input '%s' varies along the time axis (extent %lld) but does not "
                             "depend on audio: cannot stream",
                             n->inputs[i], (long long)x->dims[j]);
        }
    }
    *ta_out = ta;
    return NNFX_OK;
}

static nnfx_result plan_binary(nx_builder *b, const nx_ctx *c, nx_step *s, int sub)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0), *w = IN(1), *y;
    int64_t od[NNFX_MAX_DIMS];
    int on, ta = -1;
    float e;
    nnfx_result r;
    if (!x || !w || c->nin != 2)
        return UNSUP("expects exactly two inputs");
    if ((x->dtype != NX_F32 || w->dtype != NX_F32) && !c->folding)
        return UNSUP("integer inputs (only float32 tensors run)");
    if (!broadcast(x, w, &on, od))
        return BADF("inputs '%s' and '%s' do not broadcast", n->inputs[0], n->inputs[1]);
    if (sub == NX_B_PRELU && on != x->ndim)
        return BADF("slope does not broadcast to the input");
    r = set_shape(b, n, OUT(0), on, od);
    if (r)
        return r;
    r = bcast_time(b, c, on, 0, 2, &ta);
    if (r)
        return r;
    y = OUT(0);
    y->time_axis = ta;
    y->dtype = (x->dtype == NX_I64 && w->dtype == NX_I64) ? NX_I64 : NX_F32;
    if (sub == NX_B_EQUAL || sub == NX_B_LESS || sub == NX_B_GREATER)
        y->dtype = NX_I64;
    if (x->dtype != w->dtype && c->folding)
        return UNSUP("mixed integer and float inputs");
    if (sub == NX_B_POW && w->cls == NX_CONST && w->count == 1 && const_scalar(b, c->in[1], &e) &&
        on == x->ndim && !c->folding) {
        s->op = NX_OP_UNARY;
        s->sub = NX_U_POW;
        s->fa = e;
        s->run = nx_run_unary;
        s->n_in = 1;
        return NNFX_OK;
    }
    s->op = NX_OP_BINARY;
    s->sub = sub;
    s->run = nx_run_binary;
    return NNFX_OK;
}

static nnfx_result plan_conv(nx_builder *b, const nx_ctx *c, nx_step *s)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0), *w = IN(1), *bias = c->nin > 2 ? IN(2) : NULL, *y;
    int64_t v[NX_MAX_IO], od[3];
    int cnt, i, k, d, g;
    const char *ap = attr_s(n, "auto_pad", "NOTSET");
    nnfx_result r;
    if (!x || !w)
        return BADF("missing input or weight");
    if (x->ndim != 3 || w->ndim != 3)
        return UNSUP("only 1-D convolution ([batch, channels, time] input) is supported");
    if (w->time_axis >= 0 || (bias && bias->time_axis >= 0))
        return UNSUP("weights depend on audio");
    if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID"))
        return UNSUP("auto_pad=%s: padding must be 0 (pad causally before the convolution "
                     "in the exported graph, or use valid convolutions with look-back)", ap);
    cnt = attr_ints(n, "pads", v, NX_MAX_IO);
    for (i = 0; i < cnt; i++)
        if (v[i] != 0)
            return UNSUP("pads must be 0 (found %lld): nnfx streams valid convolutions; crop or "
                         "left-pad causally in the model instead", (long long)v[i]);
    cnt = attr_ints(n, "strides", v, NX_MAX_IO);
    for (i = 0; i < cnt; i++)
        if (v[i] != 1)
            return UNSUP("stride %lld (only stride 1)", (long long)v[i]);
    d = 1;
    cnt = attr_ints(n, "dilations", v, NX_MAX_IO);
    if (cnt == 1) {
        if (v[0] < 1 || v[0] > NX_ONNX_MAX_TENSOR_ELEMS)
            return BADF("dilation %lld", (long long)v[0]);
        d = (int)v[0];
    } else if (cnt > 1) {
        return UNSUP("more than one dilation");
    }
    if (attr_i(n, "group", 1) < 1 || attr_i(n, "group", 1) > NX_ONNX_MAX_TENSOR_ELEMS)
        return BADF("group %lld", (long long)attr_i(n, "group", 1));
    g = (int)attr_i(n, "group", 1);
    k = (int)w->dims[2];
    cnt = attr_ints(n, "kernel_shape", v, NX_MAX_IO);
    if (cnt == 1 && v[0] != k)
        return BADF("kernel_shape %lld does not match weight %d", (long long)v[0], k);
    if (d < 1 || k < 1 || g < 1)
        return BADF("bad dilation/kernel/group");
    if (x->dims[0] != 1)
        return UNSUP("batch %lld (only batch 1)", (long long)x->dims[0]);
    if (x->dims[1] % g || w->dims[0] % g || w->dims[1] * g != x->dims[1])
        return BADF("channels %lld / weight [%lld, %lld, %d] / group %d do not agree",
                    (long long)x->dims[1], (long long)w->dims[0], (long long)w->dims[1], k, g);
    if (bias && (bias->count != w->dims[0]))
        return BADF("bias has %lld elements, expected %lld", (long long)bias->count,
                    (long long)w->dims[0]);
    if ((int64_t)(k - 1) * d >= x->dims[2])
        return BADF("receptive field %lld exceeds input length %lld",
                    (long long)((int64_t)(k - 1) * d + 1), (long long)x->dims[2]);
    if (x->time_axis >= 0 && x->time_axis != 2 && b->stream)
        return UNSUP("time axis of the input is axis %d, not the last axis", x->time_axis);
    od[0] = 1;
    od[1] = w->dims[0];
    od[2] = x->dims[2] - (int64_t)(k - 1) * d;
    r = set_shape(b, n, OUT(0), 3, od);
    if (r)
        return r;
    y = OUT(0);
    y->time_axis = x->time_axis == 2 ? 2 : -1;
    s->op = NX_OP_CONV;
    s->run = nx_run_conv;
    s->k = k;
    s->d = d;
    s->n = g;
    s->hist = (k - 1) * d;
    s->stream = b->stream && x->time_axis == 2 && s->hist > 0; /* k = 1 needs no history */
    s->macs = (double)w->dims[0] * (double)w->dims[1] * k;
    if (c->nin < 3) {
        s->in[2] = -1;
        s->n_in = 3;
    }
    return NNFX_OK;
}

static nnfx_result plan_matmul(nx_builder *b, const nx_ctx *c, nx_step *s)
{
    const nx_onnx_node *n = c->n;
    nx_val *a = IN(0), *w = IN(1), *y;
    int64_t od[NNFX_MAX_DIMS];
    int an, bn, abn, bbn, obn, on = 0, k, ta = -1;
    int64_t m, kk, kb, nn, batch = 1;
    nnfx_result r;
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
    r = set_shape(b, n, OUT(0), on, od);
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

static nnfx_result plan_gemm(nx_builder *b, const nx_ctx *c, nx_step *s)
{
    const nx_onnx_node *n = c->n;
    nx_val *a = IN(0), *w = IN(1), *cc = c->nin > 2 ? IN(2) : NULL, *y;
    int ta_ = (int)attr_i(n, "transA", 0), tb = (int)attr_i(n, "transB", 0);
    int64_t m, k, kb, nn, od[2];
    nnfx_result r;
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
    r = set_shape(b, n, OUT(0), 2, od);
    if (r)
        return r;
    y = OUT(0);
    y->time_axis = (a->time_axis >= 0 && a->time_axis == (ta_ ? 1 : 0)) ? 0 : -1;
    if (b->stream && y->time_axis == 0 && cc && cc->ndim == 2 && cc->dims[0] != 1)
        return UNSUP("C varies along the time axis");
    s->op = NX_OP_GEMM;
    s->run = nx_run_gemm;
    s->ia[0] = ta_;
    s->ia[1] = tb;
    s->fa = attr_f(n, "alpha", 1.0f);
    s->fb = attr_f(n, "beta", 1.0f);
    s->macs = (double)k * (double)nn * (y->time_axis == 0 ? 1.0 : (double)m);
    if (c->nin < 3) {
        s->in[2] = -1;
        s->n_in = 3;
    }
    return NNFX_OK;
}

static nnfx_result plan_transpose(nx_builder *b, const nx_ctx *c, nx_step *s)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0), *y;
    int64_t perm[NX_MAX_IO], od[NNFX_MAX_DIMS];
    int cnt = attr_ints(n, "perm", perm, NX_MAX_IO), i, j, seen = 0;
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
    r = set_shape(b, n, OUT(0), x->ndim, od);
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
    memcpy(s->ia, perm, sizeof(int64_t) * (size_t)x->ndim);
    return NNFX_OK;
}

static nnfx_result plan_slice(nx_builder *b, const nx_ctx *c, nx_step *s)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0), *y;
    int64_t st[NX_MAX_IO], en[NX_MAX_IO], ax[NX_MAX_IO], sp[NX_MAX_IO], od[NNFX_MAX_DIMS];
    int ns, ne, na, nst, i;
    nnfx_result r;
    if (!x)
        return BADF("missing input");
    if (c->nin >= 3) {
        ns = const_ints(b, c->in[1], st, NX_MAX_IO);
        ne = const_ints(b, c->in[2], en, NX_MAX_IO);
        na = c->nin > 3 ? const_ints(b, c->in[3], ax, NX_MAX_IO) : -1;
        nst = c->nin > 4 ? const_ints(b, c->in[4], sp, NX_MAX_IO) : -1;
        if (ns < 0 || ne < 0 || (c->nin > 3 && c->in[3] >= 0 && na < 0) ||
            (c->nin > 4 && c->in[4] >= 0 && nst < 0))
            return UNSUP("starts/ends/axes/steps must be constant (they are folded at load)");
    } else {
        ns = attr_ints(n, "starts", st, NX_MAX_IO);
        ne = attr_ints(n, "ends", en, NX_MAX_IO);
        na = attr_ints(n, "axes", ax, NX_MAX_IO);
        nst = -1;
        if (ns < 0 || ne < 0)
            return BADF("starts/ends missing");
    }
    if (ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
        return BADF("starts/ends/axes/steps lengths differ");
    for (i = 0; i < x->ndim; i++) {
        s->ia[i] = 0;
        s->ib[i] = 1;
        od[i] = x->dims[i];
    }
    for (i = 0; i < ns; i++) {
        int a;
        int64_t dim, sv, ev, stp = nst >= 0 ? sp[i] : 1, cnt;
        if (!norm_axis(na >= 0 ? ax[i] : i, x->ndim, &a))
            return BADF("axis out of range");
        dim = x->dims[a];
        if (stp == 0 || stp == INT64_MIN)
            return BADF("step %lld", (long long)stp);
        sv = st[i];
        ev = en[i];
        if (sv < 0)
            sv += dim;
        if (ev < 0)
            ev += dim;
        if (stp > 0) {
            sv = sv < 0 ? 0 : (sv > dim ? dim : sv);
            ev = ev < 0 ? 0 : (ev > dim ? dim : ev);
            cnt = ev > sv ? (ev - sv - 1) / stp + 1 : 0;
        } else {
            sv = sv < 0 ? 0 : (sv > dim - 1 ? dim - 1 : sv);
            ev = ev < -1 ? -1 : (ev > dim - 1 ? dim - 1 : ev);
            cnt = sv > ev ? (sv - ev - 1) / (-stp) + 1 : 0;
        }
        if (cnt <= 0)
            return UNSUP("slice of axis %d is empty", a);
        if (a == x->time_axis && (sv != 0 || cnt != dim || stp != 1)) {
            if (stp != 1 || ev != dim) {
                if (b->stream)
                    return UNSUP("slice [%lld:%lld:%lld] of the time axis (extent %lld) does not "
                                 "keep the newest frames: stream mode needs right-aligned crops "
                                 "(x[..., k:]); run this model in look-back mode",
                                 (long long)st[i], (long long)en[i], (long long)stp,
                                 (long long)dim);
            }
        }
        s->ia[a] = sv;
        s->ib[a] = stp;
        od[a] = cnt;
    }
    r = set_shape(b, n, OUT(0), x->ndim, od);
    if (r)
        return r;
    y = OUT(0);
    y->dtype = x->dtype;
    y->time_axis = x->time_axis;
    if (b->stream && x->time_axis >= 0 && !c->folding) {
        /* right-aligned crop: a no-op on the newest T frames */
        s->ia[x->time_axis] = 0;
        s->ib[x->time_axis] = 1;
    }
    s->op = NX_OP_SLICE;
    s->run = nx_run_slice;
    s->n_in = 1;
    return NNFX_OK;
}

static nnfx_result plan_concat(nx_builder *b, const nx_ctx *c, nx_step *s)
{
    const nx_onnx_node *n = c->n;
    nx_val *x0 = IN(0), *y;
    int64_t od[NNFX_MAX_DIMS];
    int axis, i, j, ta = -1;
    nnfx_result r;
    if (!x0 || c->nin < 1)
        return BADF("no inputs");
    if (!norm_axis(attr_i(n, "axis", 0), x0->ndim, &axis))
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
            if (IN(i)->time_axis < 0 && !promote_time(b, c->in[i], ta, ext))
                return UNSUP("input '%s' does not depend on audio but is joined to audio along "
                             "axis %d: cannot stream", n->inputs[i], axis);
    }
    r = set_shape(b, n, OUT(0), x0->ndim, od);
    if (r)
        return r;
    y = OUT(0);
    y->dtype = x0->dtype;
    y->time_axis = ta;
    s->op = NX_OP_CONCAT;
    s->run = nx_run_concat;
    s->axis = axis;
    return NNFX_OK;
}

static nnfx_result plan_split(nx_builder *b, const nx_ctx *c, nx_step *s)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0);
    int64_t sizes[NX_MAX_IO], od[NNFX_MAX_DIMS], off = 0;
    int axis, cnt, i;
    nnfx_result r;
    if (!x)
        return BADF("missing input");
    if (!norm_axis(attr_i(n, "axis", 0), x->ndim, &axis))
        return BADF("axis out of range");
    if (c->nout > NX_MAX_IO)
        return UNSUP("more than %d outputs", NX_MAX_IO);
    cnt = c->nin > 1 ? const_ints(b, c->in[1], sizes, NX_MAX_IO) : -1;
    if (c->nin > 1 && c->in[1] >= 0 && cnt < 0)
        return UNSUP("split sizes must be constant");
    if (cnt < 0)
        cnt = attr_ints(n, "split", sizes, NX_MAX_IO);
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
        s->ia[i] = off;
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
        r = set_shape(b, n, OUT(i), x->ndim, od);
        if (r)
            return r;
        OUT(i)->dtype = x->dtype;
        OUT(i)->time_axis = axis == x->time_axis ? -1 : x->time_axis;
    }
    s->op = NX_OP_SPLIT;
    s->run = nx_run_split;
    s->axis = axis;
    s->n_in = 1;
    return NNFX_OK;
}

static nnfx_result plan_gather(nx_builder *b, const nx_ctx *c, nx_step *s)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0), *ix = IN(1), *y;
    int64_t idx[NX_MAX_IO], od[NNFX_MAX_DIMS];
    int axis, cnt, i, on = 0;
    nnfx_result r;
    if (!x || !ix)
        return BADF("missing input");
    if (!norm_axis(attr_i(n, "axis", 0), x->ndim, &axis))
        return BADF("axis out of range");
    cnt = const_ints(b, c->in[1], idx, NX_MAX_IO);
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
        s->ia[i] = idx[i];
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
    r = set_shape(b, n, OUT(0), on, od);
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
    s->axis = axis;
    s->n = cnt;
    s->n_in = 1;
    return NNFX_OK;
}

/* Time axis of a reshaped tensor: the output axis with the same extent and the same product of
 * the dimensions before it (then the memory layout is the same for any number of frames). */
static int map_time_reshape(const nx_val *x, int ondim, const int64_t *od)
{
    int64_t pre = 1, opre = 1;
    int i;
    if (x->time_axis < 0)
        return -1;
    pre = prod(x->dims, x->time_axis);
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
    nnfx_result r = set_shape(b, n, OUT(0), ondim, od);
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

static nnfx_result plan_reshape(nx_builder *b, const nx_ctx *c, nx_step *s)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0);
    int64_t sh[NX_MAX_IO], known = 1;
    int cnt, i, neg = -1;
    if (!x)
        return BADF("missing input");
    cnt = c->nin > 1 ? const_ints(b, c->in[1], sh, NNFX_MAX_DIMS) : attr_ints(n, "shape", sh,
                                                                              NNFX_MAX_DIMS);
    if (cnt == -2)
        return UNSUP("rank above %d", NNFX_MAX_DIMS);
    if (cnt < 0)
        return UNSUP("the target shape must be constant (it is folded at load)");
    for (i = 0; i < cnt; i++) {
        if (sh[i] == 0 && !attr_i(n, "allowzero", 0)) {
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

static nnfx_result plan_squeeze(nx_builder *b, const nx_ctx *c, nx_step *s, int unsq)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0);
    int64_t axes[NX_MAX_IO], od[NNFX_MAX_DIMS];
    int cnt, i, on = 0, flag[NX_MAX_IO] = {0};
    if (!x)
        return BADF("missing input");
    cnt = (c->nin > 1 && c->in[1] >= 0) ? const_ints(b, c->in[1], axes, NX_MAX_IO)
                                        : attr_ints(n, "axes", axes, NX_MAX_IO);
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
            if (!norm_axis(axes[i], rank, &a) || flag[a])
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
                if (!norm_axis(axes[i], x->ndim, &a) || x->dims[a] != 1)
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

static nnfx_result plan_flatten(nx_builder *b, const nx_ctx *c, nx_step *s)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0);
    int64_t od[2];
    int axis;
    if (!x)
        return BADF("missing input");
    if (!norm_axis(attr_i(n, "axis", 1), x->ndim + 1, &axis))
        return BADF("axis out of range");
    od[0] = prod(x->dims, axis);
    od[1] = x->count / od[0];
    return finish_reshape(b, c, s, 2, od);
}

static nnfx_result plan_expand(nx_builder *b, const nx_ctx *c, nx_step *s)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0), *y, tmp;
    int64_t sh[NX_MAX_IO], od[NNFX_MAX_DIMS];
    int cnt, on, i;
    nnfx_result r;
    if (!x)
        return BADF("missing input");
    cnt = const_ints(b, c->in[1], sh, NNFX_MAX_DIMS);
    if (cnt < 0)
        return UNSUP("the shape must be constant");
    memset(&tmp, 0, sizeof tmp);
    tmp.ndim = cnt;
    for (i = 0; i < cnt; i++)
        tmp.dims[i] = sh[i];
    if (!broadcast(x, &tmp, &on, od))
        return BADF("shape does not broadcast");
    r = set_shape(b, n, OUT(0), on, od);
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

static nnfx_result plan_reduce(nx_builder *b, const nx_ctx *c, nx_step *s, int sub)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0), *y;
    int64_t axes[NX_MAX_IO], od[NNFX_MAX_DIMS];
    int cnt, i, on = 0, keep = (int)attr_i(n, "keepdims", 1);
    nnfx_result r;
    if (!x)
        return BADF("missing input");
    cnt = (c->nin > 1 && c->in[1] >= 0) ? const_ints(b, c->in[1], axes, NX_MAX_IO)
                                        : attr_ints(n, "axes", axes, NX_MAX_IO);
    for (i = 0; i < x->ndim; i++)
        s->ia[i] = cnt < 0 ? 1 : 0;
    for (i = 0; i < cnt; i++) {
        int a;
        if (!norm_axis(axes[i], x->ndim, &a))
            return BADF("axis out of range");
        s->ia[a] = 1;
    }
    if (x->time_axis >= 0 && s->ia[x->time_axis] && b->stream)
        return UNSUP("reduces over the time axis: cannot stream");
    y = OUT(0);
    y->time_axis = -1;
    for (i = 0; i < x->ndim; i++) {
        if (!s->ia[i] || keep) {
            if (i == x->time_axis && !s->ia[i])
                y->time_axis = on;
            od[on++] = s->ia[i] ? 1 : x->dims[i];
        }
    }
    r = set_shape(b, n, y, on, od);
    if (r)
        return r;
    s->op = NX_OP_REDUCE;
    s->sub = sub;
    s->run = nx_run_reduce;
    s->n_in = 1;
    return NNFX_OK;
}

static nnfx_result plan_softmax(nx_builder *b, const nx_ctx *c, nx_step *s, int sub)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0);
    int axis;
    nnfx_result r;
    if (!x)
        return BADF("missing input");
    if (!norm_axis(attr_i(n, "axis", -1), x->ndim, &axis))
        return BADF("axis out of range");
    if (axis == x->time_axis && b->stream)
        return UNSUP("softmax over the time axis cannot stream");
    r = set_shape(b, n, OUT(0), x->ndim, x->dims);
    if (r)
        return r;
    OUT(0)->time_axis = x->time_axis;
    s->op = NX_OP_SOFTMAX;
    s->sub = sub;
    s->axis = axis;
    s->run = nx_run_softmax;
    return NNFX_OK;
}

static nnfx_result plan_rnn(nx_builder *b, const nx_ctx *c, nx_step *s, int gru)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0), *w = IN(1), *rr = c->nin > 2 ? IN(2) : NULL;
    nx_val *bias = c->nin > 3 ? IN(3) : NULL, *h0 = c->nin > 5 ? IN(5) : NULL;
    nx_val *c0 = (!gru && c->nin > 6) ? IN(6) : NULL;
    int layout = (int)attr_i(n, "layout", 0), G = gru ? 3 : 4, i, tax;
    int64_t H = attr_i(n, "hidden_size", 0), T, Bn, I, od[4];
    const char *dir = attr_s(n, "direction", "forward");
    const nx_onnx_attr *acts = nx_onnx_attr_find(n, "activations");
    nnfx_result r;
    if (!x || !w || !rr)
        return BADF("X, W and R are required");
    if (strcmp(dir, "forward"))
        return UNSUP("direction=%s: only forward recurrences are causal", dir);
    if (nx_onnx_attr_find(n, "clip"))
        return UNSUP("clip is not supported");
    if (attr_i(n, "input_forget", 0))
        return UNSUP("input_forget=1 is not supported");
    if (acts && acts->type == NNFX_ATTR_STRINGS) {
        static const char *lstm_def[] = {"Sigmoid", "Tanh", "Tanh"};
        static const char *gru_def[] = {"Sigmoid", "Tanh"};
        size_t k;
        for (k = 0; k < acts->n; k++) {
            const char *want = gru ? (k < 2 ? gru_def[k] : "") : (k < 3 ? lstm_def[k] : "");
            if (strcmp(acts->strings[k], want))
                return UNSUP("activation %s (only the defaults)", acts->strings[k]);
        }
    }
    if (c->nin > 4 && c->in[4] >= 0)
        return UNSUP("sequence_lens is not supported");
    if (!gru && c->nin > 7 && c->in[7] >= 0)
        return UNSUP("peepholes (P) are not supported");
    if (layout != 0 && layout != 1)
        return BADF("layout %d", layout);
    if (x->ndim != 3 || w->ndim != 3 || rr->ndim != 3)
        return BADF("X, W, R must be 3-D");
    T = layout ? x->dims[1] : x->dims[0];
    Bn = layout ? x->dims[0] : x->dims[1];
    I = x->dims[2];
    if (H <= 0)
        H = rr->dims[2];
    if (w->dims[0] != 1 || w->dims[1] != G * H || w->dims[2] != I)
        return BADF("W has shape [%lld, %lld, %lld], expected [1, %lld, %lld]",
                    (long long)w->dims[0], (long long)w->dims[1], (long long)w->dims[2],
                    (long long)(G * H), (long long)I);
    if (rr->dims[0] != 1 || rr->dims[1] != G * H || rr->dims[2] != H)
        return BADF("R has the wrong shape");
    if (bias && bias->count != 2 * G * H)
        return BADF("B has %lld elements, expected %lld", (long long)bias->count,
                    (long long)(2 * G * H));
    if (h0 && h0->count != Bn * H)
        return BADF("initial_h has %lld elements, expected %lld", (long long)h0->count,
                    (long long)(Bn * H));
    if (c0 && c0->count != Bn * H)
        return BADF("initial_c has the wrong size");
    if (w->time_axis >= 0 || rr->time_axis >= 0 || (bias && bias->time_axis >= 0) ||
        (h0 && h0->time_axis >= 0) || (c0 && c0->time_axis >= 0))
        return UNSUP("weights or initial state depend on audio frames");
    tax = layout ? 1 : 0;
    if (b->stream && x->time_axis >= 0) {
        if (x->time_axis != tax)
            return UNSUP("the time axis of X is axis %d, not the sequence axis", x->time_axis);
        if (!h0 || h0->cls != NX_DYN || (!gru && (!c0 || c0->cls != NX_DYN)))
            return UNSUP("the initial state does not come from state_in.<k> inputs: the "
                         "recurrence would restart at every block (export h0/c0 as "
                         "state_in.<k> and the final state as state_out.<k>)");
    }
    if (layout) {
        od[0] = Bn; od[1] = T; od[2] = 1; od[3] = H;
    } else {
        od[0] = T; od[1] = 1; od[2] = Bn; od[3] = H;
    }
    if (c->nout > 0 && c->out[0] >= 0) {
        r = set_shape(b, n, OUT(0), 4, od);
        if (r)
            return r;
        OUT(0)->time_axis = x->time_axis == tax ? tax : -1;
    }
    for (i = 1; i < c->nout && i < (gru ? 2 : 3); i++) {
        int64_t hd[3];
        if (c->out[i] < 0)
            continue;
        if (layout) {
            hd[0] = Bn; hd[1] = 1; hd[2] = H;
        } else {
            hd[0] = 1; hd[1] = Bn; hd[2] = H;
        }
        r = set_shape(b, n, OUT(i), 3, hd);
        if (r)
            return r;
    }
    if (c->nout > (gru ? 2 : 3))
        return BADF("too many outputs");
    s->op = gru ? NX_OP_GRU : NX_OP_LSTM;
    s->run = gru ? nx_run_gru : nx_run_lstm;
    s->ia[0] = layout;
    s->ia[1] = attr_i(n, "linear_before_reset", 0);
    s->n = (int)H;
    s->macs = (double)Bn * (double)G * (double)H * (double)(I + H);
    for (i = c->nin; i < 8; i++)
        s->in[i] = -1;
    s->n_in = 8;
    for (i = c->nout; i < 3; i++)
        s->out[i] = -1;
    s->n_out = 3;
    return NNFX_OK;
}

/* Plan one node as a step (outputs' shapes, time axes; step parameters). */
static nnfx_result plan_op(nx_builder *b, const nx_ctx *c, nx_step *s)
{
    const nx_onnx_node *n = c->n;
    const char *op = n->op_type;
    size_t i;
    s->n_in = c->nin;
    s->n_out = c->nout;
    memcpy(s->in, c->in, sizeof s->in);
    memcpy(s->out, c->out, sizeof s->out);
    s->es = 4;
    for (i = 0; i < sizeof unary_ops / sizeof unary_ops[0]; i++)
        if (!strcmp(op, unary_ops[i].op)) {
            nnfx_result r = plan_unary(b, c, s, unary_ops[i].sub, unary_ops[i].fa,
                                       unary_ops[i].fb);
            s->n_in = 1;
            return r;
        }
    for (i = 0; i < sizeof binary_ops / sizeof binary_ops[0]; i++)
        if (!strcmp(op, binary_ops[i].op))
            return plan_binary(b, c, s, binary_ops[i].sub);
    if (!strcmp(op, "Conv"))
        return plan_conv(b, c, s);
    if (!strcmp(op, "MatMul"))
        return plan_matmul(b, c, s);
    if (!strcmp(op, "Gemm"))
        return plan_gemm(b, c, s);
    if (!strcmp(op, "Transpose"))
        return plan_transpose(b, c, s);
    if (!strcmp(op, "Slice"))
        return plan_slice(b, c, s);
    if (!strcmp(op, "Concat"))
        return plan_concat(b, c, s);
    if (!strcmp(op, "Split"))
        return plan_split(b, c, s);
    if (!strcmp(op, "Gather"))
        return plan_gather(b, c, s);
    if (!strcmp(op, "Reshape"))
        return plan_reshape(b, c, s);
    if (!strcmp(op, "Squeeze"))
        return plan_squeeze(b, c, s, 0);
    if (!strcmp(op, "Unsqueeze"))
        return plan_squeeze(b, c, s, 1);
    if (!strcmp(op, "Flatten"))
        return plan_flatten(b, c, s);
    if (!strcmp(op, "Expand"))
        return plan_expand(b, c, s);
    if (!strcmp(op, "ReduceMean"))
        return plan_reduce(b, c, s, 0);
    if (!strcmp(op, "ReduceSum"))
        return plan_reduce(b, c, s, 1);
    if (!strcmp(op, "ReduceMax"))
        return plan_reduce(b, c, s, 2);
    if (!strcmp(op, "ReduceMin"))
        return plan_reduce(b, c, s, 3);
    if (!strcmp(op, "Softmax"))
        return plan_softmax(b, c, s, 0);
    if (!strcmp(op, "LogSoftmax"))
        return plan_softmax(b, c, s, 1);
    if (!strcmp(op, "LSTM"))
        return plan_rnn(b, c, s, 0);
    if (!strcmp(op, "GRU"))
        return plan_rnn(b, c, s, 1);
    if (!strcmp(op, "Cast")) {
        int64_t to = attr_i(n, "to", 0);
        if (to != NNFX_DT_FLOAT && to != NNFX_DT_DOUBLE)
            return UNSUP("not supported: cast of a runtime tensor to type %lld (only float)",
                         (long long)to);
        s->n_in = 1;
        return plan_unary(b, c, s, NX_U_IDENTITY, 0, 0);
    }
    return UNSUP("not supported: no runtime kernel for this op");
}

/* ------------------------------------------------------- constant folding */

static void *tmp_alloc(nx_builder *b, nx_val *v, size_t es)
{
    (void)b;
    v->tmp = nx_calloc((size_t)(v->count ? v->count : 1), es);
    v->tmp_owned = 1;
    v->data = (float *)v->tmp;
    return v->tmp;
}

/* Ops folded by dedicated code (shape arithmetic that the runtime never runs). */
static nnfx_result fold_special(nx_builder *b, const nx_ctx *c, int *done)
{
    const nx_onnx_node *n = c->n;
    const char *op = n->op_type;
    nx_val *x = IN(0), *y = c->nout > 0 && c->out[0] >= 0 ? OUT(0) : NULL;
    int64_t i;
    *done = 1;
    if (!y)
        return BADF("missing output");
    if (!strcmp(op, "Shape") || !strcmp(op, "Size")) {
        int64_t st = attr_i(n, "start", 0), en = attr_i(n, "end", x ? x->ndim : 0), *o;
        if (!x)
            return BADF("missing input");
        if (!strcmp(op, "Size")) {
            y->ndim = 0;
            y->count = 1;
            y->dtype = NX_I64;
            if (!tmp_alloc(b, y, 8))
                return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
            ((int64_t *)y->tmp)[0] = x->count;
            return NNFX_OK;
        }
        if (st < 0)
            st += x->ndim;
        if (en < 0)
            en += x->ndim;
        st = st < 0 ? 0 : (st > x->ndim ? x->ndim : st);
        en = en < 0 ? 0 : (en > x->ndim ? x->ndim : en);
        y->ndim = 1;
        y->dims[0] = en > st ? en - st : 0;
        y->count = y->dims[0];
        y->dtype = NX_I64;
        o = (int64_t *)tmp_alloc(b, y, 8);
        if (!o)
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
        for (i = st; i < en; i++)
            o[i - st] = x->dims[i];
        return NNFX_OK;
    }
    if (!strcmp(op, "ConstantOfShape")) {
        int64_t sh[NX_MAX_IO];
        int cnt = const_ints(b, c->in[0], sh, NNFX_MAX_DIMS), k;
        const nx_onnx_attr *a = nx_onnx_attr_find(n, "value");
        nnfx_result r;
        int isint = 0;
        double val = 0.0;
        if (cnt < 0)
            return UNSUP("shape must be constant");
        if (a && a->type == NNFX_ATTR_TENSOR && a->t && a->t->count == 1 && a->t->data) {
            switch (a->t->dtype) {
            case NNFX_DT_FLOAT: val = ((const float *)a->t->data)[0]; break;
            case NNFX_DT_DOUBLE: val = ((const double *)a->t->data)[0]; break;
            case NNFX_DT_INT64: val = (double)((const int64_t *)a->t->data)[0]; isint = 1; break;
            case NNFX_DT_INT32: val = ((const int32_t *)a->t->data)[0]; isint = 1; break;
            case NNFX_DT_BOOL: case NNFX_DT_UINT8: val = ((const uint8_t *)a->t->data)[0]; isint = 1; break;
            default: return UNSUP("value type %d", (int)a->t->dtype);
            }
        }
        for (k = 0; k < cnt; k++)
            if (sh[k] <= 0)
                return UNSUP("empty tensors are not supported");
        r = set_shape(b, n, y, cnt, sh);
        if (r)
            return r;
        y->dtype = isint ? NX_I64 : NX_F32;
        if (!tmp_alloc(b, y, isint ? 8 : 4))
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
        for (i = 0; i < y->count; i++) {
            if (isint)
                ((int64_t *)y->tmp)[i] = (int64_t)val;
            else
                ((float *)y->tmp)[i] = (float)val;
        }
        return NNFX_OK;
    }
    if (!strcmp(op, "Range")) {
        nx_val *a0 = IN(0), *a1 = IN(1), *a2 = IN(2);
        int64_t cnt;
        if (!a0 || !a1 || !a2 || a0->count != 1 || a1->count != 1 || a2->count != 1)
            return BADF("start/limit/delta must be scalars");
        if (a0->dtype == NX_I64) {
            int64_t s0 = ((int64_t *)a0->tmp)[0], l = ((int64_t *)a1->tmp)[0],
                    dd = ((int64_t *)a2->tmp)[0];
            double cd;
            if (dd == 0)
                return BADF("delta 0");
            cd = ceil(((double)l - (double)s0) / (double)dd);
            if (!(cd >= 1 && cd <= NX_ONNX_MAX_TENSOR_ELEMS))
                return UNSUP("range of %g elements", cd);
            cnt = (int64_t)cd;
            y->ndim = 1;
            y->dims[0] = y->count = cnt;
            y->dtype = NX_I64;
            if (!tmp_alloc(b, y, 8))
                return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
            for (i = 0; i < cnt; i++)
                ((int64_t *)y->tmp)[i] = (int64_t)((uint64_t)s0 + (uint64_t)i * (uint64_t)dd);
        } else {
            float s0 = ((float *)a0->tmp)[0], l = ((float *)a1->tmp)[0],
                  dd = ((float *)a2->tmp)[0];
            double cd = ceil(((double)l - s0) / dd);
            if (!(cd >= 1 && cd <= NX_ONNX_MAX_TENSOR_ELEMS))
                return UNSUP("range of %g elements", cd);
            cnt = (int64_t)cd;
            y->ndim = 1;
            y->dims[0] = y->count = cnt;
            if (!tmp_alloc(b, y, 4))
                return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
            for (i = 0; i < cnt; i++)
                ((float *)y->tmp)[i] = s0 + (float)i * dd;
        }
        return NNFX_OK;
    }
    if (!strcmp(op, "Cast")) {
        int64_t to = attr_i(n, "to", 0);
        int toint = !(to == NNFX_DT_FLOAT || to == NNFX_DT_DOUBLE);
        nnfx_result r;
        if (!x)
            return BADF("missing input");
        r = set_shape(b, n, y, x->ndim, x->dims);
        if (r)
            return r;
        y->dtype = toint ? NX_I64 : NX_F32;
        if (!tmp_alloc(b, y, toint ? 8 : 4))
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
        for (i = 0; i < x->count; i++) {
            double v = x->dtype == NX_I64 ? (double)((int64_t *)x->tmp)[i]
                                          : (double)((float *)x->tmp)[i];
            if (toint) {
                if (to == NNFX_DT_BOOL)
                    v = v != 0.0;
                ((int64_t *)y->tmp)[i] = (v > -9.2e18 && v < 9.2e18) ? (int64_t)v : 0;
            } else {
                ((float *)y->tmp)[i] = (float)v;
            }
        }
        return NNFX_OK;
    }
    if (!strcmp(op, "Where")) {
        nx_val *cv = IN(0), *a = IN(1), *bb = IN(2);
        int64_t od[NNFX_MAX_DIMS] = {0}, od2[NNFX_MAX_DIMS];
        int on, on2;
        nx_val t1;
        nnfx_result r;
        if (!cv || !a || !bb || a->dtype != bb->dtype)
            return UNSUP("inputs of mixed types");
        if (!broadcast(a, bb, &on, od))
            return BADF("inputs do not broadcast");
        memset(&t1, 0, sizeof t1);
        t1.ndim = on;
        memcpy(t1.dims, od, sizeof od);
        if (!broadcast(cv, &t1, &on2, od2))
            return BADF("condition does not broadcast");
        r = set_shape(b, n, y, on2, od2);
        if (r)
            return r;
        y->dtype = a->dtype;
        {
            size_t es = a->dtype == NX_I64 ? 8 : 4;
            char *ea = (char *)nx_malloc((size_t)y->count * es);
            char *eb = (char *)nx_malloc((size_t)y->count * es);
            int64_t *ec = (int64_t *)nx_malloc((size_t)y->count * 8);
            int64_t *cc64 = NULL;
            if (!ea || !eb || !ec || !tmp_alloc(b, y, es)) {
                nx_free(ea);
                nx_free(eb);
                nx_free(ec);
                return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
            }
            if (cv->dtype != NX_I64) {
                cc64 = (int64_t *)nx_malloc((size_t)cv->count * 8);
                if (!cc64) {
                    nx_free(ea);
                    nx_free(eb);
                    nx_free(ec);
                    return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
                }
                for (i = 0; i < cv->count; i++)
                    cc64[i] = ((float *)cv->tmp)[i] != 0.0f;
            }
            nx_expand_raw(a->tmp, ea, es, a->ndim, a->dims, y->ndim, y->dims);
            nx_expand_raw(bb->tmp, eb, es, bb->ndim, bb->dims, y->ndim, y->dims);
            nx_expand_raw(cc64 ? cc64 : cv->tmp, ec, 8, cv->ndim, cv->dims, y->ndim, y->dims);
            for (i = 0; i < y->count; i++)
                memcpy((char *)y->tmp + (size_t)i * es,
                       (ec[i] ? ea : eb) + (size_t)i * es, es);
            nx_free(ea);
            nx_free(eb);
            nx_free(ec);
            nx_free(cc64);
        }
        return NNFX_OK;
    }
    if (!strcmp(op, "Not")) {
        nnfx_result r;
        if (!x || x->dtype != NX_I64)
            return UNSUP("input must be boolean");
        r = set_shape(b, n, y, x->ndim, x->dims);
        if (r)
            return r;
        y->dtype = NX_I64;
        if (!tmp_alloc(b, y, 8))
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
        for (i = 0; i < x->count; i++)
            ((int64_t *)y->tmp)[i] = !((int64_t *)x->tmp)[i];
        return NNFX_OK;
    }
    *done = 0;
    return NNFX_OK;
}

/* Fold a node whose inputs are all constant: plan it, then run it once now. */
static nnfx_result fold_node(nx_builder *b, nx_ctx *c)
{
    const nx_onnx_node *n = c->n;
    nx_step st;
    nx_exec e;
    int done = 0, i, anyint = 0;
    nnfx_result r;
    c->folding = 1;
    r = fold_special(b, c, &done);
    if (r || done)
        goto finish;
    for (i = 0; i < c->nin; i++)
        if (c->in[i] >= 0 && b->v[c->in[i]].dtype == NX_I64)
            anyint = 1;
    memset(&st, 0, sizeof st);
    r = plan_op(b, c, &st);
    if (r)
        return r;
    /* allocate outputs */
    for (i = 0; i < c->nout; i++) {
        nx_val *y;
        if (c->out[i] < 0)
            continue;
        y = OUT(i);
        if (!y->ndim && !y->count)
            y->count = 1;
        if (!tmp_alloc(b, y, y->dtype == NX_I64 ? 8 : 4))
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    }
    if (anyint) {
        if (st.op == NX_OP_BINARY) {
            nx_val *a = IN(0), *bb = IN(1), *y = OUT(0);
            nx_binary_i64(st.sub, (int64_t *)a->tmp, a->dims, a->ndim, (int64_t *)bb->tmp,
                          bb->dims, bb->ndim, (int64_t *)y->tmp, y->dims, y->ndim);
            goto finish;
        }
        if (st.op == NX_OP_UNARY && (st.sub == NX_U_IDENTITY || st.sub == NX_U_NEG ||
                                     st.sub == NX_U_ABS || st.sub == NX_U_FLOOR ||
                                     st.sub == NX_U_CEIL)) {
            nx_val *y = OUT(0);
            y->dtype = NX_I64;
            for (i = 0; i < (int)IN(0)->count; i++) {
                int64_t v = ((int64_t *)IN(0)->tmp)[i];
                if (st.sub == NX_U_NEG)
                    v = (int64_t)(0 - (uint64_t)v);
                if (st.sub == NX_U_ABS && v < 0)
                    v = (int64_t)(0 - (uint64_t)v);
                ((int64_t *)y->tmp)[i] = v;
            }
            goto finish;
        }
        if (st.op == NX_OP_TRANSPOSE || st.op == NX_OP_SLICE || st.op == NX_OP_CONCAT ||
            st.op == NX_OP_SPLIT || st.op == NX_OP_GATHER || st.op == NX_OP_COPY ||
            st.op == NX_OP_EXPAND) {
            st.es = IN(0)->dtype == NX_I64 ? 8 : 4;
        } else {
            return UNSUP("integer tensors are only folded for shape arithmetic");
        }
    }
    e.v = b->v;
    e.T = -1;
    st.run(&st, &e);
finish:
    for (i = 0; i < c->nout; i++) {
        if (c->out[i] < 0)
            continue;
        OUT(i)->cls = NX_CONST;
        OUT(i)->time_axis = -1;
        OUT(i)->alias_of = -1;
        OUT(i)->data = (float *)OUT(i)->tmp;
    }
    return r;
}

/* ------------------------------------------------------------ the build */

static nnfx_result add_const_tensor(nx_builder *b, int vi, const nx_onnx_tensor *t,
                                    const char *what)
{
    nx_val *v = &b->v[vi];
    int64_t i;
    if (t->ndim < 0 || t->ndim > NNFX_MAX_DIMS)
        return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED, "%s '%s': rank %d", what, t->name,
                              t->ndim);
    v->cls = NX_CONST;
    v->ndim = t->ndim;
    v->count = 1;
    for (i = 0; i < t->ndim; i++) {
        if (t->dims[i] < 0 || t->dims[i] > NX_ONNX_MAX_TENSOR_ELEMS ||
            (t->dims[i] > 0 && v->count > NX_ONNX_MAX_TENSOR_ELEMS / t->dims[i]))
            return nx_set_error(b->err, NNFX_ERR_LIMIT, "%s '%s': dimension %lld too large",
                                  what, t->name, (long long)i);
        v->dims[i] = t->dims[i];
        v->count *= t->dims[i];
    }
    if (v->count != t->count || v->count <= 0 || !t->data)
        return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                              "%s '%s': empty or inconsistent tensor", what, t->name);
    switch (t->dtype) {
    case NNFX_DT_FLOAT:
        v->dtype = NX_F32;
        v->tmp = t->data;
        break;
    case NNFX_DT_DOUBLE:
        v->dtype = NX_F32;
        if (!tmp_alloc(b, v, 4))
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
        for (i = 0; i < v->count; i++)
            ((float *)v->tmp)[i] = (float)((const double *)t->data)[i];
        break;
    case NNFX_DT_INT64:
        v->dtype = NX_I64;
        v->tmp = t->data;
        break;
    case NNFX_DT_INT32: case NNFX_DT_INT8: case NNFX_DT_UINT8: case NNFX_DT_BOOL:
        v->dtype = NX_I64;
        if (!tmp_alloc(b, v, 8))
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
        for (i = 0; i < v->count; i++) {
            int64_t x;
            if (t->dtype == NNFX_DT_INT32)
                x = ((const int32_t *)t->data)[i];
            else if (t->dtype == NNFX_DT_INT8)
                x = ((const int8_t *)t->data)[i];
            else
                x = ((const uint8_t *)t->data)[i];
            ((int64_t *)v->tmp)[i] = x;
        }
        break;
    default:
        return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED, "%s '%s': element type %d",
                              what, t->name, (int)t->dtype);
    }
    v->data = (float *)v->tmp;
    v->defined = 1;
    return NNFX_OK;
}

static int define_name(nx_builder *b, const char *name, int *vi)
{
    int ex = -1, r;
    *vi = new_val(b);
    if (*vi < 0)
        return -1;
    r = nx_names_put(&b->names, name, *vi, &ex);
    if (r == 0)
        return -2; /* duplicate */
    if (r < 0)
        return -1;
    return 0;
}

static nnfx_result add_inputs(nx_builder *b)
{
    const nx_onnx_model *om = b->om;
    nnfx_model *m = b->m;
    int i, k;
    m->audio_in = m->params = -1;
    for (i = 0; i < om->n_inputs; i++) {
        const nx_onnx_value_info *in = &om->inputs[i];
        nx_val *v;
        int vi, r = define_name(b, in->name, &vi), is_state;
        if (r == -2)
            return nx_set_error(b->err, NNFX_ERR_FORMAT, "graph input '%s' is defined twice",
                                  in->name);
        if (r < 0)
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
        v = &b->v[vi];
        if (in->elem_type != NNFX_DT_FLOAT)
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                  "graph input '%s': element type %d, expected float32",
                                  in->name, (int)in->elem_type);
        if (in->ndim < 0 || in->ndim > NNFX_MAX_DIMS)
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                  "graph input '%s' has no fixed shape", in->name);
        v->ndim = in->ndim;
        v->count = 1;
        for (k = 0; k < in->ndim; k++) {
            if (in->dims[k] <= 0 || in->dims[k] > NX_ONNX_MAX_TENSOR_ELEMS ||
                v->count > NX_ONNX_MAX_TENSOR_ELEMS / in->dims[k])
                return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                      "graph input '%s': dimension %d is %lld (shapes must be "
                                      "fixed and positive)", in->name, k,
                                      (long long)in->dims[k]);
            v->dims[k] = in->dims[k];
            v->count *= in->dims[k];
        }
        v->defined = 1;
        is_state = !strncmp(in->name, "state_in.", 9);
        if (!strcmp(in->name, "audio_in")) {
            if (in->ndim != 3 || in->dims[0] != 1)
                return nx_set_error(b->err, NNFX_ERR_FORMAT,
                                      "graph input 'audio_in' must have shape [1, C_in, M + N]");
            v->cls = NX_DYN;
            v->time_axis = 2;
            m->audio_in = vi;
        } else if (!strcmp(in->name, "params")) {
            if (in->ndim != 2 || in->dims[0] != 1)
                return nx_set_error(b->err, NNFX_ERR_FORMAT,
                                      "graph input 'params' must have shape [1, P]");
            v->cls = NX_PARAM;
            m->params = vi;
        } else if (is_state) {
            v->cls = NX_DYN;
            m->nstate++;
        } else {
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                  "graph input '%s' is not audio_in, params or state_in.<k>",
                                  in->name);
        }
    }
    if (m->audio_in < 0)
        return nx_set_error(b->err, NNFX_ERR_FORMAT, "the graph has no input 'audio_in'");
    return NNFX_OK;
}

static nnfx_result add_node(nx_builder *b, const nx_onnx_node *n)
{
    nx_ctx c;
    int i, maxcls = NX_CONST, allconst = 1;
    nnfx_result r;
    memset(&c, 0, sizeof c);
    c.n = n;
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
        return UNSUP("not supported: operator domain '%s'", n->domain);
    if (n->n_inputs > NX_MAX_IO || n->n_outputs > NX_MAX_IO)
        return UNSUP("not supported: more than %d inputs or outputs", NX_MAX_IO);
    c.nin = n->n_inputs;
    c.nout = n->n_outputs;
    for (i = 0; i < c.nin; i++) {
        if (!n->inputs[i][0]) {
            c.in[i] = -1;
            continue;
        }
        c.in[i] = nx_names_get(&b->names, n->inputs[i]);
        if (c.in[i] < 0)
            return BADF("input '%s' is not produced by any earlier node, initializer or graph "
                        "input", n->inputs[i]);
        if (b->v[c.in[i]].cls > maxcls)
            maxcls = b->v[c.in[i]].cls;
        if (b->v[c.in[i]].cls != NX_CONST)
            allconst = 0;
    }
    for (i = 0; i < c.nout; i++) {
        int rr;
        if (!n->outputs[i][0]) {
            c.out[i] = -1;
            continue;
        }
        rr = define_name(b, n->outputs[i], &c.out[i]);
        if (rr == -2)
            return BADF("output '%s' is defined twice", n->outputs[i]);
        if (rr < 0)
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    }
    if (c.nout < 1 || c.out[0] < 0)
        return BADF("node has no output");
    if (!strcmp(n->op_type, "Constant")) {
        const nx_onnx_attr *a = n->n_attrs > 0 ? &n->attrs[0] : NULL;
        nx_val *y = &b->v[c.out[0]];
        if (!a)
            return BADF("no value");
        if (!strcmp(a->name, "value") && a->type == NNFX_ATTR_TENSOR && a->t)
            return add_const_tensor(b, c.out[0], a->t, "constant");
        y->cls = NX_CONST;
        y->defined = 1;
        if (!strcmp(a->name, "value_float") || !strcmp(a->name, "value_int")) {
            y->ndim = 0;
            y->count = 1;
            y->dtype = a->type == NNFX_ATTR_FLOAT ? NX_F32 : NX_I64;
            if (!tmp_alloc(b, y, y->dtype == NX_I64 ? 8 : 4))
                return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
            if (y->dtype == NX_I64)
                ((int64_t *)y->tmp)[0] = a->i;
            else
                ((float *)y->tmp)[0] = a->f;
            return NNFX_OK;
        }
        if ((!strcmp(a->name, "value_floats") || !strcmp(a->name, "value_ints")) && a->n > 0 &&
            a->n <= NX_ONNX_MAX_TENSOR_ELEMS) {
            size_t k;
            y->ndim = 1;
            y->dims[0] = y->count = (int64_t)a->n;
            y->dtype = a->type == NNFX_ATTR_FLOATS ? NX_F32 : NX_I64;
            if (!tmp_alloc(b, y, y->dtype == NX_I64 ? 8 : 4))
                return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
            for (k = 0; k < a->n; k++) {
                if (y->dtype == NX_I64)
                    ((int64_t *)y->tmp)[k] = a->ints[k];
                else
                    ((float *)y->tmp)[k] = a->floats[k];
            }
            return NNFX_OK;
        }
        return UNSUP("not supported: constant attribute '%s'", a->name);
    }
    if (!strcmp(n->op_type, "Shape") || !strcmp(n->op_type, "Size")) {
        int done;
        c.folding = 1;
        r = fold_special(b, &c, &done);
        b->v[c.out[0]].cls = NX_CONST;
        b->v[c.out[0]].defined = 1;
        b->v[c.out[0]].data = (float *)b->v[c.out[0]].tmp;
        return r;
    }
    if (allconst)
        return fold_node(b, &c);
    {
        nx_step *s = new_step(b);
        if (!s)
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
        r = plan_op(b, &c, s);
        if (r)
            return r;
        for (i = 0; i < c.nout; i++) {
            if (c.out[i] < 0)
                continue;
            b->v[c.out[i]].producer = b->nsteps;
            if (b->v[c.out[i]].ndim == 0 && b->v[c.out[i]].count == 0)
                b->v[c.out[i]].count = 1;
            b->v[c.out[i]].cls = maxcls;
            b->v[c.out[i]].defined = 1;
            if (b->v[c.out[i]].dtype != NX_F32)
                return UNSUP("not supported: integer result at run time");
        }
        if (maxcls == NX_PARAM) {
            /* knob-only values have no time axis */
            for (i = 0; i < c.nout; i++)
                if (c.out[i] >= 0)
                    b->v[c.out[i]].time_axis = -1;
        }
        /* inputs promoted to per-block values by this node (see promote_time) */
        for (i = 0; i < c.nin; i++)
            if (c.in[i] >= 0 && b->v[c.in[i]].cls > maxcls)
                maxcls = b->v[c.in[i]].cls;
        for (i = 0; i < c.nout; i++)
            if (c.out[i] >= 0)
                b->v[c.out[i]].cls = maxcls;
        b->nsteps++;
    }
    return NNFX_OK;
}

typedef struct {
    void **slot;
    size_t bytes;
} nx_req;

static size_t align64(size_t x) { return (x + 63) & ~(size_t)63; }

static int64_t rt_count(const nx_builder *b, const nx_val *v)
{
    if (b->stream && v->time_axis >= 0)
        return v->count / v->dims[v->time_axis] * b->max_block;
    return v->count;
}

static int root_of(const nx_builder *b, int vi)
{
    int guard = 0;
    while (b->v[vi].alias_of >= 0 && guard++ < b->nv)
        vi = b->v[vi].alias_of;
    return vi;
}

/* Per-block values share memory when their lifetimes (first write .. last read, in step order)
 * do not overlap: greedy placement, largest first, at the lowest offset free of every placed
 * value whose lifetime intersects. Values read after the run (audio_out, state_out) live to
 * the end. Writes each shared root's offset into off[]; returns the region size. */
static size_t share_buffers(nx_builder *b, const int *first, const int *last,
                            const char *shared, size_t *off, int *order)
{
    size_t region = 0;
    int n = 0, i, j, k;
    for (i = 0; i < b->nv; i++)
        if (shared[i])
            order[n++] = i;
    /* sort by size, largest first (insertion sort: value counts are small) */
    for (i = 1; i < n; i++) {
        int x = order[i];
        size_t sx = (size_t)rt_count(b, &b->v[x]);
        for (j = i - 1; j >= 0 && (size_t)rt_count(b, &b->v[order[j]]) < sx; j--)
            order[j + 1] = order[j];
        order[j + 1] = x;
    }
        for (i = 0; i < n; i++) {
        int x = order[i];
        size_t sz = align64((size_t)rt_count(b, &b->v[x]) * sizeof(float)), cand = 0;
        int moved = 1;
        while (moved) {
            moved = 0;
            for (k = 0; k < i; k++) {
                int y = order[k];
                size_t sy = align64((size_t)rt_count(b, &b->v[y]) * sizeof(float));
                if (first[y] > last[x] || first[x] > last[y])
                    continue; /* lifetimes disjoint */
                if (cand < off[y] + sy && off[y] < cand + sz) {
                    cand = off[y] + sy;
                    moved = 1;
                }
            }
        }
        off[x] = cand;
        if (cand + sz > region)
            region = cand + sz;
    }
    return region;
}

static nnfx_result finish(nx_builder *b, size_t max_memory)
{
    nnfx_model *m = b->m;
    const nx_onnx_model *om = b->om;
    nx_req *reqs = NULL;
    int nreq = 0, capreq, i, j, k, npre = 0, nmain = 0;
    char *live = NULL, *shared = NULL;
    int *first = NULL, *last = NULL, *order = NULL;
    size_t *shoff = NULL, shared_bytes = 0;
    void *shared_base = NULL;
    size_t total = 0, off = 0;
    nnfx_result r = NNFX_OK;

    /* outputs */
    m->audio_out = -1;
    m->state_in = (int *)nx_calloc((size_t)(m->nstate + 1), sizeof(int));
    m->state_out = (int *)nx_calloc((size_t)(m->nstate + 1), sizeof(int));
    if (!m->state_in || !m->state_out)
        return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    k = 0;
    for (i = 0; i < om->n_inputs; i++) {
        const char *nm = om->inputs[i].name;
        char want[NX_ONNX_MAX_NAME + 16];
        int so;
        if (strncmp(nm, "state_in.", 9))
            continue;
        snprintf(want, sizeof want, "state_out.%s", nm + 9);
        for (j = 0; j < om->n_outputs; j++)
            if (!strcmp(om->outputs[j].name, want))
                break;
        if (j == om->n_outputs)
            return nx_set_error(b->err, NNFX_ERR_FORMAT,
                                  "graph input '%s' has no matching output '%s'", nm, want);
        so = nx_names_get(&b->names, want);
        if (so < 0 || !b->v[so].defined)
            return nx_set_error(b->err, NNFX_ERR_FORMAT, "graph output '%s' is not produced",
                                  want);
        m->state_in[k] = nx_names_get(&b->names, nm);
        m->state_out[k] = so;
        if (b->v[so].count != b->v[m->state_in[k]].count)
            return nx_set_error(b->err, NNFX_ERR_FORMAT,
                                  "'%s' has %lld elements but '%s' has %lld", want,
                                  (long long)b->v[so].count, nm,
                                  (long long)b->v[m->state_in[k]].count);
        if (b->v[so].time_axis >= 0 && b->stream)
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                  "'%s' depends on the frames of the block, not only on the "
                                  "state: cannot stream", want);
        if (b->v[so].cls == NX_CONST)
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED, "'%s' is a constant", want);
        k++;
    }
    for (j = 0; j < om->n_outputs; j++)
        if (!strcmp(om->outputs[j].name, "audio_out"))
            m->audio_out = nx_names_get(&b->names, "audio_out");
    if (m->audio_out < 0 || !b->v[m->audio_out].defined)
        return nx_set_error(b->err, NNFX_ERR_FORMAT, "the graph has no output 'audio_out'");
    {
        nx_val *y = &b->v[m->audio_out];
        if (y->cls != NX_DYN)
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                  "'audio_out' does not depend on audio_in or state");
        if (y->ndim != 3 || y->dims[0] != 1)
            return nx_set_error(b->err, NNFX_ERR_FORMAT,
                                  "'audio_out' has rank %d; expected [1, C_out, N]", y->ndim);
        if (b->stream && y->time_axis != 2)
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                  "the last axis of 'audio_out' is not the time axis of "
                                  "'audio_in' (it is axis %d): cannot stream", y->time_axis);
    }

    /* dead-step removal */
    live = (char *)nx_calloc((size_t)(b->nsteps + 1), 1);
    if (!live)
        return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    b->v[m->audio_out].needed = 1;
    for (i = 0; i < m->nstate; i++)
        b->v[m->state_out[i]].needed = 1;
    for (i = b->nsteps - 1; i >= 0; i--) {
        nx_step *s = &b->steps[i];
        for (j = 0; j < s->n_out; j++)
            if (s->out[j] >= 0 && b->v[s->out[j]].needed)
                live[i] = 1;
        if (!live[i])
            continue;
        for (j = 0; j < s->n_in; j++)
            if (s->in[j] >= 0)
                b->v[s->in[j]].needed = 1;
        for (j = 0; j < s->n_out; j++)
            if (s->out[j] >= 0 && b->v[s->out[j]].alias_of >= 0)
                b->v[b->v[s->out[j]].alias_of].needed = 1;
        /* outputs of a live step all need buffers (kernels write them) */
        for (j = 0; j < s->n_out; j++)
            if (s->out[j] >= 0)
                b->v[s->out[j]].needed = 1;
        if (b->v[s->out[0] >= 0 ? s->out[0] : s->out[1]].cls == NX_PARAM)
            npre++;
        else
            nmain++;
    }
    b->v[m->audio_in].needed = 1;
    if (m->params >= 0)
        b->v[m->params].needed = 1;
    for (i = 0; i < m->nstate; i++)
        b->v[m->state_in[i]].needed = 1;

    /* lifetimes of per-block values, in the order the main steps run */
    first = (int *)nx_malloc((size_t)(b->nv + 1) * sizeof(int));
    last = (int *)nx_malloc((size_t)(b->nv + 1) * sizeof(int));
    order = (int *)nx_malloc((size_t)(b->nv + 1) * sizeof(int));
    shoff = (size_t *)nx_calloc((size_t)(b->nv + 1), sizeof(size_t));
    shared = (char *)nx_calloc((size_t)(b->nv + 1), 1);
    if (!first || !last || !order || !shoff || !shared) {
        r = nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < b->nv; i++) {
        first[i] = 0x7fffffff;
        last[i] = -1;
    }
    {
        int p = 0;
        for (i = 0; i < b->nsteps; i++) {
            nx_step *s = &b->steps[i];
            if (!live[i] || b->v[s->out[0] >= 0 ? s->out[0] : s->out[1]].cls != NX_DYN)
                continue;
            for (j = 0; j < s->n_out; j++) {
                int rt;
                if (s->out[j] < 0)
                    continue;
                rt = root_of(b, s->out[j]);
                if (first[rt] > p)
                    first[rt] = p;
                if (last[rt] < p)
                    last[rt] = p;
            }
            for (j = 0; j < s->n_in; j++) {
                int rt;
                if (s->in[j] < 0)
                    continue;
                rt = root_of(b, s->in[j]);
                if (last[rt] < p)
                    last[rt] = p;
            }
            p++;
        }
        last[root_of(b, m->audio_out)] = 0x7fffffff;
        for (i = 0; i < m->nstate; i++)
            last[root_of(b, m->state_out[i])] = 0x7fffffff;
        for (i = 0; i < b->nv; i++) {
            nx_val *v = &b->v[i];
            int is_input = i == m->audio_in || i == m->params;
            for (j = 0; j < m->nstate; j++)
                is_input |= i == m->state_in[j];
            shared[i] = v->needed && v->alias_of < 0 && v->cls == NX_DYN && !is_input &&
                        last[i] >= 0 && first[i] != 0x7fffffff;
        }
        shared_bytes = share_buffers(b, first, last, shared, shoff, order);
    }

    /* memory requests */
    capreq = b->nv + b->nsteps + 4;
    reqs = (nx_req *)nx_calloc((size_t)capreq, sizeof *reqs);
    if (!reqs) {
        r = nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (shared_bytes) {
        reqs[nreq].slot = (void **)&shared_base;
        reqs[nreq].bytes = shared_bytes;
        nreq++;
    }
    for (i = 0; i < b->nv; i++) {
        nx_val *v = &b->v[i];
        if (!v->needed || v->alias_of >= 0 || shared[i])
            continue;
        if (v->cls == NX_CONST) {
            if (v->dtype != NX_F32) {
                r = nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                   "an integer constant is used as data at run time");
                goto out;
            }
            m->weight_bytes += (size_t)v->count * sizeof(float);
        }
        if ((uint64_t)rt_count(b, v) > (uint64_t)(SIZE_MAX / 8)) {
            r = nx_set_error(b->err, NNFX_ERR_LIMIT, "a tensor is too large for this machine");
            goto out;
        }
        reqs[nreq].slot = (void **)&v->data;
        reqs[nreq].bytes = (size_t)rt_count(b, v) * sizeof(float);
        nreq++;
    }
    for (i = 0; i < b->nsteps; i++) {
        nx_step *s = &b->steps[i];
        if (!live[i])
            continue;
        if (s->op == NX_OP_CONV && s->stream) {
            uint64_t rb;
            s->ring_len = s->hist + b->max_block;
            rb = (uint64_t)b->v[s->in[0]].dims[1] * (uint64_t)s->ring_len * sizeof(float);
            if (rb > (uint64_t)(SIZE_MAX / 4)) {
                r = nx_set_error(b->err, NNFX_ERR_LIMIT, "a history is too large");
                goto out;
            }
            reqs[nreq].slot = (void **)&s->ring;
            reqs[nreq].bytes = (size_t)rb;
            nreq++;
        } else if (s->op == NX_OP_LSTM || s->op == NX_OP_GRU) {
            const nx_val *x = &b->v[s->in[0]];
            size_t Bn = (size_t)(s->ia[0] ? x->dims[0] : x->dims[1]), H = (size_t)s->n;
            reqs[nreq].slot = (void **)&s->scratch;
            reqs[nreq].bytes = (s->op == NX_OP_LSTM ? 2 * Bn * H + 4 * H : Bn * H + 5 * H) *
                               sizeof(float);
            nreq++;
        }
    }
    for (i = 0; i < nreq; i++) {
        if (reqs[i].bytes > max_memory || total > max_memory) {
            total = max_memory + 1;
            break;
        }
        total += align64(reqs[i].bytes);
    }
    if (total > max_memory) {
        r = nx_set_error(b->err, NNFX_ERR_LIMIT,
                           "the model needs more than the memory limit of %zu bytes",
                           max_memory);
        goto out;
    }
    m->arena = nx_calloc(total ? total : 1, 1);
    if (!m->arena) {
        r = nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory (%zu bytes)", total);
        goto out;
    }
    m->arena_bytes = total;
    /* constant data: copy before the slots are overwritten */
    for (i = 0; i < nreq; i++) {
        void *dst = (char *)m->arena + off;
        float *src = *(float **)reqs[i].slot;
        int is_const = 0;
        for (j = 0; j < 1; j++) {
            /* slot points at nx_val.data for values; constants carry their data there */
            char *p = (char *)reqs[i].slot;
            if (p >= (char *)b->v && p < (char *)(b->v + b->nv)) {
                nx_val *v = (nx_val *)(void *)(p - offsetof(nx_val, data));
                is_const = v->cls == NX_CONST;
            }
        }
        if (is_const && src)
            memcpy(dst, src, reqs[i].bytes);
        *reqs[i].slot = dst;
        off += align64(reqs[i].bytes);
    }
    for (i = 0; i < b->nv; i++)
        if (shared[i])
            b->v[i].data = (float *)(void *)((char *)shared_base + shoff[i]);
    /* aliases */
    for (i = 0; i < b->nv; i++) {
        nx_val *v = &b->v[i];
        int root = i, guard = 0;
        while (b->v[root].alias_of >= 0 && guard++ < b->nv)
            root = b->v[root].alias_of;
        if (root != i && v->needed)
            v->data = b->v[root].data;
    }
    /* split the live steps */
    m->pre = (nx_step *)nx_calloc((size_t)(npre + 1), sizeof(nx_step));
    m->main = (nx_step *)nx_calloc((size_t)(nmain + 1), sizeof(nx_step));
    if (!m->pre || !m->main) {
        r = nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < b->nsteps; i++) {
        nx_step *s = &b->steps[i];
        if (!live[i])
            continue;
        if (b->v[s->out[0] >= 0 ? s->out[0] : s->out[1]].cls == NX_PARAM) {
            m->pre[m->npre++] = *s;
        } else {
            m->main[m->nmain++] = *s;
            if (b->v[s->out[0] >= 0 ? s->out[0] : s->out[1]].time_axis >= 0)
                m->macs_per_sample += s->macs;
        }
    }
    m->memory_bytes = total + (size_t)(m->npre + m->nmain + 2) * sizeof(nx_step) +
                      (size_t)b->nv * sizeof(nx_val) + sizeof(nnfx_model);
out:
    nx_free(reqs);
    nx_free(live);
    nx_free(first);
    nx_free(last);
    nx_free(order);
    nx_free(shoff);
    nx_free(shared);
    return r;
}

static void free_tmp(nx_builder *b)
{
    int i;
    for (i = 0; i < b->nv; i++) {
        if (b->v[i].tmp_owned)
            nx_free(b->v[i].tmp);
        b->v[i].tmp = NULL;
        b->v[i].tmp_owned = 0;
    }
}

nnfx_result nx_plan_build(nnfx_model *m, const nx_onnx_model *om, size_t max_memory,
                          nnfx_error *err)
{
    nx_builder b;
    size_t expected;
    int i;
    nnfx_result r;
    memset(&b, 0, sizeof b);
    b.om = om;
    b.m = m;
    b.err = err;
    b.stream = m->mode == NNFX_MODE_STREAM;
    b.max_block = m->chunk;
    expected = (size_t)om->n_inputs + (size_t)om->n_initializers + 16;
    for (i = 0; i < om->n_nodes; i++)
        expected += (size_t)om->nodes[i].n_outputs;
    if (nx_names_init(&b.names, expected))
        return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory");
    r = add_inputs(&b);
    for (i = 0; !r && i < om->n_initializers; i++) {
        int vi, d = define_name(&b, om->initializers[i].name, &vi);
        if (d == -2)
            r = nx_set_error(err, NNFX_ERR_FORMAT, "initializer '%s' is defined twice",
                               om->initializers[i].name);
        else if (d < 0)
            r = nx_set_error(err, NNFX_ERR_NOMEM, "out of memory");
        else
            r = add_const_tensor(&b, vi, &om->initializers[i], "initializer");
    }
    for (i = 0; !r && i < om->n_nodes; i++)
        r = add_node(&b, &om->nodes[i]);
    if (!r)
        r = finish(&b, max_memory);
    free_tmp(&b);
    nx_names_free(&b.names);
    nx_free(b.steps);
    if (r) {
        nx_free(b.v);
        return r;
    }
    m->v = b.v;
    m->nv = b.nv;
    return NNFX_OK;
}
