/*
 * model.c - the public model API of nnfx.h: load (file/memory), metadata checks, knobs,
 * info, verify against the embedded reference, free. Planning is in plan.c, running in
 * exec.c.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200112L /* stat() */
#endif
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "engine.h"
#include "json.h"

#define NX_MAX_BLOCK_LIMIT (1 << 20)

/* Strict decimal integer (optional sign, digits only). Returns 1 on success. */
static int parse_int(const char *s, long long *out)
{
    char *end;
    long long v;
    if (!s || !*s)
        return 0;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || end == s)
        return 0;
    *out = v;
    return 1;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    double v;
    if (!s || !*s)
        return 0;
    errno = 0;
    v = strtod(s, &end);
    if (errno || *end || end == s || !(v == v) || v > 1e300 || v < -1e300)
        return 0;
    *out = v;
    return 1;
}

static nnfx_result meta_int(const nx_onnx_model *om, const char *key, int required,
                            long long lo, long long hi, long long *out, nnfx_error *err)
{
    const char *s = nx_onnx_prop_get(om, key);
    if (!s) {
        if (required)
            return nx_set_error(err, NNFX_ERR_FORMAT, "required metadata '%s' is missing", key);
        return NNFX_OK;
    }
    if (!parse_int(s, out) || *out < lo || *out > hi)
        return nx_set_error(err, NNFX_ERR_FORMAT,
                              "metadata '%s' = '%.40s': expected an integer in [%lld, %lld]", key,
                              s, lo, hi);
    return NNFX_OK;
}

/* ------------------------------------------------------------ knobs */

static nnfx_result load_params(nnfx_model *m, const nx_onnx_model *om, nnfx_error *err)
{
    const char *txt = nx_onnx_prop_get(om, "nnfx.params");
    nx_json *j = NULL;
    const nx_json *it;
    int i;
    nnfx_result r;
    m->P = m->params >= 0 ? (int)m->v[m->params].dims[1] : 0;
    if (!txt) {
        if (m->P > 0)
            return nx_set_error(err, NNFX_ERR_FORMAT,
                                  "the graph has %d knobs (input 'params') but metadata "
                                  "'nnfx.params' is missing", m->P);
        return NNFX_OK;
    }
    r = nx_json_parse(txt, strlen(txt), &j, err);
    if (r)
        return nx_error_prefix(err, "metadata 'nnfx.params': ");
    if (j->type != NNFX_JSON_ARRAY) {
        nx_json_free(j);
        return nx_set_error(err, NNFX_ERR_FORMAT, "metadata 'nnfx.params' is not a JSON list");
    }
    if ((int)j->count != m->P) {
        int cnt = (int)j->count;
        nx_json_free(j);
        return nx_set_error(err, NNFX_ERR_FORMAT,
                              "metadata 'nnfx.params' lists %d knobs but input 'params' has %d",
                              cnt, m->P);
    }
    if (m->P == 0) {
        nx_json_free(j);
        return NNFX_OK;
    }
    m->pinfo = (nnfx_param_info *)nx_calloc((size_t)m->P, sizeof *m->pinfo);
    m->pvals = (float *)nx_calloc((size_t)m->P, sizeof(float));
    if (!m->pinfo || !m->pvals) {
        nx_json_free(j);
        return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory");
    }
    /* Every refusal below formats its message while the JSON tree (which owns the knob's name)
       is still alive, then leaves through `done`, the one place that frees it. */
    r = NNFX_OK;
    for (i = 0, it = j->child; it; it = it->next, i++) {
        const nx_json *nm = nx_json_get(it, "name"), *mn = nx_json_get(it, "min");
        const nx_json *mx = nx_json_get(it, "max"), *df = nx_json_get(it, "default");
        const nx_json *un = nx_json_get(it, "unit");
        nnfx_param_info *p = &m->pinfo[i];
        int k;
        if (!nm || nm->type != NNFX_JSON_STRING || !mn || mn->type != NNFX_JSON_NUMBER || !mx ||
            mx->type != NNFX_JSON_NUMBER || !df || df->type != NNFX_JSON_NUMBER ||
            (un && un->type != NNFX_JSON_STRING)) {
            r = nx_set_error(err, NNFX_ERR_FORMAT,
                             "metadata 'nnfx.params' entry %d: needs string \"name\", "
                             "numbers \"min\", \"max\", \"default\" (and string \"unit\")",
                             i);
            goto done;
        }
        if (!(fabs(mn->number) <= 3e38 && fabs(mx->number) <= 3e38 &&
              fabs(df->number) <= 3e38)) {
            r = nx_set_error(err, NNFX_ERR_FORMAT,
                             "metadata 'nnfx.params' entry %d ('%s'): min, max and default must "
                             "be finite float32 values (|x| <= 3e38)", i, nm->string);
            goto done;
        }
        if (!(mn->number <= df->number && df->number <= mx->number)) {
            r = nx_set_error(err, NNFX_ERR_FORMAT,
                             "metadata 'nnfx.params' entry %d ('%s'): need min <= default "
                             "<= max (min %g, default %g, max %g)", i, nm->string, mn->number,
                             df->number, mx->number);
            goto done;
        }
        for (k = 0; k < i; k++)
            if (strcmp(m->pinfo[k].name, nm->string) == 0) {
                r = nx_set_error(err, NNFX_ERR_FORMAT,
                                 "metadata 'nnfx.params' entries %d and %d have the same name "
                                 "'%s': knob names must be unique", k, i, nm->string);
                goto done;
            }
        p->name = nx_strdup(nm->string);
        p->unit = nx_strdup(un ? un->string : "");
        if (!p->name || !p->unit) {
            r = nx_set_error(err, NNFX_ERR_NOMEM, "out of memory");
            goto done;
        }
        p->min_value = (float)mn->number;
        p->max_value = (float)mx->number;
        p->default_value = (float)df->number;
        m->pvals[i] = p->default_value;
    }
done:
    nx_json_free(j);
    return r;
}

