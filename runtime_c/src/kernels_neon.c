/* kernels_neon.c - NEON versions of the convolution loops (kernels.h), for 32-bit ARM built with
 * -mfpu=neon (Bela) and aarch64 (Raspberry Pi). Chosen at build time: the compiler defines
 * __ARM_NEON exactly when NEON may be used, and nx_k_level() then returns NX_K_NEON.
 * aarch64 fuses each multiply-add (vfmaq_f32, one rounding, like the AVX2 path); 32-bit NEON
 * has no fused form before VFPv4, so it multiplies then adds (vmlaq_f32, the portable path's
 * rounding). NEON on 32-bit ARM flushes denormals to zero in any case, which nnfx's processing
 * does too. */
#include "kernels.h"

#if defined(__ARM_NEON) || defined(__ARM_NEON__)
#include <arm_neon.h>

#if defined(__aarch64__)
#define NX_MLA(acc, w, x) vfmaq_f32((acc), (w), (x))
#else
#define NX_MLA(acc, w, x) vmlaq_f32((acc), (w), (x))
#endif

/* Same shapes as the AVX2 tiles (kernels_avx2.c), at 4 lanes: 4 outputs x 2 vectors and
 * 1 output x 4 vectors, accumulators in named registers; a scalar loop takes the last < 4
 * frames. Weights in ONNX layout: output o, input i, tap j at w + o*wo + i*K + j. */
typedef struct {
    const float *src, *w;
    int64_t rs, wo;
    int cin_g, K;
    const int64_t *off;
} nx_ntile;

#define NX_N_TAPS(...)                                                                            \
    do {                                                                                          \
        int i_, j_;                                                                               \
        for (i_ = 0; i_ < c->cin_g; i_++) {                                                       \
            const float *row_ = c->src + (int64_t)i_ * c->rs;                                     \
            const float *w_ = c->w + (int64_t)i_ * c->K;                                          \
            for (j_ = 0; j_ < c->K; j_++) {                                                       \
                const float *p_ = row_ + c->off[j_];                                              \
                const float *wj_ = w_ + j_;                                                       \
                __VA_ARGS__                                                                       \
            }                                                                                     \
        }                                                                                         \
    } while (0)

static void ntile4x2(const nx_ntile *c, const float *b, float *y, int64_t ys)
{
    float32x4_t a00 = vdupq_n_f32(b[0]), a01 = a00, a10 = vdupq_n_f32(b[1]), a11 = a10;
    float32x4_t a20 = vdupq_n_f32(b[2]), a21 = a20, a30 = vdupq_n_f32(b[3]), a31 = a30;
    const int64_t wo = c->wo;
    NX_N_TAPS({
        float32x4_t x0 = vld1q_f32(p_), x1 = vld1q_f32(p_ + 4), wv;
        wv = vdupq_n_f32(wj_[0]);
        a00 = NX_MLA(a00, wv, x0);
        a01 = NX_MLA(a01, wv, x1);
        wv = vdupq_n_f32(wj_[wo]);
        a10 = NX_MLA(a10, wv, x0);
        a11 = NX_MLA(a11, wv, x1);
        wv = vdupq_n_f32(wj_[2 * wo]);
        a20 = NX_MLA(a20, wv, x0);
        a21 = NX_MLA(a21, wv, x1);
        wv = vdupq_n_f32(wj_[3 * wo]);
        a30 = NX_MLA(a30, wv, x0);
        a31 = NX_MLA(a31, wv, x1);
    });
    vst1q_f32(y, a00);
    vst1q_f32(y + 4, a01);
    vst1q_f32(y + ys, a10);
    vst1q_f32(y + ys + 4, a11);
    vst1q_f32(y + 2 * ys, a20);
    vst1q_f32(y + 2 * ys + 4, a21);
    vst1q_f32(y + 3 * ys, a30);
    vst1q_f32(y + 3 * ys + 4, a31);
}

