/*
 * host.c - the host object's lifecycle (creation, sample rate, freeing), the audio path
 * (gains, model, DC block, mix, bypass, swap crossfade), the real-time setters, opening
 * files, and polling. See nnfx_host.h for the contract and host_internal.h for ownership
 * and the call graph (this file calls host_worker.c and host_events.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "engine.h" /* nx_fpu_enter/leave: flush denormals while processing */
#include "host_atomic.h"
#include "host_internal.h"
#include "onnx_model.h"

#define PI_D 3.14159265358979323846
#define DC_CUTOFF_HZ 10.0
#define TINY 1e-30f /* states below this are flushed to zero (denormal safety) */

nnfx_host_config nnfx_host_config_init(void)
{
    nnfx_host_config c;
    c.in_channels = 1;
    c.out_channels = 1;
    c.max_block = 4096;
    c.sample_rate = 48000.0;
    c.mode = NNFX_MODE_STREAM;
    c.threaded = 1;
    c.crossfade_ms = 10.0f;
    c.smoothing_ms = 20.0f;
    c.measure_load = 1;
    c.random_block_size = 512;
    return c;
}

static float db_to_lin(float db) { return (float)pow(10.0, (double)db / 20.0); }

static float clampf(float v, float lo, float hi)
{
    if (!(v >= lo)) /* also catches NaN */
        return lo;
    return v > hi ? hi : v;
}

/* Smoothing, crossfade and DC-blocker coefficients from cfg (sample rate and times). */
static void set_coefficients(nnfx_host *h)
{
    const nnfx_host_config *cfg = &h->cfg;
    h->fade_step = cfg->crossfade_ms > 0.0f
                       ? (float)(1000.0 / ((double)cfg->crossfade_ms * cfg->sample_rate))
                       : 1.0f;
    h->smooth_a = cfg->smoothing_ms > 0.0f
                      ? exp(-1000.0 / ((double)cfg->smoothing_ms * cfg->sample_rate))
                      : 0.0;
    h->dc_r = (float)(1.0 - 2.0 * PI_D * DC_CUTOFF_HZ / cfg->sample_rate);
    if (h->dc_r < 0.0f)
        h->dc_r = 0.0f;
}

nnfx_result nnfx_host_set_sample_rate(nnfx_host *h, double sr, nnfx_error *err)
{
    double model_sr = 0.0;
    char name[200];
    if (!h)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "set_sample_rate: NULL host");
    if (!(sr >= 1000.0 && sr <= 1536000.0))
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "sample rate %g Hz out of range 1000-1536000", sr);
    if (sr == h->cfg.sample_rate)
        return NNFX_OK;
    nx_mutex_lock(&h->mu);
    h->cfg.sample_rate = sr; /* the worker reads it for `random` builds under mu */
    if (h->latest) {
        model_sr = h->latest->info.sample_rate;
        nx_copy(name, sizeof name, h->latest->name);
    }
    nx_mutex_unlock(&h->mu);
    set_coefficients(h);
    if (model_sr > 0.0 && model_sr != sr)
        nx_host_push_event(h, NNFX_EVENT_WARNING, "warning",
                              "%s was made for %g Hz but the host now runs at %g Hz: it will "
                              "sound different (no resampling yet)",
                              name, model_sr, sr);
    return NNFX_OK;
}

