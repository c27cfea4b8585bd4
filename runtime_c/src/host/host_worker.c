/*
 * host_worker.c - loading, building and verifying models off the audio
 * thread, and publishing them to it (see host_internal.h for ownership and
 * the call graph: this file calls host_recipe.c and host_events.c only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "host_atomic.h"
#include "host_internal.h"
#include "onnx_model.h"

#define MAX_FILE_BYTES ((size_t)1 << 30)

void nx_host_slot_free(host_slot *s)
{
    if (!s)
        return;
    nnfx_model_free(s->model);
    nx_free(s->in_buf);
    nx_free(s->out_buf);
    nx_free(s->mem);
    nx_free(s->bytes);
    nx_free(s);
}

static nnfx_result read_file(const char *path, uint8_t **out, size_t *size, nnfx_error *err)
{
    FILE *f = fopen(path, "rb");
    long n;
    uint8_t *buf;
    *out = NULL;
    *size = 0;
    if (!f)
        return nx_set_error(err, NNFX_ERR_IO, "cannot open '%s'", path);
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return nx_set_error(err, NNFX_ERR_IO, "cannot read '%s'", path);
    }
    if ((size_t)n > MAX_FILE_BYTES) {
        fclose(f);
        return nx_set_error(err, NNFX_ERR_LIMIT, "'%s' is %ld bytes, more than the %lu allowed",
                              path, n, (unsigned long)MAX_FILE_BYTES);
    }
    buf = (uint8_t *)nx_malloc((size_t)n ? (size_t)n : 1);
    if (!buf) {
        fclose(f);
        return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory reading '%s'", path);
    }
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        nx_free(buf);
        fclose(f);
        return nx_set_error(err, NNFX_ERR_IO, "cannot read '%s'", path);
    }
    fclose(f);
    *out = buf;
    *size = (size_t)n;
    return NNFX_OK;
}

static int ports_fit(int model_ch, int host_ch)
{
    return model_ch == host_ch || model_ch == 1 || host_ch == 1;
}

/* The host sample rate (the control thread may change it: read under mu). */
static double host_rate(nnfx_host *h)
{
    double sr;
    nx_mutex_lock(&h->mu);
    sr = h->cfg.sample_rate;
    nx_mutex_unlock(&h->mu);
    return sr;
}

/* Load bytes into a new slot (takes ownership of bytes on success and failure). A broken
   nnfx.architecture does not stop the model: arch_err says why it is not read as a random
   network (arch_err->code != NNFX_OK). */
static nnfx_result make_slot(nnfx_host *h, uint8_t *bytes, size_t n, const char *name,
                             host_slot **out, nnfx_error *err, nnfx_error *arch_err)
{
    nnfx_config mc = nnfx_config_init();
    host_slot *s;
    nnfx_result rc;
    int c, i;
    size_t per;
    const char *arch, *mname;
    *out = NULL;
    s = (host_slot *)nx_calloc(1, sizeof *s);
    if (!s) {
        nx_free(bytes);
        return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory loading '%s'", name);
    }
    s->bytes = bytes;
    s->n_bytes = n;
    nx_copy(s->name, sizeof s->name, name);
    mc.mode = h->cfg.mode;
    mc.max_block = h->cfg.max_block;
    mc.host_sample_rate = host_rate(h);
    rc = nnfx_model_load_memory(bytes, n, &mc, &s->model, err);
    if (rc != NNFX_OK) {
        nx_host_slot_free(s);
        return rc;
    }
    rc = nnfx_model_info(s->model, &s->info);
    if (rc != NNFX_OK) {
        nx_host_slot_free(s);
        return nx_set_error(err, rc, "'%s': cannot read the model's info", name);
    }
    s->model_in = s->info.in_channels;
    s->model_out = s->info.out_channels;
    if (!ports_fit(s->model_in, h->cfg.in_channels) ||
        !ports_fit(s->model_out, h->cfg.out_channels)) {
        nx_set_error(err, NNFX_ERR_INVALID_ARG,
                       "'%s' has %d input and %d output channels; this object has %d inputs and "
                       "%d outputs (allowed: equal counts, or 1 on either side); keeping the "
                       "current model",
                       name, s->model_in, s->model_out, h->cfg.in_channels, h->cfg.out_channels);
        nx_host_slot_free(s);
        return NNFX_ERR_INVALID_ARG;
    }
    per = (size_t)h->cfg.max_block;
    s->mem = (float *)nx_calloc((size_t)(s->model_in + s->model_out) * per, sizeof(float));
    s->in_buf = (float **)nx_calloc((size_t)s->model_in, sizeof(float *));
    s->out_buf = (float **)nx_calloc((size_t)s->model_out, sizeof(float *));
    if (!s->mem || !s->in_buf || !s->out_buf) {
        nx_host_slot_free(s);
        return nx_set_error(err, NNFX_ERR_NOMEM, "out of memory for '%s''s buffers", name);
    }
    for (c = 0; c < s->model_in; c++)
        s->in_buf[c] = s->mem + (size_t)c * per;
    for (c = 0; c < s->model_out; c++)
        s->out_buf[c] = s->mem + (size_t)(s->model_in + c) * per;
    mname = s->info.name ? s->info.name : "";
    nx_copy(s->model_name, sizeof s->model_name, mname);
    arch = s->info.architecture ? s->info.architecture : "";
    s->architecture = arch;
    s->is_random = nx_recipe_from_architecture(arch, &s->recipe, arch_err) == 1;
    s->dc_default = s->is_random && s->recipe.bias;
    s->param_count = s->info.param_count < HOST_MAX_PARAMS ? s->info.param_count : HOST_MAX_PARAMS;
    for (i = 0; i < s->param_count; i++) {
        nnfx_param_info *p = &s->pinfo[i];
        if (nnfx_model_param_info(s->model, i, p) != NNFX_OK) {
            memset(p, 0, sizeof *p);
            p->max_value = 1.0f;
        }
        nx_copy(s->pname[i], sizeof s->pname[i], p->name ? p->name : "");
        nx_copy(s->punit[i], sizeof s->punit[i], p->unit ? p->unit : "");
        p->name = s->pname[i];
        p->unit = s->punit[i];
        s->param_current[i] = p->default_value;
        nx_atomic_store_f32(&s->param_target[i], p->default_value);
    }
    /* name/architecture pointers of the cached info are not kept (they live in the model). */
    s->info.name = NULL;
    s->info.architecture = NULL;
    *out = s;
    return NNFX_OK;
}

