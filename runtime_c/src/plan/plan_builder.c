/*
 * plan_builder.c - the planner's building blocks: values and steps, node attributes, constant
 * inputs, shapes, broadcasting and time axes (see plan_internal.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "plan_internal.h"

nnfx_result nx_node_fail(nx_builder *b, const nx_onnx_node *n, nnfx_result code,
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

int nx_new_val(nx_builder *b)
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

nx_step *nx_new_step(nx_builder *b)
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

nnfx_result nx_set_shape(nx_builder *b, const nx_onnx_node *n, nx_val *v, int ndim,
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
            return nx_node_fail(b, n, NNFX_ERR_LIMIT, "output tensor too large");
        c *= dims[i];
        v->dims[i] = dims[i];
    }
    v->ndim = ndim;
    v->count = c;
    return NNFX_OK;
}

int64_t nx_attr_i(const nx_onnx_node *n, const char *name, int64_t def)
{
    const nx_onnx_attr *a = nx_onnx_attr_find(n, name);
    return (a && a->type == NNFX_ATTR_INT) ? a->i : def;
}

float nx_attr_f(const nx_onnx_node *n, const char *name, float def)
{
    const nx_onnx_attr *a = nx_onnx_attr_find(n, name);
    if (a && a->type == NNFX_ATTR_FLOAT)
        return a->f;
    if (a && a->type == NNFX_ATTR_INT)
        return (float)a->i;
    return def;
}

const char *nx_attr_s(const nx_onnx_node *n, const char *name, const char *def)
{
    const nx_onnx_attr *a = nx_onnx_attr_find(n, name);
    return (a && a->type == NNFX_ATTR_STRING && a->s) ? a->s : def;
}

/* INTS attribute into out (at most max); returns count, -1 absent, -2 too many. */
int nx_attr_ints(const nx_onnx_node *n, const char *name, int64_t *out, int max)
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
int nx_const_ints(nx_builder *b, int idx, int64_t *out, int max)
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
int nx_const_scalar(nx_builder *b, int idx, float *out)
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

int nx_norm_axis(int64_t a, int rank, int *out)
{
    if (a < 0)
        a += rank;
    if (a < 0 || a >= rank)
        return 0;
    *out = (int)a;
    return 1;
}

int nx_define_name(nx_builder *b, const char *name, int *vi)
{
    int ex = -1, r;
    *vi = nx_new_val(b);
    if (*vi < 0)
        return -1;
    r = nx_names_put(&b->names, name, *vi, &ex);
    if (r == 0)
        return -2; /* duplicate */
    if (r < 0)
        return -1;
    return 0;
}

void *nx_tmp_alloc(nx_val *v, size_t es)
{
    v->tmp = nx_calloc((size_t)(v->count ? v->count : 1), es);
    v->tmp_owned = 1;
    v->data = (float *)v->tmp;
    return v->tmp;
}

/* numpy broadcasting of two shapes into out; returns 0 if incompatible. */
int nx_broadcast_shape(const nx_val *a, const nx_val *bb, int *ondim, int64_t *od)
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
int nx_promote_time(nx_builder *b, int vi, int axis, int64_t extent)
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
nnfx_result nx_bcast_time(nx_builder *b, const nx_ctx *c, int on, int first, int count,
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
            if (j >= 0 && x->dims[j] != 1 && nx_promote_time(b, c->in[i], j, ext))
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