nnfx_result nnfx_host_new(const nnfx_host_config *cfg, nnfx_host **out, nnfx_error *err)
{
    nnfx_host *h;
    size_t per, nbuf;
    int o;
    nnfx_result rc;
    if (out)
        *out = NULL;
    if (!cfg || !out)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "nnfx_host_new: NULL argument");
    if (cfg->in_channels < 1 || cfg->in_channels > NNFX_MAX_CHANNELS || cfg->out_channels < 1 ||
        cfg->out_channels > NNFX_MAX_CHANNELS)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "host ports: %d inputs, %d outputs; allowed 1-%d each",
                              cfg->in_channels, cfg->out_channels, NNFX_MAX_CHANNELS);
    if (cfg->max_block < 1 || cfg->max_block > 65536)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "max_block %d out of range 1-65536",
                              cfg->max_block);
    if (!(cfg->sample_rate >= 1000.0 && cfg->sample_rate <= 1536000.0))
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "sample rate %g Hz out of range 1000-1536000", cfg->sample_rate);
    if (!(cfg->crossfade_ms >= 0.0f && cfg->crossfade_ms <= 1000.0f) ||
        !(cfg->smoothing_ms >= 0.0f && cfg->smoothing_ms <= 10000.0f))
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "crossfade_ms %g (0-1000) or smoothing_ms %g (0-10000) out of range",
                              (double)cfg->crossfade_ms, (double)cfg->smoothing_ms);
    if (cfg->random_block_size < 1 || cfg->random_block_size > 65536)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                              "random_block_size %d out of range 1-65536", cfg->random_block_size);
    h = (nnfx_host *)nx_calloc(1, sizeof *h);
    if (!h)
        return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory for the host");
    h->cfg = *cfg;
    per = (size_t)cfg->max_block;
    nbuf = 2 * (size_t)cfg->out_channels + 6;
    h->scratch_mem = (float *)nx_calloc(nbuf * per, sizeof(float));
    h->dry = (float **)nx_calloc((size_t)cfg->out_channels, sizeof(float *));
    h->wet = (float **)nx_calloc((size_t)cfg->out_channels, sizeof(float *));
    h->events = (nnfx_host_event *)nx_calloc(HOST_EVENT_RING, sizeof(nnfx_host_event));
    if (!h->scratch_mem || !h->dry || !h->wet || !h->events) {
        nnfx_host_free(h);
        return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory for the host's buffers");
    }
    for (o = 0; o < cfg->out_channels; o++) {
        h->dry[o] = h->scratch_mem + (size_t)o * per;
        h->wet[o] = h->scratch_mem + (size_t)(cfg->out_channels + o) * per;
    }
    h->ramp_in = h->scratch_mem + (size_t)(2 * cfg->out_channels) * per;
    h->ramp_out = h->ramp_in + per;
    h->ramp_mix = h->ramp_out + per;
    h->ramp_fade = h->ramp_mix + per;
    h->ramp_bypass = h->ramp_fade + per;
    h->ramp_dc = h->ramp_bypass + per;
    set_coefficients(h);
    h->mix_cur = 1.0;
    h->in_gain_cur = 1.0;
    h->out_gain_cur = 1.0;
    nx_atomic_store_f32(&h->mix_target, 1.0f);
    nx_atomic_store_f32(&h->in_gain_target, 1.0f);
    nx_atomic_store_f32(&h->out_gain_target, 1.0f);
    nx_atomic_store_i32(&h->dc_mode, -1);
    h->mix = 1.0f;
    h->recipe = nnfx_random_recipe_init();
    h->recipe.in_channels = cfg->in_channels == 2 ? 2 : 1;
    h->recipe.out_channels = cfg->out_channels == 2 ? 2 : 1;
    if (nx_mutex_init(&h->mu) != 0) {
        nx_free(h->scratch_mem);
        nx_free(h->dry);
        nx_free(h->wet);
        nx_free(h->events);
        nx_free(h);
        return nx_set_error(err, NNFX_ERR_NOMEM, "cannot create the host's mutex");
    }
    nx_cond_init(&h->cv);
    rc = nx_host_worker_start(h, err);
    if (rc != NNFX_OK) {
        nnfx_host_free(h);
        return rc;
    }
    *out = h;
    return NNFX_OK;
}

static void free_retired(nnfx_host *h)
{
    int32_t r = h->retire_r, w = nx_atomic_load_i32(&h->retire_w);
    host_slot *s;
    while (r != w) {
        s = h->retired[r & (HOST_RETIRE_RING - 1)];
        nx_host_slot_free(s);
        r++;
        nx_atomic_store_i32(&h->retire_r, r);
    }
    nx_mutex_lock(&h->mu);
    while (h->to_free) {
        s = h->to_free;
        h->to_free = s->next_free;
        nx_host_slot_free(s);
    }
    nx_mutex_unlock(&h->mu);
}

