/*
 * onnx_validate.c - graph checks after parsing: topological order, dangling
 * and duplicate names, cycles, produced outputs, node sanity (internal; see
 * onnx_model.h).
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "onnx_model.h"
#include "onnx_names.h"

/* Printable description of a node for messages. */
static void node_label(const nx_onnx_node *n, int index, char *buf, size_t cap)
{
    if (n->name && n->name[0])
        snprintf(buf, cap, "node '%.120s' (%.60s)", n->name, n->op_type ? n->op_type : "?");
    else
        snprintf(buf, cap, "node %d (%.60s)", index, n->op_type ? n->op_type : "?");
}

static size_t total_outputs(const nx_onnx_model *m)
{
    size_t n = 0;
    int i;
    for (i = 0; i < m->n_nodes; i++)
        n += (size_t)m->nodes[i].n_outputs;
    return n;
}

/*
 * Name table of everything produced: graph inputs and initializers map to -1 - k
 * (k < 0 means "available before any node"), node outputs to the node index.
 * Refuses duplicates.
 */
#define SOURCE_VALUE (-2)

static nnfx_result build_producers(const nx_onnx_model *m, nx_names *t, nnfx_error *err)
{
    int i, j, prev;
    size_t expected = (size_t)m->n_inputs + (size_t)m->n_initializers + total_outputs(m);
    char label[200];
    if (nx_names_init(t, expected) != 0)
        return nx_set_error(err, NNFX_ERR_NOMEM, "graph check: out of memory");
    for (i = 0; i < m->n_initializers; i++) {
        if (nx_names_put(t, m->initializers[i].name, SOURCE_VALUE, &prev) != 1) {
            nx_names_free(t);
            return nx_set_error(err, NNFX_ERR_FORMAT,
                                  "graph: initializer name '%.200s' is used twice",
                                  m->initializers[i].name);
        }
    }
    for (i = 0; i < m->n_inputs; i++) {
        if (!m->inputs[i].name || !m->inputs[i].name[0]) {
            nx_names_free(t);
            return nx_set_error(err, NNFX_ERR_FORMAT, "graph: input %d has no name", i);
        }
        if (nx_names_put(t, m->inputs[i].name, SOURCE_VALUE, &prev) != 1) {
            nx_names_free(t);
            return nx_set_error(err, NNFX_ERR_FORMAT,
                                  "graph: input name '%.200s' is used twice (as an input or an "
                                  "initializer)",
                                  m->inputs[i].name);
        }
    }
    for (i = 0; i < m->n_nodes; i++) {
        const nx_onnx_node *n = &m->nodes[i];
        for (j = 0; j < n->n_outputs; j++) {
            int rc;
            if (!n->outputs[j][0])
                continue; /* omitted optional output */
            rc = nx_names_put(t, n->outputs[j], i, &prev);
            if (rc == 1)
                continue;
            nx_names_free(t);
            node_label(n, i, label, sizeof label);
            if (rc < 0)
                return nx_set_error(err, NNFX_ERR_NOMEM, "graph check: name table full");
            if (prev == SOURCE_VALUE)
                return nx_set_error(err, NNFX_ERR_FORMAT,
                                      "graph: %s output '%.200s' has the name of a graph input "
                                      "or initializer",
                                      label, n->outputs[j]);
            {
                char other[200];
                node_label(&m->nodes[prev], prev, other, sizeof other);
                return nx_set_error(err, NNFX_ERR_FORMAT,
                                      "graph: output name '%.200s' is produced twice, by %s and "
                                      "by %s",
                                      n->outputs[j], other, label);
            }
        }
    }
    return NNFX_OK;
}

static nnfx_result check_dangling(const nx_onnx_model *m, const nx_names *t, nnfx_error *err)
{
    int i, j;
    char label[200];
    for (i = 0; i < m->n_nodes; i++) {
        const nx_onnx_node *n = &m->nodes[i];
        for (j = 0; j < n->n_inputs; j++) {
            if (!n->inputs[j][0])
                continue; /* omitted optional input */
            if (nx_names_get(t, n->inputs[j]) == -1) {
                node_label(n, i, label, sizeof label);
                return nx_set_error(err, NNFX_ERR_FORMAT,
                                      "graph: %s input %d '%.200s' is not a graph input, an "
                                      "initializer or the output of any node",
                                      label, j, n->inputs[j]);
            }
        }
    }
    for (i = 0; i < m->n_outputs; i++) {
        if (nx_names_get(t, m->outputs[i].name) == -1)
            return nx_set_error(err, NNFX_ERR_FORMAT,
                                  "graph: output '%.200s' is not produced by any node",
                                  m->outputs[i].name);
    }
    return NNFX_OK;
}

