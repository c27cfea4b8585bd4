/*
 * random_build.c - turns a random-network recipe into a complete nnfx model
 * file (ONNX bytes) through the in-memory ONNX model and its writer.
 *
 * The graph is the one of docs/random-networks.md ("The graph"), with the
 * activations written as the plain ONNX ops the Python exporter uses
 * (gelu as the Erf pattern, rrelu as LeakyRelu(11/48), softshrink as Shrink,
 * sine30 as Mul(30) then Sin). All memory here is this file's own: the model
 * struct is filled with pointers into one builder and released by it, not by
 * nx_onnx_model_free.
 *
 * The file carries a reference (nnfx.reference_*) so that any host can
 * `verify` it: a deterministic noise burst after an impulse, and what this
 * runtime computed for it in stream mode from silence (a C-built network has
 * no PyTorch output to store). Networks too costly to run for a few thousand
 * frames at build time get no reference.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "nnfx_recipe.h"
#include "onnx_model.h"

/* Everything the graph needs, counted generously from the recipe. */
typedef struct {
    nx_onnx_model m;
    int cap_nodes, cap_inits, cap_props;
    /* Owned blocks, freed at the end. */
    void **blocks;
    int n_blocks, cap_blocks;
    nnfx_result rc;
} builder;

static void *b_alloc(builder *b, size_t size)
{
    void *p;
    if (b->rc != NNFX_OK)
        return NULL;
    if (b->n_blocks == b->cap_blocks) {
        int cap = b->cap_blocks ? b->cap_blocks * 2 : 64;
        void **nb = (void **)nx_realloc(b->blocks, (size_t)cap * sizeof(void *));
        if (!nb) {
            b->rc = NNFX_ERR_NOMEM;
            return NULL;
        }
        b->blocks = nb;
        b->cap_blocks = cap;
    }
    p = nx_calloc(1, size ? size : 1);
    if (!p) {
        b->rc = NNFX_ERR_NOMEM;
        return NULL;
    }
    b->blocks[b->n_blocks++] = p;
    return p;
}

