/*
 * random_net.c - the random-network recipe and its weight generator
 * (docs/random-networks.md), and the builder of a complete model file.
 *
 * MUST be compiled with -ffp-contract=off: every double operation of the
 * generator rounds as the spec says, so that the weights are bit-identical to
 * nnfx.exporter.random_weights (numpy). Only integer arithmetic, + - * / and
 * sqrt are used for weights; pow() only for the gains, as the spec says.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "nnfx_recipe.h"
#include "onnx_model.h"

#define GAMMA 0x9E3779B97F4A7C15ULL
#define MAX_RF (1L << 22)
#define GENERATOR "nnfx-splitmix64-irwinhall-1"

static const char *const k_act_names[NNFX_ACT_COUNT] = {
    "linear", "leakyrelu", "tanh", "sigmoid", "relu", "elu", "selu",
    "gelu", "rrelu", "softplus", "softshrink", "sine", "sine30"};
static const char *const k_init_names[NNFX_INIT_COUNT] = {
    "normal", "uniform", "uniform1", "xavier_normal", "xavier_uniform",
    "kaiming_normal", "kaiming_uniform", "orthogonal", "dirac"};

/* ---- recipe ------------------------------------------------------------ */

nnfx_random_recipe nnfx_random_recipe_init(void)
{
    nnfx_random_recipe r;
    r.layers = 6;
    r.kernel = 3;
    r.channels = 8;
    r.growth = 2;
    r.activation = NNFX_ACT_TANH;
    r.init = NNFX_INIT_NORMAL;
    r.bias = 0;
    r.depthwise = 0;
    r.in_channels = 1;
    r.out_channels = 1;
    r.in_gain_db = 0.0;
    r.out_gain_db = 0.0;
    r.seed = 42;
    return r;
}

const char *nnfx_activation_name(nnfx_activation a)
{
    return ((int)a >= 0 && a < NNFX_ACT_COUNT) ? k_act_names[a] : NULL;
}

const char *nnfx_init_name(nnfx_init i)
{
    return ((int)i >= 0 && i < NNFX_INIT_COUNT) ? k_init_names[i] : NULL;
}

int nnfx_activation_from_name(const char *name)
{
    int i;
    for (i = 0; name && i < NNFX_ACT_COUNT; i++)
        if (strcmp(name, k_act_names[i]) == 0)
            return i;
    return -1;
}

int nnfx_init_from_name(const char *name)
{
    int i;
    for (i = 0; name && i < NNFX_INIT_COUNT; i++)
        if (strcmp(name, k_init_names[i]) == 0)
            return i;
    return -1;
}

const char *nnfx_activation_names(void)
{
    return "linear, leakyrelu, tanh, sigmoid, relu, elu, selu, gelu, rrelu, softplus, "
           "softshrink, sine, sine30";
}

const char *nnfx_init_names(void)
{
    return "normal, uniform, uniform1, xavier_normal, xavier_uniform, kaiming_normal, "
           "kaiming_uniform, orthogonal, dirac";
}

typedef struct {
    const char *key;
    long lo, hi;
} int_key;

static const int_key k_int_keys[] = {
    {"layers", 1, 24},     {"kernel", 1, 64},      {"channels", 1, 64},
    {"growth", 1, 4},      {"bias", 0, 1},         {"depthwise", 0, 1},
    {"in_channels", 1, 2}, {"out_channels", 1, 2}, {"seed", 0, 16777215L}};

static int *int_field(nnfx_random_recipe *r, const char *key)
{
    if (!strcmp(key, "layers")) return &r->layers;
    if (!strcmp(key, "kernel")) return &r->kernel;
    if (!strcmp(key, "channels")) return &r->channels;
    if (!strcmp(key, "growth")) return &r->growth;
    if (!strcmp(key, "bias")) return &r->bias;
    if (!strcmp(key, "depthwise")) return &r->depthwise;
    if (!strcmp(key, "in_channels")) return &r->in_channels;
    if (!strcmp(key, "out_channels")) return &r->out_channels;
    return NULL;
}

long nnfx_random_receptive_field(const nnfx_random_recipe *r)
{
    long rf = 1, d = 1;
    int l;
    if (!r || r->layers < 1 || r->layers > 24 || r->kernel < 1 || r->kernel > 64 ||
        r->growth < 1 || r->growth > 4)
        return 0;
    for (l = 0; l < r->layers; l++) {
        rf += (long)(r->kernel - 1) * d;
        if (rf > MAX_RF * 2L) /* far beyond the limit: stop before overflowing */
            return rf;
        d *= r->growth;
    }
    return rf;
}

