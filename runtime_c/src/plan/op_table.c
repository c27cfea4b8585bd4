/*
 * op_table.c - the ops the runtime plans: ONNX op name -> planning function (src/ops/op_*.c),
 * with the op's sub-kind and, for the unary ops, its attribute defaults.
 */
#include <string.h>

#include "ops.h"

static const nx_op_def op_table[] = {
    /* elementwise, one input (op_unary.c) */
    {"Relu", nx_plan_unary, NX_U_RELU, 0, 0},
    {"LeakyRelu", nx_plan_unary, NX_U_LEAKYRELU, 0.01f, 0},
    {"Tanh", nx_plan_unary, NX_U_TANH, 0, 0},
    {"Sigmoid", nx_plan_unary, NX_U_SIGMOID, 0, 0},
    {"Elu", nx_plan_unary, NX_U_ELU, 1.0f, 0},
    {"Selu", nx_plan_unary, NX_U_SELU, 1.67326319217681884765625f, 1.05070102214813232421875f},
    {"Softplus", nx_plan_unary, NX_U_SOFTPLUS, 0, 0},
    {"Shrink", nx_plan_unary, NX_U_SHRINK, 0.5f, 0.0f},
    {"Sin", nx_plan_unary, NX_U_SIN, 0, 0},
    {"Cos", nx_plan_unary, NX_U_COS, 0, 0},
    {"Erf", nx_plan_unary, NX_U_ERF, 0, 0},
    {"Gelu", nx_plan_unary, NX_U_GELU, 0, 0},
    {"Identity", nx_plan_unary, NX_U_IDENTITY, 0, 0},
    {"Dropout", nx_plan_unary, NX_U_IDENTITY, 0, 0},
    {"Clip", nx_plan_unary, NX_U_CLIP, 0, 0},
    {"Abs", nx_plan_unary, NX_U_ABS, 0, 0},
    {"Neg", nx_plan_unary, NX_U_NEG, 0, 0},
    {"Exp", nx_plan_unary, NX_U_EXP, 0, 0},
    {"Log", nx_plan_unary, NX_U_LOG, 0, 0},
    {"Sqrt", nx_plan_unary, NX_U_SQRT, 0, 0},
    {"Reciprocal", nx_plan_unary, NX_U_RECIPROCAL, 0, 0},
    {"HardSigmoid", nx_plan_unary, NX_U_HARDSIGMOID, 0.2f, 0.5f},
    {"Softsign", nx_plan_unary, NX_U_SOFTSIGN, 0, 0},
    {"Floor", nx_plan_unary, NX_U_FLOOR, 0, 0},
    {"Ceil", nx_plan_unary, NX_U_CEIL, 0, 0},
    {"Round", nx_plan_unary, NX_U_ROUND, 0, 0},
    {"HardSwish", nx_plan_unary, NX_U_HARDSWISH, 0, 0},
    {"Sign", nx_plan_unary, NX_U_SIGN, 0, 0},
    {"Celu", nx_plan_unary, NX_U_CELU, 1.0f, 0},
    {"ThresholdedRelu", nx_plan_unary, NX_U_THRESHOLDEDRELU, 1.0f, 0},
    {"Mish", nx_plan_unary, NX_U_MISH, 0, 0},
    {"Cast", nx_plan_cast, NX_U_IDENTITY, 0, 0},
    /* elementwise, two inputs (op_binary.c) */
    {"Add", nx_plan_binary, NX_B_ADD, 0, 0},
    {"Sub", nx_plan_binary, NX_B_SUB, 0, 0},
    {"Mul", nx_plan_binary, NX_B_MUL, 0, 0},
    {"Div", nx_plan_binary, NX_B_DIV, 0, 0},
    {"Pow", nx_plan_binary, NX_B_POW, 0, 0},
    {"Max", nx_plan_binary, NX_B_MAX, 0, 0},
    {"Min", nx_plan_binary, NX_B_MIN, 0, 0},
    {"PRelu", nx_plan_binary, NX_B_PRELU, 0, 0},
    {"Equal", nx_plan_binary, NX_B_EQUAL, 0, 0},
    {"Less", nx_plan_binary, NX_B_LESS, 0, 0},
    {"Greater", nx_plan_binary, NX_B_GREATER, 0, 0},
    {"Mod", nx_plan_binary, NX_B_MOD, 0, 0},
    /* linear */
    {"Conv", nx_plan_conv, 0, 0, 0},
    {"MatMul", nx_plan_matmul, 0, 0, 0},
    {"Gemm", nx_plan_gemm, 0, 0, 0},
    {"LSTM", nx_plan_rnn, NX_OP_LSTM, 0, 0},
    {"GRU", nx_plan_rnn, NX_OP_GRU, 0, 0},
    /* data movement */
    {"Transpose", nx_plan_transpose, 0, 0, 0},
    {"Slice", nx_plan_slice, 0, 0, 0},
    {"Concat", nx_plan_concat, 0, 0, 0},
    {"Split", nx_plan_split, 0, 0, 0},
    {"Gather", nx_plan_gather, 0, 0, 0},
    {"Reshape", nx_plan_reshape, 0, 0, 0},
    {"Squeeze", nx_plan_squeeze, 0, 0, 0},
    {"Unsqueeze", nx_plan_squeeze, 1, 0, 0},
    {"Flatten", nx_plan_flatten, 0, 0, 0},
    {"Expand", nx_plan_expand, 0, 0, 0},
    /* reductions */
    {"ReduceMean", nx_plan_reduce, NX_R_MEAN, 0, 0},
    {"ReduceSum", nx_plan_reduce, NX_R_SUM, 0, 0},
    {"ReduceMax", nx_plan_reduce, NX_R_MAX, 0, 0},
    {"ReduceMin", nx_plan_reduce, NX_R_MIN, 0, 0},
    {"Softmax", nx_plan_softmax, 0, 0, 0},
    {"LogSoftmax", nx_plan_softmax, 1, 0, 0},
};

nnfx_result nx_plan_op(nx_builder *b, const nx_ctx *c, nx_step *s)
{
    const nx_onnx_node *n = c->n;
    size_t i;
    s->n_in = c->nin;
    s->n_out = c->nout;
    memcpy(s->in, c->in, sizeof s->in);
    memcpy(s->out, c->out, sizeof s->out);
    s->es = 4;
    for (i = 0; i < sizeof op_table / sizeof op_table[0]; i++)
        if (!strcmp(n->op_type, op_table[i].op_type))
            return op_table[i].plan(b, c, s, &op_table[i]);
    return UNSUP("not supported: no runtime kernel for this op");
}
