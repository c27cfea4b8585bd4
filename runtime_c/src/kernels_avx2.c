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
 * Convolution tile: OB output channels x NV vectors of 8 frames (or one partial vector when
 * NV == 0: `nt` frames under mask m) held in registers over every input channel and tap; the
 * source vectors are loaded once for OB outputs.
 */
#define NX_CONV_TILE(OB, NV)                                                                      \
    do {                                                                                          \
        __m256 acc[OB][NV > 0 ? NV : 1];                                                          \
        int oo_, v_, i_, j_;                                                                      \
        for (oo_ = 0; oo_ < OB; oo_++) {                                                          \
            __m256 b_ = _mm256_set1_ps(a->B ? a->B[o + oo_] : 0.0f);                               \
            for (v_ = 0; v_ < (NV > 0 ? NV : 1); v_++)                                            \
                acc[oo_][v_] = b_;                                                                \
        }                                                                                         \
        for (i_ = 0; i_ < cin_g; i_++) {                                                          \
            const float *row_ = a->src + (int64_t)(g * cin_g + i_) * a->row_stride + t;           \
            const float *w_ = a->W + ((int64_t)o * cin_g + i_) * K;                               \
            for (j_ = 0; j_ < K; j_++) {                                                          \
                const float *p_ = row_ + off[j_];                                                 \
                __m256 xv_[NV > 0 ? NV : 1];                                                      \
                if (NV > 0) {                                                                     \
                    for (v_ = 0; v_ < NV; v_++)                                                   \
                        xv_[v_] = _mm256_loadu_ps(p_ + 8 * v_);                                   \
                } else {                                                                          \
                    xv_[0] = _mm256_maskload_ps(p_, m);                                           \
                }                                                                                 \
                for (oo_ = 0; oo_ < OB; oo_++) {                                                  \
                    __m256 wv_ = _mm256_broadcast_ss(w_ + (int64_t)oo_ * cin_g * K + j_);         \
                    for (v_ = 0; v_ < (NV > 0 ? NV : 1); v_++)                                    \
                        acc[oo_][v_] = _mm256_fmadd_ps(wv_, xv_[v_], acc[oo_][v_]);              \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
        for (oo_ = 0; oo_ < OB; oo_++) {                                                          \
            float *yo_ = y + (int64_t)(o + oo_) * tout + t;                                       \
            if (NV > 0) {                                                                         \
                for (v_ = 0; v_ < NV; v_++)                                                       \
                    _mm256_storeu_ps(yo_ + 8 * v_, acc[oo_][v_]);                                 \
            } else {                                                                              \
                _mm256_maskstore_ps(yo_, m, acc[oo_][0]);                                         \
            }                                                                                     \
        }                                                                                         \
    } while (0)

/* all frames of one segment for OB consecutive outputs of one group */
#define NX_CONV_ROWS(OB)                                                                          \
    do {                                                                                          \
        int64_t t = t0;                                                                           \
        __m256i m = mask_of(0);                                                                   \
        for (; t + 24 <= t0 + len; t += 24)                                                       \
            NX_CONV_TILE(OB, 3);                                                                  \
        for (; t + 8 <= t0 + len; t += 8)                                                         \
            NX_CONV_TILE(OB, 1);                                                                  \
        if (t < t0 + len) {                                                                       \
            m = mask_of(t0 + len - t);                                                            \
            NX_CONV_TILE(OB, 0);                                                                  \
        }                                                                                         \
    } while (0)

NX_AVX2 void nx_k_conv_seg_avx2(const nx_k_conv_args *a, float *y, int64_t tout, int64_t t0,
                                int64_t len, const int64_t *off_in)
{
    int cin_g = a->cin / a->groups, cout_g = a->cout / a->groups, K = a->k;
    int o = 0;
    int64_t off[64];
    int j;
    /* offsets relative to the segment start, so that row_ + t indexes frame t */
    for (j = 0; j < K; j++)
        off[j] = off_in[j] - t0;
    while (o < a->cout) {
        int g = o / cout_g, left = (g + 1) * cout_g - o;
        if (left >= 4) {
            NX_CONV_ROWS(4);
            o += 4;
        } else if (left >= 2) {
            NX_CONV_ROWS(2);
            o += 2;
        } else {
            NX_CONV_ROWS(1);
            o += 1;
        }
    }
}

#else
typedef int nx_kernels_avx2_empty; /* ISO C: a translation unit must not be empty */
#endif
