/*
 * test_onnx_reader.c - tests of the ONNX reader, writer and graph checks,
 * driven from tests/runtime/test_onnx_reader.py.
 *
 *   test_onnx_reader unit                     built-in cases (wire format, graphs, writer)
 *   test_onnx_reader dump FILE                parse + check, print a canonical summary
 *   test_onnx_reader roundtrip IN OUT         parse, serialize to OUT, re-parse, compare
 *   test_onnx_reader expect FILE FRAGMENT     parse + check must fail, message contains FRAGMENT
 *   test_onnx_reader allocfail FILE           fail every allocation in turn: NOMEM, no leak
 *   test_onnx_reader bench FILE ITERS         mean parse(+check) time in microseconds
 *
 * Exit status 0 on success, 1 on a failed check (with a message on stderr).
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#define CHECK_STREAM stderr /* stdout carries the dumps */
#include "check.h"
#include "onnx_model.h"

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = (uint8_t *)malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static nnfx_result load(const uint8_t *data, size_t size, nx_onnx_model *m, nnfx_error *err)
{
    nnfx_result r = nx_onnx_model_parse(data, size, m, err);
    if (r)
        return r;
    r = nx_onnx_model_check(m, err);
    if (r)
        nx_onnx_model_free(m);
    return r;
}

/* ---- deep comparison ---- */

static int str_eq(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

static int tensor_eq(const nx_onnx_tensor *a, const nx_onnx_tensor *b)
{
    int i;
    if (!str_eq(a->name, b->name) || a->dtype != b->dtype || a->ndim != b->ndim ||
        a->count != b->count)
        return 0;
    for (i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i])
            return 0;
    return memcmp(a->data, b->data, (size_t)a->count * nx_onnx_dtype_size(a->dtype)) == 0;
}

static int attr_eq(const nx_onnx_attr *a, const nx_onnx_attr *b)
{
    size_t k;
    if (!str_eq(a->name, b->name) || a->type != b->type)
        return 0;
    switch (a->type) {
    case NNFX_ATTR_FLOAT: return memcmp(&a->f, &b->f, sizeof a->f) == 0;
    case NNFX_ATTR_INT: return a->i == b->i;
    case NNFX_ATTR_STRING: return a->s_len == b->s_len && memcmp(a->s, b->s, a->s_len) == 0;
    case NNFX_ATTR_TENSOR: return tensor_eq(a->t, b->t);
    case NNFX_ATTR_FLOATS:
        return a->n == b->n && (!a->n || memcmp(a->floats, b->floats, a->n * sizeof(float)) == 0);
    case NNFX_ATTR_INTS:
        return a->n == b->n && (!a->n || memcmp(a->ints, b->ints, a->n * sizeof(int64_t)) == 0);
    case NNFX_ATTR_STRINGS:
        if (a->n != b->n)
            return 0;
        for (k = 0; k < a->n; k++)
            if (!str_eq(a->strings[k], b->strings[k]))
                return 0;
        return 1;
    }
    return 0;
}

static int vi_eq(const nx_onnx_value_info *a, const nx_onnx_value_info *b)
{
    int i;
    if (!str_eq(a->name, b->name) || a->elem_type != b->elem_type || a->ndim != b->ndim)
        return 0;
    for (i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i])
            return 0;
    return 1;
}

