/* op_binary.c - broadcasting binary ops (float32 at run time, int64 when folding shape
 * arithmetic): planning and run. */
#include <math.h>
#include <string.h>

#include "ops.h"

nnfx_result nx_plan_binary(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    int kind = def->kind;
    nx_val *x = IN(0), *w = IN(1), *y;
    int64_t od[NNFX_MAX_DIMS];
    int on, ta = -1;
    float e;
    nnfx_result r;
    if (!x || !w || c->nin != 2)
        return UNSUP("expects exactly two inputs");
    if ((x->dtype != NX_F32 || w->dtype != NX_F32) && !c->folding)
        return UNSUP("integer inputs (only float32 tensors run)");
    if (!nx_broadcast_shape(x, w, &on, od))
        return BADF("inputs '%s' and '%s' do not broadcast", n->inputs[0], n->inputs[1]);
    if (kind == NX_B_PRELU && on != x->ndim)
        return BADF("slope does not broadcast to the input");
    r = nx_set_shape(b, n, OUT(0), on, od);
    if (r)
        return r;
    r = nx_bcast_time(b, c, on, 0, 2, &ta);
    if (r)
        return r;
    y = OUT(0);
    y->time_axis = ta;
    y->dtype = (x->dtype == NX_I64 && w->dtype == NX_I64) ? NX_I64 : NX_F32;
    if (kind == NX_B_EQUAL || kind == NX_B_LESS || kind == NX_B_GREATER)
        y->dtype = NX_I64;
    if (x->dtype != w->dtype && c->folding)
        return UNSUP("mixed integer and float inputs");
    if (kind == NX_B_POW && w->cls == NX_CONST && w->count == 1 &&
        nx_const_scalar(b, c->in[1], &e) && on == x->ndim && !c->folding) {
        /* x to a constant power: a unary step (squares and roots without powf) */
        s->op = NX_OP_UNARY;
        s->u.unary.kind = NX_U_POW;
        s->u.unary.alpha = e;
        s->run = nx_run_unary;
        s->n_in = 1;
        return NNFX_OK;
    }
    s->op = NX_OP_BINARY;
    s->u.binary.kind = kind;
    s->run = nx_run_binary;
    return NNFX_OK;
}

static float binop(int kind, float a, float b)
{
    switch (kind) {
    case NX_B_ADD: return a + b;
    case NX_B_SUB: return a - b;
    case NX_B_MUL: return a * b;
    case NX_B_DIV: return a / b;
    case NX_B_POW: return powf(a, b);
    case NX_B_MAX: return a > b ? a : b;
    case NX_B_MIN: return a < b ? a : b;
    case NX_B_PRELU: return a >= 0.0f ? a : a * b;
    case NX_B_EQUAL: return a == b ? 1.0f : 0.0f;
    case NX_B_LESS: return a < b ? 1.0f : 0.0f;
    case NX_B_GREATER: return a > b ? 1.0f : 0.0f;
    case NX_B_MOD: return fmodf(a, b);
    }
    return 0.0f;
}

/* Contiguous inner loop for the common cases; the compiler vectorizes the simple bodies. */
static void bin_row(int kind, const float *a, int64_t as, const float *b, int64_t bs, float *y,
                    int64_t n)
{
    int64_t i;
    if (as == 1 && bs == 1) {
        switch (kind) {
        case NX_B_ADD: for (i = 0; i < n; i++) y[i] = a[i] + b[i]; return;
        case NX_B_SUB: for (i = 0; i < n; i++) y[i] = a[i] - b[i]; return;
        case NX_B_MUL: for (i = 0; i < n; i++) y[i] = a[i] * b[i]; return;
        default: break;
        }
    } else if (as == 1 && bs == 0) {
        float c = b[0];
        switch (kind) {
        case NX_B_ADD: for (i = 0; i < n; i++) y[i] = a[i] + c; return;
        case NX_B_SUB: for (i = 0; i < n; i++) y[i] = a[i] - c; return;
        case NX_B_MUL: for (i = 0; i < n; i++) y[i] = a[i] * c; return;
        default: break;
        }
    } else if (as == 0 && bs == 1) {
        float c = a[0];
        switch (kind) {
        case NX_B_ADD: for (i = 0; i < n; i++) y[i] = c + b[i]; return;
        case NX_B_MUL: for (i = 0; i < n; i++) y[i] = c * b[i]; return;
        default: break;
        }
    }
    for (i = 0; i < n; i++)
        y[i] = binop(kind, a[i * as], b[i * bs]);
}


