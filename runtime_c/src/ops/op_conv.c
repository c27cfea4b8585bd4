/* op_conv.c - 1-D convolution (dilation, groups, bias), valid padding, stride 1.
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

#include "kernels.h"
#include "ops.h"

nnfx_result nx_plan_conv(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    nx_val *x = IN(0), *w = IN(1), *bias = c->nin > 2 ? IN(2) : NULL, *y;
    int64_t v[NX_MAX_IO], od[3];
    int cnt, i, k, d, g;
    const char *ap = nx_attr_s(n, "auto_pad", "NOTSET");
    nnfx_result r;
    (void)def;
    if (!x || !w)
        return BADF("missing input or weight");
    if (x->ndim != 3 || w->ndim != 3)
        return UNSUP("only 1-D convolution ([batch, channels, time] input) is supported");
    if (w->time_axis >= 0 || (bias && bias->time_axis >= 0))
        return UNSUP("weights depend on audio");
    if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID"))
        return UNSUP("auto_pad=%s: padding must be 0 (pad causally before the convolution "
                     "in the exported graph, or use valid convolutions with look-back)", ap);
    cnt = nx_attr_ints(n, "pads", v, NX_MAX_IO);
    for (i = 0; i < cnt; i++)
        if (v[i] != 0)
            return UNSUP("pads must be 0 (found %lld): nnfx streams valid convolutions; crop or "
                         "left-pad causally in the model instead", (long long)v[i]);
    cnt = nx_attr_ints(n, "strides", v, NX_MAX_IO);
    for (i = 0; i < cnt; i++)
        if (v[i] != 1)
            return UNSUP("stride %lld (only stride 1)", (long long)v[i]);
    d = 1;
    cnt = nx_attr_ints(n, "dilations", v, NX_MAX_IO);
    if (cnt == 1) {
        if (v[0] < 1 || v[0] > NX_ONNX_MAX_TENSOR_ELEMS)
            return BADF("dilation %lld", (long long)v[0]);
        d = (int)v[0];
    } else if (cnt > 1) {
        return UNSUP("more than one dilation");
    }
    if (nx_attr_i(n, "group", 1) < 1 || nx_attr_i(n, "group", 1) > NX_ONNX_MAX_TENSOR_ELEMS)
        return BADF("group %lld", (long long)nx_attr_i(n, "group", 1));
    g = (int)nx_attr_i(n, "group", 1);
    k = (int)w->dims[2];
    cnt = nx_attr_ints(n, "kernel_shape", v, NX_MAX_IO);
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
    r = nx_set_shape(b, n, OUT(0), 3, od);
    if (r)
        return r;
    y = OUT(0);
    y->time_axis = x->time_axis == 2 ? 2 : -1;
    s->op = NX_OP_CONV;
    s->run = nx_run_conv;
    s->u.conv.kernel = k;
    s->u.conv.dilation = d;
    s->u.conv.groups = g;
    s->u.conv.hist = (k - 1) * d;
    s->stream = b->stream && x->time_axis == 2 && s->u.conv.hist > 0; /* k = 1: no history */
    s->macs = (double)w->dims[0] * (double)w->dims[1] * k;
    if (c->nin < 3) {
        s->in[2] = -1;
        s->n_in = 3;
    }
    return NNFX_OK;
}

uint64_t nx_conv_ring_bytes(nx_step *s, const nx_val *x, int max_block)
{
    s->ring_len = s->u.conv.hist + max_block;
    return (uint64_t)x->dims[1] * (uint64_t)s->ring_len * sizeof(float);
}

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
    a.groups = s->u.conv.groups;
    a.k = s->u.conv.kernel;
    a.d = s->u.conv.dilation;
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
        conv_core(s, Wv->data, B, cin, cout, y, L - s->u.conv.hist, X->data, L, 0, 0);
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
        conv_core(s, Wv->data, B, cin, cout, y, T, s->ring, R, pos - s->u.conv.hist + R, R);
        s->ring_pos = (int)((pos + T) % R);
    }
}
