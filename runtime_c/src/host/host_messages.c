/*
 * host_messages.c - the message vocabulary shared by every adapter, the
 * event queue, and the texts of `info`, `verify` and `save`
 * (docs/host-layer.md lists the vocabulary).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "host_atomic.h"
#include "host_internal.h"
#include "onnx_model.h"

static const char *const k_random_keys[] = {
    "layers", "kernel", "channels", "growth", "activation", "init", "bias", "depthwise", "seed",
    "in", "out", "in_channels", "out_channels", "in_gain_db", "out_gain_db"};

const char *nnfx_host_selectors(void)
{
    return "open bypass reset param mix ingain outgain dcblock info verify save random layers kernel "
           "channels growth activation init bias depthwise seed in out in_channels out_channels "
           "in_gain_db out_gain_db";
}

/* ---- events ---- */

void nx_host_push_event_locked(nnfx_host *h, const nnfx_host_event *ev)
{
    nnfx_host_event *dst;
    int i;
    if (h->ev_w - h->ev_r >= HOST_EVENT_RING) {
        h->ev_dropped++;
        return;
    }
    dst = &h->events[h->ev_w % HOST_EVENT_RING];
    *dst = *ev;
    for (i = 0; i < dst->n_values && i < 16; i++)
        if (dst->values[i].type == NNFX_ATOM_SYMBOL && ev->values[i].s)
            dst->values[i].s = dst->sym + (ev->values[i].s - ev->sym);
    h->ev_w++;
}

void nx_host_push_event(nnfx_host *h, nnfx_host_event_kind kind, const char *key,
                           const char *fmt, ...)
{
    nnfx_host_event ev;
    va_list ap;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    nx_copy(ev.key, sizeof ev.key, key);
    va_start(ap, fmt);
    vsnprintf(ev.text, sizeof ev.text, fmt, ap);
    va_end(ap);
    /* One symbol value: the text itself, so list-based hosts can show it. */
    ev.n_values = 1;
    ev.values[0].type = NNFX_ATOM_SYMBOL;
    nx_copy(ev.sym, sizeof ev.sym, ev.text);
    ev.values[0].s = ev.sym;
    nx_mutex_lock(&h->mu);
    nx_host_push_event_locked(h, &ev);
    nx_mutex_unlock(&h->mu);
}

/* Event builder for INFO lines. */
typedef struct {
    nnfx_host_event ev;
    size_t sym_used;
} ev_builder;

static void eb_init(ev_builder *b, const char *key)
{
    memset(b, 0, sizeof *b);
    b->ev.kind = NNFX_EVENT_INFO;
    nx_copy(b->ev.key, sizeof b->ev.key, key);
}

static void eb_float(ev_builder *b, double f)
{
    if (b->ev.n_values >= 16)
        return;
    b->ev.values[b->ev.n_values].type = NNFX_ATOM_FLOAT;
    b->ev.values[b->ev.n_values].f = f;
    b->ev.n_values++;
}

static void eb_sym(ev_builder *b, const char *s)
{
    size_t n = strlen(s);
    if (b->ev.n_values >= 16 || b->sym_used + n + 1 > sizeof b->ev.sym)
        return;
    memcpy(b->ev.sym + b->sym_used, s, n + 1);
    b->ev.values[b->ev.n_values].type = NNFX_ATOM_SYMBOL;
    b->ev.values[b->ev.n_values].s = b->ev.sym + b->sym_used;
    b->ev.n_values++;
    b->sym_used += n + 1;
}

static void eb_push(nnfx_host *h, ev_builder *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* mu must be held. */
static void eb_push(nnfx_host *h, ev_builder *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->ev.text, sizeof b->ev.text, fmt, ap);
    va_end(ap);
    nx_host_push_event_locked(h, &b->ev);
}

/* ---- architecture JSON: the recipe of a random_tcn (flat keys, tolerant reader) ---- */