/* Returns NULL when equal, else a description of the first difference. */
static const char *model_diff(const nx_onnx_model *a, const nx_onnx_model *b)
{
    static char why[256];
    int i, j;
    if (a->ir_version != b->ir_version || a->opset != b->opset)
        return "ir_version/opset";
    if (a->n_nodes != b->n_nodes || a->n_initializers != b->n_initializers ||
        a->n_inputs != b->n_inputs || a->n_outputs != b->n_outputs ||
        a->n_value_infos != b->n_value_infos || a->n_props != b->n_props)
        return "counts";
    for (i = 0; i < a->n_nodes; i++) {
        const nx_onnx_node *x = &a->nodes[i], *y = &b->nodes[i];
        snprintf(why, sizeof why, "node %d '%s'", i, x->name);
        if (!str_eq(x->name, y->name) || !str_eq(x->op_type, y->op_type) ||
            !str_eq(x->domain, y->domain) || x->n_inputs != y->n_inputs ||
            x->n_outputs != y->n_outputs || x->n_attrs != y->n_attrs)
            return why;
        for (j = 0; j < x->n_inputs; j++)
            if (!str_eq(x->inputs[j], y->inputs[j]))
                return why;
        for (j = 0; j < x->n_outputs; j++)
            if (!str_eq(x->outputs[j], y->outputs[j]))
                return why;
        for (j = 0; j < x->n_attrs; j++)
            if (!attr_eq(&x->attrs[j], &y->attrs[j]))
                return why;
    }
    for (i = 0; i < a->n_initializers; i++)
        if (!tensor_eq(&a->initializers[i], &b->initializers[i]))
            return "initializer";
    for (i = 0; i < a->n_inputs; i++)
        if (!vi_eq(&a->inputs[i], &b->inputs[i]))
            return "input";
    for (i = 0; i < a->n_outputs; i++)
        if (!vi_eq(&a->outputs[i], &b->outputs[i]))
            return "output";
    for (i = 0; i < a->n_value_infos; i++)
        if (!vi_eq(&a->value_infos[i], &b->value_infos[i]))
            return "value_info";
    for (i = 0; i < a->n_props; i++)
        if (!str_eq(a->props[i].key, b->props[i].key) ||
            !str_eq(a->props[i].value, b->props[i].value))
            return "metadata_props";
    return NULL;
}

/* ---- dump: a canonical text form that the pytest side rebuilds with the onnx package ---- */

static double tensor_sum(const nx_onnx_tensor *t)
{
    double s = 0;
    int64_t k;
    for (k = 0; k < t->count; k++) {
        switch (t->dtype) {
        case NNFX_DT_FLOAT: s += ((const float *)t->data)[k]; break;
        case NNFX_DT_DOUBLE: s += ((const double *)t->data)[k]; break;
        case NNFX_DT_INT64: s += (double)((const int64_t *)t->data)[k]; break;
        case NNFX_DT_INT32: s += ((const int32_t *)t->data)[k]; break;
        case NNFX_DT_INT8: s += ((const int8_t *)t->data)[k]; break;
        default: s += ((const uint8_t *)t->data)[k]; break;
        }
    }
    return s;
}

static void dump_tensor(const nx_onnx_tensor *t)
{
    int i;
    printf("tensor %s dtype=%d dims=[", t->name, (int)t->dtype);
    for (i = 0; i < t->ndim; i++)
        printf("%s%lld", i ? "," : "", (long long)t->dims[i]);
    printf("] sum=%.17g\n", tensor_sum(t));
}

static void dump(const nx_onnx_model *m)
{
    int i, j;
    size_t k;
    printf("ir_version %lld\nopset %lld\n", (long long)m->ir_version, (long long)m->opset);
    for (i = 0; i < m->n_inputs; i++) {
        printf("input %s elem=%d dims=[", m->inputs[i].name, (int)m->inputs[i].elem_type);
        for (j = 0; j < m->inputs[i].ndim; j++)
            printf("%s%lld", j ? "," : "", (long long)m->inputs[i].dims[j]);
        printf("]\n");
    }
    for (i = 0; i < m->n_outputs; i++) {
        printf("output %s elem=%d dims=[", m->outputs[i].name, (int)m->outputs[i].elem_type);
        for (j = 0; j < m->outputs[i].ndim; j++)
            printf("%s%lld", j ? "," : "", (long long)m->outputs[i].dims[j]);
        printf("]\n");
    }
    for (i = 0; i < m->n_initializers; i++)
        dump_tensor(&m->initializers[i]);
    for (i = 0; i < m->n_nodes; i++) {
        const nx_onnx_node *n = &m->nodes[i];
        printf("node %s op=%s in=", n->name, n->op_type);
        for (j = 0; j < n->n_inputs; j++)
            printf("%s%s", j ? "," : "", n->inputs[j]);
        printf(" out=");
        for (j = 0; j < n->n_outputs; j++)
            printf("%s%s", j ? "," : "", n->outputs[j]);
        printf("\n");
        for (j = 0; j < n->n_attrs; j++) {
            const nx_onnx_attr *a = &n->attrs[j];
            printf("  attr %s type=%d", a->name, a->type);
            switch (a->type) {
            case NNFX_ATTR_FLOAT: printf(" f=%.9g", a->f); break;
            case NNFX_ATTR_INT: printf(" i=%lld", (long long)a->i); break;
            case NNFX_ATTR_STRING: printf(" s=%s", a->s); break;
            case NNFX_ATTR_INTS:
                printf(" ints=");
                for (k = 0; k < a->n; k++)
                    printf("%s%lld", k ? "," : "", (long long)a->ints[k]);
                break;
            case NNFX_ATTR_FLOATS:
                printf(" floats=");
                for (k = 0; k < a->n; k++)
                    printf("%s%.9g", k ? "," : "", a->floats[k]);
                break;
            case NNFX_ATTR_STRINGS:
                printf(" strings=");
                for (k = 0; k < a->n; k++)
                    printf("%s%s", k ? "," : "", a->strings[k]);
                break;
            case NNFX_ATTR_TENSOR: printf("\n    "); dump_tensor(a->t); continue;
            }
            printf("\n");
        }
    }
    for (i = 0; i < m->n_props; i++)
        printf("prop %s len=%zu\n", m->props[i].key, strlen(m->props[i].value));
}