void nnfx_host_free(nnfx_host *h)
{
    host_slot *p;
    if (!h)
        return;
    nx_host_worker_stop(h);
    if (h->events) { /* fully constructed: the mutex exists */
        free_retired(h);
        nx_mutex_destroy(&h->mu);
        nx_cond_destroy(&h->cv);
    }
    p = (host_slot *)nx_atomic_xchg_ptr(&h->pending, NULL);
    if (p && p != h->cur && p != h->old)
        nx_host_slot_free(p);
    if (h->old && h->old != h->cur)
        nx_host_slot_free(h->old);
    nx_host_slot_free(h->cur);
    nx_free(h->scratch_mem);
    nx_free(h->dry);
    nx_free(h->wet);
    nx_free(h->events);
    nx_free(h);
}

/* ---- real-time setters ---- */

NNFX_RT void nnfx_host_set_bypass(nnfx_host *h, int on) { nx_atomic_store_i32(&h->bypass_target, on ? 1 : 0); }
NNFX_RT void nnfx_host_set_mix(nnfx_host *h, float wet)
{
    nx_atomic_store_f32(&h->mix_target, clampf(wet, 0.0f, 1.0f));
}
NNFX_RT void nnfx_host_set_in_gain_db(nnfx_host *h, float db)
{
    nx_atomic_store_f32(&h->in_gain_target, db_to_lin(clampf(db, -60.0f, 60.0f)));
}
NNFX_RT void nnfx_host_set_out_gain_db(nnfx_host *h, float db)
{
    nx_atomic_store_f32(&h->out_gain_target, db_to_lin(clampf(db, -60.0f, 60.0f)));
}
NNFX_RT void nnfx_host_set_param(nnfx_host *h, int index, float value)
{
    host_slot *s = h->cur; /* audio thread: the playing model */
    if (!s || index < 0 || index >= s->param_count || value != value)
        return;
    nx_atomic_store_f32(&s->param_target[index],
                           clampf(value, s->pinfo[index].min_value, s->pinfo[index].max_value));
}
NNFX_RT void nnfx_host_set_param_normalized(nnfx_host *h, int index, float unit)
{
    host_slot *s = h->cur; /* audio thread: the playing model, whose range applies */
    double u, lo, hi;
    if (!s || index < 0 || index >= s->param_count || unit != unit)
        return;
    u = (double)clampf(unit, 0.0f, 1.0f);
    lo = (double)s->pinfo[index].min_value;
    hi = (double)s->pinfo[index].max_value;
    /* (1 - u)*lo + u*hi: exactly lo at 0 and hi at 1 (lo + u*(hi - lo) may miss hi by an ulp) */
    nx_atomic_store_f32(&s->param_target[index], (float)((1.0 - u) * lo + u * hi));
}

/* ---- the audio path ---- */

/* One-pole ramp from *cur toward target into r[0..n) (state in double, values as float). */
static void smooth_ramp(float *r, double *cur, float target, double a, int n)
{
    double c = *cur, t = (double)target;
    int i;
    if (c == t) {
        for (i = 0; i < n; i++)
            r[i] = target;
        return;
    }
    for (i = 0; i < n; i++) {
        c = t + a * (c - t);
        r[i] = (float)c;
    }
    if (fabs(c - t) < 1e-7 * (fabs(t) + 1e-7))
        c = t; /* arrived: stop the tail (no denormals, exact target) */
    *cur = c;
}

/* Linear ramp of *pos toward target (0 or 1) by step per sample into r[0..n). */
static void linear_ramp(float *r, float *pos, float target, float step, int n)
{
    float p = *pos;
    int i;
    for (i = 0; i < n; i++) {
        if (p < target) {
            p += step;
            if (p > target)
                p = target;
        } else if (p > target) {
            p -= step;
            if (p < target)
                p = target;
        }
        r[i] = p;
    }
    *pos = p;
}