static const char *json_value(const char *json, const char *key)
{
    char pat[48];
    const char *p;
    snprintf(pat, sizeof pat, "\"%s\"", key);
    p = strstr(json, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

int nx_recipe_from_architecture(const char *json, nnfx_random_recipe *out)
{
    nnfx_random_recipe r = nnfx_random_recipe_init();
    const char *p, *rec;
    size_t i;
    if (!json || !(p = json_value(json, "kind")) || strncmp(p, "\"random_tcn\"", 12) != 0)
        return 0;
    rec = json_value(json, "recipe");
    if (!rec || *rec != '{')
        return 0;
    for (i = 0; i < sizeof k_random_keys / sizeof k_random_keys[0]; i++) {
        const char *k = k_random_keys[i];
        char sval[32];
        if (!strcmp(k, "in") || !strcmp(k, "out"))
            continue;
        p = json_value(rec, k);
        if (!p)
            continue;
        if (*p == '"') {
            size_t n = 0;
            p++;
            while (p[n] && p[n] != '"' && n + 1 < sizeof sval) {
                sval[n] = p[n];
                n++;
            }
            sval[n] = '\0';
            if (nnfx_random_recipe_set(&r, k, sval, 0.0, NULL) != NNFX_OK)
                return 0;
        } else if (!strncmp(p, "true", 4) || !strncmp(p, "false", 5)) {
            if (nnfx_random_recipe_set(&r, k, NULL, p[0] == 't' ? 1.0 : 0.0, NULL) != NNFX_OK)
                return 0;
        } else {
            char *end;
            double v = strtod(p, &end);
            if (end == p || nnfx_random_recipe_set(&r, k, NULL, v, NULL) != NNFX_OK)
                return 0;
        }
    }
    if (nnfx_random_recipe_validate(&r, NULL) != NNFX_OK)
        return 0;
    *out = r;
    return 1;
}

/* ---- argument helpers ---- */

static nnfx_result need_float(const char *sel, int argc, const nnfx_atom *argv, int i,
                              const char *what, double *out, nnfx_error *err)
{
    if (i >= argc)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "%s: missing value (expected %s)", sel,
                              what);
    if (argv[i].type != NNFX_ATOM_FLOAT)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "%s: '%s' is not a number (expected %s)",
                              sel, argv[i].s ? argv[i].s : "", what);
    if (!(argv[i].f == argv[i].f) || fabs(argv[i].f) > 1e30)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "%s: %g is not a finite number", sel,
                              argv[i].f);
    *out = argv[i].f;
    return NNFX_OK;
}

static nnfx_result float_in(const char *sel, int argc, const nnfx_atom *argv, double lo,
                            double hi, const char *unit, double *out, nnfx_error *err)
{
    char what[64];
    nnfx_result rc;
    snprintf(what, sizeof what, "%g..%g%s", lo, hi, unit);
    rc = need_float(sel, argc, argv, 0, what, out, err);
    if (rc != NNFX_OK)
        return rc;
    if (argc > 1)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "%s: takes one value (%s), got %d", sel,
                              what, argc);
    if (*out < lo || *out > hi)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "%s: %g is out of range %s", sel, *out,
                              what);
    return NNFX_OK;
}

static nnfx_result flag01(const char *sel, int argc, const nnfx_atom *argv, int *out,
                          nnfx_error *err)
{
    double v = 0.0;
    nnfx_result rc = need_float(sel, argc, argv, 0, "0 or 1", &v, err);
    if (rc != NNFX_OK)
        return rc;
    if (argc > 1 || (v != 0.0 && v != 1.0))
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "%s: expected 0 or 1, got %g%s", sel, v,
                              argc > 1 ? " and more" : "");
    *out = (int)v;
    return NNFX_OK;
}

static int is_random_key(const char *s)
{
    size_t i;
    for (i = 0; i < sizeof k_random_keys / sizeof k_random_keys[0]; i++)
        if (!strcmp(s, k_random_keys[i]))
            return 1;
    return 0;
}

/* ---- random designer ---- */