static void ntile4x1(const nx_ntile *c, const float *b, float *y, int64_t ys)
{
    float32x4_t a0 = vdupq_n_f32(b[0]), a1 = vdupq_n_f32(b[1]);
    float32x4_t a2 = vdupq_n_f32(b[2]), a3 = vdupq_n_f32(b[3]);
    const int64_t wo = c->wo;
    NX_N_TAPS({
        float32x4_t x0 = vld1q_f32(p_);
        a0 = NX_MLA(a0, vdupq_n_f32(wj_[0]), x0);
        a1 = NX_MLA(a1, vdupq_n_f32(wj_[wo]), x0);
        a2 = NX_MLA(a2, vdupq_n_f32(wj_[2 * wo]), x0);
        a3 = NX_MLA(a3, vdupq_n_f32(wj_[3 * wo]), x0);
    });
    vst1q_f32(y, a0);
    vst1q_f32(y + ys, a1);
    vst1q_f32(y + 2 * ys, a2);
    vst1q_f32(y + 3 * ys, a3);
}

static void ntile1x4(const nx_ntile *c, const float *b, float *y)
{
    float32x4_t a0 = vdupq_n_f32(b[0]), a1 = a0, a2 = a0, a3 = a0;
    NX_N_TAPS({
        float32x4_t wv = vdupq_n_f32(wj_[0]);
        a0 = NX_MLA(a0, wv, vld1q_f32(p_));
        a1 = NX_MLA(a1, wv, vld1q_f32(p_ + 4));
        a2 = NX_MLA(a2, wv, vld1q_f32(p_ + 8));
        a3 = NX_MLA(a3, wv, vld1q_f32(p_ + 12));
    });
    vst1q_f32(y, a0);
    vst1q_f32(y + 4, a1);
    vst1q_f32(y + 8, a2);
    vst1q_f32(y + 12, a3);
}

static void ntile1x1(const nx_ntile *c, const float *b, float *y)
{
    float32x4_t a0 = vdupq_n_f32(b[0]);
    NX_N_TAPS({ a0 = NX_MLA(a0, vdupq_n_f32(wj_[0]), vld1q_f32(p_)); });
    vst1q_f32(y, a0);
}

/* the last < 4 frames of one output, one at a time (same order of sums as the tiles) */
static void nscalar(const nx_ntile *c, float b, float *y, int64_t n)
{
    int64_t t;
    for (t = 0; t < n; t++) {
        float acc = b;
        NX_N_TAPS({
#if defined(__aarch64__)
            acc = __builtin_fmaf(wj_[0], p_[t], acc);
#else
            acc += wj_[0] * p_[t];
#endif
        });
        y[t] = acc;
    }
}

void nx_k_conv_seg_neon(const nx_k_conv_args *a, float *y, int64_t tout, int64_t t0, int64_t len,
                        const int64_t *off)
{
    int cin_g = a->cin / a->groups, cout_g = a->cout / a->groups, K = a->k;
    int o = 0;
    int64_t end = t0 + len;
    const float zero[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    nx_ntile c;
    c.rs = a->row_stride;
    c.wo = (int64_t)cin_g * K;
    c.cin_g = cin_g;
    c.K = K;
    c.off = off;
    while (o < a->cout) {
        int g = o / cout_g, left = (g + 1) * cout_g - o, ob = left >= 4 ? 4 : 1, q;
        const float *b = a->B ? a->B + o : zero;
        float *yo = y + (int64_t)o * tout;
        const float *src0 = a->src + (int64_t)g * cin_g * a->row_stride;
        int64_t t = t0;
        c.w = a->W + (int64_t)o * c.wo;
        if (ob == 4) {
            for (; t + 8 <= end; t += 8) {
                c.src = src0 + (t - t0);
                ntile4x2(&c, b, yo + t, tout);
            }
            for (; t + 4 <= end; t += 4) {
                c.src = src0 + (t - t0);
                ntile4x1(&c, b, yo + t, tout);
            }
        } else {
            for (; t + 16 <= end; t += 16) {
                c.src = src0 + (t - t0);
                ntile1x4(&c, b, yo + t);
            }
            for (; t + 4 <= end; t += 4) {
                c.src = src0 + (t - t0);
                ntile1x1(&c, b, yo + t);
            }
        }
        if (t < end) {
            c.src = src0 + (t - t0);
            for (q = 0; q < ob; q++) {
                c.w = a->W + (int64_t)(o + q) * c.wo;
                nscalar(&c, b[q], yo + (int64_t)q * tout + t, end - t);
            }
        }
        o += ob;
    }
}

#else
typedef int nx_kernels_neon_empty; /* ISO C: a translation unit must not be empty */
#endif
