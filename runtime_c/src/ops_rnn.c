/* ops_rnn.c - LSTM and GRU exactly as ONNX defines them (forward direction, default
 * activations): LSTM gate order i, o, f, c in W/R/B; GRU gate order z, r, h with or without
 * linear_before_reset. layout 0: X [T, B, I], Y [T, 1, B, H]; layout 1: X [B, T, I],
 * Y [B, T, 1, H]. Initial state from initial_h / initial_c when given (else zero); the final
 * state goes to Y_h / Y_c. State between blocks travels through state_in/state_out. */
#include <math.h>
#include <string.h>

#include "engine.h"

static float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

static float dot(const float *a, const float *b, int64_t n)
{
    float s = 0.0f;
    int64_t i;
    for (i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

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
            for (g = 0; g < 4 * H; g++) {
                float a = Bs ? Bs[g] + Bs[4 * H + g] : 0.0f;
                gt[g] = a + dot(W + g * I, x, I) + dot(R + g * H, hb, H);
            }
            for (g = 0; g < H; g++) {
                float ig = sigm(gt[g]), og = sigm(gt[H + g]), fg = sigm(gt[2 * H + g]);
                float cc = tanhf(gt[3 * H + g]);
                cb[g] = fg * cb[g] + ig * cc;
                hb[g] = og * tanhf(cb[g]);
            }
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
            for (g = 0; g < 3 * H; g++)
                gx[g] = (Bs ? Bs[g] : 0.0f) + dot(W + g * I, x, I);
            for (g = 0; g < H; g++) {
                float z = sigm(gx[g] + dot(R + g * H, hb, H) + (Bs ? Bs[3 * H + g] : 0.0f));
                float r = sigm(gx[H + g] + dot(R + (H + g) * H, hb, H) +
                               (Bs ? Bs[4 * H + g] : 0.0f));
                gx[g] = z;
                rh[g] = r;
            }
            if (!lbr) {
                for (g = 0; g < H; g++)
                    hn[g] = rh[g] * hb[g];
            }
            for (g = 0; g < H; g++) {
                float rb = Bs ? Bs[5 * H + g] : 0.0f, hh;
                if (lbr)
                    hh = tanhf(gx[2 * H + g] + rh[g] * (dot(R + (2 * H + g) * H, hb, H) + rb));
                else
                    hh = tanhf(gx[2 * H + g] + dot(R + (2 * H + g) * H, hn, H) + rb);
                gx[H + g] = hh; /* r no longer needed for this g; keep candidate */
            }
            for (g = 0; g < H; g++) {
                float z = gx[g];
                hb[g] = (1.0f - z) * gx[H + g] + z * hb[g];
            }
            if (Y)
                memcpy(Y + x_off(layout, t, b, T, Bn, H), hb, (size_t)H * sizeof(float));
        }
    }
    if (Yh)
        memcpy(Yh, h, (size_t)(Bn * H) * sizeof(float));
}
