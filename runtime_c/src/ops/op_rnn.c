/* op_rnn.c - LSTM and GRU exactly as ONNX defines them (forward direction, default
 * activations): LSTM gate order i, o, f, c in W/R/B; GRU gate order z, r, h with or without
 * linear_before_reset. layout 0: X [T, B, I], Y [T, 1, B, H]; layout 1: X [B, T, I],
 * Y [B, T, 1, H]. Initial state from initial_h / initial_c when given (else zero); the final
 * state goes to Y_h / Y_c. State between blocks travels through state_in/state_out. */
#include <string.h>

#include "kernels.h"
#include "ops.h"

nnfx_result nx_plan_rnn(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    int gru = def->kind == NX_OP_GRU;
    nx_val *x = IN(0), *w = IN(1), *rr = c->nin > 2 ? IN(2) : NULL;
    nx_val *bias = c->nin > 3 ? IN(3) : NULL, *h0 = c->nin > 5 ? IN(5) : NULL;
    nx_val *c0 = (!gru && c->nin > 6) ? IN(6) : NULL;
    int layout = (int)nx_attr_i(n, "layout", 0), G = gru ? 3 : 4, i, tax;
    int64_t H = nx_attr_i(n, "hidden_size", 0), T, Bn, I, od[4];
    const char *dir = nx_attr_s(n, "direction", "forward");
    const nx_onnx_attr *acts = nx_onnx_attr_find(n, "activations");
    nnfx_result r;
    if (!x || !w || !rr)
        return BADF("X, W and R are required");
    if (strcmp(dir, "forward"))
        return UNSUP("direction=%s: only forward recurrences are causal", dir);
    if (nx_onnx_attr_find(n, "clip"))
        return UNSUP("clip is not supported");
    if (nx_attr_i(n, "input_forget", 0))
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
        r = nx_set_shape(b, n, OUT(0), 4, od);
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
        r = nx_set_shape(b, n, OUT(i), 3, hd);
        if (r)
            return r;
    }
    if (c->nout > (gru ? 2 : 3))
        return BADF("too many outputs");
    s->op = gru ? NX_OP_GRU : NX_OP_LSTM;
    s->run = gru ? nx_run_gru : nx_run_lstm;
    s->u.rnn.layout = layout;
    s->u.rnn.linear_before_reset = nx_attr_i(n, "linear_before_reset", 0) != 0;
    s->u.rnn.hidden = (int)H;
    s->macs = (double)Bn * (double)G * (double)H * (double)(I + H);
    for (i = c->nin; i < 8; i++)
        s->in[i] = -1;
    s->n_in = 8;
    for (i = c->nout; i < 3; i++)
        s->out[i] = -1;
    s->n_out = 3;
    return NNFX_OK;
}

/* Layout of s->scratch in floats: the state h (LSTM: and c) of every batch row, then one
 * frame's gates (LSTM: i, o, f, c; GRU: z, r, h, then the reset and candidate rows). The memory
 * plan sizes it and the run functions carve it from this one place. */
typedef struct {
    int64_t h, c, gates, reset, cand, total;
} rnn_scratch;

static rnn_scratch scratch_layout(int op, int64_t Bn, int64_t H)
{
    rnn_scratch l;
    l.h = 0;
    if (op == NX_OP_LSTM) {
        l.c = Bn * H;
        l.gates = 2 * Bn * H;
        l.reset = l.cand = 0;
        l.total = l.gates + 4 * H;
    } else {
        l.c = 0;
        l.gates = Bn * H;
        l.reset = l.gates + 3 * H;
        l.cand = l.reset + H;
        l.total = l.cand + H;
    }
    return l;
}

static int64_t batch_of(const nx_step *s, const int64_t *xdims)
{
    return s->u.rnn.layout ? xdims[0] : xdims[1];
}

size_t nx_rnn_scratch_bytes(const nx_step *s, const nx_val *x)
{
    rnn_scratch l = scratch_layout(s->op, batch_of(s, x->dims), s->u.rnn.hidden);
    return (size_t)l.total * sizeof(float);
}

/* Sequence length, batch and input size of this run, and the scratch layout for them. */
static rnn_scratch run_shape(const nx_step *s, const nx_exec *e, int64_t *T, int64_t *Bn,
                             int64_t *I)
{
    int64_t xd[NNFX_MAX_DIMS];
    nx_eff_dims(&e->v[s->in[0]], e, xd);
    *T = s->u.rnn.layout ? xd[1] : xd[0];
    *Bn = batch_of(s, xd);
    *I = xd[2];
    return scratch_layout(s->op, *Bn, s->u.rnn.hidden);
}

/* Initial state: the given one (initial_h / initial_c), else zero. */
static void initial_state(float *dst, const float *given, int64_t n)
{
    if (given)
        memcpy(dst, given, (size_t)n * sizeof(float));
    else
        memset(dst, 0, (size_t)n * sizeof(float));
}

/* Frame pointers for layout 0/1. */
static int64_t x_off(int layout, int64_t t, int64_t b, int64_t T, int64_t Bn, int64_t I)
{
    return layout ? (b * T + t) * I : (t * Bn + b) * I;
}

