/* ops_conv.c - 1-D convolution (dilation, groups, bias), valid padding, stride 1.
 *
 * Look-back mode: input [1, Cin, L] -> output [1, Cout, L - (k-1)d], straight from the input.
 * Stream mode: each input channel's newest frames go into a ring of (k-1)d + max_block frames,
 * so the history costs nothing per block whatever the dilation: output frame t at tap j
 * reads ring position pos - (k-1)d + t + j*d (mod ring length), at most two contiguous runs.
 * At reset the rings are primed with the value each input has when audio_in has been silent
 * forever (a graph run of one silent frame in which every conv sees a constant history), so
 * that stream mode starts exactly like the exported graph run on a window of zeros.
 * The arithmetic is nx_k_conv (kernels.h): register tiles of outputs x frames, vectorized
 * over time, split where a tap's read wraps around the ring.
 */
#include <string.h>

#include "engine.h"
#include "kernels.h"

/* The one dispatch point: kernels.c picks the AVX2+FMA or the portable path (kernels.h). */
static void conv_core(const nx_step *s, const float *W, const float *B, int cin, int cout,
                      float *y, int64_t tout, const float *src, int64_t row_stride,
                      int64_t first, int64_t ring)
{
    nx_k_conv_args a;
    a.W = W;
    a.B = B;
    a.cin = cin;
    a.cout = cout;
    a.groups = s->n;
    a.k = s->k;
    a.d = s->d;
    a.src = src;
    a.row_stride = row_stride;
    a.first = first;
    a.ring = ring;
    nx_k_conv(&a, y, tout);
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
