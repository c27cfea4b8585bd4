/* kernels_avx2.c - AVX2 + FMA versions of the kernels.h loops (x86 only; chosen at run time by
 * nx_k_level). Compiled through function attributes: no -march flag is needed anywhere. */
#include "kernels.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define NX_AVX2 __attribute__((target("avx2,fma")))

/* lane masks for partial vectors: mask_of(n) has the first n lanes set */
static const int32_t mask_tab[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

NX_AVX2 static __m256i mask_of(int64_t n)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)(mask_tab + 8 - n));
}

/* same formula as exp_c in kernels.c */
NX_AVX2 static __m256 exp8(__m256 x)
{
    __m256 n, r, p, scale;
    __m256i e;
    x = _mm256_min_ps(x, _mm256_set1_ps(88.0f));
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504f), _mm256_set1_ps(0.5f)));
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    scale = _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
    return _mm256_mul_ps(p, scale);
}

NX_AVX2 static __m256 tanh8(__m256 x)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 a = _mm256_andnot_ps(sign, x), x2 = _mm256_mul_ps(x, x), p, big, t, small;
    p = _mm256_set1_ps(62.0f / 2835.0f);
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-17.0f / 315.0f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.0f / 15.0f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.0f / 3.0f));
    small = _mm256_fmadd_ps(_mm256_mul_ps(x, x2), p, x);
    t = exp8(_mm256_add_ps(a, a));
    big = _mm256_sub_ps(_mm256_set1_ps(1.0f),
                        _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(t, _mm256_set1_ps(1.0f))));
    big = _mm256_blendv_ps(big, _mm256_set1_ps(1.0f),
                           _mm256_cmp_ps(a, _mm256_set1_ps(9.5f), _CMP_GT_OQ));
    big = _mm256_or_ps(big, _mm256_and_ps(x, sign));
    t = _mm256_blendv_ps(big, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.2f), _CMP_LT_OQ));
    /* NaN in, NaN out */
    return _mm256_blendv_ps(t, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

NX_AVX2 static __m256 sigmoid8(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    return _mm256_blendv_ps(s, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

NX_AVX2 void nx_k_tanh_avx2(float *y, const float *x, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, tanh8(_mm256_loadu_ps(x + i)));
    if (i < n) {
        __m256i m = mask_of(n - i);
        _mm256_maskstore_ps(y + i, m, tanh8(_mm256_maskload_ps(x + i, m)));
    }
}

NX_AVX2 void nx_k_sigmoid_avx2(float *y, const float *x, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, sigmoid8(_mm256_loadu_ps(x + i)));
    if (i < n) {
        __m256i m = mask_of(n - i);
        _mm256_maskstore_ps(y + i, m, sigmoid8(_mm256_maskload_ps(x + i, m)));
    }
}

NX_AVX2 static float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* four rows at a time: the x vectors are loaded once for four dot products */
NX_AVX2 void nx_k_matvec_add_avx2(float *y, const float *A, int64_t rows, int64_t cols,
                                   const float *x)
{
    int64_t r = 0, c;
    __m256i mt = mask_of(cols & 7);
    if (cols == 1) { /* a column: y += A x0 (an LSTM's input weights on mono audio) */
        __m256 xv = _mm256_set1_ps(x[0]);
        for (; r + 8 <= rows; r += 8)
            _mm256_storeu_ps(y + r, _mm256_fmadd_ps(_mm256_loadu_ps(A + r), xv,
                                                    _mm256_loadu_ps(y + r)));
        for (; r < rows; r++)
            y[r] += A[r] * x[0];
        return;
    }
    for (; r + 4 <= rows; r += 4) {
        const float *a0 = A + r * cols, *a1 = a0 + cols, *a2 = a1 + cols, *a3 = a2 + cols;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        __m128 lo, hi;
        for (c = 0; c + 8 <= cols; c += 8) {
            __m256 xv = _mm256_loadu_ps(x + c);
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a0 + c), xv, s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a1 + c), xv, s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a2 + c), xv, s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a3 + c), xv, s3);
        }
        if (c < cols) {
            __m256 xv = _mm256_maskload_ps(x + c, mt);
            s0 = _mm256_fmadd_ps(_mm256_maskload_ps(a0 + c, mt), xv, s0);
            s1 = _mm256_fmadd_ps(_mm256_maskload_ps(a1 + c, mt), xv, s1);
            s2 = _mm256_fmadd_ps(_mm256_maskload_ps(a2 + c, mt), xv, s2);
            s3 = _mm256_fmadd_ps(_mm256_maskload_ps(a3 + c, mt), xv, s3);
        }
        /* reduce four accumulators to one vector of four sums */
        s0 = _mm256_hadd_ps(s0, s1);
        s2 = _mm256_hadd_ps(s2, s3);
        s0 = _mm256_hadd_ps(s0, s2);
        lo = _mm256_castps256_ps128(s0);
        hi = _mm256_extractf128_ps(s0, 1);
        _mm_storeu_ps(y + r, _mm_add_ps(_mm_loadu_ps(y + r), _mm_add_ps(lo, hi)));
    }
    for (; r < rows; r++) {
        const float *a0 = A + r * cols;
        __m256 s0 = _mm256_setzero_ps();
        for (c = 0; c + 8 <= cols; c += 8)
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a0 + c), _mm256_loadu_ps(x + c), s0);
        if (c < cols)
            s0 = _mm256_fmadd_ps(_mm256_maskload_ps(a0 + c, mt), _mm256_maskload_ps(x + c, mt),
                                 s0);
        y[r] += hsum8(s0);
    }
}