/* ------------------------------------------------------------ load */

static nnfx_result copy_props(nnfx_model *m, const nx_onnx_model *om, nnfx_error *err)
{
    int i;
    m->keys = (char **)nx_calloc((size_t)om->n_props + 1, sizeof(char *));
    m->vals = (char **)nx_calloc((size_t)om->n_props + 1, sizeof(char *));
    if (!m->keys || !m->vals)
        return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory");
    for (i = 0; i < om->n_props; i++) {
        m->keys[i] = nx_strdup(om->props[i].key ? om->props[i].key : "");
        m->vals[i] = nx_strdup(om->props[i].value ? om->props[i].value : "");
        m->nprops = i + 1; /* before the check: the free loop then releases a half-copied pair */
        if (!m->keys[i] || !m->vals[i])
            return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory");
        m->memory_bytes += strlen(m->keys[i]) + strlen(m->vals[i]) + 2;
    }
    m->name = nnfx_model_metadata(m, "nnfx.name");
    m->architecture = nnfx_model_metadata(m, "nnfx.architecture");
    if (!m->name)
        m->name = "";
    if (!m->architecture)
        m->architecture = "";
    return NNFX_OK;
}

static nnfx_result load_parsed(nx_onnx_model *om, const nnfx_config *cfg, nnfx_model **out,
                               nnfx_error *err)
{
    nnfx_config def = nnfx_config_init();
    nnfx_model *m;
    long long fv, nn, mm, v;
    double sr;
    const char *s;
    nnfx_result r;
    if (!cfg)
        cfg = &def;
    if (cfg->mode != NNFX_MODE_STREAM && cfg->mode != NNFX_MODE_LOOKBACK)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "config: unknown mode %d",
                              (int)cfg->mode);
    if (cfg->max_block < 1 || cfg->max_block > NX_MAX_BLOCK_LIMIT)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "config: max_block %d outside [1, %d]", cfg->max_block,
                              NX_MAX_BLOCK_LIMIT);
    r = nx_onnx_model_check(om, err);
    if (r)
        return r;
    r = meta_int(om, "nnfx.format_version", 1, 0, 1LL << 40, &fv, err);
    if (r)
        return r;
    if (fv > NNFX_FORMAT_VERSION)
        return nx_set_error(err, NNFX_ERR_UNSUPPORTED,
                              "model file format version %lld is newer than this runtime reads "
                              "(%d): update nnfx", fv, NNFX_FORMAT_VERSION);
    if (fv < 1)
        return nx_set_error(err, NNFX_ERR_FORMAT, "nnfx.format_version %lld is not valid", fv);
    s = nx_onnx_prop_get(om, "nnfx.sample_rate");
    if (!s)
        return nx_set_error(err, NNFX_ERR_FORMAT,
                              "required metadata 'nnfx.sample_rate' is missing");
    if (!parse_double(s, &sr) || !(sr >= 1.0 && sr <= 1e7))
        return nx_set_error(err, NNFX_ERR_FORMAT,
                              "metadata 'nnfx.sample_rate' = '%.40s': expected a rate in Hz", s);
    r = meta_int(om, "nnfx.block_size", 1, 1, NX_ONNX_MAX_TENSOR_ELEMS, &nn, err);
    if (!r)
        r = meta_int(om, "nnfx.lookback", 1, 0, NX_ONNX_MAX_TENSOR_ELEMS, &mm, err);
    if (r)
        return r;
    m = (nnfx_model *)nx_calloc(1, sizeof *m);
    if (!m)
        return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory");
    m->mode = cfg->mode;
    m->max_block = cfg->max_block;
    m->chunk = cfg->mode == NNFX_MODE_STREAM && cfg->max_block > NX_STREAM_CHUNK ? NX_STREAM_CHUNK
                                                                               : cfg->max_block;
    m->host_sample_rate = cfg->host_sample_rate;
    m->sample_rate = sr;
    m->N = (int)nn;
    m->M = (int)mm;
    m->audio_in = m->audio_out = m->params = -1;
    r = nx_plan_build(m, om, cfg->max_memory_bytes, err);
    if (r)
        goto fail;
    {
        nx_val *a = &m->v[m->audio_in], *y = &m->v[m->audio_out];
        m->in_ch = (int)a->dims[1];
        m->out_ch = (int)y->dims[1];
        if (a->dims[2] != nn + mm) {
            r = nx_set_error(err, NNFX_ERR_FORMAT,
                               "'audio_in' has %lld frames but nnfx.lookback + nnfx.block_size "
                               "= %lld", (long long)a->dims[2], mm + nn);
            goto fail;
        }
        if (y->dims[2] != nn) {
            r = nx_set_error(err, NNFX_ERR_FORMAT,
                               "'audio_out' has %lld frames but nnfx.block_size = %lld "
                               "(is nnfx.lookback the receptive field minus one?)",
                               (long long)y->dims[2], nn);
            goto fail;
        }
        if (m->in_ch > NNFX_MAX_CHANNELS || m->out_ch > NNFX_MAX_CHANNELS) {
            r = nx_set_error(err, NNFX_ERR_LIMIT, "more than %d audio channels",
                               NNFX_MAX_CHANNELS);
            goto fail;
        }
    }
    v = -1;
    r = meta_int(om, "nnfx.in_channels", 0, 1, NNFX_MAX_CHANNELS, &v, err);
    if (!r && v >= 0 && v != m->in_ch)
        r = nx_set_error(err, NNFX_ERR_FORMAT,
                           "metadata nnfx.in_channels = %lld but 'audio_in' has %d channels", v,
                           m->in_ch);
    if (r)
        goto fail;
    v = -1;
    r = meta_int(om, "nnfx.out_channels", 0, 1, NNFX_MAX_CHANNELS, &v, err);
    if (!r && v >= 0 && v != m->out_ch)
        r = nx_set_error(err, NNFX_ERR_FORMAT,
                           "metadata nnfx.out_channels = %lld but 'audio_out' has %d channels",
                           v, m->out_ch);
    if (r)
        goto fail;
    v = 0;
    r = meta_int(om, "nnfx.latency", 0, 0, NX_ONNX_MAX_TENSOR_ELEMS, &v, err);
    if (r)
        goto fail;
    m->latency_meta = (int)v;
    r = load_params(m, om, err);
    if (r)
        goto fail;
    r = copy_props(m, om, err);
    if (r)
        goto fail;
    m->out_tmp = (float *)nx_calloc((size_t)m->out_ch * (size_t)m->chunk, sizeof(float));
    if (!m->out_tmp) {
        r = nx_set_error(err, NNFX_ERR_NOMEM, "out of memory");
        goto fail;
    }
    m->memory_bytes += (size_t)m->out_ch * (size_t)m->chunk * sizeof(float) +
                       (size_t)m->P * (sizeof(nnfx_param_info) + sizeof(float));
    nx_run_pre(m);
    nx_model_clear_state(m);
    *out = m;
    return NNFX_OK;
