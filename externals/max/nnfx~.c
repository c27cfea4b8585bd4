/*
 * nnfx~ for Max - runs an nnfx model file, or a random network designed live.
 *
 *   [nnfx~ FILE [-in N] [-out N] @mode stream|lookback @bypass 0|1 @mix 0..1
 *          @ingain DB @outgain DB @dcblock 0|1]
 *
 * A thin adapter over runtime_c's host layer (nnfx_host.h, docs/host-layer.md), which
 * holds the message vocabulary, gains, mix, DC blocking, smoothing, off-thread loading
 * with a crossfaded swap, the random designer, save/info/verify. This file translates
 * Max's API to it: file names and dialogs, atoms, attributes, dsp64/perform64 with
 * double<->float conversion, and host events to the rightmost outlet (info as a
 * dictionary).
 *
 * Threads: the host layer wants one control thread. Every message and attribute change
 * is deferred (defer_low) to Max's main thread, and a clock in the scheduler sets a
 * qelem that polls the host's events in the main thread too. perform64 runs in the
 * audio thread and only calls nnfx_host_process.
 *
 * Built against the Max SDK (CMakeLists.txt); CI compiles it with -DNNFX_MAX_SDK_DECLS
 * against ci/max_sdk_decls.h, a minimal declaration header that is not the SDK.
 */
#include <stdio.h>
#include <string.h>

#ifdef NNFX_MAX_SDK_DECLS
#include "ci/max_sdk_decls.h"
#else
#include "ext.h"
#include "ext_obex.h"
#include "ext_dictionary.h"
#include "ext_dictobj.h"
#include "z_dsp.h"
#endif

#include "nnfx.h"
#include "nnfx_host.h"

#define NNFX_MAX_POLL_MS 20.0  /* event polling period, ms */
#define NNFX_MAX_ARGS 64       /* most atoms in one message forwarded to the host */
#define NNFX_MAX_LOAD_WAIT_MS 30000 /* creation waits this long for the first model, ms */

/* Max's method casts, through the generic function pointer type so that compilers
   do not flag the (documented, intended) conversion */
#define NNFX_METHOD(f) ((method)(void (*)(void))(f))

typedef struct _nnfx_max {
    t_pxobject ob;          /* MSP object header; must come first */
    nnfx_host *host;        /* the shared host layer; NULL when it could not be created */
    long nin, nout;         /* signal inlets and outlets, fixed at creation (1..NNFX_MAX_CHANNELS) */
    void *ctl;              /* rightmost outlet: dictionary, loaded, verify, error, warning */
    t_clock *poll_clock;    /* scheduler clock, every NNFX_MAX_POLL_MS ms sets poll_qelem */
    t_qelem *poll_qelem;    /* main thread: reads host events */
    t_dictionary *info;     /* registered dictionary refilled by each `info` answer */
    t_symbol *info_name;    /* its name, sent as "dictionary NAME" */
    double sr;              /* sample rate the host runs at, Hz (updated in dsp64) */
    /* attributes: the values last set (the host layer clamps and smooths them) */
    t_symbol *mode;         /* stream | lookback; creation only */
    long bypass;            /* 0 | 1 */
    double mix;             /* wet amount 0..1 */
    double ingain;          /* input gain, dB */
    double outgain;         /* output gain, dB */
    long dcblock;           /* 0 | 1 */
    /* DSP buffers, (re)allocated in dsp64 */
    long buf_frames;        /* frames per channel in buf */
    float *buf;             /* (nin + nout) * buf_frames floats: inputs then outputs */
    const float **in;       /* nin pointers into buf */
    float **out;            /* nout pointers into buf */
} t_nnfx_max;

static t_class *nnfx_max_class;

/* ------------------------------------------------------------------------ */
/* host events -> rightmost outlet and Max window                           */
/* ------------------------------------------------------------------------ */

static void nnfx_max_atoms(const nnfx_host_event *ev, t_atom *av, int *n)
{
    int i;
    *n = ev->n_values < 16 ? ev->n_values : 16;
    for (i = 0; i < *n; i++) {
        if (ev->values[i].type == NNFX_ATOM_SYMBOL)
            atom_setsym(&av[i], gensym(ev->values[i].s ? ev->values[i].s : ""));
        else
            atom_setfloat(&av[i], ev->values[i].f);
    }
    if (*n == 0 && (ev->kind == NNFX_EVENT_ERROR || ev->kind == NNFX_EVENT_WARNING)) {
        atom_setsym(&av[0], gensym(ev->text));
        *n = 1;
    }
}