/* Binary min-heap of node indices (keeps the file order among ready nodes). */
static void heap_push(int *h, int *n, int v)
{
    int i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static int heap_pop(int *h, int *n)
{
    int top = h[0], v = h[--(*n)], i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= v)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n > 0)
        h[i] = v;
    return top;
}

nnfx_result nx_onnx_model_toposort(nx_onnx_model *m, nnfx_error *err)
{
    nx_names t;
    int *indeg = NULL, *start = NULL, *edges = NULL, *heap = NULL, *order = NULL, *fill = NULL;
    nx_onnx_node *sorted = NULL;
    size_t n_edges = 0;
    int i, j, n = m->n_nodes, heap_n = 0, done = 0;
    nnfx_result r;

    if ((r = build_producers(m, &t, err)) != NNFX_OK)
        return r;
    if ((r = check_dangling(m, &t, err)) != NNFX_OK)
        goto out;
    if (n == 0)
        goto out;
    for (i = 0; i < n; i++)
        n_edges += (size_t)m->nodes[i].n_inputs;
    indeg = (int *)nx_calloc((size_t)n, sizeof(int));
    start = (int *)nx_calloc((size_t)n + 1, sizeof(int));
    fill = (int *)nx_calloc((size_t)n, sizeof(int));
    edges = (int *)nx_calloc(n_edges ? n_edges : 1, sizeof(int));
    heap = (int *)nx_calloc((size_t)n, sizeof(int));
    order = (int *)nx_calloc((size_t)n, sizeof(int));
    if (!indeg || !start || !fill || !edges || !heap || !order) {
        r = nx_set_error(err, NNFX_ERR_NOMEM, "graph check: out of memory");
        goto out;
    }
    /* Edges producer -> consumer, one per (consumer, input) pair fed by a node, in CSR form. */
    for (i = 0; i < n; i++)
        for (j = 0; j < m->nodes[i].n_inputs; j++) {
            const char *in = m->nodes[i].inputs[j];
            int p = in[0] ? nx_names_get(&t, in) : -1;
            if (p >= 0) {
                start[p + 1]++;
                indeg[i]++;
            }
        }
    for (i = 0; i < n; i++)
        start[i + 1] += start[i];
    for (i = 0; i < n; i++)
        for (j = 0; j < m->nodes[i].n_inputs; j++) {
            const char *in = m->nodes[i].inputs[j];
            int p = in[0] ? nx_names_get(&t, in) : -1;
            if (p >= 0)
                edges[start[p] + fill[p]++] = i;
        }
    for (i = 0; i < n; i++)
        if (indeg[i] == 0)
            heap_push(heap, &heap_n, i);
    while (heap_n > 0) {
        int v = heap_pop(heap, &heap_n);
        order[done++] = v;
        for (j = start[v]; j < start[v + 1]; j++)
            if (--indeg[edges[j]] == 0)
                heap_push(heap, &heap_n, edges[j]);
    }
    if (done < n) {
        /* Walk back from any unfinished node through unfinished producers until a node
         * comes round again: that node is on a cycle. Each node is visited at most once
         * (fill[] marks visits), so the walk is linear in the graph's size. */
        char label[200];
        int v = -1, step;
        for (i = 0; i < n && v < 0; i++)
            if (indeg[i] > 0)
                v = i;
        for (i = 0; i < n; i++)
            fill[i] = 0;
        for (step = 0; step < n && !fill[v]; step++) {
            int next = -1;
            fill[v] = 1;
            for (j = 0; j < m->nodes[v].n_inputs && next < 0; j++) {
                const char *in = m->nodes[v].inputs[j];
                int p = in[0] ? nx_names_get(&t, in) : -1;
                if (p >= 0 && indeg[p] > 0)
                    next = p;
            }
            if (next < 0)
                break; /* cannot happen: an unfinished node has an unfinished producer */
            v = next;
        }
        node_label(&m->nodes[v], v, label, sizeof label);
        r = nx_set_error(err, NNFX_ERR_FORMAT,
                           "graph: the nodes form a cycle through %s (%d of %d nodes cannot be "
                           "ordered)",
                           label, n - done, n);
        goto out;
    }
    for (i = 0; i < n && order[i] == i; i++)
        ;
    if (i < n) { /* not already in order: permute */
        sorted = (nx_onnx_node *)nx_calloc((size_t)n, sizeof *sorted);
        if (!sorted) {
            r = nx_set_error(err, NNFX_ERR_NOMEM, "graph check: out of memory");
            goto out;
        }
        for (i = 0; i < n; i++)
            sorted[i] = m->nodes[order[i]];
        memcpy(m->nodes, sorted, (size_t)n * sizeof *sorted);
    }
out:
    nx_names_free(&t);
    nx_free(indeg);
    nx_free(start);
    nx_free(fill);
    nx_free(edges);
    nx_free(heap);
    nx_free(order);
    nx_free(sorted);
    return r;
}