void nx_run_binary(nx_step *s, const nx_exec *e)
{
    /* od zeroed: gcc -O3 cannot see that nx_eff_dims fills Y->ndim entries */
    int64_t ad[NNFX_MAX_DIMS], bd[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS] = {0};
    int64_t as[NNFX_MAX_DIMS], bs[NNFX_MAX_DIMS], idx[NNFX_MAX_DIMS];
    const nx_val *A = &e->v[s->in[0]], *B = &e->v[s->in[1]], *Y = &e->v[s->out[0]];
    int on = Y->ndim, k;
    int64_t rows, r, inner;
    nx_eff_dims(A, e, ad);
    nx_eff_dims(B, e, bd);
    nx_eff_dims(Y, e, od);
    if (on == 0) {
        Y->data[0] = binop(s->u.binary.kind, A->data[0], B->data[0]);
        return;
    }
    nx_bcast_strides(A->ndim, ad, on, od, as);
    nx_bcast_strides(B->ndim, bd, on, od, bs);
    inner = od[on - 1];
    rows = 1;
    for (k = 0; k < on - 1; k++) {
        rows *= od[k];
        idx[k] = 0;
    }
    for (r = 0; r < rows; r++) {
        int64_t ao = 0, bo = 0;
        for (k = 0; k < on - 1; k++) {
            ao += idx[k] * as[k];
            bo += idx[k] * bs[k];
        }
        bin_row(s->u.binary.kind, A->data + ao, as[on - 1], B->data + bo, bs[on - 1],
                Y->data + r * inner, inner);
        for (k = on - 2; k >= 0; k--) {
            if (++idx[k] < od[k])
                break;
            idx[k] = 0;
        }
    }
}

static int64_t ibinop(int kind, int64_t a, int64_t b)
{
    switch (kind) {
    case NX_B_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
    case NX_B_SUB: return (int64_t)((uint64_t)a - (uint64_t)b);
    case NX_B_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
    case NX_B_DIV:
        if (b == 0 || (a == INT64_MIN && b == -1))
            return 0;
        return a / b;
    case NX_B_MOD:
        if (b == 0 || (a == INT64_MIN && b == -1))
            return 0;
        {
            /* ONNX Mod with fmod=0 for integers: the sign of the divisor (like Python). */
            int64_t m = a % b;
            if (m != 0 && ((m < 0) != (b < 0)))
                m += b;
            return m;
        }
    case NX_B_MAX: return a > b ? a : b;
    case NX_B_MIN: return a < b ? a : b;
    case NX_B_EQUAL: return a == b;
    case NX_B_LESS: return a < b;
    case NX_B_GREATER: return a > b;
    case NX_B_POW: {
        int64_t r = 1, i;
        for (i = 0; i < b && i < 64; i++)
            r = (int64_t)((uint64_t)r * (uint64_t)a);
        return r;
    }
    }
    return 0;
}

void nx_binary_i64(int kind, const int64_t *a, const int64_t *ad, int an, const int64_t *b,
                   const int64_t *bd, int bn, int64_t *out, const int64_t *od, int on)
{
    int64_t as[NNFX_MAX_DIMS], bs[NNFX_MAX_DIMS], idx[NNFX_MAX_DIMS], total = 1, r;
    int k;
    nx_bcast_strides(an, ad, on, od, as);
    nx_bcast_strides(bn, bd, on, od, bs);
    for (k = 0; k < on; k++) {
        total *= od[k];
        idx[k] = 0;
    }
    for (r = 0; r < total; r++) {
        int64_t ao = 0, bo = 0;
        for (k = 0; k < on; k++) {
            ao += idx[k] * as[k];
            bo += idx[k] * bs[k];
        }
        out[r] = ibinop(kind, a[ao], b[bo]);
        for (k = on - 1; k >= 0; k--) {
            if (++idx[k] < od[k])
                break;
            idx[k] = 0;
        }
    }
}
