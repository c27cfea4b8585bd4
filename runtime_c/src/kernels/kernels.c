/* kernels.c - portable inner loops and the one place that picks the vector path (kernels.h). */
#include <math.h>
#include <string.h>

#include "kernels.h"

int nx_kernels_force_portable = 0;

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define NX_HAVE_AVX2_PATH 1
#endif
#if defined(__ARM_NEON) || defined(__ARM_NEON__)
#define NX_HAVE_NEON_PATH 1
#endif

int nx_k_level(void)
{
#if defined(NX_HAVE_AVX2_PATH)
    if (!nx_kernels_force_portable && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma"))
        return NX_K_AVX2;
#endif
#if defined(NX_HAVE_NEON_PATH)
    if (!nx_kernels_force_portable)
        return NX_K_NEON;
#endif
    return NX_K_PORTABLE;
}

/* ---------------------------------------------------------------- activations */

/* exp(x) for x in [-87.3, 88.7]: 2^n * e^r, |r| <= ln2/2, degree-7 series (error < 1 ulp of
 * the series, Cody-Waite split of ln 2). The vector paths compute the same formula. */
static float exp_c(float x)
{
    float n, r, p;
    int32_t e;
    uint32_t bits;
    float scale;
    if (x > 88.0f)
        x = 88.0f;
    if (x < -87.0f)
        x = -87.0f;
    n = floorf(x * 1.44269504f + 0.5f);
    r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    e = (int32_t)n + 127;
    bits = (uint32_t)e << 23;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static float tanh_c(float x)
{
    float a = fabsf(x), t;
    if (a < 0.2f) {
        float x2 = x * x;
        /* tanh x = x - x^3/3 + 2x^5/15 - 17x^7/315 + 62x^9/2835 */
        float p = 62.0f / 2835.0f;
        p = p * x2 - 17.0f / 315.0f;
        p = p * x2 + 2.0f / 15.0f;
        p = p * x2 - 1.0f / 3.0f;
        return x + x * x2 * p;
    }
    if (a > 9.5f)
        t = 1.0f;
    else
        t = 1.0f - 2.0f / (exp_c(2.0f * a) + 1.0f);
    return x < 0.0f ? -t : t;
}

static float sigmoid_c(float x)
{
    return 1.0f / (1.0f + exp_c(-x));
}

void nx_k_tanh(float *y, const float *x, int64_t n)
{
    int64_t i;
#if defined(NX_HAVE_AVX2_PATH)
    if (nx_k_level() == NX_K_AVX2) {
        nx_k_tanh_avx2(y, x, n);
        return;
    }
#endif
#if defined(NX_HAVE_NEON_PATH)
    if (nx_k_level() == NX_K_NEON) {
        nx_k_tanh_neon(y, x, n);
        return;
    }
#endif
    for (i = 0; i < n; i++)
        y[i] = x[i] != x[i] ? x[i] : tanh_c(x[i]);
}

void nx_k_sigmoid(float *y, const float *x, int64_t n)
{
    int64_t i;
#if defined(NX_HAVE_AVX2_PATH)
    if (nx_k_level() == NX_K_AVX2) {
        nx_k_sigmoid_avx2(y, x, n);
        return;
    }
#endif
#if defined(NX_HAVE_NEON_PATH)
    if (nx_k_level() == NX_K_NEON) {
        nx_k_sigmoid_neon(y, x, n);
        return;
    }
#endif
    for (i = 0; i < n; i++)
        y[i] = x[i] != x[i] ? x[i] : sigmoid_c(x[i]);
}

/* ---------------------------------------------------------------- matrix-vector */

void nx_k_matvec_add(float *y, const float *A, int64_t rows, int64_t cols, const float *x)
{
    int64_t r, c;
#if defined(NX_HAVE_AVX2_PATH)
    if (nx_k_level() == NX_K_AVX2) {
        nx_k_matvec_add_avx2(y, A, rows, cols, x);
        return;
    }
#endif
#if defined(NX_HAVE_NEON_PATH)
    if (nx_k_level() == NX_K_NEON) {
        nx_k_matvec_add_neon(y, A, rows, cols, x);
        return;
    }
#endif
    for (r = 0; r < rows; r++) {
        const float *a = A + r * cols;
        float s = 0.0f;
        for (c = 0; c < cols; c++)
            s += a[c] * x[c];
        y[r] += s;
    }
}

/* ---------------------------------------------------------------- convolution */

static void conv_seg_c(const nx_k_conv_args *a, float *y, int64_t tout, int64_t t0, int64_t len,
                       const int64_t *off)
{
    int cin_g = a->cin / a->groups, cout_g = a->cout / a->groups, K = a->k;
    int o, i, j;
    int64_t t;
    for (o = 0; o < a->cout; o++) {
        float *yo = y + (int64_t)o * tout + t0;
        int g = o / cout_g;
        float b = a->B ? a->B[o] : 0.0f;
        for (t = 0; t < len; t++)
            yo[t] = b;
        for (i = 0; i < cin_g; i++) {
            const float *row = a->src + (int64_t)(g * cin_g + i) * a->row_stride;
            const float *w = a->W + ((int64_t)o * cin_g + i) * K;
            for (j = 0; j < K; j++) {
                const float *x = row + off[j];
                float wj = w[j];
                for (t = 0; t < len; t++)
                    yo[t] += wj * x[t];
            }
        }
    }
}

#define NX_K_MAX_TAPS 64

static void conv_ref(const nx_k_conv_args *a, float *y, int64_t tout)
{
    int cin_g = a->cin / a->groups, cout_g = a->cout / a->groups, K = a->k;
    int o, i, j;
    int64_t t;
    for (o = 0; o < a->cout; o++) {
        float *yo = y + (int64_t)o * tout;
        const float *w0 = a->W + (int64_t)o * cin_g * K;
        int g = o / cout_g;
        for (t = 0; t < tout; t++) {
            float acc = a->B ? a->B[o] : 0.0f;
            for (i = 0; i < cin_g; i++) {
                const float *row = a->src + (int64_t)(g * cin_g + i) * a->row_stride;
                for (j = 0; j < K; j++) {
                    int64_t p = a->first + t + (int64_t)j * a->d;
                    if (a->ring > 0)
                        p %= a->ring;
                    acc += w0[i * K + j] * row[p];
                }
            }
            yo[t] = acc;
        }
    }
}

void nx_k_conv(const nx_k_conv_args *a, float *y, int64_t tout)
{
    int64_t base[NX_K_MAX_TAPS], off[NX_K_MAX_TAPS], cut[NX_K_MAX_TAPS + 1];
    int K = a->k, j, ncut = 0, c;
    int64_t start = 0;
    int level = nx_k_level();
    if (K > NX_K_MAX_TAPS) { /* long kernels: one element at a time, still exact */
        conv_ref(a, y, tout);
        return;
    }
    for (j = 0; j < K; j++) {
        base[j] = a->first + (int64_t)j * a->d;
        if (a->ring > 0) {
            base[j] %= a->ring;
            if (a->ring - base[j] < tout) { /* this tap wraps inside the block: split there */
                int64_t w = a->ring - base[j], q;
                for (q = ncut; q > 0 && cut[q - 1] > w; q--)
                    cut[q] = cut[q - 1];
                cut[q] = w;
                ncut++;
            }
        }
    }
    cut[ncut++] = tout;
    for (c = 0; c < ncut; c++) {
        int64_t end = cut[c];
        if (end <= start)
            continue;
        for (j = 0; j < K; j++) {
            off[j] = base[j] + start;
            if (a->ring > 0 && off[j] >= a->ring)
                off[j] -= a->ring;
        }
#if defined(NX_HAVE_AVX2_PATH)
        if (level == NX_K_AVX2)
            nx_k_conv_seg_avx2(a, y, tout, start, end - start, off);
        else
#endif
#if defined(NX_HAVE_NEON_PATH)
        if (level == NX_K_NEON)
            nx_k_conv_seg_neon(a, y, tout, start, end - start, off);
        else
#endif
            conv_seg_c(a, y, tout, start, end - start, off);
        start = end;
    }
    (void)level;
}