/*
 * Inputs that the ONNX operator definitions (opset 13 and newer) require, for the standard
 * ops a model is likely to hold: the first `min` inputs must be present and non-empty. Ops
 * not listed (and other domains) are left to the planner, which refuses what it cannot run.
 */
static const struct {
    const char *op;
    int min;
} required_inputs[] = {
    {"Abs", 1}, {"Acos", 1}, {"Add", 2}, {"And", 2}, {"ArgMax", 1}, {"ArgMin", 1},
    {"Asin", 1}, {"Atan", 1}, {"AveragePool", 1}, {"BatchNormalization", 5}, {"Cast", 1},
    {"CastLike", 2}, {"Ceil", 1}, {"Celu", 1}, {"Clip", 1}, {"Concat", 1},
    {"ConstantOfShape", 1}, {"Conv", 2}, {"ConvTranspose", 2}, {"Cos", 1}, {"Cosh", 1},
    {"CumSum", 2}, {"Div", 2}, {"Dropout", 1}, {"Elu", 1}, {"Equal", 2}, {"Erf", 1},
    {"Exp", 1}, {"Expand", 2}, {"Flatten", 1}, {"Floor", 1}, {"GRU", 3}, {"Gather", 2},
    {"GatherElements", 2}, {"Gelu", 1}, {"Gemm", 2}, {"GlobalAveragePool", 1}, {"Greater", 2},
    {"GreaterOrEqual", 2}, {"HardSigmoid", 1}, {"HardSwish", 1}, {"Identity", 1},
    {"InstanceNormalization", 3}, {"LSTM", 3}, {"LayerNormalization", 2}, {"LeakyRelu", 1},
    {"Less", 2}, {"LessOrEqual", 2}, {"Log", 1}, {"LogSoftmax", 1}, {"MatMul", 2},
    {"Max", 1}, {"MaxPool", 1}, {"Mean", 1}, {"Min", 1}, {"Mish", 1}, {"Mod", 2},
    {"Mul", 2}, {"Neg", 1}, {"Not", 1}, {"Or", 2}, {"PRelu", 2}, {"Pad", 2}, {"Pow", 2},
    {"RNN", 3}, {"Range", 3}, {"Reciprocal", 1}, {"ReduceL2", 1}, {"ReduceMax", 1},
    {"ReduceMean", 1}, {"ReduceMin", 1}, {"ReduceProd", 1}, {"ReduceSum", 1}, {"Relu", 1},
    {"Reshape", 2}, {"Resize", 1}, {"Round", 1}, {"Selu", 1}, {"Shape", 1}, {"Shrink", 1},
    {"Sigmoid", 1}, {"Sign", 1}, {"Sin", 1}, {"Sinh", 1}, {"Size", 1}, {"Slice", 3},
    {"Softmax", 1}, {"Softplus", 1}, {"Softsign", 1}, {"Split", 1}, {"Sqrt", 1},
    {"Squeeze", 1}, {"Sub", 2}, {"Sum", 1}, {"Tan", 1}, {"Tanh", 1}, {"ThresholdedRelu", 1},
    {"Tile", 2}, {"Transpose", 1}, {"Trilu", 1}, {"Unsqueeze", 2}, {"Where", 3}, {"Xor", 2},
};