/* ---- built-in unit cases ---- */

/* Parse bytes that must fail with a message containing frag. */
static void expect_fail(const uint8_t *data, size_t size, const char *frag, const char *label)
{
    nx_onnx_model m;
    nnfx_error err;
    nnfx_result r;
    memset(&err, 0, sizeof err);
    r = load(data, size, &m, &err);
    CHECK(r != NNFX_OK, "%s: expected a failure, got OK", label);
    CHECK(r == NNFX_OK || strstr(err.message, frag) != NULL, "%s: message '%s' lacks '%s'",
          label, err.message, frag);
    CHECK(r == NNFX_OK || err.code == r, "%s: err.code %d != result %d", label, err.code, r);
}

/* A small hand-built model: X -> Relu -> Y with a float initializer W and a Mul. */
static void fill_small(nx_onnx_model *m, nx_onnx_node *nodes, nx_onnx_tensor *w,
                       nx_onnx_value_info *io, nx_onnx_prop *prop, char **strs,
                       nx_onnx_attr *attrs, float *wdata, int64_t *ints)
{
    memset(m, 0, sizeof *m);
    m->ir_version = 8;
    m->opset = 17;
    m->producer_name = (char *)"unit";
    m->graph_name = (char *)"g";
    /* strs: 0 "X", 1 "W", 2 "T", 3 "Y", 4 "" */
    wdata[0] = 1.5f;
    wdata[1] = -2.0f;
    w->name = strs[1];
    w->dtype = NNFX_DT_FLOAT;
    w->ndim = 2;
    w->dims[0] = 1;
    w->dims[1] = 2;
    w->count = 2;
    w->data = wdata;
    ints[0] = 3;
    ints[1] = -7;
    memset(attrs, 0, 2 * sizeof *attrs);
    attrs[0].name = (char *)"axes";
    attrs[0].type = NNFX_ATTR_INTS;
    attrs[0].ints = ints;
    attrs[0].n = 2;
    attrs[1].name = (char *)"alpha";
    attrs[1].type = NNFX_ATTR_FLOAT;
    attrs[1].f = 0.25f;
    memset(nodes, 0, 2 * sizeof *nodes);
    nodes[0].name = (char *)"mul";
    nodes[0].op_type = (char *)"Mul";
    nodes[0].domain = strs[4];
    nodes[0].n_inputs = 2;
    nodes[0].inputs = strs; /* X, W */
    nodes[0].n_outputs = 1;
    nodes[0].outputs = strs + 2; /* T */
    nodes[0].n_attrs = 2;
    nodes[0].attrs = attrs;
    nodes[1].name = (char *)"relu";
    nodes[1].op_type = (char *)"Relu";
    nodes[1].domain = strs[4];
    nodes[1].n_inputs = 1;
    nodes[1].inputs = strs + 2; /* T */
    nodes[1].n_outputs = 1;
    nodes[1].outputs = strs + 3; /* Y */
    m->n_nodes = 2;
    m->nodes = nodes;
    m->n_initializers = 1;
    m->initializers = w;
    memset(io, 0, 2 * sizeof *io);
    io[0].name = strs[0];
    io[0].elem_type = NNFX_DT_FLOAT;
    io[0].ndim = 2;
    io[0].dims[0] = 1;
    io[0].dims[1] = -1;
    io[1].name = strs[3];
    io[1].elem_type = NNFX_DT_FLOAT;
    io[1].ndim = 2;
    io[1].dims[0] = 1;
    io[1].dims[1] = 2;
    m->n_inputs = 1;
    m->inputs = &io[0];
    m->n_outputs = 1;
    m->outputs = &io[1];
    prop->key = (char *)"nnfx.name";
    prop->value = (char *)"unit test";
    m->n_props = 1;
    m->props = prop;
}