/*
 * Convolution tiles: 4 output channels x 3 vectors of 8 frames (12 accumulators), 4 x 2, 4 x 1,
 * 1 x 3 / 1 x 1, plus a masked partial vector; each accumulator is a named variable so that the
 * compiler keeps the whole tile in registers over every input channel and tap. The source
 * vectors of one tap are loaded once for the 4 outputs, each weight is broadcast once for 3
 * vectors. Weights in ONNX layout: output o's weights for input i, tap j at w + o*wo + i*K + j.
 */
NX_AVX2 static void tile4x3(const nx_tile *c, const float *b, float *y, int64_t ys)
{
    __m256 a00 = _mm256_set1_ps(b[0]), a01 = a00, a02 = a00;
    __m256 a10 = _mm256_set1_ps(b[1]), a11 = a10, a12 = a10;
    __m256 a20 = _mm256_set1_ps(b[2]), a21 = a20, a22 = a20;
    __m256 a30 = _mm256_set1_ps(b[3]), a31 = a30, a32 = a30;
    const int64_t wo = c->wo;
    NX_FOR_TAPS({
        __m256 x0 = _mm256_loadu_ps(p_), x1 = _mm256_loadu_ps(p_ + 8);
        __m256 x2 = _mm256_loadu_ps(p_ + 16), wv;
        wv = _mm256_broadcast_ss(wj_);
        a00 = _mm256_fmadd_ps(wv, x0, a00);
        a01 = _mm256_fmadd_ps(wv, x1, a01);
        a02 = _mm256_fmadd_ps(wv, x2, a02);
        wv = _mm256_broadcast_ss(wj_ + wo);
        a10 = _mm256_fmadd_ps(wv, x0, a10);
        a11 = _mm256_fmadd_ps(wv, x1, a11);
        a12 = _mm256_fmadd_ps(wv, x2, a12);
        wv = _mm256_broadcast_ss(wj_ + 2 * wo);
        a20 = _mm256_fmadd_ps(wv, x0, a20);
        a21 = _mm256_fmadd_ps(wv, x1, a21);
        a22 = _mm256_fmadd_ps(wv, x2, a22);
        wv = _mm256_broadcast_ss(wj_ + 3 * wo);
        a30 = _mm256_fmadd_ps(wv, x0, a30);
        a31 = _mm256_fmadd_ps(wv, x1, a31);
        a32 = _mm256_fmadd_ps(wv, x2, a32);
    });
    _mm256_storeu_ps(y, a00);
    _mm256_storeu_ps(y + 8, a01);
    _mm256_storeu_ps(y + 16, a02);
    _mm256_storeu_ps(y + ys, a10);
    _mm256_storeu_ps(y + ys + 8, a11);
    _mm256_storeu_ps(y + ys + 16, a12);
    _mm256_storeu_ps(y + 2 * ys, a20);
    _mm256_storeu_ps(y + 2 * ys + 8, a21);
    _mm256_storeu_ps(y + 2 * ys + 16, a22);
    _mm256_storeu_ps(y + 3 * ys, a30);
    _mm256_storeu_ps(y + 3 * ys + 8, a31);
    _mm256_storeu_ps(y + 3 * ys + 16, a32);
}

