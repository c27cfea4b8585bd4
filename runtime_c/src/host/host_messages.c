/*
 * host_messages.c - the message vocabulary shared by every adapter (docs/host-layer.md): a
 * table of selectors {name, handler, help}, from which nnfx_host_selectors() is derived, and
 * the handlers, including the texts of `info`, `verify` and `save`. Calls host.c (the RT
 * setters, nnfx_host_open), host_worker.c (jobs), host_query.c and host_events.c; nothing
 * calls back into this file (host_internal.h draws the graph).
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

/* ---- random designer ---- */

static nnfx_result apply_key(nnfx_random_recipe *r, const char *key, const nnfx_atom *v,
                             nnfx_error *err)
{
    if (v->type == NNFX_ATOM_SYMBOL)
        return nnfx_random_recipe_set(r, key, v->s ? v->s : "", 0.0, err);
    return nnfx_random_recipe_set(r, key, NULL, v->f, err);
}

/* `random [KEY VALUE]...` and each recipe key alone (`seed 43`): a new recipe, then a build. */
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

/* ---- settings: bypass, reset, mix, gains, DC blocker, open ---- */

static nnfx_result msg_bypass(nnfx_host *h, const char *sel, int argc, const nnfx_atom *argv,
                              nnfx_error *err)
{
    int flag = 0;
    nnfx_result rc = flag01(sel, argc, argv, &flag, err);
    if (rc == NNFX_OK) {
        h->user_bypass = (float)flag;
        nnfx_host_set_bypass(h, flag);
    }
    return rc;
}

static nnfx_result msg_reset(nnfx_host *h, const char *sel, int argc, const nnfx_atom *argv,
                             nnfx_error *err)
{
    (void)sel;
    (void)argv;
    if (argc != 0)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "reset: takes no arguments");
    nx_atomic_add_i32(&h->reset_req, 1);
    return NNFX_OK;
}

static nnfx_result msg_mix(nnfx_host *h, const char *sel, int argc, const nnfx_atom *argv,
                           nnfx_error *err)
{
    double v = 0.0;
    nnfx_result rc = float_in(sel, argc, argv, 0.0, 1.0, "", &v, err);
    if (rc == NNFX_OK) {
        h->mix = (float)v;
        nnfx_host_set_mix(h, (float)v);
    }
    return rc;
}

/* ingain and outgain */
static nnfx_result msg_gain(nnfx_host *h, const char *sel, int argc, const nnfx_atom *argv,
                            nnfx_error *err)
{
    double v = 0.0;
    nnfx_result rc = float_in(sel, argc, argv, -60.0, 60.0, " dB", &v, err);
    if (rc != NNFX_OK)
        return rc;
    if (sel[0] == 'i') {
        h->in_gain_db = (float)v;
        nnfx_host_set_in_gain_db(h, (float)v);
    } else {
        h->out_gain_db = (float)v;
        nnfx_host_set_out_gain_db(h, (float)v);
    }
    return NNFX_OK;
}

static nnfx_result msg_dcblock(nnfx_host *h, const char *sel, int argc, const nnfx_atom *argv,
                               nnfx_error *err)
{
    int flag = 0;
    nnfx_result rc;
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

/* The path as given: adapters normally resolve it first and call nnfx_host_open. */
static nnfx_result msg_open(nnfx_host *h, const char *sel, int argc, const nnfx_atom *argv,
                            nnfx_error *err)
{
    (void)sel;
    if (argc != 1 || argv[0].type != NNFX_ATOM_SYMBOL || !argv[0].s || !argv[0].s[0])
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "open: expected one file name");
    return nnfx_host_open(h, argv[0].s, err);
}

/* ---- info, verify, save ---- */

static nnfx_result msg_info(nnfx_host *h, const char *sel, int argc, const nnfx_atom *argv,
                            nnfx_error *err)
{
    ev_builder b;
    host_slot *s;
    float load = nx_atomic_load_f32(&h->load_bits);
    int i;
    (void)sel;
    (void)argc; /* arguments are ignored, as they always were */
    (void)argv;
    (void)err;
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
    return NNFX_OK;
}