/* main thread (qelem): everything the host reported since the last call */
static void nnfx_max_poll(t_nnfx_max *x)
{
    nnfx_host_event ev;
    t_atom av[16], a;
    int n, info_seen = 0, params = 0;
    while (x->host && nnfx_host_poll(x->host, &ev)) {
        nnfx_max_atoms(&ev, av, &n);
        switch (ev.kind) {
        case NNFX_EVENT_INFO: {
            /* one dictionary per answer; repeated "param" keys become param, param.2, ... */
            char key[80];
            if (!x->info)
                continue;
            if (!info_seen)
                dictionary_clear(x->info);
            info_seen = 1;
            if (!strcmp(ev.key, "param") && ++params > 1)
                snprintf(key, sizeof(key), "param.%d", params);
            else
                snprintf(key, sizeof(key), "%s", ev.key);
            dictionary_appendatoms(x->info, gensym(key), n, av);
            continue;
        }
        case NNFX_EVENT_ERROR:
            object_error((t_object *)x, "%s", ev.text);
            break;
        case NNFX_EVENT_WARNING:
            object_warn((t_object *)x, "%s", ev.text);
            break;
        case NNFX_EVENT_VERIFY:
            if (n >= 2 && atom_getfloat(&av[1]) == 0)
                object_error((t_object *)x, "%s", ev.text);
            else
                object_post((t_object *)x, "%s", ev.text);
            break;
        case NNFX_EVENT_LOADED:
            object_post((t_object *)x, "%s", ev.text);
            break;
        }
        outlet_anything(x->ctl, gensym(ev.key[0] ? ev.key : "status"), (short)n, av);
    }
    if (info_seen) {
        atom_setsym(&a, x->info_name);
        outlet_anything(x->ctl, gensym("dictionary"), 1, &a);
    }
}

/* scheduler thread: hand the polling to the main thread */
static void nnfx_max_tick(t_nnfx_max *x)
{
    qelem_set(x->poll_qelem);
    clock_fdelay(x->poll_clock, NNFX_MAX_POLL_MS);
}

/* ------------------------------------------------------------------------ */
/* messages (all run in the main thread via defer_low)                      */
/* ------------------------------------------------------------------------ */

/* Forward one message to the host layer; prints the host's error, if any. */
static void nnfx_max_send(t_nnfx_max *x, const char *sel, long argc, const t_atom *argv)
{
    nnfx_atom av[NNFX_MAX_ARGS];
    nnfx_error err;
    long i;
    if (!x->host) {
        object_error((t_object *)x, "%s: the object could not start (see the creation error)",
                     sel);
        return;
    }
    if (argc > NNFX_MAX_ARGS) {
        object_error((t_object *)x, "%s: too many arguments (%ld, at most %d)", sel, argc,
                     NNFX_MAX_ARGS);
        return;
    }
    for (i = 0; i < argc; i++) {
        long type = atom_gettype(&argv[i]);
        av[i].s = NULL;
        av[i].f = 0;
        if (type == A_LONG || type == A_FLOAT) {
            av[i].type = NNFX_ATOM_FLOAT;
            av[i].f = atom_getfloat(&argv[i]);
        } else if (type == A_SYM) {
            av[i].type = NNFX_ATOM_SYMBOL;
            av[i].s = atom_getsym(&argv[i])->s_name;
        } else {
            object_error((t_object *)x, "%s: argument %ld is neither a number nor a symbol", sel,
                         i + 1);
            return;
        }
    }
    if (nnfx_host_message(x->host, sel, (int)argc, av, &err) != NNFX_OK)
        object_error((t_object *)x, "%s", err.message);
    qelem_set(x->poll_qelem);
}

/* Resolve a file name with Max's search path; ".onnx" may be omitted. 1 on success. */
static int nnfx_max_locate(t_nnfx_max *x, const char *name, char *out)
{
    char file[MAX_PATH_CHARS], sys[MAX_PATH_CHARS];
    short vol = 0;
    t_fourcc type = 0;
    size_t len = strlen(name);
    int has_ext = len >= 5 && !strcmp(name + len - 5, ".onnx");
    snprintf(file, sizeof(file), "%s", name);
    if (locatefile_extended(file, &vol, &type, NULL, 0)) {
        if (has_ext || snprintf(file, sizeof(file), "%s.onnx", name) >= (int)sizeof(file) ||
            locatefile_extended(file, &vol, &type, NULL, 0)) {
            object_error((t_object *)x, "file '%s'%s not found in Max's search path", name,
                         has_ext ? "" : " (nor with .onnx)");
            return 0;
        }
    }
    if (path_toabsolutesystempath(vol, file, sys) != MAX_ERR_NONE) {
        object_error((t_object *)x, "cannot make an absolute path of '%s'", file);
        return 0;
    }
    path_nameconform(sys, out, PATH_STYLE_NATIVE, PATH_TYPE_ABSOLUTE);
    return 1;
}

