/*
 * kernels.h - the vectorized inner loops of the ops (internal to runtime_c).
 *
 * One place chooses the code path: nx_k_level() returns NX_K_AVX2 on x86 CPUs that report
 * AVX2 and FMA (cpuid, read through __builtin_cpu_supports, at every call: a load and a test),
 * NX_K_NEON when the compiler targets NEON (__ARM_NEON: armv7 with -mfpu=neon, every aarch64;
 * chosen at build time), else NX_K_PORTABLE (plain C99, every target). kernels.c holds the
 * portable code and the dispatch, kernels_neon.c the NEON code (convolution, matrix-vector,
 * tanh/sigmoid), kernels_avx2.c the AVX2/FMA code
 * (compiled for AVX2 through function attributes, so the library needs no -march flag and
 * still runs on any x86-64). The AVX2 path fuses multiply-adds (one rounding instead of two):
 * results differ from the portable path by float rounding only (tests/ compare both).
 *
 * tanh, sigmoid: not libm's, but exp-based with a short odd series near 0, the same formula on
 * every path; measured error against double precision: tanh <= 6 float ulp (worst just above
 * |x| = 0.2, about 1e-7 absolute), sigmoid <= 2 ulp (tests/test_kernels.c sweeps it).
 */
#ifndef NNFX_KERNELS_H
#define NNFX_KERNELS_H

#include <stdint.h>

enum { NX_K_PORTABLE = 0, NX_K_AVX2 = 2, NX_K_NEON = 3 };

/* Test hook: non-zero forces the portable path. */
extern int nx_kernels_force_portable;
int nx_k_level(void);

void nx_k_tanh(float *y, const float *x, int64_t n);
void nx_k_sigmoid(float *y, const float *x, int64_t n);

/* y[r] += sum_c A[r*cols + c] * x[c] for r < rows. */
void nx_k_matvec_add(float *y, const float *A, int64_t rows, int64_t cols, const float *x);

/*
 * 1-D convolution over a source of rows (one per input channel, stride row_stride):
 * y[o][t] = B[o] + sum_{i,j} W[o][i][j] * row_{g(o) cin_g + i}[idx(t + first + j d)]
 * for t < tout, with idx(p) = p % ring when ring > 0 (a ring buffer), else p.
 * W is ONNX layout [cout][cin/groups][k]; B may be NULL. Overwrites y [cout][tout].
 */
typedef struct {
    const float *W, *B;
    int cin, cout, groups, k, d;
    const float *src;
    int64_t row_stride, first, ring;
} nx_k_conv_args;
void nx_k_conv(const nx_k_conv_args *a, float *y, int64_t tout);

/* ---- per-path implementations (kernels_*.c) ---- */
void nx_k_tanh_avx2(float *y, const float *x, int64_t n);
void nx_k_sigmoid_avx2(float *y, const float *x, int64_t n);
void nx_k_matvec_add_avx2(float *y, const float *A, int64_t rows, int64_t cols, const float *x);
/* One contiguous run: t in [t0, t0+len), tap j reads row + off[j] + (t - t0). */
void nx_k_conv_seg_avx2(const nx_k_conv_args *a, float *y, int64_t tout, int64_t t0, int64_t len,
                        const int64_t *off);
void nx_k_tanh_neon(float *y, const float *x, int64_t n);
void nx_k_sigmoid_neon(float *y, const float *x, int64_t n);
void nx_k_matvec_add_neon(float *y, const float *A, int64_t rows, int64_t cols, const float *x);
void nx_k_conv_seg_neon(const nx_k_conv_args *a, float *y, int64_t tout, int64_t t0, int64_t len,
                        const int64_t *off);

/*
 * One convolution tile's view of its input, shared by the SIMD tiles (kernels_avx2.c,
 * kernels_neon.c): src rows of stride rs per input channel, weights in ONNX layout (output o,
 * input i, tap j at w + o*wo + i*K + j), tap offsets off[j] into a row. NX_FOR_TAPS runs its body
 * once per (input channel, tap) with p_ the tap's first source frame and wj_ its weight.
 */
typedef struct {
    const float *src, *w;
    int64_t rs, wo;
    int cin_g, K;
    const int64_t *off;
} nx_tile;

#define NX_FOR_TAPS(...)                                                                          \
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

#endif /* NNFX_KERNELS_H */