/* 4 outputs x 2 vectors (16 frames: a block of 16, the rest of 64 after two 4x3 tiles) */
NX_AVX2 static void tile4x2(const nx_tile *c, const float *b, float *y, int64_t ys)
{
    __m256 a00 = _mm256_set1_ps(b[0]), a01 = a00, a10 = _mm256_set1_ps(b[1]), a11 = a10;
    __m256 a20 = _mm256_set1_ps(b[2]), a21 = a20, a30 = _mm256_set1_ps(b[3]), a31 = a30;
    const int64_t wo = c->wo;
    NX_FOR_TAPS({
        __m256 x0 = _mm256_loadu_ps(p_), x1 = _mm256_loadu_ps(p_ + 8), wv;
        wv = _mm256_broadcast_ss(wj_);
        a00 = _mm256_fmadd_ps(wv, x0, a00);
        a01 = _mm256_fmadd_ps(wv, x1, a01);
        wv = _mm256_broadcast_ss(wj_ + wo);
        a10 = _mm256_fmadd_ps(wv, x0, a10);
        a11 = _mm256_fmadd_ps(wv, x1, a11);
        wv = _mm256_broadcast_ss(wj_ + 2 * wo);
        a20 = _mm256_fmadd_ps(wv, x0, a20);
        a21 = _mm256_fmadd_ps(wv, x1, a21);
        wv = _mm256_broadcast_ss(wj_ + 3 * wo);
        a30 = _mm256_fmadd_ps(wv, x0, a30);
        a31 = _mm256_fmadd_ps(wv, x1, a31);
    });
    _mm256_storeu_ps(y, a00);
    _mm256_storeu_ps(y + 8, a01);
    _mm256_storeu_ps(y + ys, a10);
    _mm256_storeu_ps(y + ys + 8, a11);
    _mm256_storeu_ps(y + 2 * ys, a20);
    _mm256_storeu_ps(y + 2 * ys + 8, a21);
    _mm256_storeu_ps(y + 3 * ys, a30);
    _mm256_storeu_ps(y + 3 * ys + 8, a31);
}

/* 4 outputs x one vector; masked (m) when partial is set */
NX_AVX2 static void tile4x1(const nx_tile *c, const float *b, float *y, int64_t ys, int partial,
                            __m256i m)
{
    __m256 a0 = _mm256_set1_ps(b[0]), a1 = _mm256_set1_ps(b[1]);
    __m256 a2 = _mm256_set1_ps(b[2]), a3 = _mm256_set1_ps(b[3]);
    const int64_t wo = c->wo;
    NX_FOR_TAPS({
        __m256 x0 = partial ? _mm256_maskload_ps(p_, m) : _mm256_loadu_ps(p_);
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(wj_), x0, a0);
        a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(wj_ + wo), x0, a1);
        a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(wj_ + 2 * wo), x0, a2);
        a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(wj_ + 3 * wo), x0, a3);
    });
    if (partial) {
        _mm256_maskstore_ps(y, m, a0);
        _mm256_maskstore_ps(y + ys, m, a1);
        _mm256_maskstore_ps(y + 2 * ys, m, a2);
        _mm256_maskstore_ps(y + 3 * ys, m, a3);
    } else {
        _mm256_storeu_ps(y, a0);
        _mm256_storeu_ps(y + ys, a1);
        _mm256_storeu_ps(y + 2 * ys, a2);
        _mm256_storeu_ps(y + 3 * ys, a3);
    }
}