static void nnfx_max_doread(t_nnfx_max *x, t_symbol *s, long argc, t_atom *argv)
{
    char name[MAX_PATH_CHARS], path[MAX_PATH_CHARS], sys[MAX_PATH_CHARS];
    nnfx_error err;
    (void)s;
    if (!x->host) {
        object_error((t_object *)x, "read: the object could not start (see the creation error)");
        return;
    }
    if (argc >= 1 && atom_gettype(argv) == A_SYM) {
        if (!nnfx_max_locate(x, atom_getsym(argv)->s_name, path))
            return;
    } else {
        short vol = 0;
        t_fourcc type = 0;
        name[0] = 0;
        if (open_dialog(name, &vol, &type, NULL, 0))
            return; /* cancelled */
        if (path_toabsolutesystempath(vol, name, sys) != MAX_ERR_NONE) {
            object_error((t_object *)x, "cannot make an absolute path of '%s'", name);
            return;
        }
        path_nameconform(sys, path, PATH_STYLE_NATIVE, PATH_TYPE_ABSOLUTE);
    }
    if (nnfx_host_open(x->host, path, &err) != NNFX_OK)
        object_error((t_object *)x, "%s", err.message);
    qelem_set(x->poll_qelem);
}

/* read [FILE] and open FILE: load off the audio thread, swap with a crossfade */
static void nnfx_max_read(t_nnfx_max *x, t_symbol *s, long argc, t_atom *argv)
{
    defer_low(x, NNFX_METHOD(nnfx_max_doread), s, (short)argc, argv);
}

/* save [FILE]: without a name, a save dialog */
static void nnfx_max_dosave(t_nnfx_max *x, t_symbol *s, long argc, t_atom *argv)
{
    char name[MAX_PATH_CHARS], sys[MAX_PATH_CHARS], path[MAX_PATH_CHARS];
    t_atom a;
    (void)s;
    if (argc >= 1) {
        nnfx_max_send(x, "save", argc, argv);
        return;
    }
    {
        short vol = 0;
        t_fourcc type = 0;
        snprintf(name, sizeof(name), "random.onnx");
        if (saveasdialog_extended(name, &vol, &type, NULL, 0))
            return; /* cancelled */
        if (path_toabsolutesystempath(vol, name, sys) != MAX_ERR_NONE) {
            object_error((t_object *)x, "cannot make an absolute path of '%s'", name);
            return;
        }
        path_nameconform(sys, path, PATH_STYLE_NATIVE, PATH_TYPE_ABSOLUTE);
    }
    atom_setsym(&a, gensym(path));
    nnfx_max_send(x, "save", 1, &a);
}

static void nnfx_max_save(t_nnfx_max *x, t_symbol *s, long argc, t_atom *argv)
{
    defer_low(x, NNFX_METHOD(nnfx_max_dosave), s, (short)argc, argv);
}

static void nnfx_max_doanything(t_nnfx_max *x, t_symbol *s, long argc, t_atom *argv)
{
    nnfx_max_send(x, s->s_name, argc, argv);
}

/* everything else goes to the host layer as is */
static void nnfx_max_anything(t_nnfx_max *x, t_symbol *s, long argc, t_atom *argv)
{
    defer_low(x, NNFX_METHOD(nnfx_max_doanything), s, (short)argc, argv);
}

/* ------------------------------------------------------------------------ */
/* attributes: remember the value, then forward it like the message         */
/* ------------------------------------------------------------------------ */

static t_max_err nnfx_max_forward(t_nnfx_max *x, const char *sel, double v)
{
    t_atom a;
    atom_setfloat(&a, v);
    if (x->host) /* at creation the host does not exist yet: applied after it starts */
        defer_low(x, NNFX_METHOD(nnfx_max_doanything), gensym(sel), 1, &a);
    return MAX_ERR_NONE;
}