nnfx_result nnfx_random_recipe_validate(const nnfx_random_recipe *r, nnfx_error *err)
{
    size_t i;
    long rf;
    nnfx_random_recipe c;
    if (!r)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "random recipe: NULL recipe");
    c = *r;
    for (i = 0; i < sizeof k_int_keys / sizeof k_int_keys[0]; i++) {
        long v = strcmp(k_int_keys[i].key, "seed") == 0 ? (long)c.seed
                                                         : (long)*int_field(&c, k_int_keys[i].key);
        if (v < k_int_keys[i].lo || v > k_int_keys[i].hi)
            return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                                  "random recipe: %s = %ld is out of range %ld-%ld",
                                  k_int_keys[i].key, v, k_int_keys[i].lo, k_int_keys[i].hi);
    }
    if (!(r->in_gain_db >= -60.0 && r->in_gain_db <= 60.0))
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "random recipe: in_gain_db = %g is out of range -60...60 dB",
                              r->in_gain_db);
    if (!(r->out_gain_db >= -60.0 && r->out_gain_db <= 60.0))
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "random recipe: out_gain_db = %g is out of range -60...60 dB",
                              r->out_gain_db);
    if (!nnfx_activation_name(r->activation))
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "random recipe: activation %d is not one of: %s", (int)r->activation,
                              nnfx_activation_names());
    if (!nnfx_init_name(r->init))
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "random recipe: init %d is not one of: %s", (int)r->init,
                              nnfx_init_names());
    rf = nnfx_random_receptive_field(r);
    if (rf > MAX_RF)
        return nx_set_error(err, NNFX_ERR_LIMIT,
                              "random recipe: receptive field %ld frames exceeds %ld (kernel %d, "
                              "growth %d, %d layers): use fewer layers, a smaller kernel or a "
                              "smaller growth",
                              rf, MAX_RF, r->kernel, r->growth, r->layers);
    return NNFX_OK;
}

nnfx_result nnfx_random_recipe_set(nnfx_random_recipe *r, const char *key, const char *sval,
                                   double fval, nnfx_error *err)
{
    size_t i;
    if (!r || !key)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "random: NULL argument");
    if (!strcmp(key, "in"))
        key = "in_channels";
    else if (!strcmp(key, "out"))
        key = "out_channels";
    if (!strcmp(key, "activation") || !strcmp(key, "init")) {
        int is_act = key[0] == 'a';
        int v = is_act ? nnfx_activation_from_name(sval) : nnfx_init_from_name(sval);
        if (v < 0) {
            char shown[64];
            if (sval)
                snprintf(shown, sizeof shown, "'%s'", sval);
            else
                snprintf(shown, sizeof shown, "%g", fval);
            return nx_set_error(err, NNFX_ERR_INVALID_ARG, "random: %s %s is not one of: %s",
                                  key, shown, is_act ? nnfx_activation_names() : nnfx_init_names());
        }
        if (is_act)
            r->activation = (nnfx_activation)v;
        else
            r->init = (nnfx_init)v;
        return NNFX_OK;
    }
    if (!strcmp(key, "in_gain_db") || !strcmp(key, "out_gain_db")) {
        if (sval)
            return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                                  "random: %s needs a number -60...60 dB, got '%s'", key, sval);
        if (!(fval >= -60.0 && fval <= 60.0))
            return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                                  "random: %s = %g is out of range -60...60 dB", key, fval);
        if (key[0] == 'i')
            r->in_gain_db = fval;
        else
            r->out_gain_db = fval;
        return NNFX_OK;
    }
    for (i = 0; i < sizeof k_int_keys / sizeof k_int_keys[0]; i++) {
        const int_key *k = &k_int_keys[i];
        if (strcmp(key, k->key) != 0)
            continue;
        if (sval)
            return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                                  "random: %s needs an integer %ld-%ld, got '%s'", key, k->lo,
                                  k->hi, sval);
        if (!(fval >= (double)k->lo && fval <= (double)k->hi))
            return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                                  "random: %s = %g is out of range %ld-%ld", key, fval, k->lo,
                                  k->hi);
        if (fval != floor(fval))
            return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                                  "random: %s = %g must be an integer %ld-%ld", key, fval, k->lo,
                                  k->hi);
        if (!strcmp(key, "seed"))
            r->seed = (uint32_t)fval;
        else
            *int_field(r, key) = (int)fval;
        return NNFX_OK;
    }
    return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                          "random: unknown key '%s' (keys: layers kernel channels growth "
                          "activation init bias depthwise seed in out in_gain_db out_gain_db)",
                          key);
}

