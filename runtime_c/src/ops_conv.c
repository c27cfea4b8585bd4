/* ops_conv.c - 1-D convolution (dilation, groups, bias), valid padding, stride 1.
 *
 * Look-back mode: input [1, Cin, L] -> output [1, Cout, L - (k-1)d], straight from the input.
 * Stream mode: each input channel's newest frames go into a ring of (k-1)d + max_block frames,
 * so the history costs nothing per block whatever the dilation: output frame t at tap j
 * reads ring position pos - (k-1)d + t + j*d (mod ring length), at most two contiguous runs.
 * At reset the rings are primed with the value each input has when audio_in has been silent
 * forever (a graph run of one silent frame in which every conv sees a constant history), so
 * that stream mode starts exactly like the exported graph run on a window of zeros.
 * Weights are read in ONNX layout [Cout][Cin/groups][k]; the inner loop runs over time
 * (contiguous), an axpy the compiler vectorizes.
 */
#include <string.h>

#include "engine.h"

static void axpy(float *y, const float *x, float w, int64_t n)
{
    int64_t t;
    for (t = 0; t < n; t++)
        y[t] += w * x[t];
}

static void conv_core(const nx_step *s, const float *W, const float *B, int cin, int cout,
                      float *y, int64_t tout, const float *src, int64_t row_stride,
                      int64_t first, int64_t ring)
{
    int groups = s->n, cin_g = cin / groups, cout_g = cout / groups, K = s->k, d = s->d;
    int o, ii, j;
    for (o = 0; o < cout; o++) {
        float *yo = y + (int64_t)o * tout;
        int g = o / cout_g;
        float b = B ? B[o] : 0.0f;
        int64_t t;
        for (t = 0; t < tout; t++)
            yo[t] = b;
        for (ii = 0; ii < cin_g; ii++) {
            const float *row = src + (int64_t)(g * cin_g + ii) * row_stride;
            const float *w = W + ((int64_t)o * cin_g + ii) * K;
            for (j = 0; j < K; j++) {
                int64_t st = first + (int64_t)j * d;
                if (ring > 0) {
                    int64_t n1;
                    st %= ring;
                    n1 = ring - st < tout ? ring - st : tout;
                    axpy(yo, row + st, w[j], n1);
                    if (n1 < tout)
                        axpy(yo + n1, row, w[j], tout - n1);
                } else {
                    axpy(yo, row + st, w[j], tout);
                }
            }
        }
    }
}

void nx_run_conv(nx_step *s, const nx_exec *e)
{
    const nx_val *X = &e->v[s->in[0]];
    const nx_val *Wv = &e->v[s->in[1]];
    const float *B = s->in[2] >= 0 ? e->v[s->in[2]].data : NULL;
    float *y = e->v[s->out[0]].data;
    int cin = (int)X->dims[1], cout = (int)Wv->dims[0];
    if (e->T < 0 || !s->stream) {
        int64_t L = (e->T >= 0 && X->time_axis == 2) ? e->T : X->dims[2];
        conv_core(s, Wv->data, B, cin, cout, y, L - s->hist, X->data, L, 0, 0);
        return;
    } else {
        int64_t T = e->T, R = s->ring_len, pos = s->ring_pos, i;
        int64_t n1 = R - pos < T ? R - pos : T;
        for (i = 0; i < cin; i++) {
            float *row = s->ring + i * R;
            const float *x = X->data + i * T;
            if (e->prime) {
                /* silence before the first frame: the history holds the steady value */
                int64_t t;
                for (t = 0; t < R; t++)
                    row[t] = x[0];
            }
            memcpy(row + pos, x, (size_t)n1 * sizeof(float));
            if (n1 < T)
                memcpy(row, x + n1, (size_t)(T - n1) * sizeof(float));
        }
        conv_core(s, Wv->data, B, cin, cout, y, T, s->ring, R, pos - s->hist + R, R);
        s->ring_pos = (int)((pos + T) % R);
    }
}