static void apply_params(nnfx_host *h, host_slot *s, int n)
{
    int i;
    double c;
    if (s->param_count == 0)
        return;
    /* Per-block one-pole step with the same time constant as the gains. A knob set before
       the model has heard anything is not glided: there is nothing to click, and the
       runtime then primes the model's history for the new setting. */
    c = s->ran ? pow(h->smooth_a, (double)n) : 0.0;
    for (i = 0; i < s->param_count; i++) {
        double t = (double)nx_atomic_load_f32(&s->param_target[i]);
        double v = s->param_current[i];
        double range = (double)s->pinfo[i].max_value - (double)s->pinfo[i].min_value;
        if (v == t)
            continue;
        v = t + c * (v - t);
        if (fabs(v - t) <= 1e-6 * (range > 0.0 ? range : 1.0))
            v = t;
        s->param_current[i] = v;
        nnfx_model_set_param(s->model, i, (float)v);
    }
}

/* Runs slot s on the host input (with input gain ramp) into s->out_buf. */
static void run_slot(nnfx_host *h, host_slot *s, const float *const *in, int n)
{
    int hi = h->cfg.in_channels, c, i, k;
    apply_params(h, s, n);
    s->ran = 1;
    for (c = 0; c < s->model_in; c++) {
        float *dst = s->in_buf[c];
        if (s->model_in == hi || hi == 1) {
            const float *src = in[s->model_in == hi ? c : 0];
            for (i = 0; i < n; i++)
                dst[i] = src[i] * h->ramp_in[i];
        } else { /* mono model, several host inputs: their mean */
            float scale = 1.0f / (float)hi;
            for (i = 0; i < n; i++) {
                float acc = 0.0f;
                for (k = 0; k < hi; k++)
                    acc += in[k][i];
                dst[i] = acc * scale * h->ramp_in[i];
            }
        }
    }
    if (nnfx_model_process(s->model, (const float *const *)s->in_buf, s->out_buf, n) != NNFX_OK)
        for (c = 0; c < s->model_out; c++)
            memset(s->out_buf[c], 0, (size_t)n * sizeof(float));
}

/* Slot output mapped to host output o, times g[i] (or 1 - g[i] when complement),
   written to dst (complement = 0) or added to it (complement = 1). */
static void mix_slot_out(const nnfx_host *h, const host_slot *s, int o, float *dst,
                         const float *g, int n, int complement)
{
    int ho = h->cfg.out_channels, i, k;
    float tmp;
    for (i = 0; i < n; i++) {
        if (s->model_out == ho || s->model_out == 1) {
            tmp = s->out_buf[s->model_out == ho ? o : 0][i];
        } else { /* several model outputs onto one host output: their mean */
            tmp = 0.0f;
            for (k = 0; k < s->model_out; k++)
                tmp += s->out_buf[k][i];
            tmp *= 1.0f / (float)s->model_out;
        }
        if (complement)
            dst[i] += tmp * (1.0f - g[i]);
        else
            dst[i] = tmp * g[i];
    }
}

static int retire(nnfx_host *h, host_slot *s)
{
    int32_t w = h->retire_w, r = nx_atomic_load_i32(&h->retire_r);
    if (w - r >= HOST_RETIRE_RING)
        return 0;
    h->retired[w & (HOST_RETIRE_RING - 1)] = s;
    nx_atomic_store_i32(&h->retire_w, w + 1);
    return 1;
}

static void take_pending(nnfx_host *h)
{
    host_slot *p;
    if (!nx_atomic_load_ptr(&h->pending))
        return;
    if (h->fading)
        return; /* let the running crossfade finish; a newer model replaces this one meanwhile */
    p = (host_slot *)nx_atomic_xchg_ptr(&h->pending, NULL);
    if (!p)
        return;
    h->old = h->cur;
    h->cur = p;
    h->fading = 1;
    h->fade_pos = 0.0f;
}