static nnfx_result apply_key(nnfx_random_recipe *r, const char *key, const nnfx_atom *v,
                             nnfx_error *err)
{
    if (v->type == NNFX_ATOM_SYMBOL)
        return nnfx_random_recipe_set(r, key, v->s ? v->s : "", 0.0, err);
    return nnfx_random_recipe_set(r, key, NULL, v->f, err);
}

static nnfx_result msg_random(nnfx_host *h, const char *sel, int argc, const nnfx_atom *argv,
                              nnfx_error *err)
{
    nnfx_random_recipe r;
    nnfx_result rc;
    host_job job;
    int i;
    nx_mutex_lock(&h->mu);
    r = h->recipe;
    nx_mutex_unlock(&h->mu);
    if (!strcmp(sel, "random")) {
        if (argc % 2 != 0)
            return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                                  "random: expected KEY VALUE pairs, got %d arguments (keys: "
                                  "layers kernel channels growth activation init bias depthwise "
                                  "seed in out in_gain_db out_gain_db)",
                                  argc);
        for (i = 0; i < argc; i += 2) {
            if (argv[i].type != NNFX_ATOM_SYMBOL || !argv[i].s)
                return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                                      "random: argument %d must be a key name, got the number %g "
                                      "(keys: layers kernel channels growth activation init bias "
                                      "depthwise seed in out in_gain_db out_gain_db)",
                                      i + 1, argv[i].f);
            rc = apply_key(&r, argv[i].s, &argv[i + 1], err);
            if (rc != NNFX_OK)
                return rc;
        }
    } else {
        if (argc != 1)
            return nx_set_error(err, NNFX_ERR_INVALID_ARG, "%s: takes one value, got %d", sel,
                                  argc);
        rc = apply_key(&r, sel, &argv[0], err);
        if (rc != NNFX_OK)
            return rc;
    }
    if (r.in_channels != h->cfg.in_channels && r.in_channels != 1 && h->cfg.in_channels != 1)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "random: in %d does not fit this object's %d inputs (allowed: 1%s)",
                              r.in_channels, h->cfg.in_channels,
                              h->cfg.in_channels == 2 ? " or 2" : "");
    if (r.out_channels != h->cfg.out_channels && r.out_channels != 1 && h->cfg.out_channels != 1)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "random: out %d does not fit this object's %d outputs (allowed: "
                              "1%s)",
                              r.out_channels, h->cfg.out_channels,
                              h->cfg.out_channels == 2 ? " or 2" : "");
    rc = nnfx_random_recipe_validate(&r, err);
    if (rc != NNFX_OK)
        return rc;
    nx_mutex_lock(&h->mu);
    h->recipe = r;
    nx_mutex_unlock(&h->mu);
    memset(&job, 0, sizeof job);
    job.kind = JOB_RANDOM;
    job.recipe = r;
    return nx_host_submit(h, &job, err);
}

/* ---- info, verify, save ---- */

