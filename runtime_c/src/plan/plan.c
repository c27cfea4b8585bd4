/*
 * plan.c - from the parsed ONNX graph to the plan (see engine.h for the model of values and
 * steps): graph inputs, initializers, then every node in topological order, folded at load
 * when its inputs are all constant (plan_fold.c) or planned as a step through the op table
 * (op_table.c); at the end the outputs are checked against the file contract
 * (plan_contract.c) and the memory is planned (plan_memory.c).
 */
#include <string.h>

#include "alloc.h"
#include "plan_internal.h"

/* The node's inputs and outputs as value indices (outputs defined here); *maxcls: the highest
 * class of its inputs, *allconst: every input is constant. */
static nnfx_result resolve_node(nx_builder *b, const nx_onnx_node *n, nx_ctx *c, int *maxcls,
                                int *allconst)
{
    int i;
    memset(c, 0, sizeof *c);
    c->n = n;
    *maxcls = NX_CONST;
    *allconst = 1;
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
        return UNSUP("not supported: operator domain '%s'", n->domain);
    if (n->n_inputs > NX_MAX_IO || n->n_outputs > NX_MAX_IO)
        return UNSUP("not supported: more than %d inputs or outputs", NX_MAX_IO);
    c->nin = n->n_inputs;
    c->nout = n->n_outputs;
    for (i = 0; i < c->nin; i++) {
        if (!n->inputs[i][0]) {
            c->in[i] = -1;
            continue;
        }
        c->in[i] = nx_names_get(&b->names, n->inputs[i]);
        if (c->in[i] < 0)
            return BADF("input '%s' is not produced by any earlier node, initializer or graph "
                        "input", n->inputs[i]);
        if (b->v[c->in[i]].cls > *maxcls)
            *maxcls = b->v[c->in[i]].cls;
        if (b->v[c->in[i]].cls != NX_CONST)
            *allconst = 0;
    }
    for (i = 0; i < c->nout; i++) {
        int rr;
        if (!n->outputs[i][0]) {
            c->out[i] = -1;
            continue;
        }
        rr = nx_define_name(b, n->outputs[i], &c->out[i]);
        if (rr == -2)
            return BADF("output '%s' is defined twice", n->outputs[i]);
        if (rr < 0)
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    }
    if (c->nout < 1 || c->out[0] < 0)
        return BADF("node has no output");
    return NNFX_OK;
}

/* A node that runs at run time (per block or when a knob changes): one step. */
static nnfx_result add_step(nx_builder *b, const nx_ctx *c, int maxcls)
{
    const nx_onnx_node *n = c->n;
    int i;
    nx_step *s = nx_new_step(b);
    nnfx_result r;
    if (!s)
        return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    r = nx_plan_op(b, c, s);
    if (r)
        return r;
    for (i = 0; i < c->nout; i++) {
        if (c->out[i] < 0)
            continue;
        b->v[c->out[i]].producer = b->nsteps;
        if (b->v[c->out[i]].ndim == 0 && b->v[c->out[i]].count == 0)
            b->v[c->out[i]].count = 1;
        b->v[c->out[i]].cls = maxcls;
        b->v[c->out[i]].defined = 1;
        if (b->v[c->out[i]].dtype != NX_F32)
            return UNSUP("not supported: integer result at run time");
    }
    if (maxcls == NX_PARAM) {
        /* knob-only values have no time axis */
        for (i = 0; i < c->nout; i++)
            if (c->out[i] >= 0)
                b->v[c->out[i]].time_axis = -1;
    }
    /* inputs promoted to per-block values by this node (see nx_promote_time) */
    for (i = 0; i < c->nin; i++)
        if (c->in[i] >= 0 && b->v[c->in[i]].cls > maxcls)
            maxcls = b->v[c->in[i]].cls;
    for (i = 0; i < c->nout; i++)
        if (c->out[i] >= 0)
            b->v[c->out[i]].cls = maxcls;
    b->nsteps++;
    return NNFX_OK;
}

static nnfx_result add_node(nx_builder *b, const nx_onnx_node *n)
{
    nx_ctx c;
    int maxcls, allconst;
    nnfx_result r = resolve_node(b, n, &c, &maxcls, &allconst);
    if (r)
        return r;
    if (!strcmp(n->op_type, "Constant"))
        return nx_add_constant_node(b, &c);
    if (!strcmp(n->op_type, "Shape") || !strcmp(n->op_type, "Size")) {
        /* static shapes: folded even when the input is not constant */
        int done;
        c.folding = 1;
        r = nx_fold_special(b, &c, &done);
        b->v[c.out[0]].cls = NX_CONST;
        b->v[c.out[0]].defined = 1;
        b->v[c.out[0]].data = (float *)b->v[c.out[0]].tmp;
        return r;
    }
    if (allconst)
        return nx_fold_node(b, &c);
    return add_step(b, &c, maxcls);
}

static void free_tmp(nx_builder *b)
{
    int i;
    for (i = 0; i < b->nv; i++) {
        if (b->v[i].tmp_owned)
            nx_free(b->v[i].tmp);
        b->v[i].tmp = NULL;
        b->v[i].tmp_owned = 0;
    }
}

nnfx_result nx_plan_build(nnfx_model *m, const nx_onnx_model *om, size_t max_memory,
                          nnfx_error *err)
{
    nx_builder b;
    size_t expected;
    int i;
    nnfx_result r;
    memset(&b, 0, sizeof b);
    b.om = om;
    b.m = m;
    b.err = err;
    b.stream = m->mode == NNFX_MODE_STREAM;
    b.max_block = m->chunk;
    expected = (size_t)om->n_inputs + (size_t)om->n_initializers + 16;
    for (i = 0; i < om->n_nodes; i++)
        expected += (size_t)om->nodes[i].n_outputs;
    if (nx_names_init(&b.names, expected))
        return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory");
    r = nx_add_inputs(&b);
    for (i = 0; !r && i < om->n_initializers; i++) {
        int vi, d = nx_define_name(&b, om->initializers[i].name, &vi);
        if (d == -2)
            r = nx_set_error(err, NNFX_ERR_FORMAT, "initializer '%s' is defined twice",
                             om->initializers[i].name);
        else if (d < 0)
            r = nx_set_error(err, NNFX_ERR_NOMEM, "out of memory");
        else
            r = nx_add_const_tensor(&b, vi, &om->initializers[i], "initializer");
    }
    for (i = 0; !r && i < om->n_nodes; i++)
        r = add_node(&b, &om->nodes[i]);
    if (!r)
        r = nx_check_outputs(&b);
    if (!r)
        r = nx_plan_memory(&b, max_memory);
    free_tmp(&b);
    nx_names_free(&b.names);
    nx_free(b.steps);
    if (r) {
        nx_free(b.v);
        return r;
    }
    m->v = b.v;
    m->nv = b.nv;
    return NNFX_OK;
}
