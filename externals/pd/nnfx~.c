/*
 * nnfx~ - Pure Data object running an nnfx model file, or a random network designed live.
 *
 *   [nnfx~ FILE [-in N] [-out N] [-mode stream|lookback]]
 *
 * A thin adapter: the message vocabulary, gains, mix, DC blocking, smoothing, off-thread
 * loading and crossfaded swapping, the random designer, save/info/verify all live in
 * runtime_c's host layer (nnfx_host.h, docs/host-layer.md). This file only translates
 * between Pd's API and that one: it resolves file names against the patch and Pd's
 * search path, turns Pd atoms into host atoms and host events into outlet messages.
 *
 * Threads: in Pd, messages and DSP run in the same (scheduler) thread, so the host's
 * control calls and nnfx_host_process never run at the same time; models are built on
 * the host's own worker thread. A Pd clock polls the host's events.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "m_pd.h"
#include "g_canvas.h"

#include "nnfx.h"
#include "nnfx_host.h"

#define NNFX_PD_MAX_BLOCK 1024    /* frames per host call; larger Pd blocks are split by the host */
#define NNFX_PD_POLL_MS 20.0      /* event polling period, ms of Pd's logical time */
#define NNFX_PD_LOAD_WAIT_MS 30000 /* creation waits this long for the first model, ms */
#define NNFX_PD_MAX_ARGS 64       /* most atoms in one message forwarded to the host */

static t_class *nnfx_tilde_class;

typedef struct _nnfx_tilde {
    t_object x_obj;        /* Pd object header; must come first */
    t_float x_f;           /* value of the first signal inlet when no signal is connected */
    t_canvas *x_canvas;    /* the patch this object lives in: base for relative file names */
    nnfx_host *x_host;     /* the shared host layer; NULL when it could not be created */
    int x_nin, x_nout;     /* signal inlets and outlets, fixed at creation (1..NNFX_MAX_CHANNELS) */
    t_outlet **x_sigout;   /* the x_nout signal outlets */
    t_outlet *x_ctl;       /* control outlet (rightmost): loaded, info, verify, error, warning */
    t_clock *x_poll;       /* reads host events every NNFX_PD_POLL_MS ms */
    double x_sr;           /* sample rate the host runs at, Hz (updated in _dsp) */
    /* DSP state, (re)built in _dsp only */
    int x_frames;          /* Pd block size of the current DSP chain, frames */
    int x_buf_frames;      /* frames allocated per channel in x_inbuf/x_outbuf */
    t_sample **x_sig;      /* x_nin input then x_nout output vectors of the DSP chain */
    float *x_inbuf;        /* x_nin * x_buf_frames: copies of the inputs (Pd may alias in/out) */
    float *x_outbuf;       /* x_nout * x_buf_frames: outputs when t_sample is not float */
    const float **x_in;    /* x_nin pointers into x_inbuf */
    float **x_out;         /* x_nout pointers: Pd's vectors (32-bit Pd) or into x_outbuf */
} t_nnfx_tilde;

/* ------------------------------------------------------------------------ */
/* file names                                                                */
/* ------------------------------------------------------------------------ */

typedef struct {
    char *buf;         /* list of searched folders, comma separated */
    size_t cap;        /* bytes in buf */
    const char *first; /* the patch's folder, listed first and only once */
} t_nnfx_pathlist;

static int nnfx_tilde_addpath(const char *path, void *user)
{
    t_nnfx_pathlist *pl = (t_nnfx_pathlist *)user;
    size_t len = strlen(pl->buf);
    if (len && pl->first && !strcmp(path, pl->first))
        return 1;
    if (len + 8 < pl->cap)
        snprintf(pl->buf + len, pl->cap - len, "%s%s", len ? ", " : "", path);
    return 1; /* keep iterating */
}

/* Resolve name against the patch's folder, then Pd's search path; ".onnx" may be
   omitted. Returns 1 with the absolute path in out, or 0 after printing one error. */