static void unit_tests(void)
{
    nx_onnx_model src, back;
    nx_onnx_node nodes[2], tmp;
    nx_onnx_tensor w;
    nx_onnx_value_info io[2];
    nx_onnx_prop prop;
    nx_onnx_attr attrs[2];
    char *strs[5] = {(char *)"X", (char *)"W", (char *)"T", (char *)"Y", (char *)""};
    float wdata[2];
    int64_t ints[2];
    uint8_t *bytes = NULL;
    size_t size = 0, cut;
    nnfx_error err;
    nnfx_result r;
    const char *d;

    /* Writer -> reader round trip of a hand-built model. */
    fill_small(&src, nodes, &w, io, &prop, strs, attrs, wdata, ints);
    r = nx_onnx_model_serialize(&src, &bytes, &size, &err);
    CHECK(r == NNFX_OK, "serialize: %s", err.message);
    r = load(bytes, size, &back, &err);
    CHECK(r == NNFX_OK, "parse of written model: %s", err.message);
    if (r == NNFX_OK) {
        d = model_diff(&src, &back);
        CHECK(d == NULL, "round trip differs at %s", d ? d : "");
        CHECK(nx_onnx_initializer_find(&back, "W") != NULL, "initializer lookup");
        CHECK(nx_onnx_initializer_find(&back, "nope") == NULL, "initializer lookup absent");
        CHECK(nx_onnx_attr_find(&back.nodes[0], "alpha") &&
                  nx_onnx_attr_find(&back.nodes[0], "alpha")->f == 0.25f,
              "attr lookup");
        CHECK(str_eq(nx_onnx_prop_get(&back, "nnfx.name"), "unit test"), "prop lookup");
        CHECK(nx_onnx_prop_get(&back, "nnfx.none") == NULL, "prop lookup absent");
        nx_onnx_model_free(&back);
    }

    /* Every truncation of a valid file is refused cleanly (or, at field boundaries where
     * the rest is still a valid model, accepted) and never crashes. */
    for (cut = 0; cut < size; cut++) {
        nx_onnx_model m;
        if (load(bytes, cut, &m, &err) == NNFX_OK)
            nx_onnx_model_free(&m);
        else
            CHECK(err.message[0] != '\0', "truncation at %zu: empty message", cut);
    }
    free(bytes);
    bytes = NULL;

    /* Nodes out of order: toposort fixes them; validate alone refuses them. */
    fill_small(&src, nodes, &w, io, &prop, strs, attrs, wdata, ints);
    tmp = nodes[0];
    nodes[0] = nodes[1];
    nodes[1] = tmp;
    r = nx_onnx_model_validate(&src, &err);
    CHECK(r == NNFX_ERR_FORMAT && strstr(err.message, "topological"), "validate order: %s",
          err.message);
    r = nx_onnx_model_toposort(&src, &err);
    CHECK(r == NNFX_OK && str_eq(src.nodes[0].name, "mul") && str_eq(src.nodes[1].name, "relu"),
          "toposort reorders: %s", err.message);
    CHECK(nx_onnx_model_validate(&src, &err) == NNFX_OK, "validate after sort: %s",
          err.message);

    /* A cycle: T = Mul(X, Y), Y = Relu(T). */
    fill_small(&src, nodes, &w, io, &prop, strs, attrs, wdata, ints);
    {
        char *cyc_in[2] = {(char *)"X", (char *)"Y"};
        nodes[0].inputs = cyc_in;
        r = nx_onnx_model_check(&src, &err);
        CHECK(r == NNFX_ERR_FORMAT && strstr(err.message, "cycle"), "cycle: %s", err.message);
    }
    /* Dangling input. */
    fill_small(&src, nodes, &w, io, &prop, strs, attrs, wdata, ints);
    {
        char *dang[2] = {(char *)"X", (char *)"nowhere"};
        nodes[0].inputs = dang;
        r = nx_onnx_model_check(&src, &err);
        CHECK(r == NNFX_ERR_FORMAT && strstr(err.message, "'nowhere'") &&
                  strstr(err.message, "node 'mul'"),
              "dangling: %s", err.message);
    }
    /* Names hold any bytes: messages stay one printable line of valid UTF-8. */
    fill_small(&src, nodes, &w, io, &prop, strs, attrs, wdata, ints);
    {
        char *odd[2] = {(char *)"X", (char *)"a\nb\xff\xc3\xa9"};
        nodes[0].inputs = odd;
        r = nx_onnx_model_check(&src, &err);
        CHECK(r == NNFX_ERR_FORMAT && strstr(err.message, "'a?b?\xc3\xa9'") &&
                  !strchr(err.message, '\n'),
              "odd name: %s", err.message);
    }
    /* A message longer than nnfx_error.message is cut with "..." and stays terminated. */
    {
        char longname[700];
        memset(longname, 'n', sizeof longname - 1);
        longname[sizeof longname - 1] = '\0';
        nx_set_error(&err, NNFX_ERR_FORMAT, "x %s", longname);
        CHECK(strlen(err.message) == sizeof err.message - 1 &&
                  strcmp(err.message + sizeof err.message - 4, "...") == 0,
              "truncation: %zu", strlen(err.message));
        nx_error_prefix(&err, "ctx: ");
        CHECK(strncmp(err.message, "ctx: x nnn", 10) == 0 && err.code == NNFX_ERR_FORMAT,
              "prefix: %.20s", err.message);
    }
    /* Too many attributes on a node: refused by the reader (and by validate). */
    fill_small(&src, nodes, &w, io, &prop, strs, attrs, wdata, ints);
    {
        static nx_onnx_attr many[NX_ONNX_MAX_ATTRS + 1];
        static char names[NX_ONNX_MAX_ATTRS + 1][16];
        int k;
        for (k = 0; k <= NX_ONNX_MAX_ATTRS; k++) {
            snprintf(names[k], sizeof names[k], "a%d", k);
            memset(&many[k], 0, sizeof many[k]);
            many[k].name = names[k];
            many[k].type = NNFX_ATTR_INT;
            many[k].i = k;
        }
        nodes[1].attrs = many;
        nodes[1].n_attrs = NX_ONNX_MAX_ATTRS + 1;
        r = nx_onnx_model_validate(&src, &err);
        CHECK(r == NNFX_ERR_LIMIT && strstr(err.message, "attributes"), "validate attrs: %s",
              err.message);
        if (nx_onnx_model_serialize(&src, &bytes, &size, &err) == NNFX_OK) {
            expect_fail(bytes, size, "257 attributes, at most 256", "many attributes");
            free(bytes);
            bytes = NULL;
        }
    }
    /* Required inputs (ONNX operator definitions): Mul with one input, Relu with "". */
    fill_small(&src, nodes, &w, io, &prop, strs, attrs, wdata, ints);
    nodes[0].n_inputs = 1;
    r = nx_onnx_model_check(&src, &err);
    CHECK(r == NNFX_ERR_FORMAT && strstr(err.message, "node 'mul' (Mul) needs 2 inputs, has 1"),
          "arity: %s", err.message);
    fill_small(&src, nodes, &w, io, &prop, strs, attrs, wdata, ints);
    nodes[1].inputs = strs + 4; /* "" */
    r = nx_onnx_model_check(&src, &err);
    CHECK(r == NNFX_ERR_FORMAT && strstr(err.message, "input 0 is required but empty"),
          "empty required input: %s", err.message);
    /* Output produced twice. */
    fill_small(&src, nodes, &w, io, &prop, strs, attrs, wdata, ints);
    nodes[1].outputs = strs + 2; /* relu also writes T */
    r = nx_onnx_model_check(&src, &err);
    CHECK(r == NNFX_ERR_FORMAT && strstr(err.message, "produced twice"), "dup output: %s",
          err.message);
    /* Graph output not produced. */
    fill_small(&src, nodes, &w, io, &prop, strs, attrs, wdata, ints);
    io[1].name = (char *)"Z";
    r = nx_onnx_model_check(&src, &err);
    CHECK(r == NNFX_ERR_FORMAT && strstr(err.message, "'Z'"), "unproduced output: %s",
          err.message);

    /* Wire-level cases. */
    {
        static const uint8_t trunc_varint[] = {0x08, 0xff, 0xff};
        static const uint8_t long_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                              0xff, 0xff, 0xff, 0xff, 0x7f};
        static const uint8_t len_past[] = {0x3a, 0x7f, 0x00};
        static const uint8_t group[] = {0x0b, 0x0c};
        static const uint8_t field0[] = {0x00, 0x01};
        static const uint8_t nograph[] = {0x08, 0x08};
        static const uint8_t twographs[] = {0x3a, 0x00, 0x3a, 0x00};
        static const uint8_t badwire[] = {0x0e, 0x00};
        static const uint8_t wrongwire[] = {0x3d, 0, 0, 0, 0}; /* graph as fixed32 */
        expect_fail(trunc_varint, sizeof trunc_varint, "truncated varint at byte 1",
                    "truncated varint");
        expect_fail(long_varint, sizeof long_varint, "longer than", "long varint");
        expect_fail(len_past, sizeof len_past, "runs past the end", "length past end");
        expect_fail(group, sizeof group, "group", "group");
        expect_fail(field0, sizeof field0, "invalid field number 0", "field 0");
        expect_fail(nograph, sizeof nograph, "no graph", "no graph");
        expect_fail(twographs, sizeof twographs, "2 graph fields", "two graphs");
        expect_fail(badwire, sizeof badwire, "invalid wire type 6", "bad wire type");
        expect_fail(wrongwire, sizeof wrongwire, "expected length-delimited", "wrong wire");
        expect_fail((const uint8_t *)"", 0, "empty", "empty");
    }
    /* A graph with no outputs is refused by validate. */
    {
        static const uint8_t empty_graph[] = {0x3a, 0x00};
        expect_fail(empty_graph, sizeof empty_graph, "no outputs", "empty graph");
    }
    /* Allocation failure walk on the hand-built model's bytes. */
    fill_small(&src, nodes, &w, io, &prop, strs, attrs, wdata, ints);
    if (nx_onnx_model_serialize(&src, &bytes, &size, &err) == NNFX_OK) {
        long n;
        for (n = 1; n < 10000; n++) {
            nx_onnx_model m;
            long before = nx_alloc_failures();
            nx_alloc_fail_at(n);
            r = load(bytes, size, &m, &err);
            nx_alloc_fail_at(0);
            if (nx_alloc_failures() == before) { /* nothing failed: done */
                CHECK(r == NNFX_OK, "no injected failure yet load failed: %s", err.message);
                if (r == NNFX_OK)
                    nx_onnx_model_free(&m);
                break;
            }
            CHECK(r == NNFX_ERR_NOMEM, "alloc %ld failed but result %d (%s)", n, r, err.message);
            if (r == NNFX_OK)
                nx_onnx_model_free(&m);
        }
        free(bytes);
    }
}