/* 1 output x 4 vectors (two accumulators per vector would not help: taps x inputs >= 1) */
NX_AVX2 static void tile1x4(const nx_tile *c, const float *b, float *y)
{
    __m256 a0 = _mm256_set1_ps(b[0]), a1 = a0, a2 = a0, a3 = a0;
    NX_FOR_TAPS({
        __m256 wv = _mm256_broadcast_ss(wj_);
        a0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(p_), a0);
        a1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(p_ + 8), a1);
        a2 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(p_ + 16), a2);
        a3 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(p_ + 24), a3);
    });
    _mm256_storeu_ps(y, a0);
    _mm256_storeu_ps(y + 8, a1);
    _mm256_storeu_ps(y + 16, a2);
    _mm256_storeu_ps(y + 24, a3);
}

NX_AVX2 static void tile1x1(const nx_tile *c, const float *b, float *y, int partial, __m256i m)
{
    __m256 a0 = _mm256_set1_ps(b[0]);
    NX_FOR_TAPS({
        __m256 x0 = partial ? _mm256_maskload_ps(p_, m) : _mm256_loadu_ps(p_);
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(wj_), x0, a0);
    });
    if (partial)
        _mm256_maskstore_ps(y, m, a0);
    else
        _mm256_storeu_ps(y, a0);
}

NX_AVX2 void nx_k_conv_seg_avx2(const nx_k_conv_args *a, float *y, int64_t tout, int64_t t0,
                                int64_t len, const int64_t *off_in)
{
    int cin_g = a->cin / a->groups, cout_g = a->cout / a->groups, K = a->k;
    int o = 0, j;
    int64_t off[64], end = t0 + len;
    float zero[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    nx_tile c;
    for (j = 0; j < K; j++)
        off[j] = off_in[j];
    c.rs = a->row_stride;
    c.wo = (int64_t)cin_g * K;
    c.cin_g = cin_g;
    c.K = K;
    c.off = off;
    while (o < a->cout) {
        int g = o / cout_g, left = (g + 1) * cout_g - o, ob = left >= 4 ? 4 : 1;
        const float *b = a->B ? a->B + o : zero;
        float *yo = y + (int64_t)o * tout;
        int64_t t = t0;
        const float *src0;
        c.w = a->W + (int64_t)o * c.wo;
        src0 = a->src + (int64_t)g * cin_g * a->row_stride;
        if (ob == 4) {
            for (; t + 24 <= end; t += 24) {
                c.src = src0 + (t - t0); /* frame offset folded into the source pointer */
                tile4x3(&c, b, yo + t, tout);
            }
            for (; t + 16 <= end; t += 16) {
                c.src = src0 + (t - t0);
                tile4x2(&c, b, yo + t, tout);
            }
            for (; t < end; t += 8) {
                int partial = end - t < 8;
                c.src = src0 + (t - t0);
                tile4x1(&c, b, yo + t, tout, partial, mask_of(partial ? end - t : 0));
            }
        } else {
            for (; t + 32 <= end; t += 32) {
                c.src = src0 + (t - t0);
                tile1x4(&c, b, yo + t);
            }
            for (; t < end; t += 8) {
                int partial = end - t < 8;
                c.src = src0 + (t - t0);
                tile1x1(&c, b, yo + t, partial, mask_of(partial ? end - t : 0));
            }
        }
        o += ob;
    }
}

#else
typedef int nx_kernels_avx2_empty; /* ISO C: a translation unit must not be empty */
#endif
