/*
 * host_query.c - what the control thread may ask the host: the model it plays (or has just
 * loaded to play next) and its knobs, whether it is loading, the designer's recipe, and a
 * file's channel counts before a host exists. Everything here takes the host's lock and
 * runs on the control thread only (nnfx_host.h). Calls no other host file.
 */
#include <string.h>

#include "host_internal.h"
#include "onnx_model.h" /* nx_set_error */

/* The host's lock for queries through a const handle: locking changes no observable state. */
static nnfx_host *locked(const nnfx_host *h)
{
    nnfx_host *m = (nnfx_host *)h;
    nx_mutex_lock(&m->mu);
    return m;
}

int nx_slot_param_index(const host_slot *s, const char *name)
{
    int i;
    if (!s || !name)
        return -1;
    for (i = 0; i < s->param_count; i++)
        if (!strcmp(s->pname[i], name))
            return i;
    return -1;
}

nnfx_result nnfx_host_model_info(const nnfx_host *h, nnfx_info *info)
{
    nnfx_host *m;
    const host_slot *s;
    if (!info)
        return NNFX_ERR_INVALID_ARG;
    memset(info, 0, sizeof *info);
    if (!h)
        return NNFX_ERR_INVALID_ARG;
    m = locked(h);
    s = m->latest;
    if (s) {
        *info = s->info;
        info->param_count = s->param_count; /* the knobs this host drives */
        info->name = s->model_name;
        info->architecture = s->architecture;
    }
    nx_mutex_unlock(&m->mu);
    return s ? NNFX_OK : NNFX_ERR_INVALID_ARG;
}

int nnfx_host_param_count(const nnfx_host *h)
{
    nnfx_host *m;
    int n;
    if (!h)
        return 0;
    m = locked(h);
    n = m->latest ? m->latest->param_count : 0;
    nx_mutex_unlock(&m->mu);
    return n;
}

nnfx_result nnfx_host_param_info(const nnfx_host *h, int index, nnfx_param_info *info)
{
    nnfx_host *m;
    const host_slot *s;
    nnfx_result rc = NNFX_ERR_INVALID_ARG;
    if (!h || !info)
        return NNFX_ERR_INVALID_ARG;
    m = locked(h);
    s = m->latest;
    if (s && index >= 0 && index < s->param_count) {
        *info = s->pinfo[index];
        rc = NNFX_OK;
    }
    nx_mutex_unlock(&m->mu);
    return rc;
}

int nnfx_host_param_index(const nnfx_host *h, const char *name)
{
    nnfx_host *m;
    int i;
    if (!h)
        return -1;
    m = locked(h);
    i = nx_slot_param_index(m->latest, name);
    nx_mutex_unlock(&m->mu);
    return i;
}

int nnfx_host_has_model(const nnfx_host *h)
{
    nnfx_host *m;
    int r;
    if (!h)
        return 0;
    m = locked(h);
    r = m->latest != NULL;
    nx_mutex_unlock(&m->mu);
    return r;
}

int nnfx_host_busy(const nnfx_host *h)
{
    nnfx_host *m;
    int r;
    if (!h)
        return 0;
    m = locked(h);
    r = m->busy || m->n_jobs > 0;
    nx_mutex_unlock(&m->mu);
    return r;
}

int nnfx_host_wait_idle(nnfx_host *h, int timeout_ms)
{
    int waited = 0;
    while (nnfx_host_busy(h)) {
        if (waited >= timeout_ms)
            return 0;
        nx_sleep_ms(1);
        waited++;
    }
    return 1;
}

nnfx_random_recipe nnfx_host_recipe(const nnfx_host *h)
{
    nnfx_host *m = locked(h);
    nnfx_random_recipe r = m->recipe;
    nx_mutex_unlock(&m->mu);
    return r;
}

nnfx_result nnfx_host_probe_file(const char *path, int *in_channels, int *out_channels,
                                 nnfx_error *err)
{
    nnfx_config cfg = nnfx_config_init();
    nnfx_model *model = NULL;
    nnfx_info info;
    nnfx_result r;
    cfg.max_block = 1; /* only the info is needed: keep the planned buffers small */
    if ((r = nnfx_model_load_file(path, &cfg, &model, err)) != NNFX_OK)
        return r;
    r = nnfx_model_info(model, &info);
    if (r == NNFX_OK) {
        *in_channels = info.in_channels;
        *out_channels = info.out_channels;
    } else {
        nx_set_error(err, r, "%s: cannot read the model's channel counts", path);
    }
    nnfx_model_free(model);
    return r;
}
