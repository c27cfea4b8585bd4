/* test_kernels.c - the vector kernels (kernels.h) against plain double-precision
 * references, on the portable path and on the machine's vector path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels.h"

static unsigned long long rng = 88172645463325252ULL;
static float frand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

/* distance in float ulps between a float and a double reference */
static double ulps(float got, double want)
{
    float w = (float)want;
    double ulp = fabs((double)nextafterf(w, INFINITY) - (double)w);
    if (ulp == 0.0)
        ulp = 1e-45;
    return fabs((double)got - want) / ulp;
}

/* Activations: a dense sweep of [-12, 12] (every 1e-4) plus special values. Bound 8 ulp: the
 * measured worst is about 6 ulp for tanh just above 0.2, where 1 - 2/(e^2x + 1) cancels
 * (still 1e-7 absolute, far inside the 1e-4 parity tolerance of the model files). */
typedef void (*act_fn)(float *y, const float *x, int64_t n);
typedef void (*mv_fn)(float *y, const float *A, int64_t rows, int64_t cols, const float *x);

static void test_activations(const char *path, act_fn tanh_f, act_fn sigmoid_f)
{
    enum { N = 240001 };
    static float x[N], y[N], s[N];
    double worst_t = 0, worst_s = 0;
    int i;
    for (i = 0; i < N; i++)
        x[i] = -12.0f + 1e-4f * (float)i;
    tanh_f(y, x, N);
    sigmoid_f(s, x, N);
    for (i = 0; i < N; i++) {
        double t = tanh((double)x[i]), sg = 1.0 / (1.0 + exp(-(double)x[i]));
        double et = ulps(y[i], t), es = ulps(s[i], sg);
        if (et > worst_t)
            worst_t = et;
        if (es > worst_s)
            worst_s = es;
    }
    printf("  %s: tanh worst %.2f ulp, sigmoid worst %.2f ulp\n", path, worst_t, worst_s);
    CHECK(worst_t <= 8.0, "%s tanh error %.2f ulp", path, worst_t);
    CHECK(worst_s <= 8.0, "%s sigmoid error %.2f ulp", path, worst_s);
    {
        float sp[7] = {0.0f, -0.0f, 100.0f, -100.0f, 1e-30f, NAN, 7.0f}, o[7], so[7];
        tanh_f(o, sp, 7);
        sigmoid_f(so, sp, 7);
        CHECK(o[0] == 0.0f && o[2] == 1.0f && o[3] == -1.0f && o[4] == 1e-30f, "%s tanh specials",
              path);
        CHECK(o[5] != o[5] && so[5] != so[5], "%s NaN must stay NaN", path);
        CHECK(so[2] == 1.0f && so[3] < 1e-30f && so[0] == 0.5f, "%s sigmoid specials", path);
    }
    { /* short runs (partial vectors at every length, unaligned): the same values as the sweep */
        float o[9], so[9];
        int n, bad = 0;
        for (n = 1; n <= 9; n++) {
            tanh_f(o, x + 1001, n);
            sigmoid_f(so, x + 1001, n);
            if (memcmp(o, y + 1001, (size_t)n * sizeof o[0]) ||
                memcmp(so, s + 1001, (size_t)n * sizeof so[0]))
                bad++;
        }
        CHECK(bad == 0, "%s activations: %d short run(s) differ from the sweep", path, bad);
    }
}

static void test_matvec(const char *path, mv_fn matvec)
{
    int rows, cols;
    double all = 0;
    for (rows = 1; rows <= 13; rows += 3)
        for (cols = 1; cols <= 41; cols += 5) {
            float A[13 * 41], x[41], y[13];
            double worst = 0;
            int r, c;
            for (r = 0; r < rows * cols; r++)
                A[r] = frand();
            for (c = 0; c < cols; c++)
                x[c] = frand();
            for (r = 0; r < rows; r++)
                y[r] = frand();
            {
                double want[13];
                for (r = 0; r < rows; r++) {
                    want[r] = y[r];
                    for (c = 0; c < cols; c++)
                        want[r] += (double)A[r * cols + c] * x[c];
                }
                matvec(y, A, rows, cols, x);
                for (r = 0; r < rows; r++)
                    if (fabs(y[r] - want[r]) > worst)
                        worst = fabs(y[r] - want[r]);
            }
            /* float sums of <= 42 terms of magnitude <= 1: rounding well under 1e-5 */
            CHECK(worst < 1e-5, "%s matvec %dx%d error %g", path, rows, cols, worst);
            if (worst > all)
                all = worst;
        }
    printf("  %s: matvec 45 shapes, worst error %.3g\n", path, all);
}

/* Convolution over a ring (stream mode) and over plain rows (look-back), all shapes small,
 * wraps at every position, against a double reference. */