static void msg_info(nnfx_host *h)
{
    ev_builder b;
    host_slot *s;
    float load = nx_atomic_load_f32(&h->load_bits);
    int i;
    nx_mutex_lock(&h->mu);
    s = h->latest;
    eb_init(&b, "file");
    eb_sym(&b, s ? s->name : "none");
    eb_push(h, &b, "file: %s", s ? s->name : "none (dry pass-through)");
    if (s) {
        const nnfx_info *in = &s->info;
        double sr = in->sample_rate > 0 ? in->sample_rate : h->cfg.sample_rate;
        eb_init(&b, "name");
        eb_sym(&b, s->model_name[0] ? s->model_name : "-");
        eb_push(h, &b, "name: %s", s->model_name[0] ? s->model_name : "-");
        eb_init(&b, "channels");
        eb_float(&b, in->in_channels);
        eb_float(&b, in->out_channels);
        eb_push(h, &b, "channels: %d in, %d out (object: %d in, %d out)", in->in_channels,
                in->out_channels, h->cfg.in_channels, h->cfg.out_channels);
        eb_init(&b, "samplerate");
        eb_float(&b, in->sample_rate);
        eb_float(&b, h->cfg.sample_rate);
        eb_push(h, &b, "sample rate: model %g Hz, host %g Hz%s", in->sample_rate,
                h->cfg.sample_rate, in->sample_rate != h->cfg.sample_rate ? " (MISMATCH)" : "");
        eb_init(&b, "receptive_ms");
        eb_float(&b, 1000.0 * in->receptive_field / sr);
        eb_float(&b, in->receptive_field);
        eb_push(h, &b, "receptive field: %.3f ms (%d frames)", 1000.0 * in->receptive_field / sr,
                in->receptive_field);
        eb_init(&b, "latency");
        eb_float(&b, in->latency);
        eb_float(&b, 1000.0 * in->latency / h->cfg.sample_rate);
        eb_push(h, &b, "latency: %d frames (%.3f ms), %s mode", in->latency,
                1000.0 * in->latency / h->cfg.sample_rate,
                in->mode == NNFX_MODE_LOOKBACK ? "lookback" : "stream");
        for (i = 0; i < s->param_count; i++) {
            const nnfx_param_info *p = &s->pinfo[i];
            float v = nx_atomic_load_f32(&s->param_target[i]);
            eb_init(&b, "param");
            eb_float(&b, i);
            eb_sym(&b, p->name);
            eb_float(&b, p->min_value);
            eb_float(&b, p->max_value);
            eb_float(&b, p->default_value);
            eb_float(&b, v);
            eb_sym(&b, p->unit[0] ? p->unit : "-");
            eb_push(h, &b, "knob %d '%s': %g..%g %s, default %g, now %g", i, p->name,
                    (double)p->min_value, (double)p->max_value, p->unit, (double)p->default_value,
                    (double)v);
        }
        eb_init(&b, "macs");
        eb_float(&b, in->macs_per_sample);
        eb_float(&b, in->macs_per_sample * h->cfg.sample_rate / 1e6);
        eb_push(h, &b, "MACs/sample: %.0f (%.2f M/s at %g Hz)", in->macs_per_sample,
                in->macs_per_sample * h->cfg.sample_rate / 1e6, h->cfg.sample_rate);
        eb_init(&b, "memory");
        eb_float(&b, (double)in->memory_bytes);
        eb_push(h, &b, "memory: %lu bytes (weights %lu)", (unsigned long)in->memory_bytes,
                (unsigned long)in->weight_bytes);
        if (s->is_random) {
            char arch[1024];
            nnfx_random_architecture_json(&s->recipe, arch, sizeof arch);
            eb_init(&b, "recipe");
            eb_sym(&b, nnfx_activation_name(s->recipe.activation));
            eb_sym(&b, nnfx_init_name(s->recipe.init));
            eb_float(&b, s->recipe.seed);
            eb_push(h, &b, "recipe: %s", arch);
        }
    }
    eb_init(&b, "dspload");
    eb_float(&b, 100.0 * load);
    if (h->cfg.measure_load)
        eb_push(h, &b, "DSP load: %.2f %% of real time (average over recent blocks)",
                100.0 * load);
    else
        eb_push(h, &b, "DSP load: not measured (measure_load is off)");
    eb_init(&b, "settings");
    eb_float(&b, h->user_bypass);
    eb_float(&b, h->mix);
    eb_float(&b, h->in_gain_db);
    eb_float(&b, h->out_gain_db);
    eb_float(&b, nx_atomic_load_i32(&h->dc_mode));
    eb_push(h, &b, "bypass %d, mix %g, ingain %g dB, outgain %g dB, dcblock %s", (int)h->user_bypass,
            (double)h->mix, (double)h->in_gain_db, (double)h->out_gain_db,
            nx_atomic_load_i32(&h->dc_mode) < 0
                ? (s && s->dc_default ? "auto (on)" : "auto (off)")
                : (nx_atomic_load_i32(&h->dc_mode) ? "on" : "off"));
    nx_mutex_unlock(&h->mu);
}

