/* ops_rnn.c - LSTM and GRU exactly as ONNX defines them (forward direction, default
 * activations): LSTM gate order i, o, f, c in W/R/B; GRU gate order z, r, h with or without
 * linear_before_reset. layout 0: X [T, B, I], Y [T, 1, B, H]; layout 1: X [B, T, I],
 * Y [B, T, 1, H]. Initial state from initial_h / initial_c when given (else zero); the final
 * state goes to Y_h / Y_c. State between blocks travels through state_in/state_out. */
#include <math.h>
#include <string.h>

#include "engine.h"
#include "kernels.h"

/* Frame pointers for layout 0/1. */
static int64_t x_off(int layout, int64_t t, int64_t b, int64_t T, int64_t Bn, int64_t I)
{
    return layout ? (b * T + t) * I : (t * Bn + b) * I;
}

void nx_run_lstm(nx_step *s, const nx_exec *e)
{
    int64_t xd[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    const float *W = e->v[s->in[1]].data, *R = e->v[s->in[2]].data;
    const float *Bs = s->in[3] >= 0 ? e->v[s->in[3]].data : NULL;
    const float *h0 = s->in[5] >= 0 ? e->v[s->in[5]].data : NULL;
    const float *c0 = s->in[6] >= 0 ? e->v[s->in[6]].data : NULL;
    float *Y = s->out[0] >= 0 ? e->v[s->out[0]].data : NULL;
    float *Yh = s->out[1] >= 0 ? e->v[s->out[1]].data : NULL;
    float *Yc = s->out[2] >= 0 ? e->v[s->out[2]].data : NULL;
    int layout = (int)s->ia[0];
    int64_t H = s->n, T, Bn, I, t, b, g;
    float *h, *c, *gt;
    nx_eff_dims(X, e, xd);
    T = layout ? xd[1] : xd[0];
    Bn = layout ? xd[0] : xd[1];
    I = xd[2];
    h = s->scratch;
    c = h + Bn * H;
    gt = c + Bn * H;
    if (h0)
        memcpy(h, h0, (size_t)(Bn * H) * sizeof(float));
    else
        memset(h, 0, (size_t)(Bn * H) * sizeof(float));
    if (c0)
        memcpy(c, c0, (size_t)(Bn * H) * sizeof(float));
    else
        memset(c, 0, (size_t)(Bn * H) * sizeof(float));
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
    int64_t xd[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    const float *W = e->v[s->in[1]].data, *R = e->v[s->in[2]].data;
    const float *Bs = s->in[3] >= 0 ? e->v[s->in[3]].data : NULL;
    const float *h0 = s->in[5] >= 0 ? e->v[s->in[5]].data : NULL;
    float *Y = s->out[0] >= 0 ? e->v[s->out[0]].data : NULL;
    float *Yh = s->out[1] >= 0 ? e->v[s->out[1]].data : NULL;
    int layout = (int)s->ia[0], lbr = (int)s->ia[1];
    int64_t H = s->n, T, Bn, I, t, b, g;
    float *h, *gx, *rh, *hn;
    nx_eff_dims(X, e, xd);
    T = layout ? xd[1] : xd[0];
    Bn = layout ? xd[0] : xd[1];
    I = xd[2];
    h = s->scratch;
    gx = h + Bn * H;
    rh = gx + 3 * H;
    hn = rh + H;
    if (h0)
        memcpy(h, h0, (size_t)(Bn * H) * sizeof(float));
    else
        memset(h, 0, (size_t)(Bn * H) * sizeof(float));
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