static void test_conv(const char *path)
{
    static float W[6 * 6 * 5], B[6], src[6 * 200], y[6 * 64];
    int cases = 0;
    int cin, cout, groups, k, d, tout, ring, first;
    double worst = 0;
    for (cin = 1; cin <= 6; cin += 5)
        for (cout = 1; cout <= 6; cout++)
            for (groups = 1; groups <= 2; groups++)
                for (k = 1; k <= 5; k += 2)
                    for (d = 1; d <= 7; d += 3)
                        for (tout = 1; tout <= 64; tout = tout * 3 + 2)
                            for (ring = 0; ring <= 1; ring++)
                                for (first = 0; first < 37; first += 12) {
                                    nx_k_conv_args a;
                                    int64_t R = ring ? (int64_t)(k - 1) * d + tout + 3 : 0;
                                    int64_t L = ring ? R : (int64_t)(k - 1) * d + tout;
                                    int o, t, i, j, cg = cin / groups, og = cout / groups;
                                    if (cin % groups || cout % groups || (!ring && first))
                                        continue;
                                    for (i = 0; i < cout * cg * k; i++)
                                        W[i] = frand();
                                    for (i = 0; i < cout; i++)
                                        B[i] = frand();
                                    for (i = 0; i < cin * L; i++)
                                        src[i] = frand();
                                    a.W = W;
                                    a.B = (first & 1) ? NULL : B;
                                    a.cin = cin;
                                    a.cout = cout;
                                    a.groups = groups;
                                    a.k = k;
                                    a.d = d;
                                    a.src = src;
                                    a.row_stride = L;
                                    a.first = first;
                                    a.ring = R;
                                    nx_k_conv(&a, y, tout);
                                    cases++;
                                    for (o = 0; o < cout; o++)
                                        for (t = 0; t < tout; t++) {
                                            double acc = a.B ? a.B[o] : 0.0;
                                            for (i = 0; i < cg; i++)
                                                for (j = 0; j < k; j++) {
                                                    int64_t p = first + t + (int64_t)j * d;
                                                    if (R)
                                                        p %= R;
                                                    acc += (double)W[(o * cg + i) * k + j] *
                                                           src[((o / og) * cg + i) * L + p];
                                                }
                                            if (fabs(acc - y[o * tout + t]) > worst)
                                                worst = fabs(acc - y[o * tout + t]);
                                        }
                                }
    printf("  %s: conv %d cases, worst error %.3g\n", path, cases, worst);
    /* at most 6*5 = 30 products of magnitude <= 1 per output: float rounding < 1e-5 */
    CHECK(worst < 1e-5, "%s conv error %g", path, worst);
}

int main(void)
{
    int pass;
    for (pass = 0; pass < 2; pass++) {
        const char *path;
        nx_kernels_force_portable = pass;
        path = nx_k_level() == NX_K_AVX2   ? "avx2"
               : nx_k_level() == NX_K_NEON ? "neon"
                                           : "portable";
        test_activations(path, nx_k_tanh, nx_k_sigmoid);
        test_matvec(path, nx_k_matvec_add);
        test_conv(path);
    }
    nx_kernels_force_portable = 0;
#if defined(__ARM_NEON) || defined(__ARM_NEON__)
    /* the NEON kernels called directly, and the dispatch must give exactly their results */
    test_activations("neon-direct", nx_k_tanh_neon, nx_k_sigmoid_neon);
    test_matvec("neon-direct", nx_k_matvec_add_neon);
    CHECK(nx_k_level() == NX_K_NEON, "NEON build must dispatch to NEON (level %d)", nx_k_level());
    {
        enum { M = 1003 };
        static float x[M], a[M], b[M], A[7 * 37], v[37], ya[7], yb[7];
        int i;
        for (i = 0; i < M; i++)
            x[i] = 10.0f * frand();
        nx_k_tanh(a, x, M);
        nx_k_tanh_neon(b, x, M);
        CHECK(!memcmp(a, b, sizeof a), "nx_k_tanh did not run the NEON kernel");
        nx_k_sigmoid(a, x, M);
        nx_k_sigmoid_neon(b, x, M);
        CHECK(!memcmp(a, b, sizeof a), "nx_k_sigmoid did not run the NEON kernel");
        for (i = 0; i < 7 * 37; i++)
            A[i] = frand();
        for (i = 0; i < 37; i++)
            v[i] = frand();
        for (i = 0; i < 7; i++)
            ya[i] = yb[i] = frand();
        nx_k_matvec_add(ya, A, 7, 37, v);
        nx_k_matvec_add_neon(yb, A, 7, 37, v);
        CHECK(!memcmp(ya, yb, sizeof ya), "nx_k_matvec_add did not run the NEON kernel");
        printf("  neon: dispatch checked against the direct kernels\n");
    }
#endif
    if (check_failures) {
        printf("test_kernels: %d failure(s)\n", check_failures);
        return 1;
    }
    printf("test_kernels: ok\n");
    return 0;
}