static int required_input_count(const nx_onnx_node *n)
{
    size_t lo = 0, hi = sizeof required_inputs / sizeof required_inputs[0];
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
        return 0;
    while (lo < hi) { /* the table is sorted by strcmp */
        size_t mid = (lo + hi) / 2;
        int c = strcmp(n->op_type, required_inputs[mid].op);
        if (c == 0)
            return required_inputs[mid].min;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

nnfx_result nx_onnx_model_validate(const nx_onnx_model *m, nnfx_error *err)
{
    nx_names t;
    int i, j, k;
    char label[200];
    nnfx_result r;

    if (!m)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "graph check: model is NULL");
    if (m->n_nodes > NX_ONNX_MAX_NODES)
        return nx_set_error(err, NNFX_ERR_LIMIT, "graph has %d nodes, at most %d allowed",
                              m->n_nodes, NX_ONNX_MAX_NODES);
    for (i = 0; i < m->n_nodes; i++)
        if (m->nodes[i].n_attrs > NX_ONNX_MAX_ATTRS) /* keeps the pairwise check below small */
            return nx_set_error(err, NNFX_ERR_LIMIT, "graph: node %d has %d attributes, at "
                                  "most %d allowed", i, m->nodes[i].n_attrs, NX_ONNX_MAX_ATTRS);
    if (m->n_outputs == 0)
        return nx_set_error(err, NNFX_ERR_FORMAT, "graph has no outputs");
    for (i = 0; i < m->n_inputs; i++)
        if (m->inputs[i].ndim > NNFX_MAX_DIMS)
            return nx_set_error(err, NNFX_ERR_LIMIT, "graph input '%.200s' has %d dims",
                                  m->inputs[i].name, m->inputs[i].ndim);
    for (i = 0; i < m->n_outputs; i++)
        if (!m->outputs[i].name || !m->outputs[i].name[0])
            return nx_set_error(err, NNFX_ERR_FORMAT, "graph: output %d has no name", i);
    for (i = 0; i < m->n_nodes; i++) {
        const nx_onnx_node *n = &m->nodes[i];
        node_label(n, i, label, sizeof label);
        if (!n->op_type || !n->op_type[0])
            return nx_set_error(err, NNFX_ERR_FORMAT, "graph: node %d has no op_type", i);
        if (n->n_outputs < 1)
            return nx_set_error(err, NNFX_ERR_FORMAT, "graph: %s has no outputs", label);
        k = m->opset >= 13 ? required_input_count(n) : 0; /* older opsets used attributes */
        if (n->n_inputs < k)
            return nx_set_error(err, NNFX_ERR_FORMAT, "graph: %s needs %d input%s, has %d",
                                  label, k, k == 1 ? "" : "s", n->n_inputs);
        for (j = 0; j < k; j++)
            if (!n->inputs[j][0])
                return nx_set_error(err, NNFX_ERR_FORMAT,
                                      "graph: %s input %d is required but empty", label, j);
        for (j = 0; j < n->n_attrs; j++) {
            if (!n->attrs[j].name || !n->attrs[j].name[0])
                return nx_set_error(err, NNFX_ERR_FORMAT,
                                      "graph: %s attribute %d has no name", label, j);
            for (k = 0; k < j; k++)
                if (strcmp(n->attrs[j].name, n->attrs[k].name) == 0)
                    return nx_set_error(err, NNFX_ERR_FORMAT,
                                          "graph: %s has attribute '%.100s' twice", label,
                                          n->attrs[j].name);
        }
    }
    if ((r = build_producers(m, &t, err)) != NNFX_OK)
        return r;
    if ((r = check_dangling(m, &t, err)) != NNFX_OK)
        goto out;
    for (i = 0; i < m->n_nodes; i++) {
        const nx_onnx_node *n = &m->nodes[i];
        for (j = 0; j < n->n_inputs; j++) {
            int p = n->inputs[j][0] ? nx_names_get(&t, n->inputs[j]) : -1;
            if (p >= i) {
                char other[200];
                node_label(n, i, label, sizeof label);
                node_label(&m->nodes[p], p, other, sizeof other);
                r = nx_set_error(err, NNFX_ERR_FORMAT,
                                   "graph: %s input '%.200s' is produced by %s, %s (nodes "
                                   "are not in topological order)",
                                   label, n->inputs[j], p == i ? "itself" : other,
                                   p == i ? "a cycle" : "which comes after it");
                goto out;
            }
        }
    }
out:
    nx_names_free(&t);
    return r;
}

nnfx_result nx_onnx_model_check(nx_onnx_model *m, nnfx_error *err)
{
    nnfx_result r;
    if (!m)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "graph check: model is NULL");
    if ((r = nx_onnx_model_toposort(m, err)) != NNFX_OK)
        return r;
    return nx_onnx_model_validate(m, err);
}
