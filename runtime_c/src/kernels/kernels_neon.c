/* kernels_neon.c - NEON versions of the convolution, matrix-vector and tanh/sigmoid loops
 * (kernels.h), for 32-bit ARM built with -mfpu=neon (Bela) and aarch64 (Raspberry Pi). Chosen at build time: the compiler defines
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
static void ntile4x2(const nx_tile *c, const float *b, float *y, int64_t ys)
{
    float32x4_t a00 = vdupq_n_f32(b[0]), a01 = a00, a10 = vdupq_n_f32(b[1]), a11 = a10;
    float32x4_t a20 = vdupq_n_f32(b[2]), a21 = a20, a30 = vdupq_n_f32(b[3]), a31 = a30;
    const int64_t wo = c->wo;
    NX_FOR_TAPS({
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

static void ntile4x1(const nx_tile *c, const float *b, float *y, int64_t ys)
{
    float32x4_t a0 = vdupq_n_f32(b[0]), a1 = vdupq_n_f32(b[1]);
    float32x4_t a2 = vdupq_n_f32(b[2]), a3 = vdupq_n_f32(b[3]);
    const int64_t wo = c->wo;
    NX_FOR_TAPS({
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

static void ntile1x4(const nx_tile *c, const float *b, float *y)
{
    float32x4_t a0 = vdupq_n_f32(b[0]), a1 = a0, a2 = a0, a3 = a0;
    NX_FOR_TAPS({
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

static void ntile1x1(const nx_tile *c, const float *b, float *y)
{
    float32x4_t a0 = vdupq_n_f32(b[0]);
    NX_FOR_TAPS({ a0 = NX_MLA(a0, vdupq_n_f32(wj_[0]), vld1q_f32(p_)); });
    vst1q_f32(y, a0);
}

/* the last < 4 frames of one output, one at a time (same order of sums as the tiles) */
static void nscalar(const nx_tile *c, float b, float *y, int64_t n)
{
    int64_t t;
    for (t = 0; t < n; t++) {
        float acc = b;
        NX_FOR_TAPS({
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
    nx_tile c;
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

/* ---------------------------------------------------------------- activations */

/* Same formula as exp_c in kernels.c, 4 lanes. floor() by truncation and a correction (armv7
 * NEON has no rounding instruction). aarch64 fuses the multiply-adds like the AVX2 path;
 * armv7 uses vmlaq/vmlsq (product rounded, then the sum: the portable path's rounding). */
#if defined(__aarch64__)
#define NX_FMA(acc, a, b) vfmaq_f32((acc), (a), (b))
#define NX_FMS(acc, a, b) vfmsq_f32((acc), (a), (b))
#else
#define NX_FMA(acc, a, b) vmlaq_f32((acc), (a), (b))
#define NX_FMS(acc, a, b) vmlsq_f32((acc), (a), (b))
#endif

static float32x4_t exp4(float32x4_t x)
{
    float32x4_t z, n, r, p, scale;
    int32x4_t ni;
    uint32x4_t gt;
    x = vminq_f32(x, vdupq_n_f32(88.0f));
    x = vmaxq_f32(x, vdupq_n_f32(-87.0f));
    z = NX_FMA(vdupq_n_f32(0.5f), x, vdupq_n_f32(1.44269504f));
    n = vcvtq_f32_s32(vcvtq_s32_f32(z)); /* toward zero: exact, |z| < 2^7 */
    gt = vcgtq_f32(n, z);                /* negative non-integers: one below */
    n = vsubq_f32(n, vreinterpretq_f32_u32(vandq_u32(gt, vreinterpretq_u32_f32(vdupq_n_f32(1.0f)))));
    r = NX_FMS(x, n, vdupq_n_f32(0.693359375f));
    r = NX_FMS(r, n, vdupq_n_f32(-2.12194440e-4f));
    p = vdupq_n_f32(1.0f / 5040.0f);
    p = NX_FMA(vdupq_n_f32(1.0f / 720.0f), p, r);
    p = NX_FMA(vdupq_n_f32(1.0f / 120.0f), p, r);
    p = NX_FMA(vdupq_n_f32(1.0f / 24.0f), p, r);
    p = NX_FMA(vdupq_n_f32(1.0f / 6.0f), p, r);
    p = NX_FMA(vdupq_n_f32(0.5f), p, r);
    p = NX_FMA(vdupq_n_f32(1.0f), p, r);
    p = NX_FMA(vdupq_n_f32(1.0f), p, r);
    ni = vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127));
    scale = vreinterpretq_f32_s32(vshlq_n_s32(ni, 23));
    return vmulq_f32(p, scale);
}

/* a / b per lane: vdivq_f32 on aarch64; armv7 NEON has no division, so each lane is divided
 * by the VFP (correctly rounded, as in the portable path: a reciprocal estimate with Newton
 * steps would add up to 2 ulp where tanh's 1 - 2/(e^2x + 1) cancels). */
static float32x4_t div4(float32x4_t a, float32x4_t b)
{
#if defined(__aarch64__)
    return vdivq_f32(a, b);
#else
    float av[4], bv[4];
    vst1q_f32(av, a);
    vst1q_f32(bv, b);
    av[0] /= bv[0];
    av[1] /= bv[1];
    av[2] /= bv[2];
    av[3] /= bv[3];
    return vld1q_f32(av);
#endif
}

static float32x4_t tanh4(float32x4_t x)
{
    const uint32x4_t sign = vdupq_n_u32(0x80000000u);
    const float32x4_t one = vdupq_n_f32(1.0f);
    float32x4_t a = vabsq_f32(x), x2 = vmulq_f32(x, x), p, t, big, small;
    p = vdupq_n_f32(62.0f / 2835.0f);
    p = NX_FMA(vdupq_n_f32(-17.0f / 315.0f), p, x2);
    p = NX_FMA(vdupq_n_f32(2.0f / 15.0f), p, x2);
    p = NX_FMA(vdupq_n_f32(-1.0f / 3.0f), p, x2);
    small = NX_FMA(x, vmulq_f32(x, x2), p);
    t = exp4(vaddq_f32(a, a));
    big = vsubq_f32(one, div4(vdupq_n_f32(2.0f), vaddq_f32(t, one)));
    big = vbslq_f32(vcgtq_f32(a, vdupq_n_f32(9.5f)), one, big);
    big = vreinterpretq_f32_u32(
        vorrq_u32(vreinterpretq_u32_f32(big), vandq_u32(vreinterpretq_u32_f32(x), sign)));
    t = vbslq_f32(vcltq_f32(a, vdupq_n_f32(0.2f)), small, big);
    /* NaN in, NaN out (x == x is false only for NaN) */
    return vbslq_f32(vceqq_f32(x, x), t, x);
}

static float32x4_t sigmoid4(float32x4_t x)
{
    const float32x4_t one = vdupq_n_f32(1.0f);
    float32x4_t s = div4(one, vaddq_f32(one, exp4(vnegq_f32(x))));
    return vbslq_f32(vceqq_f32(x, x), s, x);
}

/* the last < 4 elements go through a zero-padded vector (same formula, same rounding) */
#define NX_N_ELEMENTWISE(fn)                                                                      \
    do {                                                                                          \
        int64_t i_ = 0, k_;                                                                       \
        for (; i_ + 4 <= n; i_ += 4)                                                              \
            vst1q_f32(y + i_, fn(vld1q_f32(x + i_)));                                             \
        if (i_ < n) {                                                                             \
            float buf_[4] = {0.0f, 0.0f, 0.0f, 0.0f};                                             \
            for (k_ = 0; k_ < n - i_; k_++)                                                       \
                buf_[k_] = x[i_ + k_];                                                            \
            vst1q_f32(buf_, fn(vld1q_f32(buf_)));                                                 \
            for (k_ = 0; k_ < n - i_; k_++)                                                       \
                y[i_ + k_] = buf_[k_];                                                            \
        }                                                                                         \
    } while (0)

void nx_k_tanh_neon(float *y, const float *x, int64_t n)
{
    NX_N_ELEMENTWISE(tanh4);
}

void nx_k_sigmoid_neon(float *y, const float *x, int64_t n)
{
    NX_N_ELEMENTWISE(sigmoid4);
}

/* ---------------------------------------------------------------- matrix-vector */

/* the four lane sums of s0..s3 as one vector {sum s0, sum s1, sum s2, sum s3} */
static float32x4_t nsum4(float32x4_t s0, float32x4_t s1, float32x4_t s2, float32x4_t s3)
{
    float32x2_t h0 = vadd_f32(vget_low_f32(s0), vget_high_f32(s0));
    float32x2_t h1 = vadd_f32(vget_low_f32(s1), vget_high_f32(s1));
    float32x2_t h2 = vadd_f32(vget_low_f32(s2), vget_high_f32(s2));
    float32x2_t h3 = vadd_f32(vget_low_f32(s3), vget_high_f32(s3));
    return vcombine_f32(vpadd_f32(h0, h1), vpadd_f32(h2, h3));
}

/* four rows at a time (x loaded once for four dot products), as the AVX2 version; columns past
 * the last multiple of 4 are summed in scalar and added to the vector sums */
void nx_k_matvec_add_neon(float *y, const float *A, int64_t rows, int64_t cols, const float *x)
{
    int64_t r = 0, c, c4 = cols & ~(int64_t)3;
    if (cols == 1) { /* a column: y += A x0 (an LSTM's input weights on mono audio) */
        float32x4_t xv = vdupq_n_f32(x[0]);
        for (; r + 4 <= rows; r += 4)
            vst1q_f32(y + r, NX_MLA(vld1q_f32(y + r), vld1q_f32(A + r), xv));
        for (; r < rows; r++)
            y[r] += A[r] * x[0];
        return;
    }
    for (; r + 4 <= rows; r += 4) {
        const float *a0 = A + r * cols, *a1 = a0 + cols, *a2 = a1 + cols, *a3 = a2 + cols;
        float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
        float tail[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (c = 0; c < c4; c += 4) {
            float32x4_t xv = vld1q_f32(x + c);
            s0 = NX_MLA(s0, vld1q_f32(a0 + c), xv);
            s1 = NX_MLA(s1, vld1q_f32(a1 + c), xv);
            s2 = NX_MLA(s2, vld1q_f32(a2 + c), xv);
            s3 = NX_MLA(s3, vld1q_f32(a3 + c), xv);
        }
        for (; c < cols; c++) {
            tail[0] += a0[c] * x[c];
            tail[1] += a1[c] * x[c];
            tail[2] += a2[c] * x[c];
            tail[3] += a3[c] * x[c];
        }
        vst1q_f32(y + r, vaddq_f32(vld1q_f32(y + r),
                                   vaddq_f32(nsum4(s0, s1, s2, s3), vld1q_f32(tail))));
    }
    for (; r < rows; r++) {
        const float *a0 = A + r * cols;
        float32x4_t s0 = vdupq_n_f32(0.0f);
        float32x2_t h;
        float s;
        for (c = 0; c < c4; c += 4)
            s0 = NX_MLA(s0, vld1q_f32(a0 + c), vld1q_f32(x + c));
        h = vadd_f32(vget_low_f32(s0), vget_high_f32(s0));
        s = vget_lane_f32(h, 0) + vget_lane_f32(h, 1);
        for (; c < cols; c++)
            s += a0[c] * x[c];
        y[r] += s;
    }
}

#else
typedef int nx_kernels_neon_empty; /* ISO C: a translation unit must not be empty */
#endif
