/*
 * plan_fold.c - constant folding: a node whose inputs are all constant (they depend on
 * initializers and fixed shapes only) runs once at load, through its op's planning and run
 * functions, or through dedicated code for the shape arithmetic that the runtime never runs
 * (Shape, Size, ConstantOfShape, Range, integer Cast, Where, Not). Integer tensors exist only
 * here (NX_I64); a runtime step never sees one. Also the constants of the file: initializers
 * and Constant nodes.
 */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "ops.h"

/* A constant tensor of the file (initializer or Constant node) as value vi; float64 and the
 * small integer types are converted (float32, int64). */
nnfx_result nx_add_const_tensor(nx_builder *b, int vi, const nx_onnx_tensor *t,
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
        if (!nx_tmp_alloc(v, 4))
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
        if (!nx_tmp_alloc(v, 8))
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

/* A Constant node: its one attribute (value, value_float(s), value_int(s)) as value c->out[0]. */
nnfx_result nx_add_constant_node(nx_builder *b, const nx_ctx *c)
{
    const nx_onnx_node *n = c->n;
    const nx_onnx_attr *a = n->n_attrs > 0 ? &n->attrs[0] : NULL;
    nx_val *y = &b->v[c->out[0]];
    if (!a)
        return BADF("no value");
    if (!strcmp(a->name, "value") && a->type == NNFX_ATTR_TENSOR && a->t)
        return nx_add_const_tensor(b, c->out[0], a->t, "constant");
    y->cls = NX_CONST;
    y->defined = 1;
    if (!strcmp(a->name, "value_float") || !strcmp(a->name, "value_int")) {
        y->ndim = 0;
        y->count = 1;
        y->dtype = a->type == NNFX_ATTR_FLOAT ? NX_F32 : NX_I64;
        if (!nx_tmp_alloc(y, y->dtype == NX_I64 ? 8 : 4))
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
        if (!nx_tmp_alloc(y, y->dtype == NX_I64 ? 8 : 4))
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

/* Shape and Size: the static shape as int64 data. */
static nnfx_result fold_shape(nx_builder *b, const nx_ctx *c, nx_val *y)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0);
    int64_t i;
    int64_t st = nx_attr_i(n, "start", 0), en = nx_attr_i(n, "end", x ? x->ndim : 0), *o;
    if (!x)
        return BADF("missing input");
    if (!strcmp(n->op_type, "Size")) {
        y->ndim = 0;
        y->count = 1;
        y->dtype = NX_I64;
        if (!nx_tmp_alloc(y, 8))
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
    o = (int64_t *)nx_tmp_alloc(y, 8);
    if (!o)
        return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    for (i = st; i < en; i++)
        o[i - st] = x->dims[i];
    return NNFX_OK;
}

/* ConstantOfShape: a constant tensor of a constant shape. */
static nnfx_result fold_constant_of_shape(nx_builder *b, const nx_ctx *c, nx_val *y)
{
    const nx_onnx_node *n = c->n;
    int64_t i;
    int64_t sh[NX_MAX_IO];
    int cnt = nx_const_ints(b, c->in[0], sh, NNFX_MAX_DIMS), k;
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
    r = nx_set_shape(b, n, y, cnt, sh);
    if (r)
        return r;
    y->dtype = isint ? NX_I64 : NX_F32;
    if (!nx_tmp_alloc(y, isint ? 8 : 4))
        return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    for (i = 0; i < y->count; i++) {
        if (isint)
            ((int64_t *)y->tmp)[i] = (int64_t)val;
        else
            ((float *)y->tmp)[i] = (float)val;
    }
    return NNFX_OK;
}

/* Range of int64 or float scalars. */
static nnfx_result fold_range(nx_builder *b, const nx_ctx *c, nx_val *y)
{
    const nx_onnx_node *n = c->n;
    int64_t i;
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
        if (!nx_tmp_alloc(y, 8))
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
        if (!nx_tmp_alloc(y, 4))
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
        for (i = 0; i < cnt; i++)
            ((float *)y->tmp)[i] = s0 + (float)i * dd;
    }
    return NNFX_OK;
}

/* Cast of a constant (int64 and bool too, unlike the runtime Cast). */
static nnfx_result fold_cast(nx_builder *b, const nx_ctx *c, nx_val *y)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0);
    int64_t i;
    int64_t to = nx_attr_i(n, "to", 0);
    int toint = !(to == NNFX_DT_FLOAT || to == NNFX_DT_DOUBLE);
    nnfx_result r;
    if (!x)
        return BADF("missing input");
    r = nx_set_shape(b, n, y, x->ndim, x->dims);
    if (r)
        return r;
    y->dtype = toint ? NX_I64 : NX_F32;
    if (!nx_tmp_alloc(y, toint ? 8 : 4))
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