static nnfx_result msg_verify(nnfx_host *h, nnfx_error *err)
{
    host_job job;
    memset(&job, 0, sizeof job);
    job.kind = JOB_VERIFY;
    nx_mutex_lock(&h->mu);
    if (!h->latest) {
        nx_mutex_unlock(&h->mu);
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "verify: no model loaded");
    }
    nx_copy(job.path, sizeof job.path, h->latest->name);
    job.bytes = (uint8_t *)nx_malloc(h->latest->n_bytes ? h->latest->n_bytes : 1);
    if (job.bytes) {
        memcpy(job.bytes, h->latest->bytes, h->latest->n_bytes);
        job.n_bytes = h->latest->n_bytes;
    }
    nx_mutex_unlock(&h->mu);
    if (!job.bytes)
        return nx_set_error(err, NNFX_ERR_NOMEM, "verify: out of memory");
    return nx_host_submit(h, &job, err);
}

static nnfx_result msg_save(nnfx_host *h, int argc, const nnfx_atom *argv, nnfx_error *err)
{
    FILE *f;
    size_t wrote;
    const char *path;
    if (argc != 1 || argv[0].type != NNFX_ATOM_SYMBOL || !argv[0].s || !argv[0].s[0])
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "save: expected one file name");
    path = argv[0].s;
    nx_mutex_lock(&h->mu);
    if (!h->latest) {
        nx_mutex_unlock(&h->mu);
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "save: no model loaded");
    }
    f = fopen(path, "wb");
    if (!f) {
        nx_mutex_unlock(&h->mu);
        return nx_set_error(err, NNFX_ERR_IO, "save: cannot write '%s'", path);
    }
    wrote = fwrite(h->latest->bytes, 1, h->latest->n_bytes, f);
    if (fclose(f) != 0 || wrote != h->latest->n_bytes) {
        nx_mutex_unlock(&h->mu);
        remove(path);
        return nx_set_error(err, NNFX_ERR_IO, "save: writing '%s' failed (disk full?)", path);
    }
    nx_mutex_unlock(&h->mu);
    nx_host_push_event(h, NNFX_EVENT_INFO, "saved", "saved %s (%lu bytes)", path,
                          (unsigned long)wrote);
    return NNFX_OK;
}

static nnfx_result msg_param(nnfx_host *h, int argc, const nnfx_atom *argv, nnfx_error *err)
{
    host_slot *s;
    int idx = -1, i;
    double v = 0.0;
    nnfx_result rc;
    if (argc != 2)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "param: expected NAME|INDEX VALUE, got %d arguments", argc);
    rc = need_float("param", argc, argv, 1, "a number", &v, err);
    if (rc != NNFX_OK)
        return rc;
    nx_mutex_lock(&h->mu);
    s = h->latest;
    if (!s || s->param_count == 0) {
        nx_mutex_unlock(&h->mu);
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "param: %s",
                              s ? "this model has no knobs" : "no model loaded");
    }
    if (argv[0].type == NNFX_ATOM_SYMBOL && argv[0].s) {
        for (i = 0; i < s->param_count; i++)
            if (!strcmp(s->pname[i], argv[0].s))
                idx = i;
    } else if (argv[0].type == NNFX_ATOM_FLOAT && argv[0].f == floor(argv[0].f) &&
               argv[0].f >= 0 && argv[0].f < s->param_count) {
        idx = (int)argv[0].f;
    }
    if (idx < 0) {
        char names[256];
        size_t used = 0;
        names[0] = '\0';
        for (i = 0; i < s->param_count && used + 2 < sizeof names; i++) {
            int n = snprintf(names + used, sizeof names - used, "%s%s", i ? " " : "",
                             s->pname[i]);
            if (n < 0)
                break;
            used += (size_t)n;
        }
        if (argv[0].type == NNFX_ATOM_SYMBOL)
            nx_set_error(err, NNFX_ERR_INVALID_ARG,
                           "param: no knob named '%s' (knobs: %s, or index 0-%d)", argv[0].s,
                           names, s->param_count - 1);
        else
            nx_set_error(err, NNFX_ERR_INVALID_ARG,
                           "param: index %g out of range 0-%d (knobs: %s)", argv[0].f,
                           s->param_count - 1, names);
        nx_mutex_unlock(&h->mu);
        return NNFX_ERR_INVALID_ARG;
    }
    if (v < s->pinfo[idx].min_value || v > s->pinfo[idx].max_value) {
        nx_set_error(err, NNFX_ERR_INVALID_ARG, "param: %s = %g is out of range %g..%g",
                       s->pname[idx], v, (double)s->pinfo[idx].min_value,
                       (double)s->pinfo[idx].max_value);
        nx_mutex_unlock(&h->mu);
        return NNFX_ERR_INVALID_ARG;
    }
    nx_atomic_store_f32(&s->param_target[idx], (float)v);
    nx_mutex_unlock(&h->mu);
    return NNFX_OK;
}