nnfx_result nnfx_random_layer_shape(const nnfx_random_recipe *r, int layer, int *cout,
                                    int *cin_g, int *groups, long *dilation)
{
    int cin, co, g, l;
    long d = 1;
    if (!r || layer < 0 || layer >= r->layers || r->growth < 1 || r->channels < 1)
        return NNFX_ERR_INVALID_ARG;
    cin = layer == 0 ? r->in_channels : r->channels;
    co = layer == r->layers - 1 ? r->out_channels : r->channels;
    g = (r->depthwise && layer > 0 && layer < r->layers - 1) ? r->channels : 1;
    for (l = 0; l < layer; l++)
        d *= r->growth;
    if (cout) *cout = co;
    if (cin_g) *cin_g = cin / g;
    if (groups) *groups = g;
    if (dilation) *dilation = d;
    return NNFX_OK;
}

long nnfx_random_parameter_count(const nnfx_random_recipe *r)
{
    long n = 0;
    int l, co, cig;
    if (!r)
        return 0;
    for (l = 0; l < r->layers; l++) {
        if (nnfx_random_layer_shape(r, l, &co, &cig, NULL, NULL) != NNFX_OK)
            return 0;
        n += (long)co * cig * r->kernel + (r->bias ? co : 0);
    }
    return n;
}

long nnfx_random_macs_per_sample(const nnfx_random_recipe *r)
{
    long n = 0;
    int l, co, cig;
    if (!r)
        return 0;
    for (l = 0; l < r->layers; l++) {
        if (nnfx_random_layer_shape(r, l, &co, &cig, NULL, NULL) != NNFX_OK)
            return 0;
        n += (long)co * cig * r->kernel;
    }
    return n;
}