static void process_chunk(nnfx_host *h, const float *const *in, float *const *out, int n)
{
    int hi = h->cfg.in_channels, ho = h->cfg.out_channels, o, i;
    int32_t rq;
    int dc_on, mode;
    float bypass_t;
    host_slot *cur, *old;

    take_pending(h);
    cur = h->cur;
    old = h->old;
    rq = nx_atomic_load_i32(&h->reset_req);
    if (rq != h->reset_seen) {
        h->reset_seen = rq;
        if (cur)
            nnfx_model_reset(cur->model);
        if (old)
            nnfx_model_reset(old->model);
        for (o = 0; o < ho; o++)
            h->dc_x1[o] = h->dc_y1[o] = 0.0f;
    }

    /* Dry signal per output port (copied first: in and out may alias). */
    for (o = 0; o < ho; o++) {
        if (o < hi || hi == 1)
            memcpy(h->dry[o], in[o < hi ? o : 0], (size_t)n * sizeof(float));
        else
            memset(h->dry[o], 0, (size_t)n * sizeof(float));
    }
    if (!h->started) {
        /* gains and mix set before the first block apply at once (nothing has sounded) */
        h->in_gain_cur = (double)nx_atomic_load_f32(&h->in_gain_target);
        h->out_gain_cur = (double)nx_atomic_load_f32(&h->out_gain_target);
        h->mix_cur = (double)nx_atomic_load_f32(&h->mix_target);
        h->started = 1;
    }
    smooth_ramp(h->ramp_in, &h->in_gain_cur, nx_atomic_load_f32(&h->in_gain_target),
                h->smooth_a, n);
    smooth_ramp(h->ramp_out, &h->out_gain_cur, nx_atomic_load_f32(&h->out_gain_target),
                h->smooth_a, n);
    smooth_ramp(h->ramp_mix, &h->mix_cur, nx_atomic_load_f32(&h->mix_target), h->smooth_a, n);
    bypass_t = nx_atomic_load_i32(&h->bypass_target) ? 1.0f : 0.0f;
    linear_ramp(h->ramp_bypass, &h->bypass_pos, bypass_t, h->fade_step, n);

    if (!cur) {
        /* No model: dry pass-through (bypass and mix make no difference). */
        for (o = 0; o < ho; o++)
            memcpy(out[o], h->dry[o], (size_t)n * sizeof(float));
        return;
    }

    /* Wet: the current model, crossfaded with the previous one (or the dry signal);
       ramp_fade is the new model's weight, rising linearly 0 -> 1. */
    if (h->fading)
        linear_ramp(h->ramp_fade, &h->fade_pos, 1.0f, h->fade_step, n);
    run_slot(h, cur, in, n);
    if (h->fading && old)
        run_slot(h, old, in, n);
    for (o = 0; o < ho; o++) {
        float *w = h->wet[o];
        if (!h->fading) {
            mix_slot_out(h, cur, o, w, h->ramp_out, n, 0);
            continue;
        }
        mix_slot_out(h, cur, o, w, h->ramp_fade, n, 0);
        if (old) {
            mix_slot_out(h, old, o, w, h->ramp_fade, n, 1);
            for (i = 0; i < n; i++)
                w[i] *= h->ramp_out[i];
        } else { /* first model: fade in from the dry signal (no output gain on dry) */
            for (i = 0; i < n; i++)
                w[i] = w[i] * h->ramp_out[i] + h->dry[o][i] * (1.0f - h->ramp_fade[i]);
        }
    }
    if (h->fading && h->fade_pos >= 1.0f) {
        if (!old || retire(h, old)) {
            h->old = NULL;
            h->fading = 0;
        }
    }

    /* DC blocker: y = x - x1 + R*y1 (first-order high-pass near 10 Hz). */
    mode = nx_atomic_load_i32(&h->dc_mode);
    dc_on = mode < 0 ? cur->dc_default : mode;
    /* The filter always runs (its state stays settled); switching it on or off crossfades
       between its input and output, so a model's DC never jumps in or out. */
    linear_ramp(h->ramp_dc, &h->dc_pos, dc_on ? 1.0f : 0.0f, h->fade_step, n);
    for (o = 0; o < ho; o++) {
        float *w = h->wet[o], x1 = h->dc_x1[o], y1 = h->dc_y1[o], r = h->dc_r;
        const float *g = h->ramp_dc;
        for (i = 0; i < n; i++) {
            float x = w[i];
            float y = x - x1 + r * y1;
            x1 = x;
            y1 = y;
            w[i] = x * (1.0f - g[i]) + y * g[i];
        }
        if (fabsf(y1) < TINY || y1 != y1)
            y1 = 0.0f;
        if (x1 != x1)
            x1 = 0.0f;
        h->dc_x1[o] = x1;
        h->dc_y1[o] = y1;
    }

    /* Mix and bypass, written to out (dry was copied before). */
    for (o = 0; o < ho; o++) {
        const float *d = h->dry[o], *w = h->wet[o];
        float *y = out[o];
        for (i = 0; i < n; i++) {
            /* Complementary weights: mix 1 gives the wet signal exactly, bypass 1 the dry. */
            float mx = h->ramp_mix[i], b = h->ramp_bypass[i];
            float m = d[i] * (1.0f - mx) + w[i] * mx;
            y[i] = m * (1.0f - b) + d[i] * b;
        }
    }
}