static t_max_err nnfx_max_set_bypass(t_nnfx_max *x, void *attr, long argc, t_atom *argv)
{
    (void)attr;
    if (argc < 1)
        return MAX_ERR_GENERIC;
    x->bypass = atom_getfloat(argv) != 0;
    return nnfx_max_forward(x, "bypass", (double)x->bypass);
}

static t_max_err nnfx_max_set_mix(t_nnfx_max *x, void *attr, long argc, t_atom *argv)
{
    (void)attr;
    if (argc < 1)
        return MAX_ERR_GENERIC;
    x->mix = atom_getfloat(argv);
    return nnfx_max_forward(x, "mix", x->mix);
}

static t_max_err nnfx_max_set_ingain(t_nnfx_max *x, void *attr, long argc, t_atom *argv)
{
    (void)attr;
    if (argc < 1)
        return MAX_ERR_GENERIC;
    x->ingain = atom_getfloat(argv);
    return nnfx_max_forward(x, "ingain", x->ingain);
}

static t_max_err nnfx_max_set_outgain(t_nnfx_max *x, void *attr, long argc, t_atom *argv)
{
    (void)attr;
    if (argc < 1)
        return MAX_ERR_GENERIC;
    x->outgain = atom_getfloat(argv);
    return nnfx_max_forward(x, "outgain", x->outgain);
}

static t_max_err nnfx_max_set_dcblock(t_nnfx_max *x, void *attr, long argc, t_atom *argv)
{
    (void)attr;
    if (argc < 1)
        return MAX_ERR_GENERIC;
    x->dcblock = atom_getfloat(argv) != 0;
    return nnfx_max_forward(x, "dcblock", (double)x->dcblock);
}

static t_max_err nnfx_max_set_mode(t_nnfx_max *x, void *attr, long argc, t_atom *argv)
{
    t_symbol *m = argc >= 1 ? atom_getsym(argv) : NULL;
    (void)attr;
    if (m != gensym("stream") && m != gensym("lookback")) {
        object_error((t_object *)x, "mode must be stream or lookback");
        return MAX_ERR_GENERIC;
    }
    if (x->host) {
        object_error((t_object *)x, "mode is fixed when the object is created (@mode %s)",
                     m->s_name);
        return MAX_ERR_GENERIC;
    }
    x->mode = m;
    return MAX_ERR_NONE;
}

/* ------------------------------------------------------------------------ */
/* DSP                                                                       */
/* ------------------------------------------------------------------------ */

static void nnfx_max_perform64(t_object *ob, t_object *dsp64, double **ins, long numins,
                               double **outs, long numouts, long frames, long flags,
                               void *userparam)
{
    t_nnfx_max *x = (t_nnfx_max *)ob;
    long c, i;
    (void)dsp64;
    (void)flags;
    (void)userparam;
    if (frames > x->buf_frames || !x->buf) {
        for (c = 0; c < numouts; c++)
            memset(outs[c], 0, sizeof(double) * (size_t)frames);
        return;
    }
    for (c = 0; c < x->nin && c < numins; c++) {
        float *dst = (float *)x->in[c];
        for (i = 0; i < frames; i++)
            dst[i] = (float)ins[c][i];
    }
    if (x->host) {
        nnfx_host_process(x->host, x->in, x->out, (int)frames);
    } else { /* no host: dry signal */
        for (c = 0; c < x->nout; c++)
            for (i = 0; i < frames; i++)
                x->out[c][i] = c < x->nin ? x->in[c][i] : 0.0f;
    }
    for (c = 0; c < x->nout && c < numouts; c++)
        for (i = 0; i < frames; i++)
            outs[c][i] = (double)x->out[c][i];
}

static void nnfx_max_dsp64(t_nnfx_max *x, t_object *dsp64, short *count, double samplerate,
                           long maxvectorsize, long flags)
{
    long c;
    (void)count;
    (void)flags;
    if (maxvectorsize > x->buf_frames) {
        if (x->buf)
            sysmem_freeptr(x->buf);
        x->buf = (float *)sysmem_newptrclear(sizeof(float) * (size_t)(x->nin + x->nout) *
                                             (size_t)maxvectorsize);
        x->buf_frames = x->buf ? maxvectorsize : 0;
        if (!x->buf)
            object_error((t_object *)x, "out of memory for %ld-frame vectors", maxvectorsize);
    }
    for (c = 0; x->buf && c < x->nin; c++)
        x->in[c] = x->buf + (size_t)c * (size_t)x->buf_frames;
    for (c = 0; x->buf && c < x->nout; c++)
        x->out[c] = x->buf + (size_t)(x->nin + c) * (size_t)x->buf_frames;
    if (x->host && samplerate > 0 && samplerate != x->sr) {
        /* audio is stopped while Max calls dsp64 */
        nnfx_error err;
        if (nnfx_host_set_sample_rate(x->host, samplerate, &err) != NNFX_OK)
            object_error((t_object *)x, "%s", err.message);
        else
            x->sr = samplerate;
        qelem_set(x->poll_qelem);
    }
    dsp_add64(dsp64, (t_object *)x, nnfx_max_perform64, 0, NULL);
}

