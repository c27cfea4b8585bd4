/*
 * ops.h - the ops: one file per kind of op (src/ops/op_*.c), each with its planning function
 * (listed in the op table, op_table.c), the size of any memory it needs besides its values,
 * and its run function (nx_step.run); what they share is in ops_common.c.
 *
 * A run function reads its inputs and writes its outputs through e->v; with e->T >= 0 a
 * value's time axis holds T frames (nx_eff_dims). Run functions are real-time safe.
 */
#ifndef NNFX_OPS_H
#define NNFX_OPS_H

#include "plan_internal.h"

/* ---- planning (op_*.c): def is the op's entry in the op table ---- */
nnfx_result nx_plan_unary(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_cast(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_binary(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_conv(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_matmul(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_gemm(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_rnn(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_transpose(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_slice(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_concat(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_split(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_gather(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_reshape(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_squeeze(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_flatten(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_expand(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_reduce(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);
nnfx_result nx_plan_softmax(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def);

/* ---- memory besides the values, requested by the memory plan (plan_memory.c) ---- */
/* Stream-mode history ring of a convolution reading x: sets s->ring_len, returns its bytes. */
uint64_t nx_conv_ring_bytes(nx_step *s, const nx_val *x, int max_block);
/* LSTM/GRU state and gate scratch (s->scratch) for input x, in bytes. */
size_t nx_rnn_scratch_bytes(const nx_step *s, const nx_val *x);

/* ---- run functions (nx_step.run) ---- */
void nx_run_unary(nx_step *s, const nx_exec *e);
void nx_run_binary(nx_step *s, const nx_exec *e);
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

/* Integer binary op with broadcasting (folding of shape arithmetic, op_binary.c). */
void nx_binary_i64(int kind, const int64_t *a, const int64_t *ad, int an, const int64_t *b,
                   const int64_t *bd, int bn, int64_t *out, const int64_t *od, int on);

/* ---- shared (ops_common.c) ---- */
/* Effective (runtime) dims of value `v` under e; returns count. */
int64_t nx_eff_dims(const nx_val *v, const nx_exec *e, int64_t *dims);
/* Row-major strides (in elements) of a shape. */
void nx_strides_of(int ndim, const int64_t *dims, int64_t *st);
/* Product of the first n dims (the outer extent of axis n). */
int64_t nx_prod(const int64_t *d, int n);
/* Product of axis and the dims after it. */
int64_t nx_inner_of(const int64_t *d, int ndim, int axis);
/* Strides (in elements) of an input broadcast to the output's rank; 0 on broadcast axes. */
void nx_bcast_strides(int ndim, const int64_t *dims, int ondim, const int64_t *odims,
                      int64_t *st);
/* Element size of a data-movement step: 4 (float) at run time, 8 when folding int64. */
size_t nx_step_elem_size(const nx_step *s);
/* Broadcast src (ndim, src_dims right-aligned to out) into dst, elements of es bytes. */
void nx_expand_raw(const void *src, void *dst, size_t es, int sndim, const int64_t *sdims,
                   int ondim, const int64_t *odims);

#endif /* NNFX_OPS_H */