static nnfx_result msg_verify(nnfx_host *h, const char *sel, int argc, const nnfx_atom *argv,
                              nnfx_error *err)
{
    host_job job;
    (void)sel;
    (void)argc; /* arguments are ignored, as they always were */
    (void)argv;
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

static nnfx_result msg_save(nnfx_host *h, const char *sel, int argc, const nnfx_atom *argv,
                            nnfx_error *err)
{
    FILE *f;
    size_t wrote;
    const char *path;
    (void)sel;
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

static nnfx_result msg_param(nnfx_host *h, const char *sel, int argc, const nnfx_atom *argv,
                             nnfx_error *err)
{
    host_slot *s;
    int idx = -1, i;
    double v = 0.0;
    nnfx_result rc;
    (void)sel;
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
        idx = nx_slot_param_index(s, argv[0].s);
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

/* ---- the selector table ---- */

typedef nnfx_result (*msg_handler)(nnfx_host *h, const char *sel, int argc,
                                   const nnfx_atom *argv, nnfx_error *err);

typedef struct {
    const char *name;    /* the selector */
    msg_handler handler; /* gets the selector too: one handler may serve several */
    const char *help;    /* arguments and effect, one line (docs/host-layer.md's table) */
} host_selector;

/* Every selector, in the order nnfx_host_selectors() lists them; X(name, handler, help). */
#define HOST_SELECTORS(X)                                                                     \
    X(open, msg_open, "FILE: load FILE as given (adapters resolve paths first)")             \
    X(bypass, msg_bypass, "0|1: click-free bypass (crossfade)")                               \
    X(reset, msg_reset, "clear the model's history and state, and the DC blocker's")         \
    X(param, msg_param, "NAME|INDEX VALUE: a model knob, within its range, smoothed")         \
    X(mix, msg_mix, "0..1: dry/wet, smoothed")                                                \
    X(ingain, msg_gain, "DB (-60..60): gain before the model, smoothed")                      \
    X(outgain, msg_gain, "DB (-60..60): gain after the model, smoothed")                      \
    X(dcblock, msg_dcblock, "0|1|auto: 10 Hz DC blocker after the model (auto: on for "       \
                            "random networks with bias)")                                     \
    X(info, msg_info, "INFO events describing the model, knobs, DSP load and settings")       \
    X(verify, msg_verify, "run the embedded reference; a VERIFY event answers")               \
    X(save, msg_save, "FILE: write the playing model's file (a designed network too)")        \
    X(random, msg_random, "[KEY VALUE]...: design a randomized network from the recipe")
/* The recipe keys alone (`seed 43`), and the aliases in/out of in_channels/out_channels. */
#define RECIPE_HELP "VALUE: change one key of the designer's recipe and rebuild"
#define HOST_RECIPE_ALIASES(X)                                                                \
    X(in, msg_random, "1|2: alias of in_channels")                                           \
    X(out, msg_random, "1|2: alias of out_channels")

#define AS_ENTRY(name, handler, help) {#name, handler, help},
#define RECIPE_AS_ENTRY(key) {#key, msg_random, RECIPE_HELP},
#define AS_NAME(name, handler, help) " " #name
#define RECIPE_AS_NAME(key) " " #key

static const host_selector k_selectors[] = {
    HOST_SELECTORS(AS_ENTRY) NX_RECIPE_KEYS(RECIPE_AS_ENTRY) HOST_RECIPE_ALIASES(AS_ENTRY)};

/* " open bypass ...": built by the compiler from the same lists as the table. */
static const char k_selector_names[] =
    HOST_SELECTORS(AS_NAME) NX_RECIPE_KEYS(RECIPE_AS_NAME) HOST_RECIPE_ALIASES(AS_NAME);

const char *nnfx_host_selectors(void) { return k_selector_names + 1; /* no leading space */ }

static const host_selector *find_selector(const char *sel)
{
    size_t i;
    for (i = 0; i < sizeof k_selectors / sizeof k_selectors[0]; i++)
        if (!strcmp(sel, k_selectors[i].name))
            return &k_selectors[i];
    return NULL;
}

nnfx_result nnfx_host_message(nnfx_host *h, const char *sel, int argc, const nnfx_atom *argv,
                              nnfx_error *err)
{
    const host_selector *entry;
    if (!h || !sel || argc < 0 || (argc > 0 && !argv))
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "message: NULL argument");
    entry = find_selector(sel);
    if (!entry)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "unknown message '%s' (messages: %s)",
                            sel, nnfx_host_selectors());
    return entry->handler(h, sel, argc, argv, err);
}