static void nnfx_max_assist(t_nnfx_max *x, void *b, long m, long a, char *s)
{
    (void)b;
    if (m == ASSIST_INLET)
        snprintf(s, 256, "(signal) input %ld%s", a + 1,
                 a == 0 ? "; messages: read, random, seed, mix, bypass, info, verify, save..." : "");
    else if (a < x->nout)
        snprintf(s, 256, "(signal) output %ld", a + 1);
    else
        snprintf(s, 256, "status: dictionary (info), loaded, verify, error, warning");
}

/* ------------------------------------------------------------------------ */
/* creation and destruction                                                  */
/* ------------------------------------------------------------------------ */

/* Channel counts of a model file, for the object's ports. 1 on success. */
static int nnfx_max_probe(t_nnfx_max *x, const char *path, long *nin, long *nout)
{
    nnfx_error err;
    int in = 0, out = 0;
    if (nnfx_host_probe_file(path, &in, &out, &err) != NNFX_OK) {
        object_error((t_object *)x, "%s", err.message);
        return 0;
    }
    *nin = in;
    *nout = out;
    return 1;
}

static long nnfx_max_count(t_nnfx_max *x, const char *flag, const t_atom *a)
{
    double f = atom_getfloat(a);
    long type = atom_gettype(a);
    if ((type != A_LONG && type != A_FLOAT) || f < 1 || f > NNFX_MAX_CHANNELS || f != (long)f) {
        object_error((t_object *)x, "%s needs a whole number of channels 1..%d", flag,
                     NNFX_MAX_CHANNELS);
        return 0;
    }
    return (long)f;
}

static void *nnfx_max_new(t_symbol *s, long argc, t_atom *argv)
{
    t_nnfx_max *x = (t_nnfx_max *)object_alloc(nnfx_max_class);
    nnfx_host_config cfg = nnfx_host_config_init();
    char path[MAX_PATH_CHARS];
    const char *file = NULL;
    long i, nargs = attr_args_offset((short)argc, argv), nin = 0, nout = 0;
    int have_path = 0;
    nnfx_error err;
    (void)s;
    if (!x)
        return NULL;
    x->mode = gensym("stream");
    x->mix = 1.0;
    x->sr = sys_getsr() > 0 ? sys_getsr() : 44100.0;

    for (i = 0; i < nargs; i++) {
        t_symbol *a = atom_gettype(&argv[i]) == A_SYM ? atom_getsym(&argv[i]) : NULL;
        if (a && !strcmp(a->s_name, "-in") && i + 1 < nargs)
            nin = nnfx_max_count(x, "-in", &argv[++i]);
        else if (a && !strcmp(a->s_name, "-out") && i + 1 < nargs)
            nout = nnfx_max_count(x, "-out", &argv[++i]);
        else if (a && a->s_name[0] != '-' && !file)
            file = a->s_name;
        else
            object_error((t_object *)x, "unknown argument %ld; use [nnfx~ FILE [-in N] [-out N] "
                         "@mode stream|lookback]", i + 1);
    }
    attr_args_process(x, (short)argc, argv); /* @mode and friends, before the host exists */
    if (file && nnfx_max_locate(x, file, path)) {
        long fin = 0, fout = 0;
        have_path = nnfx_max_probe(x, path, &fin, &fout);
        if (have_path) {
            if (!nin)
                nin = fin;
            if (!nout)
                nout = fout;
        }
    }
    x->nin = nin > 0 ? nin : 1;
    x->nout = nout > 0 ? nout : 1;

    z_dsp_setup(&x->ob, x->nin);
    x->ob.z_misc |= Z_NO_INPLACE;
    x->ctl = outlet_new(x, NULL); /* outlets are created right to left */
    for (i = 0; i < x->nout; i++)
        outlet_new(x, "signal");
    x->in = (const float **)sysmem_newptrclear(sizeof(float *) * (size_t)x->nin);
    x->out = (float **)sysmem_newptrclear(sizeof(float *) * (size_t)x->nout);
    x->info = dictobj_register(dictionary_new(), &x->info_name);
    x->poll_qelem = (t_qelem *)qelem_new(x, NNFX_METHOD(nnfx_max_poll));
    x->poll_clock = clock_new(x, NNFX_METHOD(nnfx_max_tick));

    cfg.in_channels = (int)x->nin;
    cfg.out_channels = (int)x->nout;
    cfg.max_block = sys_getmaxblksize() > 0 ? sys_getmaxblksize() : 4096;
    cfg.sample_rate = x->sr;
    cfg.mode = x->mode == gensym("lookback") ? NNFX_MODE_LOOKBACK : NNFX_MODE_STREAM;
    cfg.threaded = 1;
    if (nnfx_host_new(&cfg, &x->host, &err) != NNFX_OK) {
        object_error((t_object *)x, "%s", err.message);
        x->host = NULL;
    } else {
        if (have_path) {
            if (nnfx_host_open(x->host, path, &err) != NNFX_OK)
                object_error((t_object *)x, "%s", err.message);
            else
                nnfx_host_wait_idle(x->host, NNFX_MAX_LOAD_WAIT_MS);
        }
        /* attributes typed in the box */
        if (x->bypass)
            nnfx_max_forward(x, "bypass", 1);
        if (x->mix != 1.0)
            nnfx_max_forward(x, "mix", x->mix);
        if (x->ingain != 0)
            nnfx_max_forward(x, "ingain", x->ingain);
        if (x->outgain != 0)
            nnfx_max_forward(x, "outgain", x->outgain);
        if (x->dcblock)
            nnfx_max_forward(x, "dcblock", 1);
    }
    clock_fdelay(x->poll_clock, 0);
    return x;
}