fail:
    nnfx_model_free(m);
    return r;
}

nnfx_result nnfx_model_load_memory(const void *data, size_t size, const nnfx_config *config,
                                   nnfx_model **out, nnfx_error *err)
{
    nx_onnx_model om;
    nnfx_result r;
    if (err) {
        err->code = NNFX_OK;
        err->message[0] = '\0';
    }
    if (!out)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!data && size)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "data is NULL");
    memset(&om, 0, sizeof om);
    r = nx_onnx_model_parse((const uint8_t *)data, size, &om, err);
    if (r)
        return r;
    r = load_parsed(&om, config, out, err);
    nx_onnx_model_free(&om);
    return r;
}

/* Refuse what is not a regular file before opening it: opening a FIFO with no writer would
   block forever, and a directory has no size to read. NULL when `path` is a regular file or
   cannot be examined (fopen then says why). */
static const char *not_a_file(const char *path)
{
#if defined(_WIN32)
    struct _stat st;
    if (_stat(path, &st) != 0)
        return NULL;
    if (st.st_mode & _S_IFDIR)
        return "is a folder, not a model file";
    return (st.st_mode & _S_IFREG) ? NULL : "is not a regular file";
#else
    struct stat st;
    if (stat(path, &st) != 0)
        return NULL;
    if (S_ISDIR(st.st_mode))
        return "is a folder, not a model file";
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
        return "is a pipe or socket, not a model file";
    return S_ISREG(st.st_mode) ? NULL : "is a device, not a model file";
#endif
}