/* Where of constants. */
static nnfx_result fold_where(nx_builder *b, const nx_ctx *c, nx_val *y)
{
    const nx_onnx_node *n = c->n;
    int64_t i;
    nx_val *cv = IN(0), *a = IN(1), *bb = IN(2);
    int64_t od[NNFX_MAX_DIMS] = {0}, od2[NNFX_MAX_DIMS];
    int on, on2;
    nx_val t1;
    nnfx_result r;
    if (!cv || !a || !bb || a->dtype != bb->dtype)
        return UNSUP("inputs of mixed types");
    if (!nx_broadcast_shape(a, bb, &on, od))
        return BADF("inputs do not broadcast");
    memset(&t1, 0, sizeof t1);
    t1.ndim = on;
    memcpy(t1.dims, od, sizeof od);
    if (!nx_broadcast_shape(cv, &t1, &on2, od2))
        return BADF("condition does not broadcast");
    r = nx_set_shape(b, n, y, on2, od2);
    if (r)
        return r;
    y->dtype = a->dtype;
    {
        size_t es = a->dtype == NX_I64 ? 8 : 4;
        char *ea = (char *)nx_malloc((size_t)y->count * es);
        char *eb = (char *)nx_malloc((size_t)y->count * es);
        int64_t *ec = (int64_t *)nx_malloc((size_t)y->count * 8);
        int64_t *cc64 = NULL;
        if (!ea || !eb || !ec || !nx_tmp_alloc(y, es)) {
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

/* Not of a boolean constant. */
static nnfx_result fold_not(nx_builder *b, const nx_ctx *c, nx_val *y)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0);
    int64_t i;
    nnfx_result r;
    if (!x || x->dtype != NX_I64)
        return UNSUP("input must be boolean");
    r = nx_set_shape(b, n, y, x->ndim, x->dims);
    if (r)
        return r;
    y->dtype = NX_I64;
    if (!nx_tmp_alloc(y, 8))
        return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    for (i = 0; i < x->count; i++)
        ((int64_t *)y->tmp)[i] = !((int64_t *)x->tmp)[i];
    return NNFX_OK;
}

typedef nnfx_result (*fold_fn)(nx_builder *b, const nx_ctx *c, nx_val *y);

static const struct {
    const char *op_type;
    fold_fn fold;
} fold_table[] = {
    {"Shape", fold_shape}, {"Size", fold_shape}, {"ConstantOfShape", fold_constant_of_shape},
    {"Range", fold_range}, {"Cast", fold_cast}, {"Where", fold_where}, {"Not", fold_not},
};

nnfx_result nx_fold_special(nx_builder *b, const nx_ctx *c, int *done)
{
    const nx_onnx_node *n = c->n;
    nx_val *y = c->nout > 0 && c->out[0] >= 0 ? OUT(0) : NULL;
    size_t k;
    *done = 1;
    if (!y)
        return BADF("missing output");
    for (k = 0; k < sizeof fold_table / sizeof fold_table[0]; k++)
        if (!strcmp(n->op_type, fold_table[k].op_type))
            return fold_table[k].fold(b, c, y);
    *done = 0;
    return NNFX_OK;
}

/* A step whose inputs include int64 constants (shape arithmetic): binary ops and a few unary
 * ops computed here (*done = 1), data movement run on 8-byte elements (st->es). */
static nnfx_result fold_integer(nx_builder *b, const nx_ctx *c, nx_step *st, int *done)
{
    const nx_onnx_node *n = c->n;
    int i;
    *done = 0;
    if (st->op == NX_OP_BINARY) {
        nx_val *a = IN(0), *bb = IN(1), *y = OUT(0);
        nx_binary_i64(st->u.binary.kind, (int64_t *)a->tmp, a->dims, a->ndim,
                      (int64_t *)bb->tmp, bb->dims, bb->ndim, (int64_t *)y->tmp, y->dims,
                      y->ndim);
        *done = 1;
        return NNFX_OK;
    }
    if (st->op == NX_OP_UNARY) {
        int kind = st->u.unary.kind;
        if (kind == NX_U_IDENTITY || kind == NX_U_NEG || kind == NX_U_ABS ||
            kind == NX_U_FLOOR || kind == NX_U_CEIL) {
            nx_val *y = OUT(0);
            y->dtype = NX_I64;
            for (i = 0; i < (int)IN(0)->count; i++) {
                int64_t v = ((int64_t *)IN(0)->tmp)[i];
                if (kind == NX_U_NEG)
                    v = (int64_t)(0 - (uint64_t)v);
                if (kind == NX_U_ABS && v < 0)
                    v = (int64_t)(0 - (uint64_t)v);
                ((int64_t *)y->tmp)[i] = v;
            }
            *done = 1;
            return NNFX_OK;
        }
    }
    if (st->op == NX_OP_TRANSPOSE || st->op == NX_OP_SLICE || st->op == NX_OP_CONCAT ||
        st->op == NX_OP_SPLIT || st->op == NX_OP_GATHER || st->op == NX_OP_COPY ||
        st->op == NX_OP_EXPAND) {
        st->es = IN(0)->dtype == NX_I64 ? 8 : 4;
        return NNFX_OK;
    }
    return UNSUP("integer tensors are only folded for shape arithmetic");
}

/* Fold a node whose inputs are all constant: plan it, then run it once now. */
nnfx_result nx_fold_node(nx_builder *b, nx_ctx *c)
{
    nx_step st;
    nx_exec e;
    int done = 0, i, anyint = 0;
    nnfx_result r;
    c->folding = 1;
    r = nx_fold_special(b, c, &done);
    if (r || done)
        goto finish;
    for (i = 0; i < c->nin; i++)
        if (c->in[i] >= 0 && b->v[c->in[i]].dtype == NX_I64)
            anyint = 1;
    memset(&st, 0, sizeof st);
    r = nx_plan_op(b, c, &st);
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
        if (!nx_tmp_alloc(y, y->dtype == NX_I64 ? 8 : 4))
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    }
    if (anyint) {
        r = fold_integer(b, c, &st, &done);
        if (r)
            return r;
        if (done)
            goto finish;
    }
    e.v = b->v;
    e.T = -1;
    e.prime = 0;
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
