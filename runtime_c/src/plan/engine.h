/*
 * engine.h - the planned form of a model and the op kernels (internal to runtime_c).
 *
 * Load (plan.c) walks the ONNX graph once in topological order and sorts every
 * value into one of three classes:
 *   NX_CONST  depends on initializers only (and on shapes, which are fixed): folded at load;
 *   NX_PARAM  depends on `params` but not on audio or state: run at load and whenever a knob
 *             changes (the "pre" steps), before the next block, without allocating;
 *   NX_DYN    depends on audio_in or state_in.<k>: run every block (the "main" steps).
 * Every value carries its static shape (the exported shape, look-back mode) and the index of
 * its time axis (-1 when it has none). In stream mode a value with a time axis holds the newest
 * T frames of the chunk (T <= max_block) on that axis; every other axis keeps its static
 * extent. Buffers are row-major float32 and live in one arena planned at load.
 */
#ifndef NNFX_ENGINE_H
#define NNFX_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "nnfx.h"
#include "onnx_model.h"

enum { NX_CONST = 0, NX_PARAM = 1, NX_DYN = 2 };
/* Load-time element types: every integer/bool type becomes NX_I64, float/double NX_F32. */
enum { NX_F32 = 1, NX_I64 = 7 };

#define NX_MAX_IO 64
/* Stream mode runs the plan on at most this many frames at a time: buffers stay small
 * whatever max_block is, and per-op overhead is already amortized at this length. */
#define NX_STREAM_CHUNK 512

typedef struct {
    int cls;                        /* NX_CONST / NX_PARAM / NX_DYN */
    int dtype;                      /* NX_F32 or NX_I64 (NX_I64 only for NX_CONST) */
    int ndim;
    int64_t dims[NNFX_MAX_DIMS];    /* static (exported) shape */
    int64_t count;                  /* product of dims */
    int time_axis;                  /* -1: no time axis */
    float *data;                    /* runtime buffer (arena), float32 */
    /* load time only */
    void *tmp;                      /* folded constant data (float or int64) */
    int tmp_owned;                  /* tmp allocated by the planner */
    int alias_of;                   /* >= 0: data is that value's buffer (reshape-like ops) */
    int needed;                     /* a runtime step reads it */
    int bcast_axis;                 /* >= 0: constant along this axis (an Expand of a value
                                       without time axis): may become a time axis in stream */
    int producer;                   /* index of the producing step, -1 if none */
    int defined;
} nx_val;

typedef struct nx_step nx_step;

/* Execution context of one graph run. T < 0: static shapes (look-back mode, load-time folding). */
typedef struct {
    nx_val *v;
    int T;
    int prime; /* stream reset: each conv first fills its whole history with the current frame */
} nx_exec;

typedef void (*nx_kernel)(nx_step *s, const nx_exec *e);

enum {
    NX_OP_UNARY = 1, NX_OP_BINARY, NX_OP_CONV, NX_OP_MATMUL, NX_OP_GEMM, NX_OP_LSTM, NX_OP_GRU,
    NX_OP_TRANSPOSE, NX_OP_SLICE, NX_OP_CONCAT, NX_OP_SPLIT, NX_OP_GATHER, NX_OP_COPY,
    NX_OP_EXPAND, NX_OP_REDUCE, NX_OP_SOFTMAX
};

/* Unary sub-ops. */
enum {
    NX_U_IDENTITY = 0, NX_U_RELU, NX_U_LEAKYRELU, NX_U_TANH, NX_U_SIGMOID, NX_U_ELU, NX_U_SELU,
    NX_U_SOFTPLUS, NX_U_SHRINK, NX_U_SIN, NX_U_COS, NX_U_ERF, NX_U_GELU, NX_U_GELU_TANH, NX_U_CLIP,
    NX_U_ABS, NX_U_NEG, NX_U_EXP, NX_U_LOG, NX_U_SQRT, NX_U_POW, NX_U_RECIPROCAL,
    NX_U_HARDSIGMOID, NX_U_SOFTSIGN, NX_U_FLOOR, NX_U_CEIL, NX_U_HARDSWISH, NX_U_SIGN,
    NX_U_CELU, NX_U_THRESHOLDEDRELU, NX_U_MISH, NX_U_ROUND
};
/* Binary sub-ops. */
enum { NX_B_ADD = 0, NX_B_SUB, NX_B_MUL, NX_B_DIV, NX_B_POW, NX_B_MAX, NX_B_MIN, NX_B_PRELU,
       NX_B_EQUAL, NX_B_LESS, NX_B_GREATER, NX_B_MOD };