static int nnfx_tilde_resolve(t_nnfx_tilde *x, const char *name, char *out, size_t cap)
{
    char dir[MAXPDSTRING], *file = NULL;
    size_t len = strlen(name);
    int fd, has_ext = len >= 5 && strcmp(name + len - 5, ".onnx") == 0;
    fd = canvas_open(x->x_canvas, name, "", dir, &file, MAXPDSTRING, 1);
    if (fd < 0 && !has_ext)
        fd = canvas_open(x->x_canvas, name, ".onnx", dir, &file, MAXPDSTRING, 1);
    if (fd >= 0) {
        sys_close(fd);
        if (snprintf(out, cap, "%s/%s", dir, file) < (int)cap)
            return 1;
        pd_error(x, "nnfx~: the path of '%s' is too long", name);
        return 0;
    }
    {
        char searched[MAXPDSTRING] = "";
        t_nnfx_pathlist pl;
        pl.buf = searched;
        pl.cap = sizeof(searched);
        pl.first = x->x_canvas ? canvas_getdir(x->x_canvas)->s_name : NULL;
        if (pl.first)
            nnfx_tilde_addpath(pl.first, &pl);
        canvas_path_iterate(x->x_canvas, nnfx_tilde_addpath, &pl);
        pd_error(x, "nnfx~: file '%s'%s not found; searched: %s", name,
                 has_ext ? "" : " (nor with .onnx)", searched[0] ? searched : "(no folders)");
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* host events -> control outlet and console                                 */
/* ------------------------------------------------------------------------ */

static void nnfx_tilde_emit(t_nnfx_tilde *x, const nnfx_host_event *ev)
{
    t_atom av[16];
    int i, n = ev->n_values < 16 ? ev->n_values : 16;
    for (i = 0; i < n; i++) {
        if (ev->values[i].type == NNFX_ATOM_SYMBOL)
            SETSYMBOL(&av[i], gensym(ev->values[i].s ? ev->values[i].s : ""));
        else
            SETFLOAT(&av[i], (t_float)ev->values[i].f);
    }
    switch (ev->kind) {
    case NNFX_EVENT_ERROR:
        pd_error(x, "nnfx~: %s", ev->text);
        break;
    case NNFX_EVENT_WARNING:
        logpost(x, 2, "nnfx~: warning: %s", ev->text);
        break;
    case NNFX_EVENT_LOADED:
        logpost(x, 3, "nnfx~: %s", ev->text);
        break;
    case NNFX_EVENT_VERIFY:
        if (n >= 2 && ev->values[1].type == NNFX_ATOM_FLOAT && ev->values[1].f == 0)
            pd_error(x, "nnfx~: %s", ev->text);
        else
            post("nnfx~: %s", ev->text);
        break;
    case NNFX_EVENT_INFO:
        break;
    }
    /* errors and warnings with no values carry their line as one symbol */
    if (n == 0 && (ev->kind == NNFX_EVENT_ERROR || ev->kind == NNFX_EVENT_WARNING)) {
        SETSYMBOL(&av[0], gensym(ev->text));
        n = 1;
    }
    outlet_anything(x->x_ctl, gensym(ev->key[0] ? ev->key : "status"), n, av);
}

static void nnfx_tilde_tick(t_nnfx_tilde *x)
{
    nnfx_host_event ev;
    while (x->x_host && nnfx_host_poll(x->x_host, &ev))
        nnfx_tilde_emit(x, &ev);
    clock_delay(x->x_poll, NNFX_PD_POLL_MS);
}

/* ------------------------------------------------------------------------ */
/* messages                                                                  */
/* ------------------------------------------------------------------------ */

static int nnfx_tilde_has_host(t_nnfx_tilde *x, const char *what)
{
    if (x->x_host)
        return 1;
    pd_error(x, "nnfx~: %s: the object could not start (see the creation error)", what);
    return 0;
}

/* open FILE: resolve here, load off the audio thread, swap with a crossfade */
static void nnfx_tilde_open(t_nnfx_tilde *x, t_symbol *s, int argc, t_atom *argv)
{
    char path[MAXPDSTRING];
    nnfx_error err;
    (void)s;
    if (argc != 1 || argv[0].a_type != A_SYMBOL) {
        pd_error(x, "nnfx~: open needs one file name, e.g. 'open overdrive.onnx'");
        return;
    }
    if (!nnfx_tilde_has_host(x, "open") ||
        !nnfx_tilde_resolve(x, atom_getsymbol(argv)->s_name, path, sizeof(path)))
        return;
    if (nnfx_host_open(x->x_host, path, &err) != NNFX_OK)
        pd_error(x, "nnfx~: %s", err.message);
    clock_delay(x->x_poll, 0);
}

/* everything else goes to the host layer as is (save gets its path made absolute) */
static void nnfx_tilde_anything(t_nnfx_tilde *x, t_symbol *s, int argc, t_atom *argv)
{
    nnfx_atom av[NNFX_PD_MAX_ARGS];
    char path[MAXPDSTRING];
    nnfx_error err;
    int i;
    if (!nnfx_tilde_has_host(x, s->s_name))
        return;
    if (argc > NNFX_PD_MAX_ARGS) {
        pd_error(x, "nnfx~: %s: too many arguments (%d, at most %d)", s->s_name, argc,
                 NNFX_PD_MAX_ARGS);
        return;
    }
    for (i = 0; i < argc; i++) {
        if (argv[i].a_type == A_FLOAT) {
            av[i].type = NNFX_ATOM_FLOAT;
            av[i].f = argv[i].a_w.w_float;
            av[i].s = NULL;
        } else if (argv[i].a_type == A_SYMBOL) {
            av[i].type = NNFX_ATOM_SYMBOL;
            av[i].f = 0;
            av[i].s = argv[i].a_w.w_symbol->s_name;
        } else {
            pd_error(x, "nnfx~: %s: argument %d is neither a number nor a symbol", s->s_name,
                     i + 1);
            return;
        }
    }
    if (s == gensym("save") && argc == 1 && argv[0].a_type == A_SYMBOL) {
        canvas_makefilename(x->x_canvas, argv[0].a_w.w_symbol->s_name, path, MAXPDSTRING);
        av[0].s = path;
    }
    if (nnfx_host_message(x->x_host, s->s_name, argc, av, &err) != NNFX_OK)
        pd_error(x, "nnfx~: %s", err.message);
    clock_delay(x->x_poll, 0);
}

/* ------------------------------------------------------------------------ */
/* DSP                                                                       */
/* ------------------------------------------------------------------------ */

static t_int *nnfx_tilde_perform(t_int *w)
{
    t_nnfx_tilde *x = (t_nnfx_tilde *)(w[1]);
    int n = (int)(w[2]), c, i;
    for (c = 0; c < x->x_nin; c++) {
        const t_sample *src = x->x_sig[c];
        float *dst = x->x_inbuf + (size_t)c * x->x_buf_frames;
        for (i = 0; i < n; i++)
            dst[i] = (float)src[i];
    }
    if (x->x_host) {
        nnfx_host_process(x->x_host, x->x_in, x->x_out, n);
    } else { /* no host: dry signal, channel c to outlet c */
        for (c = 0; c < x->x_nout; c++)
            for (i = 0; i < n; i++)
                x->x_out[c][i] = c < x->x_nin ? x->x_in[c][i] : 0.0f;
    }
#if PD_FLOATSIZE != 32
    for (c = 0; c < x->x_nout; c++) {
        t_sample *dst = x->x_sig[x->x_nin + c];
        for (i = 0; i < n; i++)
            dst[i] = (t_sample)x->x_out[c][i];
    }
#endif
    return w + 3;
}

static void nnfx_tilde_freebuffers(t_nnfx_tilde *x)
{
    if (x->x_inbuf)
        freebytes(x->x_inbuf, sizeof(float) * (size_t)x->x_nin * x->x_buf_frames);
    if (x->x_outbuf)
        freebytes(x->x_outbuf, sizeof(float) * (size_t)x->x_nout * x->x_buf_frames);
    x->x_inbuf = x->x_outbuf = NULL;
    x->x_buf_frames = 0;
}

static void nnfx_tilde_dsp(t_nnfx_tilde *x, t_signal **sp)
{
    int n = sp[0]->s_n, c;
    if (n != x->x_buf_frames) {
        nnfx_tilde_freebuffers(x);
        x->x_inbuf = (float *)getbytes(sizeof(float) * (size_t)x->x_nin * n);
#if PD_FLOATSIZE != 32
        x->x_outbuf = (float *)getbytes(sizeof(float) * (size_t)x->x_nout * n);
#endif
        x->x_buf_frames = n;
    }
    for (c = 0; c < x->x_nin + x->x_nout; c++)
        x->x_sig[c] = sp[c]->s_vec;
    for (c = 0; c < x->x_nin; c++)
        x->x_in[c] = x->x_inbuf + (size_t)c * n;
    for (c = 0; c < x->x_nout; c++) {
#if PD_FLOATSIZE == 32
        x->x_out[c] = sp[x->x_nin + c]->s_vec;
#else
        x->x_out[c] = x->x_outbuf + (size_t)c * n;
#endif
    }
    x->x_frames = n;
    if (x->x_host && sp[0]->s_sr > 0 && sp[0]->s_sr != x->x_sr) {
        /* a new rate (audio settings, an up/down-sampled subpatch): DSP is stopped here */
        nnfx_error err;
        if (nnfx_host_set_sample_rate(x->x_host, sp[0]->s_sr, &err) != NNFX_OK)
            pd_error(x, "nnfx~: %s", err.message);
        else
            x->x_sr = sp[0]->s_sr;
        clock_delay(x->x_poll, 0);
    }
    if (!x->x_inbuf || (PD_FLOATSIZE != 32 && !x->x_outbuf)) {
        pd_error(x, "nnfx~: out of memory for %d-frame blocks; the object is silent", n);
        nnfx_tilde_freebuffers(x);
        return;
    }
    dsp_add(nnfx_tilde_perform, 2, x, (t_int)n);
}

/* ------------------------------------------------------------------------ */
/* creation and destruction                                                  */
/* ------------------------------------------------------------------------ */

/* Channel counts of a model file, for the object's ports. 1 on success. */
static int nnfx_tilde_probe(t_nnfx_tilde *x, const char *path, int *nin, int *nout)
{
    nnfx_error err;
    if (nnfx_host_probe_file(path, nin, nout, &err) != NNFX_OK) {
        pd_error(x, "nnfx~: %s: %s; passing the signal through dry", path, err.message);
        return 0;
    }
    return 1;
}

static int nnfx_tilde_count(t_nnfx_tilde *x, const char *flag, const t_atom *a, int *out)
{
    t_float f = atom_getfloat(a);
    if (a->a_type != A_FLOAT || f < 1 || f > NNFX_MAX_CHANNELS || f != (int)f) {
        pd_error(x, "nnfx~: %s needs a whole number of channels 1..%d", flag, NNFX_MAX_CHANNELS);
        return 0;
    }
    *out = (int)f;
    return 1;
}

static void *nnfx_tilde_new(t_symbol *s, int argc, t_atom *argv)
{
    t_nnfx_tilde *x = (t_nnfx_tilde *)pd_new(nnfx_tilde_class);
    nnfx_host_config cfg = nnfx_host_config_init();
    const char *file = NULL;
    char path[MAXPDSTRING];
    int i, nin = 0, nout = 0, have_path = 0;
    nnfx_error err;
    (void)s;
    x->x_canvas = canvas_getcurrent();
    x->x_sr = sys_getsr() > 0 ? sys_getsr() : 44100.0;

    /* arguments: FILE and flags */
    for (i = 0; i < argc; i++) {
        const char *a = argv[i].a_type == A_SYMBOL ? argv[i].a_w.w_symbol->s_name : NULL;
        int has_value = i + 1 < argc;
        if (a && !strcmp(a, "-in") && has_value) {
            if (!nnfx_tilde_count(x, "-in", &argv[++i], &nin))
                nin = 0;
        } else if (a && !strcmp(a, "-out") && has_value) {
            if (!nnfx_tilde_count(x, "-out", &argv[++i], &nout))
                nout = 0;
        } else if (a && !strcmp(a, "-mode") && has_value) {
            const char *m = argv[++i].a_type == A_SYMBOL ? argv[i].a_w.w_symbol->s_name : "";
            if (!strcmp(m, "stream"))
                cfg.mode = NNFX_MODE_STREAM;
            else if (!strcmp(m, "lookback"))
                cfg.mode = NNFX_MODE_LOOKBACK;
            else
                pd_error(x, "nnfx~: -mode must be stream or lookback");
        } else if (a && a[0] != '-' && !file) {
            file = a;
        } else {
            char buf[MAXPDSTRING];
            atom_string(&argv[i], buf, sizeof(buf));
            pd_error(x, "nnfx~: unknown creation argument '%s'; use [nnfx~ FILE [-in N] "
                     "[-out N] [-mode stream|lookback]]", buf);
        }
    }
    if (file && nnfx_tilde_resolve(x, file, path, sizeof(path))) {
        int fin = 0, fout = 0;
        have_path = nnfx_tilde_probe(x, path, &fin, &fout);
        if (have_path) {
            if (!nin)
                nin = fin;
            if (!nout)
                nout = fout;
        }
    }
    x->x_nin = nin > 0 ? nin : 1;
    x->x_nout = nout > 0 ? nout : 1;

    /* ports: the first signal inlet is the object's own, then x_nin - 1 more */
    for (i = 1; i < x->x_nin; i++)
        inlet_new(&x->x_obj, &x->x_obj.ob_pd, &s_signal, &s_signal);
    x->x_sigout = (t_outlet **)getbytes(sizeof(t_outlet *) * (size_t)x->x_nout);
    for (i = 0; i < x->x_nout; i++)
        x->x_sigout[i] = outlet_new(&x->x_obj, &s_signal);
    x->x_ctl = outlet_new(&x->x_obj, 0);
    x->x_sig = (t_sample **)getbytes(sizeof(t_sample *) * (size_t)(x->x_nin + x->x_nout));
    x->x_in = (const float **)getbytes(sizeof(float *) * (size_t)x->x_nin);
    x->x_out = (float **)getbytes(sizeof(float *) * (size_t)x->x_nout);
    x->x_poll = clock_new(x, (t_method)nnfx_tilde_tick);

    /* the host layer, then the first model (waited for, so the patch starts with it) */
    cfg.in_channels = x->x_nin;
    cfg.out_channels = x->x_nout;
    cfg.max_block = NNFX_PD_MAX_BLOCK;
    cfg.sample_rate = x->x_sr;
    cfg.threaded = 1;
    if (nnfx_host_new(&cfg, &x->x_host, &err) != NNFX_OK) {
        pd_error(x, "nnfx~: %s", err.message);
        x->x_host = NULL;
    } else if (have_path) {
        if (nnfx_host_open(x->x_host, path, &err) != NNFX_OK)
            pd_error(x, "nnfx~: %s", err.message);
        else if (!nnfx_host_wait_idle(x->x_host, NNFX_PD_LOAD_WAIT_MS))
            logpost(x, 2, "nnfx~: warning: %s is still loading; it will start when ready", path);
    }
    clock_delay(x->x_poll, 0); /* report the load right after creation */
    return x;
}

static void nnfx_tilde_free(t_nnfx_tilde *x)
{
    clock_free(x->x_poll);
    nnfx_host_free(x->x_host); /* joins the worker, frees every model */
    nnfx_tilde_freebuffers(x);
    freebytes(x->x_sigout, sizeof(t_outlet *) * (size_t)x->x_nout);
    freebytes(x->x_sig, sizeof(t_sample *) * (size_t)(x->x_nin + x->x_nout));
    freebytes(x->x_in, sizeof(float *) * (size_t)x->x_nin);
    freebytes(x->x_out, sizeof(float *) * (size_t)x->x_nout);
}

#if defined(_WIN32)
__declspec(dllexport)
#else
__attribute__((visibility("default")))
#endif
void nnfx_tilde_setup(void)
{
    nnfx_tilde_class = class_new(gensym("nnfx~"), (t_newmethod)(void (*)(void))nnfx_tilde_new,
                                 (t_method)nnfx_tilde_free, sizeof(t_nnfx_tilde), CLASS_DEFAULT,
                                 A_GIMME, 0);
    class_domainsignalin(nnfx_tilde_class, (int)offsetof(t_nnfx_tilde, x_f));
    class_addmethod(nnfx_tilde_class, (t_method)nnfx_tilde_dsp, gensym("dsp"), A_CANT, 0);
    class_addmethod(nnfx_tilde_class, (t_method)nnfx_tilde_open, gensym("open"), A_GIMME, 0);
    class_addanything(nnfx_tilde_class, (t_method)nnfx_tilde_anything);
    post("nnfx~ %s: neural audio effects (runtime %s)", NNFX_VERSION_STRING, nnfx_version());
}