NNFX_RT void nnfx_host_process(nnfx_host *h, const float *const *in, float *const *out,
                               int frames)
{
    long long t0 = 0;
    int done = 0;
    nx_fpu_state fpu;
    if (!h || frames <= 0)
        return;
    if (h->cfg.measure_load)
        t0 = nx_now_ns();
    nx_fpu_enter(&fpu); /* FTZ/DAZ (x86), FZ (ARM): the gains, DC blocker and mix too */
    while (done < frames) {
        int n = frames - done < h->cfg.max_block ? frames - done : h->cfg.max_block;
        const float *ip[NNFX_MAX_CHANNELS];
        float *op[NNFX_MAX_CHANNELS];
        int c;
        for (c = 0; c < h->cfg.in_channels; c++)
            ip[c] = in[c] + done;
        for (c = 0; c < h->cfg.out_channels; c++)
            op[c] = out[c] + done;
        process_chunk(h, ip, op, n);
        done += n;
    }
    nx_fpu_leave(&fpu);
    if (h->cfg.measure_load) {
        double used = (double)(nx_now_ns() - t0) * 1e-9;
        double avail = (double)frames / h->cfg.sample_rate;
        double a = 0.05; /* roughly a 20-block average */
        h->load_avg += a * (used / avail - h->load_avg);
        nx_atomic_store_f32(&h->load_bits, (float)h->load_avg);
    }
    nx_atomic_add_i32(&h->blocks_done, 1);
}

/* ---- control thread ---- */

nnfx_result nnfx_host_open(nnfx_host *h, const char *path, nnfx_error *err)
{
    host_job job;
    if (!h || !path || !path[0])
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "open: needs a file name");
    memset(&job, 0, sizeof job);
    job.kind = JOB_OPEN_FILE;
    if (strlen(path) >= sizeof job.path)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "open: path longer than %d bytes",
                              (int)sizeof job.path - 1);
    nx_copy(job.path, sizeof job.path, path);
    return nx_host_submit(h, &job, err);
}

nnfx_result nnfx_host_open_memory(nnfx_host *h, const void *data, size_t size, const char *name,
                                  nnfx_error *err)
{
    host_job job;
    if (!h || !data)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "open: NULL data");
    memset(&job, 0, sizeof job);
    job.kind = JOB_OPEN_MEMORY;
    nx_copy(job.path, sizeof job.path, name ? name : "(memory)");
    job.bytes = (uint8_t *)nx_malloc(size ? size : 1);
    if (!job.bytes)
        return nx_set_error(err, NNFX_ERR_NOMEM, "open: out of memory copying %lu bytes",
                              (unsigned long)size);
    memcpy(job.bytes, data, size);
    job.n_bytes = size;
    return nx_host_submit(h, &job, err);
}

int nnfx_host_poll(nnfx_host *h, nnfx_host_event *ev)
{
    if (!h)
        return 0;
    free_retired(h);
    return ev ? nx_host_pop_event(h, ev) : 0;
}