nnfx_result nnfx_model_load_file(const char *path, const nnfx_config *config, nnfx_model **out,
                                 nnfx_error *err)
{
    const char *kind;
    FILE *f;
    uint8_t *buf;
    long n;
    nnfx_result r;
    if (out)
        *out = NULL;
    if (!path || !out)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "path or out is NULL");
    kind = not_a_file(path);
    if (kind)
        return nx_set_error(err, NNFX_ERR_IO, "'%s' %s", path, kind);
    f = fopen(path, "rb");
    if (!f)
        return nx_set_error(err, NNFX_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return nx_set_error(err, NNFX_ERR_IO, "cannot read '%s'", path);
    }
    if ((unsigned long)n > (unsigned long)(1u << 30)) {
        fclose(f);
        return nx_set_error(err, NNFX_ERR_LIMIT, "'%s' is larger than 1 GiB", path);
    }
    buf = (uint8_t *)nx_malloc((size_t)n + 1);
    if (!buf) {
        fclose(f);
        return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory reading '%s'", path);
    }
    if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        nx_free(buf);
        return nx_set_error(err, NNFX_ERR_IO, "cannot read '%s'", path);
    }
    fclose(f);
    r = nnfx_model_load_memory(buf, (size_t)n, config, out, err);
    nx_free(buf);
    return r;
}

void nnfx_model_free(nnfx_model *m)
{
    int i;
    if (!m)
        return;
    nx_free(m->arena);
    nx_free(m->pre);
    nx_free(m->main);
    nx_free(m->v);
    nx_free(m->state_in);
    nx_free(m->state_out);
    if (m->pinfo) {
        for (i = 0; i < m->P; i++) {
            nx_free((void *)m->pinfo[i].name);
            nx_free((void *)m->pinfo[i].unit);
        }
    }
    nx_free(m->pinfo);
    nx_free(m->pvals);
    for (i = 0; i < m->nprops; i++) {
        nx_free(m->keys[i]);
        nx_free(m->vals[i]);
    }
    nx_free(m->keys);
    nx_free(m->vals);
    nx_free(m->out_tmp);
    nx_free(m);
}

/* ------------------------------------------------------------ queries */

nnfx_result nnfx_model_info(const nnfx_model *m, nnfx_info *info)
{
    if (!m || !info)
        return NNFX_ERR_INVALID_ARG;
    memset(info, 0, sizeof *info);
    info->in_channels = m->in_ch;
    info->out_channels = m->out_ch;
    info->sample_rate = m->sample_rate;
    info->block_size = m->N;
    info->lookback = m->M;
    info->receptive_field = m->M + 1;
    info->latency = 0; /* both modes add none; see exec.c for look-back's partial blocks */
    info->max_block = m->max_block;
    info->mode = m->mode;
    info->param_count = m->P;
    info->state_count = m->nstate;
    info->macs_per_sample = m->macs_per_sample;
    info->weight_bytes = m->weight_bytes;
    info->memory_bytes = m->memory_bytes;
    info->name = m->name;
    info->architecture = m->architecture;
    return NNFX_OK;
}