static char *b_str(builder *b, const char *s)
{
    size_t n = strlen(s);
    char *d = (char *)b_alloc(b, n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static void b_release(builder *b)
{
    int i;
    for (i = 0; i < b->n_blocks; i++)
        nx_free(b->blocks[i]);
    nx_free(b->blocks);
    b->blocks = NULL;
    b->n_blocks = b->cap_blocks = 0;
}

static nx_onnx_tensor *add_init(builder *b, const char *name, int ndim, const int64_t *dims)
{
    nx_onnx_tensor *t;
    int64_t count = 1;
    int i;
    if (b->rc != NNFX_OK || b->m.n_initializers >= b->cap_inits) {
        if (b->rc == NNFX_OK)
            b->rc = NNFX_ERR_LIMIT;
        return NULL;
    }
    t = &b->m.initializers[b->m.n_initializers++];
    t->name = b_str(b, name);
    t->dtype = NNFX_DT_FLOAT;
    t->ndim = ndim;
    for (i = 0; i < ndim; i++) {
        t->dims[i] = dims[i];
        count *= dims[i];
    }
    t->count = count;
    t->data = b_alloc(b, (size_t)count * sizeof(float));
    return t;
}

static nx_onnx_tensor *add_scalar(builder *b, const char *name, float v)
{
    nx_onnx_tensor *t = add_init(b, name, 0, NULL);
    if (t && t->data)
        ((float *)t->data)[0] = v;
    return t;
}

static nx_onnx_node *add_node(builder *b, const char *op, const char *name, const char *in0,
                                const char *in1, const char *in2, const char *out, int n_attrs)
{
    nx_onnx_node *n;
    const char *ins[3];
    int i, k = 0;
    if (b->rc != NNFX_OK || b->m.n_nodes >= b->cap_nodes) {
        if (b->rc == NNFX_OK)
            b->rc = NNFX_ERR_LIMIT;
        return NULL;
    }
    ins[0] = in0;
    ins[1] = in1;
    ins[2] = in2;
    n = &b->m.nodes[b->m.n_nodes++];
    n->name = b_str(b, name);
    n->op_type = b_str(b, op);
    n->domain = b_str(b, "");
    for (i = 0; i < 3; i++)
        if (ins[i])
            k = i + 1;
    n->n_inputs = k;
    n->inputs = (char **)b_alloc(b, (size_t)(k ? k : 1) * sizeof(char *));
    for (i = 0; n->inputs && i < k; i++)
        n->inputs[i] = b_str(b, ins[i]);
    n->n_outputs = 1;
    n->outputs = (char **)b_alloc(b, sizeof(char *));
    if (n->outputs)
        n->outputs[0] = b_str(b, out);
    n->n_attrs = 0;
    n->attrs = (nx_onnx_attr *)b_alloc(b, (size_t)(n_attrs ? n_attrs : 1) * sizeof(nx_onnx_attr));
    return n;
}

static nx_onnx_attr *next_attr(builder *b, nx_onnx_node *n, const char *name, int type)
{
    nx_onnx_attr *a;
    if (!n || !n->attrs)
        return NULL;
    a = &n->attrs[n->n_attrs++];
    a->name = b_str(b, name);
    a->type = type;
    return a;
}

static void attr_f(builder *b, nx_onnx_node *n, const char *name, float v)
{
    nx_onnx_attr *a = next_attr(b, n, name, NNFX_ATTR_FLOAT);
    if (a)
        a->f = v;
}

static void attr_i(builder *b, nx_onnx_node *n, const char *name, int64_t v)
{
    nx_onnx_attr *a = next_attr(b, n, name, NNFX_ATTR_INT);
    if (a)
        a->i = v;
}

static void attr_ints(builder *b, nx_onnx_node *n, const char *name, const int64_t *v, size_t k)
{
    nx_onnx_attr *a = next_attr(b, n, name, NNFX_ATTR_INTS);
    if (!a)
        return;
    a->ints = (int64_t *)b_alloc(b, k * sizeof(int64_t));
    if (a->ints)
        memcpy(a->ints, v, k * sizeof(int64_t));
    a->n = k;
}

static void add_prop(builder *b, const char *key, const char *value)
{
    nx_onnx_prop *p;
    if (b->rc != NNFX_OK || b->m.n_props >= b->cap_props) {
        if (b->rc == NNFX_OK)
            b->rc = NNFX_ERR_LIMIT;
        return;
    }
    if (!value) { /* an earlier allocation failed */
        if (b->rc == NNFX_OK)
            b->rc = NNFX_ERR_NOMEM;
        return;
    }
    p = &b->m.props[b->m.n_props++];
    p->key = b_str(b, key);
    p->value = b_str(b, value);
}

static void add_prop_long(builder *b, const char *key, long v)
{
    char s[32];
    snprintf(s, sizeof s, "%ld", v);
    add_prop(b, key, s);
}

/* ---- reference I/O ---- */

#define REF_FRAMES 4096
#define REF_MIN_FRAMES 256
#define REF_MAX_WORK 5.0e7 /* MACs spent on the reference at build time (tens of ms) */

static uint64_t ref_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Base64 (RFC 4648, padded) of n floats as little-endian bytes; returns a builder string. */
static char *b64_floats(builder *b, const float *v, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t nbytes = n * 4, olen = 4 * ((nbytes + 2) / 3), i, o = 0;
    char *out = (char *)b_alloc(b, olen + 1);
    uint8_t *bytes = (uint8_t *)b_alloc(b, nbytes + 1);
    if (!out || !bytes)
        return NULL;
    for (i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        bytes[4 * i] = (uint8_t)(u & 0xFF);
        bytes[4 * i + 1] = (uint8_t)((u >> 8) & 0xFF);
        bytes[4 * i + 2] = (uint8_t)((u >> 16) & 0xFF);
        bytes[4 * i + 3] = (uint8_t)(u >> 24);
    }
    for (i = 0; i + 2 < nbytes; i += 3) {
        uint32_t t = ((uint32_t)bytes[i] << 16) | ((uint32_t)bytes[i + 1] << 8) | bytes[i + 2];
        out[o++] = tab[(t >> 18) & 63];
        out[o++] = tab[(t >> 12) & 63];
        out[o++] = tab[(t >> 6) & 63];
        out[o++] = tab[t & 63];
    }
    if (i < nbytes) {
        uint32_t t = (uint32_t)bytes[i] << 16;
        if (i + 1 < nbytes)
            t |= (uint32_t)bytes[i + 1] << 8;
        out[o++] = tab[(t >> 18) & 63];
        out[o++] = tab[(t >> 12) & 63];
        out[o++] = i + 1 < nbytes ? tab[(t >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

/* Runs the serialized model on the reference input and adds the nnfx.reference_* keys.
   Returns NNFX_OK also when the network is too costly (no reference is added then). */
static nnfx_result add_reference(builder *b, const nnfx_random_recipe *r, const uint8_t *data,
                                 size_t size, nnfx_error *err)
{
    nnfx_config cfg = nnfx_config_init();
    nnfx_model *m = NULL;
    long macs = nnfx_random_macs_per_sample(r), L = REF_FRAMES, i;
    int c, cin = r->in_channels, cout = r->out_channels;
    float *x, *y;
    const float *ip[2];
    float *op[2];
    double peak = 0.0;
    char tol[40], len[24];
    nnfx_result rc;
    if (macs > 0 && (double)macs * (double)L > REF_MAX_WORK)
        L = (long)(REF_MAX_WORK / (double)macs);
    if (L < REF_MIN_FRAMES)
        return NNFX_OK;
    cfg.max_block = 4096;
    rc = nnfx_model_load_memory(data, size, &cfg, &m, err);
    if (rc != NNFX_OK)
        return rc;
    x = (float *)b_alloc(b, (size_t)(cin * L) * sizeof(float));
    y = (float *)b_alloc(b, (size_t)(cout * L) * sizeof(float));
    if (!x || !y) {
        nnfx_model_free(m);
        return nx_set_error(err, NNFX_ERR_NOMEM, "random build: out of memory for the reference");
    }
    for (c = 0; c < cin; c++) {
        uint64_t key = ref_mix(0x6E6E66785265664FULL + (uint64_t)c);
        for (i = 0; i < L; i++) {
            uint64_t u = ref_mix(key + (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ULL) >> 40;
            x[c * L + i] = (float)(((double)u * (1.0 / 16777216.0) - 0.5) * 0.8);
        }
        x[c * L] = 0.9f; /* an impulse first */
    }
    for (c = 0; c < cin; c++)
        ip[c] = x + c * L;
    for (c = 0; c < cout; c++)
        op[c] = y + c * L;
    rc = nnfx_model_process(m, ip, op, (int)L);
    nnfx_model_free(m);
    if (rc != NNFX_OK)
        return nx_set_error(err, rc, "random build: running the reference failed");
    for (i = 0; i < cout * L; i++)
        if (fabs((double)y[i]) > peak)
            peak = fabs((double)y[i]);
    if (!(peak < 1e30)) /* a network that overflows float32 gets no reference */
        return NNFX_OK;
    snprintf(len, sizeof len, "%ld", L);
    /* Same convention as the exporter: 1e-4 relative to the output's peak (at least 1). */
    snprintf(tol, sizeof tol, "%.9g", 1e-4 * (peak > 1.0 ? peak : 1.0));
    add_prop(b, "nnfx.reference_input", b64_floats(b, x, (size_t)(cin * L)));
    add_prop(b, "nnfx.reference_output", b64_floats(b, y, (size_t)(cout * L)));
    add_prop(b, "nnfx.reference_params", "[]");
    add_prop(b, "nnfx.reference_length", len);
    add_prop(b, "nnfx.reference_tolerance", tol);
    return b->rc;
}

/* Appends the activation after `x`; returns the name of its output (in `out`). */
static void add_activation(builder *b, nnfx_activation act, int l, const char *x, char *out,
                           size_t cap)
{
    char nm[64], t1[64], t2[64], t3[64], t4[64], c1[64], c2[64], c3[64];
    nx_onnx_node *n;
    snprintf(out, cap, "act%d", l);
    snprintf(nm, sizeof nm, "act%d", l);
    switch (act) {
    case NNFX_ACT_LINEAR:
        snprintf(out, cap, "%s", x);
        return;
    case NNFX_ACT_LEAKYRELU:
    case NNFX_ACT_RRELU:
        n = add_node(b, "LeakyRelu", nm, x, NULL, NULL, out, 1);
        attr_f(b, n, "alpha", act == NNFX_ACT_LEAKYRELU ? 0.2f : (float)(11.0 / 48.0));
        return;
    case NNFX_ACT_TANH:
        add_node(b, "Tanh", nm, x, NULL, NULL, out, 0);
        return;
    case NNFX_ACT_SIGMOID:
        add_node(b, "Sigmoid", nm, x, NULL, NULL, out, 0);
        return;
    case NNFX_ACT_RELU:
        add_node(b, "Relu", nm, x, NULL, NULL, out, 0);
        return;
    case NNFX_ACT_ELU:
        n = add_node(b, "Elu", nm, x, NULL, NULL, out, 1);
        attr_f(b, n, "alpha", 1.0f);
        return;
    case NNFX_ACT_SELU:
        n = add_node(b, "Selu", nm, x, NULL, NULL, out, 2);
        attr_f(b, n, "alpha", 1.67326319217681884765625f);
        attr_f(b, n, "gamma", 1.05070102214813232421875f);
        return;
    case NNFX_ACT_GELU:
        /* 0.5 * x * (1 + erf(x / sqrt(2))), as torch exports it at opset 17. */
        snprintf(c1, sizeof c1, "gelu%d_sqrt2", l);
        snprintf(c2, sizeof c2, "gelu%d_one", l);
        snprintf(c3, sizeof c3, "gelu%d_half", l);
        add_scalar(b, c1, 1.4142135381698608f);
        add_scalar(b, c2, 1.0f);
        add_scalar(b, c3, 0.5f);
        snprintf(t1, sizeof t1, "gelu%d_div", l);
        snprintf(t2, sizeof t2, "gelu%d_erf", l);
        snprintf(t3, sizeof t3, "gelu%d_add", l);
        snprintf(t4, sizeof t4, "gelu%d_mul", l);
        add_node(b, "Div", t1, x, c1, NULL, t1, 0);
        add_node(b, "Erf", t2, t1, NULL, NULL, t2, 0);
        add_node(b, "Add", t3, t2, c2, NULL, t3, 0);
        add_node(b, "Mul", t4, x, t3, NULL, t4, 0);
        add_node(b, "Mul", nm, t4, c3, NULL, out, 0);
        return;
    case NNFX_ACT_SOFTPLUS:
        add_node(b, "Softplus", nm, x, NULL, NULL, out, 0);
        return;
    case NNFX_ACT_SOFTSHRINK:
        n = add_node(b, "Shrink", nm, x, NULL, NULL, out, 2);
        attr_f(b, n, "bias", 0.5f);
        attr_f(b, n, "lambd", 0.5f);
        return;
    case NNFX_ACT_SINE:
        add_node(b, "Sin", nm, x, NULL, NULL, out, 0);
        return;
    case NNFX_ACT_SINE30:
        snprintf(c1, sizeof c1, "sine%d_30", l);
        snprintf(t1, sizeof t1, "sine%d_mul", l);
        add_scalar(b, c1, 30.0f);
        add_node(b, "Mul", t1, x, c1, NULL, t1, 0);
        add_node(b, "Sin", nm, t1, NULL, NULL, out, 0);
        return;
    default:
        b->rc = NNFX_ERR_INVALID_ARG;
        return;
    }
}

static void set_io(nx_onnx_value_info *v, char *name, int64_t c, int64_t t)
{
    v->name = name;
    v->elem_type = NNFX_DT_FLOAT;
    v->ndim = 3;
    v->dims[0] = 1;
    v->dims[1] = c;
    v->dims[2] = t;
}

nnfx_result nnfx_random_build(const nnfx_random_recipe *r, int block_size, double sample_rate,
                              uint8_t **out_data, size_t *out_size, nnfx_error *err)
{
    builder b;
    nnfx_result rc;
    long rf;
    int l, L;
    char cur[64], next[64], nm[64], wname[64], bname[64], text[1024];
    if (out_data)
        *out_data = NULL;
    if (out_size)
        *out_size = 0;
    if (!out_data || !out_size)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "random build: NULL output pointer");
    rc = nnfx_random_recipe_validate(r, err);
    if (rc != NNFX_OK)
        return rc;
    if (block_size < 1 || block_size > 65536)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "random build: block size %d is out of range 1-65536", block_size);
    if (!(sample_rate > 0.0 && sample_rate <= 1e6))
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "random build: sample rate %g is out of range (0, 1e6] Hz",
                              sample_rate);
    rf = nnfx_random_receptive_field(r);
    L = r->layers;
    memset(&b, 0, sizeof b);
    b.rc = NNFX_OK;
    b.cap_nodes = 6 * L + 4;
    b.cap_inits = 2 * L + 3 * L + 4;
    b.cap_props = 24;
    b.m.ir_version = 8;
    b.m.opset = 17;
    b.m.producer_name = b_str(&b, "nnfx-c");
    b.m.graph_name = b_str(&b, "random_tcn");
    b.m.nodes = (nx_onnx_node *)b_alloc(&b, (size_t)b.cap_nodes * sizeof(nx_onnx_node));
    b.m.initializers =
        (nx_onnx_tensor *)b_alloc(&b, (size_t)b.cap_inits * sizeof(nx_onnx_tensor));
    b.m.props = (nx_onnx_prop *)b_alloc(&b, (size_t)b.cap_props * sizeof(nx_onnx_prop));
    b.m.inputs = (nx_onnx_value_info *)b_alloc(&b, sizeof(nx_onnx_value_info));
    b.m.outputs = (nx_onnx_value_info *)b_alloc(&b, sizeof(nx_onnx_value_info));
    if (b.rc != NNFX_OK)
        goto fail;
    b.m.n_inputs = b.m.n_outputs = 1;
    set_io(&b.m.inputs[0], b_str(&b, "audio_in"), r->in_channels, rf - 1 + block_size);
    set_io(&b.m.outputs[0], b_str(&b, "audio_out"), r->out_channels, block_size);

    snprintf(cur, sizeof cur, "audio_in");
    if (r->in_gain_db != 0.0) {
        add_scalar(&b, "in_gain", (float)pow(10.0, r->in_gain_db / 20.0));
        add_node(&b, "Mul", "in_gain_mul", cur, "in_gain", NULL, "in_gained", 0);
        snprintf(cur, sizeof cur, "in_gained");
    }
    for (l = 0; l < L && b.rc == NNFX_OK; l++) {
        int cout, cin_g, groups;
        long d;
        int64_t wdims[3], k1[1], pads[2], one[1], dil[1];
        nx_onnx_tensor *w, *bias = NULL;
        nx_onnx_node *n;
        nnfx_random_layer_shape(r, l, &cout, &cin_g, &groups, &d);
        wdims[0] = cout;
        wdims[1] = cin_g;
        wdims[2] = r->kernel;
        snprintf(wname, sizeof wname, "conv%d.weight", l);
        snprintf(bname, sizeof bname, "conv%d.bias", l);
        w = add_init(&b, wname, 3, wdims);
        if (r->bias)
            bias = add_init(&b, bname, 1, wdims);
        if (b.rc != NNFX_OK)
            break;
        rc = nnfx_random_layer_weights(r, l, (float *)w->data, bias ? (float *)bias->data : NULL,
                                       err);
        if (rc != NNFX_OK) {
            b_release(&b);
            return rc;
        }
        snprintf(nm, sizeof nm, "conv%d", l);
        if (l == L - 1 && r->out_gain_db == 0.0)
            snprintf(next, sizeof next, "audio_out");
        else
            snprintf(next, sizeof next, "conv%d_out", l);
        n = add_node(&b, "Conv", nm, cur, wname, r->bias ? bname : NULL, next, 5);
        k1[0] = r->kernel;
        pads[0] = pads[1] = 0;
        one[0] = 1;
        dil[0] = (int64_t)d;
        attr_ints(&b, n, "dilations", dil, 1);
        attr_i(&b, n, "group", groups);
        attr_ints(&b, n, "kernel_shape", k1, 1);
        attr_ints(&b, n, "pads", pads, 2);
        attr_ints(&b, n, "strides", one, 1);
        snprintf(cur, sizeof cur, "%s", next);
        if (l < L - 1) {
            add_activation(&b, r->activation, l, cur, next, sizeof next);
            snprintf(cur, sizeof cur, "%s", next);
        }
    }
    if (b.rc == NNFX_OK && r->out_gain_db != 0.0) {
        add_scalar(&b, "out_gain", (float)pow(10.0, r->out_gain_db / 20.0));
        add_node(&b, "Mul", "out_gain_mul", cur, "out_gain", NULL, "audio_out", 0);
    }

    add_prop(&b, "nnfx.format_version", "1");
    snprintf(text, sizeof text, "%.17g", sample_rate);
    add_prop(&b, "nnfx.sample_rate", text);
    add_prop_long(&b, "nnfx.block_size", block_size);
    add_prop_long(&b, "nnfx.lookback", rf - 1);
    add_prop_long(&b, "nnfx.receptive_field", rf);
    add_prop_long(&b, "nnfx.in_channels", r->in_channels);
    add_prop_long(&b, "nnfx.out_channels", r->out_channels);
    add_prop(&b, "nnfx.latency", "0");
    add_prop(&b, "nnfx.params", "[]");
    nnfx_random_architecture_json(r, text, sizeof text);
    add_prop(&b, "nnfx.architecture", text);
    snprintf(text, sizeof text, "random %s/%s seed %lu",
             nnfx_activation_name(r->activation), nnfx_init_name(r->init),
             (unsigned long)r->seed);
    add_prop(&b, "nnfx.name", text);
    add_prop(&b, "nnfx.description",
             "randomized TCN built by the nnfx C designer (docs/random-networks.md)");
    add_prop_long(&b, "nnfx.parameter_count", nnfx_random_parameter_count(r));
    add_prop_long(&b, "nnfx.macs_per_sample", nnfx_random_macs_per_sample(r));
    add_prop(&b, "nnfx.exporter", "nnfx-c " NNFX_VERSION_STRING);
    if (b.rc != NNFX_OK)
        goto fail;
    rc = nx_onnx_model_serialize(&b.m, out_data, out_size, err);
    if (rc == NNFX_OK) {
        /* Second pass: the reference computed from the file just written. */
        uint8_t *first = *out_data;
        size_t first_size = *out_size;
        int props_before = b.m.n_props;
        rc = add_reference(&b, r, first, first_size, err);
        if (rc == NNFX_OK && b.m.n_props > props_before) {
            *out_data = NULL;
            *out_size = 0;
            rc = nx_onnx_model_serialize(&b.m, out_data, out_size, err);
            nx_free(first);
        } else if (rc != NNFX_OK) {
            nx_free(first);
            *out_data = NULL;
            *out_size = 0;
        }
    }
    b_release(&b);
    return rc;
fail:
    rc = b.rc;
    b_release(&b);
    return nx_set_error(err, rc, "random build: %s while building the graph",
                          rc == NNFX_ERR_NOMEM ? "out of memory" : "internal capacity exceeded");
}

void nnfx_free_bytes(void *p) { nx_free(p); }
