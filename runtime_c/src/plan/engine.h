/*
 * engine.h - the planned form of a model: values, steps with their per-op parameters, the
 * model (internal to runtime_c). The ops' planning and run functions are declared in ops.h,
 * the planner's internals in plan_internal.h.
 *
 * Load (src/plan/) walks the ONNX graph once in topological order and sorts every
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

/* Reduce kinds (ReduceMean, ReduceSum, ReduceMax, ReduceMin). */
enum { NX_R_MEAN = 0, NX_R_SUM, NX_R_MAX, NX_R_MIN };

/* Per-op step parameters, one struct per kind of op (the union member named after it). */
typedef struct {
    int kind;                       /* NX_U_* */
    /* LeakyRelu, Elu, Celu, ThresholdedRelu: alpha; HardSigmoid: alpha, beta; Selu: alpha,
     * gamma (in beta); Shrink: lambd, bias; Clip: min, max; Pow by a constant: the exponent */
    float alpha, beta;
} nx_unary_args;
typedef struct {
    int kind;                       /* NX_B_* */
} nx_binary_args;
typedef struct {
    int kernel, dilation, groups;
    int hist;                       /* (kernel - 1) * dilation history frames kept in stream mode */
} nx_conv_args;
typedef struct {
    int trans_a, trans_b;
    float alpha, beta;              /* Y = alpha * A' B' + beta * C */
} nx_gemm_args;
typedef struct {
    int layout;                     /* 0: X [T, B, I]; 1: X [B, T, I] */
    int linear_before_reset;        /* GRU only */
    int hidden;                     /* H */
} nx_rnn_args;
typedef struct {
    int64_t perm[NNFX_MAX_DIMS];
} nx_transpose_args;
typedef struct {
    int64_t starts[NNFX_MAX_DIMS];  /* per input axis: first element read */
    int64_t steps[NNFX_MAX_DIMS];   /* per input axis: stride between elements read */
} nx_slice_args;
typedef struct {
    int axis;
} nx_concat_args;
typedef struct {
    int axis;
    int64_t offsets[NX_MAX_IO];     /* per output: first index along axis */
} nx_split_args;
typedef struct {
    int axis, count;
    int64_t indices[NX_MAX_IO];     /* normalized (non-negative) */
} nx_gather_args;
typedef struct {
    int kind;                       /* NX_R_* */
    int reduced[NNFX_MAX_DIMS];     /* per input axis: 1 when reduced over */
} nx_reduce_args;
typedef struct {
    int axis;
    int log;                        /* 1: LogSoftmax */
} nx_softmax_args;

struct nx_step {
    int op;                         /* NX_OP_* (selects the member of u) */
    nx_kernel run;
    int n_in, n_out;
    int in[NX_MAX_IO];              /* value indices; -1 for an omitted optional input */
    int out[NX_MAX_IO];
    union {
        nx_unary_args unary;
        nx_binary_args binary;
        nx_conv_args conv;
        nx_gemm_args gemm;
        nx_rnn_args rnn;
        nx_transpose_args transpose;
        nx_slice_args slice;
        nx_concat_args concat;
        nx_split_args split;
        nx_gather_args gather;
        nx_reduce_args reduce;
        nx_softmax_args softmax;
    } u;
    /* stream-mode state and scratch (arena) */
    float *ring;                    /* conv: [cin][ring_len] */
    int ring_len, ring_pos;
    float *scratch;                 /* LSTM/GRU: state and gates (op_rnn.c) */
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

/* ---- FPU control (exec.c) ---- */
typedef struct {
    uint64_t saved;
} nx_fpu_state;
void nx_fpu_enter(nx_fpu_state *st);
void nx_fpu_leave(const nx_fpu_state *st);
/* 1 when flush-to-zero (and denormals-are-zero where the CPU has it) is active now. */
int nx_fpu_flush_active(void);

#endif /* NNFX_ENGINE_H */