/* Publish a finished slot to the audio thread. */
static void publish(nnfx_host *h, host_slot *s)
{
    host_slot *prev;
    nnfx_host_event ev;
    double sr;
    memset(&ev, 0, sizeof ev);
    ev.kind = NNFX_EVENT_LOADED;
    snprintf(ev.key, sizeof ev.key, "loaded");
    ev.n_values = 1;
    ev.values[0].type = NNFX_ATOM_SYMBOL;
    nx_copy(ev.sym, sizeof ev.sym, s->name);
    ev.values[0].s = ev.sym;
    snprintf(ev.text, sizeof ev.text, "loaded %.300s (%d in, %d out, %g Hz, receptive field %d frames)",
             s->name, s->model_in, s->model_out, s->info.sample_rate, s->info.receptive_field);
    nx_mutex_lock(&h->mu);
    sr = h->cfg.sample_rate;
    h->latest = s;
    if (s->is_random)
        h->recipe = s->recipe;
    nx_host_push_event_locked(h, &ev);
    prev = (host_slot *)nx_atomic_xchg_ptr(&h->pending, s);
    if (prev) { /* never adopted by the audio thread: free it in poll */
        prev->next_free = h->to_free;
        h->to_free = prev;
    }
    nx_mutex_unlock(&h->mu);
    if (sr > 0 && s->info.sample_rate > 0 && s->info.sample_rate != sr)
        nx_host_push_event(h, NNFX_EVENT_WARNING, "warning",
                              "%s was made for %g Hz but the host runs at %g Hz: it will sound "
                              "different (no resampling yet)",
                              s->name, s->info.sample_rate, sr);
}

static void run_verify(nnfx_host *h, host_job *job)
{
    nnfx_config mc = nnfx_config_init();
    nnfx_model *m = NULL;
    nnfx_error err;
    double max_err = 0.0;
    nnfx_result rc;
    nnfx_host_event ev;
    err.message[0] = '\0';
    mc.mode = h->cfg.mode;
    mc.max_block = h->cfg.max_block;
    rc = nnfx_model_load_memory(job->bytes, job->n_bytes, &mc, &m, &err);
    if (rc == NNFX_OK)
        rc = nnfx_model_verify(m, &max_err, &err);
    nnfx_model_free(m);
    memset(&ev, 0, sizeof ev);
    ev.kind = NNFX_EVENT_VERIFY;
    snprintf(ev.key, sizeof ev.key, "verify");
    ev.n_values = 2;
    ev.values[0].type = NNFX_ATOM_FLOAT;
    ev.values[0].f = max_err;
    ev.values[1].type = NNFX_ATOM_FLOAT;
    ev.values[1].f = rc == NNFX_OK ? 1.0 : 0.0;
    if (rc == NNFX_OK)
        snprintf(ev.text, sizeof ev.text, "verify %.200s: ok, max abs error %.3g", job->path,
                 max_err);
    else if (rc == NNFX_ERR_MISMATCH)
        snprintf(ev.text, sizeof ev.text, "verify %.200s: MISMATCH, max abs error %.3g: %.250s",
                 job->path, max_err, err.message);
    else
        snprintf(ev.text, sizeof ev.text, "verify %.200s: failed: %.280s", job->path, err.message);
    nx_mutex_lock(&h->mu);
    nx_host_push_event_locked(h, &ev);
    nx_mutex_unlock(&h->mu);
}