static void nnfx_max_free(t_nnfx_max *x)
{
    z_dsp_free(&x->ob); /* first: takes the object out of the DSP chain */
    clock_unset(x->poll_clock);
    object_free(x->poll_clock);
    qelem_free(x->poll_qelem);
    nnfx_host_free(x->host);
    if (x->info)
        object_free(x->info);
    if (x->buf)
        sysmem_freeptr(x->buf);
    sysmem_freeptr((void *)x->in);
    sysmem_freeptr(x->out);
}

static void nnfx_max_attr(t_class *c, const char *name, const char *type, long offset,
                          t_max_err (*setter)(t_nnfx_max *, void *, long, t_atom *))
{
    class_addattr(c, attr_offset_new(name, gensym(type), 0, NULL, NNFX_METHOD(setter), offset));
}

void C74_EXPORT ext_main(void *r)
{
    t_class *c = class_new("nnfx~", NNFX_METHOD(nnfx_max_new), NNFX_METHOD(nnfx_max_free),
                           (long)sizeof(t_nnfx_max), NULL, A_GIMME, 0);
    (void)r;
    class_addmethod(c, NNFX_METHOD(nnfx_max_dsp64), "dsp64", A_CANT, 0);
    class_addmethod(c, NNFX_METHOD(nnfx_max_assist), "assist", A_CANT, 0);
    class_addmethod(c, NNFX_METHOD(nnfx_max_read), "read", A_GIMME, 0);
    class_addmethod(c, NNFX_METHOD(nnfx_max_read), "open", A_GIMME, 0);
    class_addmethod(c, NNFX_METHOD(nnfx_max_save), "save", A_GIMME, 0);
    class_addmethod(c, NNFX_METHOD(nnfx_max_anything), "anything", A_GIMME, 0);
    nnfx_max_attr(c, "mode", "symbol", (long)calcoffset(t_nnfx_max, mode), nnfx_max_set_mode);
    nnfx_max_attr(c, "bypass", "long", (long)calcoffset(t_nnfx_max, bypass), nnfx_max_set_bypass);
    nnfx_max_attr(c, "mix", "float64", (long)calcoffset(t_nnfx_max, mix), nnfx_max_set_mix);
    nnfx_max_attr(c, "ingain", "float64", (long)calcoffset(t_nnfx_max, ingain),
                  nnfx_max_set_ingain);
    nnfx_max_attr(c, "outgain", "float64", (long)calcoffset(t_nnfx_max, outgain),
                  nnfx_max_set_outgain);
    nnfx_max_attr(c, "dcblock", "long", (long)calcoffset(t_nnfx_max, dcblock),
                  nnfx_max_set_dcblock);
    class_dspinit(c);
    class_register(CLASS_BOX, c);
    nnfx_max_class = c;
}