/* Shortest decimal that reads back to the same double, with ".0" on integers (as Python). */
static void fmt_double(double v, char *buf, size_t cap)
{
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(buf, cap, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (!strpbrk(buf, ".eEn") && strlen(buf) + 3 <= cap)
        strcat(buf, ".0");
}

int nnfx_random_architecture_json(const nnfx_random_recipe *r, char *buf, size_t cap)
{
    char gi[40], go[40];
    fmt_double(r->in_gain_db, gi, sizeof gi);
    fmt_double(r->out_gain_db, go, sizeof go);
    return snprintf(buf, cap,
                    "{\"kind\": \"random_tcn\", \"recipe\": {\"layers\": %d, \"kernel\": %d, "
                    "\"channels\": %d, \"growth\": %d, \"activation\": \"%s\", \"init\": \"%s\", "
                    "\"bias\": %d, \"depthwise\": %d, \"in_channels\": %d, \"out_channels\": %d, "
                    "\"in_gain_db\": %s, \"out_gain_db\": %s, \"seed\": %lu}, "
                    "\"generator\": \"" GENERATOR "\"}",
                    r->layers, r->kernel, r->channels, r->growth,
                    nnfx_activation_name(r->activation) ? nnfx_activation_name(r->activation) : "?",
                    nnfx_init_name(r->init) ? nnfx_init_name(r->init) : "?", r->bias,
                    r->depthwise, r->in_channels, r->out_channels, gi, go,
                    (unsigned long)r->seed);
}

/* ---- the generator ----------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t stream_key(uint32_t seed, int layer, int tensor)
{
    return mix64((uint64_t)seed ^ mix64((uint64_t)(4 * layer + tensor + 1)));
}

/* U_j = r_j >> 40 (24-bit integer). */
static uint64_t uint24(uint64_t key, uint64_t j)
{
    return mix64(key + (j + 1) * GAMMA) >> 40;
}

static double uniform01(uint64_t key, uint64_t j)
{
    return (double)uint24(key, j) * (1.0 / 16777216.0); /* exact: power of two */
}

static double normal(uint64_t key, uint64_t j)
{
    int64_t s = 0;
    int i;
    for (i = 0; i < 12; i++)
        s += (int64_t)uint24(key, 12 * j + (uint64_t)i);
    s -= (int64_t)6 << 24;
    return (double)s * (1.0 / 16777216.0);
}

static double uniform_on(uint64_t key, uint64_t j, double a, double b)
{
    double width = b - a;
    double prod = width * uniform01(key, j);
    return a + prod;
}

static double seq_dot(const double *a, const double *b, long n, long stride)
{
    double s = 0.0;
    long i;
    for (i = 0; i < n; i++) {
        double p = a[i * stride] * b[i * stride];
        s += p;
    }
    return s;
}

/* Modified Gram-Schmidt over nvec vectors of length len; vector p element i is
   m[p * vstride + i * estride]. Zero (norm < 1e-12) vectors are skipped as q. */
static void orthonormalise(double *m, long nvec, long len, long vstride, long estride)
{
    long p, q, i;
    for (p = 0; p < nvec; p++) {
        double *v = m + p * vstride;
        double norm;
        for (q = 0; q < p; q++) {
            const double *u = m + q * vstride;
            double d;
            if (u[0] == 0.0 && seq_dot(u, u, len, estride) == 0.0)
                continue; /* a zeroed vector: no projection (as the reference does) */
            d = seq_dot(u, v, len, estride);
            for (i = 0; i < len; i++) {
                double t = d * u[i * estride];
                v[i * estride] = v[i * estride] - t;
            }
        }
        norm = sqrt(seq_dot(v, v, len, estride));
        if (norm < 1e-12) {
            for (i = 0; i < len; i++)
                v[i * estride] = 0.0;
        } else {
            for (i = 0; i < len; i++)
                v[i * estride] = v[i * estride] / norm;
        }
    }
}

nnfx_result nnfx_random_layer_weights(const nnfx_random_recipe *r, int layer, float *weight,
                                      float *bias, nnfx_error *err)
{
    int cout, cin_g, k, o;
    long n, j, fan_in, fan_out;
    uint64_t key;
    nnfx_result rc = nnfx_random_recipe_validate(r, err);
    if (rc != NNFX_OK)
        return rc;
    if (nnfx_random_layer_shape(r, layer, &cout, &cin_g, NULL, NULL) != NNFX_OK || !weight)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "random: layer %d out of range 0-%d (or NULL weight)", layer,
                              r->layers - 1);
    k = r->kernel;
    n = (long)cout * cin_g * k;
    fan_in = (long)cin_g * k;
    fan_out = (long)cout * k;
    key = stream_key(r->seed, layer, 0);
    switch (r->init) {
    case NNFX_INIT_NORMAL:
        for (j = 0; j < n; j++)
            weight[j] = (float)normal(key, (uint64_t)j);
        break;
    case NNFX_INIT_UNIFORM:
        for (j = 0; j < n; j++)
            weight[j] = (float)uniform_on(key, (uint64_t)j, -0.25, 0.25);
        break;
    case NNFX_INIT_UNIFORM1:
        for (j = 0; j < n; j++)
            weight[j] = (float)uniform_on(key, (uint64_t)j, -1.0, 1.0);
        break;
    case NNFX_INIT_XAVIER_NORMAL:
    case NNFX_INIT_KAIMING_NORMAL: {
        double s = r->init == NNFX_INIT_XAVIER_NORMAL ? sqrt(2.0 / (double)(fan_in + fan_out))
                                                      : sqrt(2.0 / (double)fan_in);
        for (j = 0; j < n; j++)
            weight[j] = (float)(s * normal(key, (uint64_t)j));
        break;
    }
    case NNFX_INIT_XAVIER_UNIFORM:
    case NNFX_INIT_KAIMING_UNIFORM: {
        double b = r->init == NNFX_INIT_XAVIER_UNIFORM ? sqrt(6.0 / (double)(fan_in + fan_out))
                                                       : sqrt(6.0 / (double)fan_in);
        for (j = 0; j < n; j++)
            weight[j] = (float)uniform_on(key, (uint64_t)j, -b, b);
        break;
    }
    case NNFX_INIT_ORTHOGONAL: {
        long rows = cout, cols = fan_in;
        double *m = (double *)nx_malloc((size_t)n * sizeof(double));
        if (!m)
            return nx_set_error(err, NNFX_ERR_NOMEM,
                                  "random: out of memory for layer %d's orthogonal init", layer);
        for (j = 0; j < n; j++)
            m[j] = normal(key, (uint64_t)j);
        if (rows <= cols)
            orthonormalise(m, rows, cols, cols, 1); /* rows are the vectors */
        else
            orthonormalise(m, cols, rows, 1, cols); /* columns are the vectors */
        for (j = 0; j < n; j++)
            weight[j] = (float)m[j];
        nx_free(m);
        break;
    }
    case NNFX_INIT_DIRAC:
        for (j = 0; j < n; j++)
            weight[j] = 0.0f;
        for (o = 0; o < cout; o++)
            weight[((long)o * cin_g + o % cin_g) * k + (k - 1) / 2] = 1.0f;
        break;
    default:
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "random: unknown init %d", (int)r->init);
    }
    if (bias) {
        if (!r->bias || r->init == NNFX_INIT_DIRAC) {
            for (o = 0; o < cout; o++)
                bias[o] = 0.0f;
        } else {
            double b = 1.0 / sqrt((double)fan_in);
            uint64_t bkey = stream_key(r->seed, layer, 1);
            for (o = 0; o < cout; o++)
                bias[o] = (float)uniform_on(bkey, (uint64_t)o, -b, b);
        }
    }
    return NNFX_OK;
}