const char *nnfx_model_metadata(const nnfx_model *m, const char *key)
{
    int i;
    if (!m || !key)
        return NULL;
    for (i = 0; i < m->nprops; i++)
        if (!strcmp(m->keys[i], key))
            return m->vals[i];
    return NULL;
}

int nnfx_model_param_count(const nnfx_model *m) { return m ? m->P : 0; }

nnfx_result nnfx_model_param_info(const nnfx_model *m, int index, nnfx_param_info *info)
{
    if (!m || !info || index < 0 || index >= m->P)
        return NNFX_ERR_INVALID_ARG;
    *info = m->pinfo[index];
    return NNFX_OK;
}

int nnfx_model_param_index(const nnfx_model *m, const char *name)
{
    int i;
    if (!m || !name)
        return -1;
    for (i = 0; i < m->P; i++)
        if (!strcmp(m->pinfo[i].name, name))
            return i;
    return -1;
}

nnfx_result nnfx_model_set_param(nnfx_model *m, int index, float value)
{
    const nnfx_param_info *p;
    if (!m || index < 0 || index >= m->P)
        return NNFX_ERR_INVALID_ARG;
    p = &m->pinfo[index];
    if (!(value == value))
        return NNFX_ERR_INVALID_ARG;
    if (value < p->min_value)
        value = p->min_value;
    if (value > p->max_value)
        value = p->max_value;
    if (m->pvals[index] != value) {
        m->pvals[index] = value;
        m->params_dirty = 1;
    }
    return NNFX_OK;
}

float nnfx_model_get_param(const nnfx_model *m, int index)
{
    if (!m || index < 0 || index >= m->P)
        return 0.0f;
    return m->pvals[index];
}

/* ------------------------------------------------------------ verify */

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decode base64 little-endian float32s; *count floats (malloc'd). */
static nnfx_result b64_floats(const char *s, const char *key, float **out, size_t *count,
                              nnfx_error *err)
{
    size_t len = strlen(s), i, nb = 0, pad = 0;
    uint8_t *bytes;
    uint32_t acc = 0;
    int bits = 0;
    while (len > 0 && s[len - 1] == '=' && pad < 2) {
        len--;
        pad++;
    }
    bytes = (uint8_t *)nx_malloc(len * 3 / 4 + 4);
    if (!bytes)
        return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory");
    for (i = 0; i < len; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0) {
            nx_free(bytes);
            return nx_set_error(err, NNFX_ERR_FORMAT,
                                  "metadata '%s': invalid base64 character at offset %zu", key, i);
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes[nb++] = (uint8_t)(acc >> bits);
        }
    }
    if (nb % 4) {
        nx_free(bytes);
        return nx_set_error(err, NNFX_ERR_FORMAT,
                              "metadata '%s': %zu bytes is not a whole number of float32", key,
                              nb);
    }
    *count = nb / 4;
    *out = (float *)nx_malloc(*count * sizeof(float) + 1);
    if (!*out) {
        nx_free(bytes);
        return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory");
    }
    for (i = 0; i < *count; i++) {
        uint32_t u = (uint32_t)bytes[4 * i] | ((uint32_t)bytes[4 * i + 1] << 8) |
                     ((uint32_t)bytes[4 * i + 2] << 16) | ((uint32_t)bytes[4 * i + 3] << 24);
        memcpy(&(*out)[i], &u, sizeof u);
    }
    nx_free(bytes);
    return NNFX_OK;
}