/* Runs one job in the current thread; fills err and queues an ERROR event on failure. */
static nnfx_result run_job(nnfx_host *h, host_job *job, nnfx_error *err)
{
    nnfx_result rc = NNFX_OK;
    uint8_t *bytes = job->bytes;
    size_t n = job->n_bytes;
    char name[512];
    host_slot *s = NULL;
    nnfx_error arch_err;
    nx_error_clear(&arch_err);
    job->bytes = NULL;
    switch (job->kind) {
    case JOB_VERIFY:
        job->bytes = bytes;
        run_verify(h, job);
        nx_free(job->bytes);
        job->bytes = NULL;
        return NNFX_OK;
    case JOB_OPEN_FILE:
        nx_copy(name, sizeof name, job->path);
        rc = read_file(job->path, &bytes, &n, err);
        break;
    case JOB_OPEN_MEMORY:
        nx_copy(name, sizeof name, job->path);
        break;
    case JOB_RANDOM:
        snprintf(name, sizeof name, "random %s/%s seed %lu",
                 nnfx_activation_name(job->recipe.activation), nnfx_init_name(job->recipe.init),
                 (unsigned long)job->recipe.seed);
        rc = nnfx_random_build(&job->recipe, h->cfg.random_block_size, host_rate(h), &bytes,
                               &n, err);
        break;
    }
    if (rc == NNFX_OK)
        rc = make_slot(h, bytes, n, name, &s, err, &arch_err);
    else
        nx_free(bytes);
    if (rc == NNFX_OK) {
        publish(h, s);
        if (arch_err.code != NNFX_OK)
            nx_host_push_event(h, NNFX_EVENT_WARNING, "warning",
                               "%.200s: %.280s; it plays, but not as a randomized network "
                               "(the designer starts from its own recipe)",
                               name, arch_err.message);
        return NNFX_OK;
    }
    nx_host_push_event(h, NNFX_EVENT_ERROR, "error", "%s", err->message);
    return rc;
}

static void worker_main(void *arg)
{
    nnfx_host *h = (nnfx_host *)arg;
    nx_mutex_lock(&h->mu);
    for (;;) {
        host_job job;
        nnfx_error err;
        int i;
        while (!h->quit && h->n_jobs == 0)
            nx_cond_wait_ms(&h->cv, &h->mu, 200);
        if (h->quit)
            break;
        job = h->jobs[0];
        for (i = 1; i < h->n_jobs; i++)
            h->jobs[i - 1] = h->jobs[i];
        h->n_jobs--;
        h->busy = 1;
        nx_mutex_unlock(&h->mu);
        err.message[0] = '\0';
        run_job(h, &job, &err);
        nx_mutex_lock(&h->mu);
        h->busy = 0;
        nx_cond_broadcast(&h->cv);
    }
    nx_mutex_unlock(&h->mu);
}

nnfx_result nx_host_worker_start(nnfx_host *h, nnfx_error *err)
{
    if (!h->cfg.threaded)
        return NNFX_OK;
    if (nx_thread_start(&h->worker, worker_main, h) != 0)
        return nx_set_error(err, NNFX_ERR_NOMEM, "cannot start the host's worker thread");
    h->worker_started = 1;
    return NNFX_OK;
}

void nx_host_worker_stop(nnfx_host *h)
{
    int i;
    if (h->worker_started) {
        nx_mutex_lock(&h->mu);
        h->quit = 1;
        nx_cond_broadcast(&h->cv);
        nx_mutex_unlock(&h->mu);
        nx_thread_join(&h->worker);
        h->worker_started = 0;
    }
    for (i = 0; i < h->n_jobs; i++)
        nx_free(h->jobs[i].bytes);
    h->n_jobs = 0;
}

nnfx_result nx_host_submit(nnfx_host *h, host_job *job, nnfx_error *err)
{
    int i;
    if (!h->cfg.threaded)
        return run_job(h, job, err);
    nx_mutex_lock(&h->mu);
    if (job->kind != JOB_VERIFY) {
        /* A newer load replaces a queued (not yet started) one. */
        for (i = 0; i < h->n_jobs; i++) {
            if (h->jobs[i].kind != JOB_VERIFY) {
                nx_free(h->jobs[i].bytes);
                h->jobs[i] = *job;
                nx_cond_broadcast(&h->cv);
                nx_mutex_unlock(&h->mu);
                return NNFX_OK;
            }
        }
    }
    if (h->n_jobs == HOST_MAX_JOBS) {
        nx_mutex_unlock(&h->mu);
        nx_free(job->bytes);
        job->bytes = NULL;
        return nx_set_error(err, NNFX_ERR_LIMIT, "too many requests queued; try again");
    }
    h->jobs[h->n_jobs++] = *job;
    nx_cond_broadcast(&h->cv);
    nx_mutex_unlock(&h->mu);
    return NNFX_OK;
}
