/*
 * plan_internal.h - the planner's working state and the helpers that the planner (src/plan/)
 * and the ops' planning functions (src/ops/) share: value and step creation, node attributes,
 * constant inputs, shapes, broadcasting and time axes, and the op table.
 *
 * The build walks the graph once (plan.c): graph inputs and the file contract
 * (plan_contract.c), constants folded at load (plan_fold.c), every other node planned as a
 * step through the op table (op_table.c, src/ops/op_*.c), then dead-step removal and the
 * memory plan (plan_memory.c).
 */
#ifndef NNFX_PLAN_INTERNAL_H
#define NNFX_PLAN_INTERNAL_H

#include "engine.h"
#include "onnx_names.h"

typedef struct {
    const nx_onnx_model *om;
    nnfx_model *m;
    nx_names names;
    nx_val *v;
    int nv, capv;
    nx_step *steps;   /* runtime steps (pre and main mixed, split at the end) */
    int nsteps, caps;
    int stream;
    int max_block;
    nnfx_error *err;
} nx_builder;

/* Context passed to each planner: node, input value indices, output value indices. */
typedef struct {
    const nx_onnx_node *n;
    int nin, nout;
    int in[NX_MAX_IO];
    int out[NX_MAX_IO];
    int folding; /* all inputs constant: planned to be run once now */
} nx_ctx;

/* In a planning function (b: the builder, c: the context, n: the node). */
#define IN(k) (c->in[k] >= 0 ? &b->v[c->in[k]] : NULL)
#define OUT(k) (&b->v[c->out[k]])
#define UNSUP(...) nx_node_fail(b, n, NNFX_ERR_UNSUPPORTED, __VA_ARGS__)
#define BADF(...) nx_node_fail(b, n, NNFX_ERR_FORMAT, __VA_ARGS__)

/* ---- plan_builder.c ---- */
/* "node <name> (<op>): <message>" with the given code. */
nnfx_result nx_node_fail(nx_builder *b, const nx_onnx_node *n, nnfx_result code,
                         const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* A new value (zeroed, no time axis); its index or -1 when out of memory. */
int nx_new_val(nx_builder *b);
/* Room for one more step at b->steps[b->nsteps] (zeroed; b->nsteps is not advanced). */
nx_step *nx_new_step(nx_builder *b);
/* A new value named `name`: 0, -1 out of memory, -2 the name is taken. */
int nx_define_name(nx_builder *b, const char *name, int *vi);
/* Static shape of an output, checked against the limits. */
nnfx_result nx_set_shape(nx_builder *b, const nx_onnx_node *n, nx_val *v, int ndim,
                         const int64_t *dims);
int64_t nx_attr_i(const nx_onnx_node *n, const char *name, int64_t def);
float nx_attr_f(const nx_onnx_node *n, const char *name, float def);
const char *nx_attr_s(const nx_onnx_node *n, const char *name, const char *def);
/* INTS attribute into out (at most max); returns count, -1 absent, -2 too many. */
int nx_attr_ints(const nx_onnx_node *n, const char *name, int64_t *out, int max);
/* A constant input as integers; count, -1 when not constant, -2 when longer than max. */
int nx_const_ints(nx_builder *b, int idx, int64_t *out, int max);
/* A constant scalar (single element) as float; 0 when absent/not constant. */
int nx_const_scalar(nx_builder *b, int idx, float *out);
/* Axis a (negative from the end) of a rank-`rank` tensor into *out; 0 when out of range. */
int nx_norm_axis(int64_t a, int rank, int *out);
/* Load-time data of a folded value (count elements of es bytes, zeroed); NULL out of memory. */
void *nx_tmp_alloc(nx_val *v, size_t es);
/* numpy broadcasting of two shapes into out; returns 0 if incompatible. */
int nx_broadcast_shape(const nx_val *a, const nx_val *bb, int *ondim, int64_t *od);
/* Stream mode: promote an Expand of a value without time axis to a per-block value (1 if so). */
int nx_promote_time(nx_builder *b, int vi, int axis, int64_t extent);
/* Output time axis of an op whose inputs [first, first + count) broadcast into rank `on`. */
nnfx_result nx_bcast_time(nx_builder *b, const nx_ctx *c, int on, int first, int count,
                          int *ta_out);

/* ---- op_table.c ---- */
typedef struct nx_op_def nx_op_def;
/* Plans one node as a step: outputs' shapes and time axes, the step's parameters. */
typedef nnfx_result (*nx_plan_fn)(nx_builder *b, const nx_ctx *c, nx_step *s,
                                  const nx_op_def *def);
struct nx_op_def {
    const char *op_type;            /* ONNX op name */
    nx_plan_fn plan;
    int kind;                       /* the op's sub-kind (NX_U_*, NX_B_*, NX_R_*, ...) */
    float alpha, beta;              /* unary ops: attribute defaults */
};
/* Plan node c->n into s through the op table; refuses ops it has no entry for. */
nnfx_result nx_plan_op(nx_builder *b, const nx_ctx *c, nx_step *s);

/* ---- plan_contract.c ---- */
/* The graph inputs: audio_in, params, state_in.<k>, as the file contract demands. */
nnfx_result nx_add_inputs(nx_builder *b);
/* audio_out and the state_in.<k> / state_out.<k> pairs (fills m->state_in/state_out). */
nnfx_result nx_check_outputs(nx_builder *b);

/* ---- plan_fold.c ---- */
/* A constant tensor (initializer or Constant node) as value vi. */
nnfx_result nx_add_const_tensor(nx_builder *b, int vi, const nx_onnx_tensor *t,
                                const char *what);
/* A Constant node. */
nnfx_result nx_add_constant_node(nx_builder *b, const nx_ctx *c);
/* Shape arithmetic (Shape, Size, ...) folded by dedicated code; *done = 0 when not such an op. */
nnfx_result nx_fold_special(nx_builder *b, const nx_ctx *c, int *done);
/* A node whose inputs are all constant: plan it, then run it once now. */
nnfx_result nx_fold_node(nx_builder *b, nx_ctx *c);

/* ---- plan_memory.c ---- */
/* Dead-step removal, lifetimes and buffer sharing, the arena, pre/main steps. */
nnfx_result nx_plan_memory(nx_builder *b, size_t max_memory);

#endif /* NNFX_PLAN_INTERNAL_H */