static int alloc_walk(const uint8_t *data, size_t size)
{
    long n;
    nnfx_error err;
    for (n = 1; n < 10000000; n++) {
        nx_onnx_model m;
        uint8_t *out = NULL;
        size_t out_size;
        long before = nx_alloc_failures();
        nnfx_result r;
        nx_alloc_fail_at(n);
        r = load(data, size, &m, &err);
        if (r == NNFX_OK) {
            r = nx_onnx_model_serialize(&m, &out, &out_size, &err);
            nx_free(out);
            nx_onnx_model_free(&m);
        }
        nx_alloc_fail_at(0);
        if (nx_alloc_failures() == before) {
            CHECK(r == NNFX_OK, "complete run failed: %s", err.message);
            printf("allocation points walked: %ld\n", n - 1);
            return 0;
        }
        CHECK(r == NNFX_ERR_NOMEM, "allocation %ld failed, result %d: %s", n, r, err.message);
        if (check_failures)
            return 1;
    }
    return 1;
}

/* CPU time of this process: the figure does not depend on how busy the machine is. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    uint8_t *data = NULL;
    size_t size = 0;
    nx_onnx_model m, back;
    nnfx_error err;
    const char *mode = argc > 1 ? argv[1] : "";

    memset(&err, 0, sizeof err);
    if (strcmp(mode, "unit") == 0) {
        unit_tests();
        if (!check_failures)
            printf("unit: all passed\n");
        return check_failures ? 1 : 0;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: %s unit|dump|roundtrip|expect|allocfail|bench FILE ...\n",
                argv[0]);
        return 2;
    }
    data = read_file(argv[2], &size);
    if (!data) {
        fprintf(stderr, "cannot read %s\n", argv[2]);
        return 2;
    }
    if (strcmp(mode, "dump") == 0) {
        if (load(data, size, &m, &err) != NNFX_OK) {
            fprintf(stderr, "error: %s\n", err.message);
            free(data);
            return 1;
        }
        dump(&m);
        nx_onnx_model_free(&m);
    } else if (strcmp(mode, "roundtrip") == 0 && argc > 3) {
        uint8_t *out = NULL;
        size_t out_size = 0;
        const char *d;
        FILE *f;
        if (load(data, size, &m, &err) != NNFX_OK) {
            fprintf(stderr, "error: %s\n", err.message);
            free(data);
            return 1;
        }
        CHECK(nx_onnx_model_serialize(&m, &out, &out_size, &err) == NNFX_OK, "serialize: %s",
              err.message);
        f = fopen(argv[3], "wb");
        CHECK(f && fwrite(out, 1, out_size, f) == out_size, "write %s", argv[3]);
        if (f)
            fclose(f);
        CHECK(load(out, out_size, &back, &err) == NNFX_OK, "re-parse: %s", err.message);
        if (!check_failures) {
            d = model_diff(&m, &back);
            CHECK(d == NULL, "round trip differs at %s", d ? d : "");
            nx_onnx_model_free(&back);
        }
        printf("roundtrip %zu -> %zu bytes\n", size, out_size);
        nx_free(out);
        nx_onnx_model_free(&m);
    } else if (strcmp(mode, "expect") == 0 && argc > 3) {
        nnfx_result r = load(data, size, &m, &err);
        if (r == NNFX_OK) {
            nx_onnx_model_free(&m);
            fprintf(stderr, "FAIL: %s loaded, expected an error containing '%s'\n", argv[2],
                    argv[3]);
            check_failures++;
        } else {
            printf("%s\n", err.message);
            CHECK(strstr(err.message, argv[3]) != NULL, "message '%s' lacks '%s'", err.message,
                  argv[3]);
        }
    } else if (strcmp(mode, "allocfail") == 0) {
        alloc_walk(data, size);
    } else if (strcmp(mode, "bench") == 0 && argc > 3) {
        int iters = atoi(argv[3]), i;
        double t0 = now_s(), t1;
        for (i = 0; i < iters; i++) {
            if (load(data, size, &m, &err) != NNFX_OK) {
                fprintf(stderr, "error: %s\n", err.message);
                check_failures++;
                break;
            }
            nx_onnx_model_free(&m);
        }
        t1 = now_s();
        printf("parse+check %zu bytes: %.1f us mean CPU time over %d runs\n", size,
               1e6 * (t1 - t0) / (iters > 0 ? iters : 1), iters);
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        free(data);
        return 2;
    }
    free(data);
    return check_failures ? 1 : 0;
}