void nx_run_lstm(nx_step *s, const nx_exec *e)
{
    const nx_val *X = &e->v[s->in[0]];
    const float *W = e->v[s->in[1]].data, *R = e->v[s->in[2]].data;
    const float *Bs = s->in[3] >= 0 ? e->v[s->in[3]].data : NULL;
    const float *h0 = s->in[5] >= 0 ? e->v[s->in[5]].data : NULL;
    const float *c0 = s->in[6] >= 0 ? e->v[s->in[6]].data : NULL;
    float *Y = s->out[0] >= 0 ? e->v[s->out[0]].data : NULL;
    float *Yh = s->out[1] >= 0 ? e->v[s->out[1]].data : NULL;
    float *Yc = s->out[2] >= 0 ? e->v[s->out[2]].data : NULL;
    int layout = s->u.rnn.layout;
    int64_t H = s->u.rnn.hidden, T, Bn, I, t, b, g;
    float *h, *c, *gt;
    rnn_scratch l = run_shape(s, e, &T, &Bn, &I);
    h = s->scratch + l.h;
    c = s->scratch + l.c;
    gt = s->scratch + l.gates;
    initial_state(h, h0, Bn * H);
    initial_state(c, c0, Bn * H);
    for (t = 0; t < T; t++) {
        for (b = 0; b < Bn; b++) {
            const float *x = X->data + x_off(layout, t, b, T, Bn, I);
            float *hb = h + b * H, *cb = c + b * H;
            /* all four gates as one matrix-vector product per frame (kernels.c) */
            for (g = 0; g < 4 * H; g++)
                gt[g] = Bs ? Bs[g] + Bs[4 * H + g] : 0.0f;
            nx_k_matvec_add(gt, W, 4 * H, I, x);
            nx_k_matvec_add(gt, R, 4 * H, H, hb);
            nx_k_sigmoid(gt, gt, 3 * H);
            nx_k_tanh(gt + 3 * H, gt + 3 * H, H);
            for (g = 0; g < H; g++)
                cb[g] = gt[2 * H + g] * cb[g] + gt[g] * gt[3 * H + g];
            nx_k_tanh(gt + 3 * H, cb, H);
            for (g = 0; g < H; g++)
                hb[g] = gt[H + g] * gt[3 * H + g];
            if (Y)
                memcpy(Y + x_off(layout, t, b, T, Bn, H), hb, (size_t)H * sizeof(float));
        }
    }
    if (Yh)
        memcpy(Yh, h, (size_t)(Bn * H) * sizeof(float));
    if (Yc)
        memcpy(Yc, c, (size_t)(Bn * H) * sizeof(float));
}

void nx_run_gru(nx_step *s, const nx_exec *e)
{
    const nx_val *X = &e->v[s->in[0]];
    const float *W = e->v[s->in[1]].data, *R = e->v[s->in[2]].data;
    const float *Bs = s->in[3] >= 0 ? e->v[s->in[3]].data : NULL;
    const float *h0 = s->in[5] >= 0 ? e->v[s->in[5]].data : NULL;
    float *Y = s->out[0] >= 0 ? e->v[s->out[0]].data : NULL;
    float *Yh = s->out[1] >= 0 ? e->v[s->out[1]].data : NULL;
    int layout = s->u.rnn.layout, lbr = s->u.rnn.linear_before_reset;
    int64_t H = s->u.rnn.hidden, T, Bn, I, t, b, g;
    float *h, *gx, *rh, *hn;
    rnn_scratch l = run_shape(s, e, &T, &Bn, &I);
    h = s->scratch + l.h;
    gx = s->scratch + l.gates;
    rh = s->scratch + l.reset;
    hn = s->scratch + l.cand;
    initial_state(h, h0, Bn * H);
    for (t = 0; t < T; t++) {
        for (b = 0; b < Bn; b++) {
            const float *x = X->data + x_off(layout, t, b, T, Bn, I);
            float *hb = h + b * H;
            /* matrix-vector products per frame (kernels.c): gx = Wx + Wb; z, r gates add
             * R[z,r] h + Rb; the candidate adds R[h] h (+ Rb) before (lbr) or after the reset */
            for (g = 0; g < 3 * H; g++)
                gx[g] = Bs ? Bs[g] : 0.0f;
            nx_k_matvec_add(gx, W, 3 * H, I, x);
            for (g = 0; g < 2 * H; g++)
                gx[g] += Bs ? Bs[3 * H + g] : 0.0f;
            nx_k_matvec_add(gx, R, 2 * H, H, hb);
            nx_k_sigmoid(gx, gx, 2 * H); /* z in gx[0:H], r in gx[H:2H] */
            for (g = 0; g < H; g++)
                rh[g] = Bs ? Bs[5 * H + g] : 0.0f;
            if (lbr) {
                nx_k_matvec_add(rh, R + 2 * H * H, H, H, hb);
                for (g = 0; g < H; g++)
                    hn[g] = gx[2 * H + g] + gx[H + g] * rh[g];
            } else {
                for (g = 0; g < H; g++)
                    hn[g] = gx[H + g] * hb[g];
                nx_k_matvec_add(rh, R + 2 * H * H, H, H, hn);
                for (g = 0; g < H; g++)
                    hn[g] = gx[2 * H + g] + rh[g];
            }
            nx_k_tanh(hn, hn, H);
            for (g = 0; g < H; g++) {
                float z = gx[g];
                hb[g] = (1.0f - z) * hn[g] + z * hb[g];
            }
            if (Y)
                memcpy(Y + x_off(layout, t, b, T, Bn, H), hb, (size_t)H * sizeof(float));
        }
    }
    if (Yh)
        memcpy(Yh, h, (size_t)(Bn * H) * sizeof(float));
}