struct nx_step {
    int op, sub;
    nx_kernel run;
    int n_in, n_out;
    int in[NX_MAX_IO];              /* value indices; -1 for an omitted optional input */
    int out[NX_MAX_IO];
    float fa, fb, fc;               /* attributes (alpha, beta, bounds, ...) */
    int64_t ia[NX_MAX_IO];          /* integer attributes (perm, axes, starts, ...) */
    int64_t ib[NX_MAX_IO];
    int64_t ic[NX_MAX_IO];
    int axis;
    int n;                          /* generic count (groups, hidden size, ...) */
    int k, d;                       /* conv: kernel, dilation */
    int hist;                       /* conv: (k-1)*d history frames kept in stream mode */
    /* stream-mode state and scratch (arena) */
    float *ring;                    /* conv: [cin][ring_len] */
    int ring_len, ring_pos;
    float *scratch;
    float *scratch2;
    int stream;                     /* planned for stream mode */
    int es;                         /* element size for data-movement kernels (4; 8 when folding) */
    double macs;                    /* multiply-accumulates per frame (stream) */
};

/* The loaded model (opaque to hosts). */
struct nnfx_model {
    nnfx_mode mode;
    int max_block;
    int chunk;                      /* frames per internal graph run (stream: <= NX_STREAM_CHUNK) */
    int in_ch, out_ch, N, M, latency_meta;
    double sample_rate, host_sample_rate;
    nx_val *v;
    int nv;
    nx_step *pre, *main;            /* param-dependent steps, per-block steps */
    int npre, nmain;
    int audio_in, audio_out, params;
    int nstate;
    int *state_in, *state_out;      /* value indices, pairs */
    void *arena;
    size_t arena_bytes, memory_bytes, weight_bytes;
    double macs_per_sample;
    /* knobs */
    int P;
    nnfx_param_info *pinfo;
    float *pvals;                   /* current knob values (clamped) */
    int params_dirty;
    int pristine;                   /* nothing processed since load/reset: a knob change re-primes */
    /* metadata copy */
    int nprops;
    char **keys, **vals;
    const char *name, *architecture;
    /* look-back buffering: frames of the current block already in the window */
    int lb_fill;
    int ftz_seen;                   /* test hook: flush-to-zero observed inside process */
    float *out_tmp;                 /* [out_ch][max_block] staging so that in/out may alias */
};

/* plan.c: build the plan of `m` (mode and max_block already set) from a parsed model. */
nnfx_result nx_plan_build(nnfx_model *m, const nx_onnx_model *om, size_t max_memory,
                          nnfx_error *err);
/* exec.c */
void nx_model_clear_state(nnfx_model *m);
void nx_run_pre(nnfx_model *m);

/* ---- kernels (ops_*.c) ---- */
/* Effective (runtime) dims of value `v` under e; returns count. */
int64_t nx_eff_dims(const nx_val *v, const nx_exec *e, int64_t *dims);

void nx_run_unary(nx_step *s, const nx_exec *e);
float nx_unary_scalar(const nx_step *s, float x);
void nx_run_binary(nx_step *s, const nx_exec *e);
void nx_binary_i64(int sub, const int64_t *a, const int64_t *ad, int an, const int64_t *b,
                   const int64_t *bd, int bn, int64_t *out, const int64_t *od, int on);
void nx_run_conv(nx_step *s, const nx_exec *e);
void nx_run_matmul(nx_step *s, const nx_exec *e);
void nx_run_gemm(nx_step *s, const nx_exec *e);
void nx_run_lstm(nx_step *s, const nx_exec *e);
void nx_run_gru(nx_step *s, const nx_exec *e);
void nx_run_transpose(nx_step *s, const nx_exec *e);
void nx_run_slice(nx_step *s, const nx_exec *e);
void nx_run_concat(nx_step *s, const nx_exec *e);
void nx_run_split(nx_step *s, const nx_exec *e);
void nx_run_gather(nx_step *s, const nx_exec *e);
void nx_run_copy(nx_step *s, const nx_exec *e);
void nx_run_expand(nx_step *s, const nx_exec *e);
void nx_run_reduce(nx_step *s, const nx_exec *e);
void nx_run_softmax(nx_step *s, const nx_exec *e);

/* Generic data movement on elements of `es` bytes (float runtime and int64 folding share it). */
void nx_transpose_raw(const void *src, void *dst, size_t es, int ndim, const int64_t *dims,
                      const int64_t *perm);
/* Strided N-d slice: out[i] = in[start + i*step] per axis; out dims given. */
void nx_slice_raw(const void *src, void *dst, size_t es, int ndim, const int64_t *in_dims,
                  const int64_t *out_dims, const int64_t *start, const int64_t *step);
/* Broadcast src (ndim, src_dims right-aligned to out) into dst. */
void nx_expand_raw(const void *src, void *dst, size_t es, int sndim, const int64_t *sdims,
                   int ondim, const int64_t *odims);

/* ---- FPU control (exec.c) ---- */
typedef struct {
    uint64_t saved;
} nx_fpu_state;
void nx_fpu_enter(nx_fpu_state *st);
void nx_fpu_leave(const nx_fpu_state *st);
/* 1 when flush-to-zero (and denormals-are-zero where the CPU has it) is active now. */
int nx_fpu_flush_active(void);

#endif /* NNFX_ENGINE_H */