nnfx_result nnfx_host_message(nnfx_host *h, const char *sel, int argc, const nnfx_atom *argv,
                              nnfx_error *err)
{
    double v = 0.0;
    int flag;
    nnfx_result rc;
    if (!h || !sel || argc < 0 || (argc > 0 && !argv))
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "message: NULL argument");
    if (!strcmp(sel, "bypass")) {
        rc = flag01(sel, argc, argv, &flag, err);
        if (rc == NNFX_OK) {
            h->user_bypass = (float)flag;
            nnfx_host_set_bypass(h, flag);
        }
        return rc;
    }
    if (!strcmp(sel, "reset")) {
        if (argc != 0)
            return nx_set_error(err, NNFX_ERR_INVALID_ARG, "reset: takes no arguments");
        nx_atomic_add_i32(&h->reset_req, 1);
        return NNFX_OK;
    }
    if (!strcmp(sel, "mix")) {
        rc = float_in(sel, argc, argv, 0.0, 1.0, "", &v, err);
        if (rc == NNFX_OK) {
            h->mix = (float)v;
            nnfx_host_set_mix(h, (float)v);
        }
        return rc;
    }
    if (!strcmp(sel, "ingain") || !strcmp(sel, "outgain")) {
        rc = float_in(sel, argc, argv, -60.0, 60.0, " dB", &v, err);
        if (rc == NNFX_OK) {
            if (sel[0] == 'i') {
                h->in_gain_db = (float)v;
                nnfx_host_set_in_gain_db(h, (float)v);
            } else {
                h->out_gain_db = (float)v;
                nnfx_host_set_out_gain_db(h, (float)v);
            }
        }
        return rc;
    }
    if (!strcmp(sel, "dcblock")) {
        if (argc == 1 && argv[0].type == NNFX_ATOM_SYMBOL && argv[0].s &&
            !strcmp(argv[0].s, "auto")) {
            nx_atomic_store_i32(&h->dc_mode, -1);
            return NNFX_OK;
        }
        rc = flag01(sel, argc, argv, &flag, err);
        if (rc == NNFX_OK)
            nx_atomic_store_i32(&h->dc_mode, flag);
        return rc;
    }
    if (!strcmp(sel, "open")) { /* the path as given: adapters normally resolve it first */
        if (argc != 1 || argv[0].type != NNFX_ATOM_SYMBOL || !argv[0].s || !argv[0].s[0])
            return nx_set_error(err, NNFX_ERR_INVALID_ARG, "open: expected one file name");
        return nnfx_host_open(h, argv[0].s, err);
    }
    if (!strcmp(sel, "param"))
        return msg_param(h, argc, argv, err);
    if (!strcmp(sel, "info")) {
        msg_info(h);
        return NNFX_OK;
    }
    if (!strcmp(sel, "verify"))
        return msg_verify(h, err);
    if (!strcmp(sel, "save"))
        return msg_save(h, argc, argv, err);
    if (!strcmp(sel, "random") || is_random_key(sel))
        return msg_random(h, sel, argc, argv, err);
    return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                          "unknown message '%s' (messages: %s)", sel, nnfx_host_selectors());
}
