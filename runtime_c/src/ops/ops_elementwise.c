/* ops_elementwise.c - activations and broadcasting binary ops (float32). */
#include <math.h>
#include <string.h>

#include "engine.h"
#include "kernels.h"

int64_t nx_eff_dims(const nx_val *v, const nx_exec *e, int64_t *dims)
{
    int64_t c = 1;
    int i;
    for (i = 0; i < v->ndim; i++) {
        dims[i] = v->dims[i];
        if (i == v->time_axis && e->T >= 0)
            dims[i] = e->T;
        c *= dims[i];
    }
    return c;
}

static float softplus(float x)
{
    /* log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|). */
    return (x > 0.0f ? x : 0.0f) + log1pf(expf(-fabsf(x)));
}

float nx_unary_scalar(const nx_step *s, float x)
{
    switch (s->sub) {
    case NX_U_IDENTITY: return x;
    case NX_U_RELU: return x > 0.0f ? x : 0.0f;
    case NX_U_LEAKYRELU: return x >= 0.0f ? x : s->fa * x;
    case NX_U_TANH: return tanhf(x);
    case NX_U_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case NX_U_ELU: return x > 0.0f ? x : s->fa * (expf(x) - 1.0f);
    case NX_U_SELU: return x > 0.0f ? s->fb * x : s->fb * (s->fa * expf(x) - s->fa);
    case NX_U_SOFTPLUS: return softplus(x);
    case NX_U_SHRINK: return x < -s->fa ? x + s->fb : (x > s->fa ? x - s->fb : 0.0f);
    case NX_U_SIN: return sinf(x);
    case NX_U_COS: return cosf(x);
    case NX_U_ERF: return erff(x);
    case NX_U_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case NX_U_GELU_TANH:
        return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case NX_U_CLIP: return x < s->fa ? s->fa : (x > s->fb ? s->fb : x);
    case NX_U_ABS: return fabsf(x);
    case NX_U_NEG: return -x;
    case NX_U_EXP: return expf(x);
    case NX_U_LOG: return logf(x);
    case NX_U_SQRT: return sqrtf(x);
    case NX_U_POW:
        if (s->fa == 2.0f)
            return x * x;
        if (s->fa == 1.0f)
            return x;
        if (s->fa == 3.0f)
            return x * x * x;
        if (s->fa == 0.5f)
            return sqrtf(x);
        return powf(x, s->fa);
    case NX_U_RECIPROCAL: return 1.0f / x;
    case NX_U_HARDSIGMOID: {
        float y = s->fa * x + s->fb;
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
    case NX_U_CELU: return x > 0.0f ? x : s->fa * (expf(x / s->fa) - 1.0f);
    case NX_U_THRESHOLDEDRELU: return x > s->fa ? x : 0.0f;
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
    switch (s->sub) {
    case NX_U_IDENTITY:
        if (x != y)
            memmove(y, x, (size_t)n * sizeof *y);
        return;
    case NX_U_RELU:
        for (i = 0; i < n; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        return;
    case NX_U_LEAKYRELU: {
        float a = s->fa;
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
            y[i] = nx_unary_scalar(s, x[i]);
        return;
    }
}

static float binop(int sub, float a, float b)
{
    switch (sub) {
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
static void bin_row(int sub, const float *a, int64_t as, const float *b, int64_t bs, float *y,
                    int64_t n)
{
    int64_t i;
    if (as == 1 && bs == 1) {
        switch (sub) {
        case NX_B_ADD: for (i = 0; i < n; i++) y[i] = a[i] + b[i]; return;
        case NX_B_SUB: for (i = 0; i < n; i++) y[i] = a[i] - b[i]; return;
        case NX_B_MUL: for (i = 0; i < n; i++) y[i] = a[i] * b[i]; return;
        default: break;
        }
    } else if (as == 1 && bs == 0) {
        float c = b[0];
        switch (sub) {
        case NX_B_ADD: for (i = 0; i < n; i++) y[i] = a[i] + c; return;
        case NX_B_SUB: for (i = 0; i < n; i++) y[i] = a[i] - c; return;
        case NX_B_MUL: for (i = 0; i < n; i++) y[i] = a[i] * c; return;
        default: break;
        }
    } else if (as == 0 && bs == 1) {
        float c = a[0];
        switch (sub) {
        case NX_B_ADD: for (i = 0; i < n; i++) y[i] = c + b[i]; return;
        case NX_B_MUL: for (i = 0; i < n; i++) y[i] = c * b[i]; return;
        default: break;
        }
    }
    for (i = 0; i < n; i++)
        y[i] = binop(sub, a[i * as], b[i * bs]);
}

/* Strides (in elements) of an input broadcast to the output's rank; 0 on broadcast axes. */
static void bcast_strides(int ndim, const int64_t *dims, int ondim, const int64_t *odims,
                          int64_t *st)
{
    int64_t acc = 1;
    int i;
    for (i = ondim - 1; i >= 0; i--) {
        int j = i - (ondim - ndim);
        if (j < 0) {
            st[i] = 0;
        } else {
            st[i] = (dims[j] == 1 && odims[i] != 1) ? 0 : acc;
            acc *= dims[j];
        }
    }
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
        Y->data[0] = binop(s->sub, A->data[0], B->data[0]);
        return;
    }
    bcast_strides(A->ndim, ad, on, od, as);
    bcast_strides(B->ndim, bd, on, od, bs);
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
        bin_row(s->sub, A->data + ao, as[on - 1], B->data + bo, bs[on - 1], Y->data + r * inner,
                inner);
        for (k = on - 2; k >= 0; k--) {
            if (++idx[k] < od[k])
                break;
            idx[k] = 0;
        }
    }
}

static int64_t ibinop(int sub, int64_t a, int64_t b)
{
    switch (sub) {
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

void nx_binary_i64(int sub, const int64_t *a, const int64_t *ad, int an, const int64_t *b,
                   const int64_t *bd, int bn, int64_t *out, const int64_t *od, int on)
{
    int64_t as[NNFX_MAX_DIMS], bs[NNFX_MAX_DIMS], idx[NNFX_MAX_DIMS], total = 1, r;
    int k;
    bcast_strides(an, ad, on, od, as);
    bcast_strides(bn, bd, on, od, bs);
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
        out[r] = ibinop(sub, a[ao], b[bo]);
        for (k = on - 1; k >= 0; k--) {
            if (++idx[k] < od[k])
                break;
            idx[k] = 0;
        }
    }
}