nnfx_result nnfx_model_verify(nnfx_model *m, double *max_abs_error, nnfx_error *err)
{
    const char *si, *so, *sp, *st;
    float *xin = NULL, *xout = NULL, *got = NULL, *saved = NULL;
    size_t nin = 0, nout = 0, L, i;
    double tol = 1e-4, maxerr = 0.0;
    long long ll;
    nnfx_result r;
    const float *inp[NNFX_MAX_CHANNELS];
    float *outp[NNFX_MAX_CHANNELS];
    int c;
    if (max_abs_error)
        *max_abs_error = 0.0;
    if (!m)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "model is NULL");
    si = nnfx_model_metadata(m, "nnfx.reference_input");
    so = nnfx_model_metadata(m, "nnfx.reference_output");
    if (!si || !so)
        return nx_set_error(err, NNFX_ERR_FORMAT,
                              "the model has no embedded reference (nnfx.reference_input / "
                              "nnfx.reference_output)");
    st = nnfx_model_metadata(m, "nnfx.reference_tolerance");
    if (st && (!parse_double(st, &tol) || !(tol >= 0.0)))
        return nx_set_error(err, NNFX_ERR_FORMAT,
                              "metadata 'nnfx.reference_tolerance' = '%.40s' is not a number",
                              st);
    r = b64_floats(si, "nnfx.reference_input", &xin, &nin, err);
    if (r)
        return r;
    r = b64_floats(so, "nnfx.reference_output", &xout, &nout, err);
    if (r)
        goto done;
    if (nin % (size_t)m->in_ch || nout % (size_t)m->out_ch ||
        nin / (size_t)m->in_ch != nout / (size_t)m->out_ch) {
        r = nx_set_error(err, NNFX_ERR_FORMAT,
                           "reference sizes do not agree: %zu input and %zu output values for "
                           "%d and %d channels", nin, nout, m->in_ch, m->out_ch);
        goto done;
    }
    L = nin / (size_t)m->in_ch;
    sp = nnfx_model_metadata(m, "nnfx.reference_length");
    if (sp && (!parse_int(sp, &ll) || ll < 0 || (size_t)ll != L)) {
        r = nx_set_error(err, NNFX_ERR_FORMAT,
                           "metadata 'nnfx.reference_length' = '%.40s' but the reference has "
                           "%zu frames", sp, L);
        goto done;
    }
    got = (float *)nx_calloc(nout + 1, sizeof(float));
    saved = (float *)nx_calloc((size_t)m->P + 1, sizeof(float));
    if (!got || !saved) {
        r = nx_set_error(err, NNFX_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < (size_t)m->P; i++)
        saved[i] = m->pvals[i];
    sp = nnfx_model_metadata(m, "nnfx.reference_params");
    if (sp && m->P > 0) {
        nx_json *j = NULL;
        const nx_json *e;
        r = nx_json_parse(sp, strlen(sp), &j, err);
        if (r) {
            nx_error_prefix(err, "metadata 'nnfx.reference_params': ");
            goto done;
        }
        if (j->type != NNFX_JSON_ARRAY || (int)j->count != m->P) {
            nx_json_free(j);
            r = nx_set_error(err, NNFX_ERR_FORMAT,
                               "metadata 'nnfx.reference_params' must list %d numbers", m->P);
            goto done;
        }
        for (i = 0, e = j->child; e; e = e->next, i++) {
            if (e->type != NNFX_JSON_NUMBER) {
                nx_json_free(j);
                r = nx_set_error(err, NNFX_ERR_FORMAT,
                                   "metadata 'nnfx.reference_params' entry %zu is not a number",
                                   i);
                goto done;
            }
            nnfx_model_set_param(m, (int)i, (float)e->number);
        }
        nx_json_free(j);
    } else {
        for (i = 0; i < (size_t)m->P; i++)
            nnfx_model_set_param(m, (int)i, m->pinfo[i].default_value);
    }
    nnfx_model_reset(m);
    for (c = 0; c < m->in_ch; c++)
        inp[c] = xin + (size_t)c * L;
    for (c = 0; c < m->out_ch; c++)
        outp[c] = got + (size_t)c * L;
    if (L > 0) {
        r = nnfx_model_process(m, inp, outp, (int)L);
        if (r) {
            nx_set_error(err, r, "processing the reference failed");
            goto restore;
        }
    }
    for (i = 0; i < nout; i++) {
        double d = fabs((double)got[i] - (double)xout[i]);
        if (!(d <= maxerr))
            maxerr = d; /* also catches NaN: it becomes the maximum */
    }
    if (max_abs_error)
        *max_abs_error = maxerr;
    if (!(maxerr <= tol))
        r = nx_set_error(err, NNFX_ERR_MISMATCH,
                           "reference mismatch: max abs error %.3g exceeds tolerance %.3g", maxerr,
                           tol);
restore:
    for (i = 0; i < (size_t)m->P; i++)
        nnfx_model_set_param(m, (int)i, saved[i]);
    nnfx_model_reset(m);
done:
    nx_free(xin);
    nx_free(xout);
    nx_free(got);
    nx_free(saved);
    return r;
}
