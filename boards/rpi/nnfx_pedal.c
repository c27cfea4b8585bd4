/*
 * nnfx-pedal - an nnfx model as a Raspberry Pi pedal: a JACK client with one audio port per
 * model channel and a MIDI input for knobs and bypass (control change messages), or, with
 * --offline, a sound file in and a sound file out through the same per-block code.
 *
 *   nnfx-pedal [--config FILE] [--model FILE.onnx] [--name CLIENT]          (JACK)
 *   nnfx-pedal --offline IN OUT [--config FILE] [--model FILE.onnx] [--block N]
 *              [--midi SCRIPT] [--channels N] [--rate HZ]
 *
 * A thin adapter over runtime_c's host layer (nnfx_host.h): gains, mix, DC blocking,
 * smoothing, click-free bypass, loading and swapping all live there. The config file format
 * is documented in boards/rpi/README.md and nnfx-pedal.conf. Offline files: .wav (PCM 16/24/32
 * or float in, float out) or raw float32 [channels][frames] (--channels, --rate). --midi:
 * lines "FRAME cc NUMBER VALUE", applied before the block that contains FRAME, exactly as
 * the JACK callback applies the MIDI events of its period.
 * Exit status 0, or 2 with one line on stderr.
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnfx.h"
#include "nnfx_host.h"
#include "wavfile.h"

#ifdef NNFX_HAVE_JACK
#include <jack/jack.h>
#include <jack/midiport.h>
#endif

#define PEDAL_MAX_MAPS 32
#define PEDAL_MAX_PORTS 8
#define PEDAL_MAX_CONNECT 8
#define PEDAL_LOAD_WAIT_MS 30000 /* JACK start waits this long for the model, ms */

enum { T_INGAIN, T_OUTGAIN, T_MIX, T_PARAM, T_BYPASS };

typedef struct {
    int cc;           /* controller number 0..127 */
    int target;       /* T_* */
    float lo, hi;     /* value at CC 0 and CC 127 (dB for gains, 0..1 for mix, fractions
                         0..1 of the knob's own range for param, mapped by the host layer) */
    int param;        /* model knob index (T_PARAM), resolved at load */
    char param_name[64];
} pedal_map;

typedef struct {
    char model[1024];
    char client[64];
    int midi_channel;  /* 1..16, 0 = any */
    int bypass_toggle; /* 1: a press (value >= 64 after < 64) toggles; 0: value >= 64 = bypassed */
    pedal_map maps[PEDAL_MAX_MAPS];
    int n_maps;
    char connect_in[PEDAL_MAX_CONNECT][128];
    int n_in;
    char connect_out[PEDAL_MAX_CONNECT][128];
    int n_out;
} pedal_config;

typedef struct {
    nnfx_host *host;
    pedal_config *cfg;
    int bypass;
    int cc_high[128];                 /* last value of each CC was >= 64 */
    int in_ch, out_ch;                /* host ports */
} pedal;

static int fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "nnfx-pedal: ");
    fprintf(stderr, fmt, a ? a : "", b ? b : "");
    fputc('\n', stderr);
    return 2;
}

/* ---------------------------------------------------------------- config */

static void config_defaults(pedal_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->model, sizeof c->model, "/usr/local/share/nnfx-pedal/model.onnx");
    snprintf(c->client, sizeof c->client, "nnfx-pedal");
    c->bypass_toggle = 1;
}

static int parse_target(const char *s, int *t)
{
    static const char *names[] = {"ingain", "outgain", "mix", "param", "bypass"};
    int i;
    for (i = 0; i < 5; i++)
        if (!strcmp(s, names[i])) {
            *t = i;
            return 1;
        }
    return 0;
}

/* Returns 0, or 2 after printing "FILE:LINE: problem". */
static int config_read(pedal_config *c, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512], where[600];
    int no = 0;
    if (!f)
        return fail("cannot read config %s%s", path, NULL);
    while (fgets(line, sizeof line, f)) {
        char key[64] = "", a[256] = "", b[64] = "", d[64] = "", e[64] = "";
        char *hash = strchr(line, '#');
        int n;
        no++;
        if (hash)
            *hash = '\0';
        n = sscanf(line, "%63s %255s %63s %63s %63s", key, a, b, d, e);
        snprintf(where, sizeof where, "%s:%d", path, no);
        if (n <= 0)
            continue;
        if (!strcmp(key, "model") && n == 2) {
            snprintf(c->model, sizeof c->model, "%s", a);
        } else if (!strcmp(key, "client") && n == 2) {
            snprintf(c->client, sizeof c->client, "%s", a);
        } else if (!strcmp(key, "midi_channel") && n == 2) {
            c->midi_channel = atoi(a);
            if (c->midi_channel < 0 || c->midi_channel > 16) {
                fclose(f);
                return fail("%s: midi_channel is 0 (any) or 1..16, not %s", where, a);
            }
        } else if (!strcmp(key, "bypass_mode") && n == 2 &&
                   (!strcmp(a, "toggle") || !strcmp(a, "hold"))) {
            c->bypass_toggle = !strcmp(a, "toggle");
        } else if (!strcmp(key, "connect_in") && n == 2 && c->n_in < PEDAL_MAX_CONNECT) {
            snprintf(c->connect_in[c->n_in++], 128, "%s", a);
        } else if (!strcmp(key, "connect_out") && n == 2 && c->n_out < PEDAL_MAX_CONNECT) {
            snprintf(c->connect_out[c->n_out++], 128, "%s", a);
        } else if (!strcmp(key, "cc") && n >= 3) {
            pedal_map *m = &c->maps[c->n_maps];
            char *end;
            long cc = strtol(a, &end, 10);
            if (*end || cc < 0 || cc > 127) {
                fclose(f);
                return fail("%s: controller number must be 0..127, not %s", where, a);
            }
            if (c->n_maps >= PEDAL_MAX_MAPS) {
                fclose(f);
                return fail("%s: more than 32 cc lines%s", where, NULL);
            }
            memset(m, 0, sizeof *m);
            m->cc = (int)cc;
            if (!parse_target(b, &m->target)) {
                fclose(f);
                return fail("%s: target '%s' is not one of ingain, outgain, mix, param, bypass",
                            where, b);
            }
            m->lo = m->target == T_MIX ? 0.0f : (m->target == T_PARAM ? 0.0f : -24.0f);
            m->hi = m->target == T_MIX ? 1.0f : (m->target == T_PARAM ? 1.0f : 24.0f);
            if (m->target == T_PARAM) {
                if (n < 4) {
                    fclose(f);
                    return fail("%s: 'cc N param' needs the knob's name or index%s", where, NULL);
                }
                snprintf(m->param_name, sizeof m->param_name, "%s", d);
            } else if (m->target != T_BYPASS && n >= 4) {
                char *end1, *end2;
                float lo = strtof(d, &end1), hi = strtof(e, &end2);
                if (n != 5 || *end1 || *end2) {
                    fclose(f);
                    return fail("%s: give both ends of the range as numbers (cc N %s LO HI)",
                                where, b);
                }
                m->lo = lo;
                m->hi = hi;
            }
            c->n_maps++;
        } else {
            fclose(f);
            return fail("%s: cannot read '%s' (keys: model client midi_channel bypass_mode cc "
                        "connect_in connect_out)", where, key);
        }
    }
    fclose(f);
    return 0;
}

/* ---------------------------------------------------------------- the per-block path */

/* Audio thread: one MIDI message (control changes only). */
NNFX_RT static void pedal_midi(pedal *p, const unsigned char *msg, size_t size)
{
    int i, cc, value;
    if (size < 3 || (msg[0] & 0xF0) != 0xB0)
        return;
    if (p->cfg->midi_channel && (msg[0] & 0x0F) + 1 != p->cfg->midi_channel)
        return;
    cc = msg[1] & 0x7F;
    value = msg[2] & 0x7F;
    for (i = 0; i < p->cfg->n_maps; i++) {
        const pedal_map *m = &p->cfg->maps[i];
        float x = m->lo + (m->hi - m->lo) * (float)value / 127.0f;
        if (m->cc != cc)
            continue;
        switch (m->target) {
        case T_INGAIN:
            nnfx_host_set_in_gain_db(p->host, x);
            break;
        case T_OUTGAIN:
            nnfx_host_set_out_gain_db(p->host, x);
            break;
        case T_MIX:
            nnfx_host_set_mix(p->host, x);
            break;
        case T_PARAM: /* the host ignores an index the model does not have (-1) */
            nnfx_host_set_param_normalized(p->host, m->param, x);
            break;
        case T_BYPASS:
            if (p->cfg->bypass_toggle) {
                if (value >= 64 && !p->cc_high[cc])
                    p->bypass = !p->bypass;
            } else {
                p->bypass = value >= 64;
            }
            nnfx_host_set_bypass(p->host, p->bypass);
            break;
        default:
            break;
        }
    }
    p->cc_high[cc] = value >= 64;
}

/* Audio thread: one block, after its MIDI events. The JACK callback and --offline both call it. */
NNFX_RT static void pedal_block(pedal *p, const float *const *in, float *const *out, int frames)
{
    nnfx_host_process(p->host, in, out, frames);
}

/* ---------------------------------------------------------------- setup */

static void print_events(pedal *p)
{
    nnfx_host_event ev;
    while (nnfx_host_poll(p->host, &ev))
        fprintf(ev.kind == NNFX_EVENT_ERROR || ev.kind == NNFX_EVENT_WARNING ? stderr : stdout,
                "nnfx-pedal: %s\n", ev.text);
}

/* The model's channel counts, to size the host's ports (they are fixed when the host is
   made, so they are read before it exists); 0 or 2 (message printed). */
static int model_channels(const pedal *p, int *cin, int *cout)
{
    nnfx_error err;
    if (nnfx_host_probe_file(p->cfg->model, cin, cout, &err) != NNFX_OK)
        return fail("%s%s", err.message, NULL);
    if (*cin > PEDAL_MAX_PORTS || *cout > PEDAL_MAX_PORTS) {
        char a[64];
        snprintf(a, sizeof a, "%d in, %d out", *cin, *cout);
        return fail("the model has %s channels; nnfx-pedal offers at most 8 ports each way%s", a,
                    NULL);
    }
    return 0;
}

/* Param maps: knob names or indices -> the loaded model's indices (-1 and a warning when the
   model has no such knob). */
static void resolve_params(pedal *p)
{
    int i, count = nnfx_host_param_count(p->host);
    for (i = 0; i < p->cfg->n_maps; i++) {
        pedal_map *mp = &p->cfg->maps[i];
        char *end;
        long idx;
        if (mp->target != T_PARAM)
            continue;
        idx = strtol(mp->param_name, &end, 10);
        if (*end || end == mp->param_name)
            idx = nnfx_host_param_index(p->host, mp->param_name);
        if (idx < 0 || idx >= count) {
            fprintf(stderr, "nnfx-pedal: warning: cc %d: the model has no knob '%s' (it has %d)\n",
                    mp->cc, mp->param_name, count);
            idx = -1;
        }
        mp->param = (int)idx;
    }
}

/* The host with its ports, and the model loaded in it (waited for when threaded). */
static int pedal_start(pedal *p, int in_ch, int out_ch, int max_block, double rate, int threaded)
{
    nnfx_host_config hc = nnfx_host_config_init();
    nnfx_error err;
    hc.in_channels = in_ch;
    hc.out_channels = out_ch;
    hc.max_block = max_block;
    hc.sample_rate = rate;
    hc.threaded = threaded;
    p->in_ch = in_ch;
    p->out_ch = out_ch;
    if (nnfx_host_new(&hc, &p->host, &err) != NNFX_OK)
        return fail("%s%s", err.message, NULL);
    if (nnfx_host_open(p->host, p->cfg->model, &err) != NNFX_OK)
        return fail("%s%s", err.message, NULL);
    if (threaded)
        nnfx_host_wait_idle(p->host, PEDAL_LOAD_WAIT_MS);
    if (!nnfx_host_has_model(p->host)) {
        print_events(p); /* the worker's ERROR event says why */
        return fail("the model did not load%s%s", NULL, NULL);
    }
    resolve_params(p);
    return 0;
}

/* ---------------------------------------------------------------- offline */

typedef struct {
    long frame;
    unsigned char msg[3];
} midi_event;

static int read_midi_script(const char *path, midi_event **out, int *count)
{
    FILE *f = fopen(path, "r");
    char line[256];
    int n = 0, cap = 0, no = 0;
    midi_event *ev = NULL;
    if (!f)
        return fail("cannot read %s%s", path, NULL);
    while (fgets(line, sizeof line, f)) {
        long frame;
        int num, value, ch = 1;
        char kind[16];
        no++;
        if (sscanf(line, "%ld %15s", &frame, kind) < 2 || line[0] == '#')
            continue;
        if (strcmp(kind, "cc") || sscanf(line, "%*s %*s %d %d %d", &num, &value, &ch) < 2 ||
            num < 0 || num > 127 || value < 0 || value > 127 || ch < 1 || ch > 16) {
            char where[300];
            snprintf(where, sizeof where, "%s:%d", path, no);
            fclose(f);
            free(ev);
            return fail("%s: expected 'FRAME cc NUMBER VALUE [CHANNEL]'%s", where, NULL);
        }
        if (n == cap) {
            midi_event *grown;
            cap = cap ? 2 * cap : 64;
            grown = (midi_event *)realloc(ev, (size_t)cap * sizeof *ev);
            if (!grown) {
                fclose(f);
                free(ev);
                return fail("out of memory%s%s", NULL, NULL);
            }
            ev = grown;
        }
        ev[n].frame = frame;
        ev[n].msg[0] = (unsigned char)(0xB0 | (ch - 1));
        ev[n].msg[1] = (unsigned char)num;
        ev[n].msg[2] = (unsigned char)value;
        n++;
    }
    fclose(f);
    *out = ev;
    *count = n;
    return 0;
}

static int run_offline(pedal *p, const char *in_path, const char *out_path, int block,
                       const char *midi_path, int raw_channels, double raw_rate)
{
    pedal_audio in, out;
    char msg[512];
    midi_event *ev = NULL;
    int n_ev = 0, next = 0, cin, cout, c, r;
    const float *ip[NNFX_MAX_CHANNELS];
    float *op[NNFX_MAX_CHANNELS];
    long start;
    if (model_channels(p, &cin, &cout))
        return 2;
    if (midi_path && read_midi_script(midi_path, &ev, &n_ev))
        return 2;
    if (pedal_audio_read(in_path, raw_channels, raw_rate, &in, msg, sizeof msg)) {
        free(ev);
        return fail("%s%s", msg, NULL);
    }
    if (in.frames < 1) {
        pedal_audio_free(&in);
        free(ev);
        return fail("%s holds no audio%s", in_path, NULL);
    }
    /* Host ports: the file's channels in, the model's channels out (the host layer maps). */
    if (pedal_start(p, in.channels, cout, block, in.sample_rate, 0)) {
        pedal_audio_free(&in);
        free(ev);
        return 2;
    }
    print_events(p);
    out.channels = cout;
    out.frames = in.frames;
    out.sample_rate = in.sample_rate;
    out.data = (float *)calloc((size_t)(cout * in.frames), sizeof(float));
    if (!out.data) {
        pedal_audio_free(&in);
        free(ev);
        return fail("out of memory%s%s", NULL, NULL);
    }
    for (start = 0; start < in.frames; start += block) {
        int n = (int)(in.frames - start < block ? in.frames - start : block);
        while (next < n_ev && ev[next].frame < start + n)
            pedal_midi(p, ev[next++].msg, 3);
        for (c = 0; c < in.channels; c++)
            ip[c] = in.data + (long)c * in.frames + start;
        for (c = 0; c < cout; c++)
            op[c] = out.data + (long)c * in.frames + start;
        pedal_block(p, ip, op, n);
    }
    print_events(p);
    r = pedal_audio_write(out_path, &out, msg, sizeof msg);
    pedal_audio_free(&in);
    pedal_audio_free(&out);
    free(ev);
    if (r)
        return fail("%s%s", msg, NULL);
    return 0;
}

/* ---------------------------------------------------------------- JACK */

static volatile sig_atomic_t g_stop = 0;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

#ifdef NNFX_HAVE_JACK
typedef struct {
    pedal *p;
    jack_port_t *in[PEDAL_MAX_PORTS], *out[PEDAL_MAX_PORTS], *midi;
} pedal_jack;

NNFX_RT static int jack_process(jack_nframes_t frames, void *arg)
{
    pedal_jack *j = (pedal_jack *)arg;
    const float *in[PEDAL_MAX_PORTS];
    float *out[PEDAL_MAX_PORTS];
    void *mbuf = jack_port_get_buffer(j->midi, frames);
    uint32_t k, count = jack_midi_get_event_count(mbuf);
    int c;
    for (k = 0; k < count; k++) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, mbuf, k) == 0)
            pedal_midi(j->p, ev.buffer, ev.size);
    }
    for (c = 0; c < j->p->in_ch; c++)
        in[c] = (const float *)jack_port_get_buffer(j->in[c], frames);
    for (c = 0; c < j->p->out_ch; c++)
        out[c] = (float *)jack_port_get_buffer(j->out[c], frames);
    pedal_block(j->p, in, out, (int)frames);
    return 0;
}

static void jack_gone(void *arg)
{
    (void)arg;
    g_stop = 1;
}

static int run_jack(pedal *p)
{
    pedal_jack j;
    jack_status_t status;
    jack_client_t *client;
    int cin, cout, c, i, r = 0;
    char name[32];
    struct timespec nap = {0, 50 * 1000 * 1000};
    memset(&j, 0, sizeof j);
    j.p = p;
    if (model_channels(p, &cin, &cout))
        return 2;
    client = jack_client_open(p->cfg->client, JackNoStartServer, &status);
    if (!client)
        return fail("cannot connect to the JACK server '%s': start jackd (or the system's "
                    "JACK service) first%s", getenv("JACK_DEFAULT_SERVER") ? getenv("JACK_DEFAULT_SERVER") : "default", NULL);
    if (pedal_start(p, cin, cout, (int)jack_get_buffer_size(client),
                    (double)jack_get_sample_rate(client), 1)) {
        jack_client_close(client);
        return 2;
    }
    for (c = 0; c < cin; c++) {
        snprintf(name, sizeof name, "in_%d", c + 1);
        j.in[c] = jack_port_register(client, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    }
    for (c = 0; c < cout; c++) {
        snprintf(name, sizeof name, "out_%d", c + 1);
        j.out[c] = jack_port_register(client, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    }
    j.midi = jack_port_register(client, "midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(client, jack_process, &j);
    jack_on_shutdown(client, jack_gone, NULL);
    if (jack_activate(client)) {
        jack_client_close(client);
        nnfx_host_free(p->host);
        return fail("cannot activate the JACK client%s%s", NULL, NULL);
    }
    for (i = 0; i < p->cfg->n_in && i < cin; i++)
        if (jack_connect(client, p->cfg->connect_in[i], jack_port_name(j.in[i])))
            fprintf(stderr, "nnfx-pedal: cannot connect %s\n", p->cfg->connect_in[i]);
    for (i = 0; i < p->cfg->n_out; i++)
        if (jack_connect(client, jack_port_name(j.out[i % cout]), p->cfg->connect_out[i]))
            fprintf(stderr, "nnfx-pedal: cannot connect %s\n", p->cfg->connect_out[i]);
    printf("nnfx-pedal: running as JACK client '%s' (%d in, %d out)\n", p->cfg->client, cin, cout);
    fflush(stdout);
    while (!g_stop) {
        print_events(p);
        fflush(stdout);
        nanosleep(&nap, NULL);
    }
    jack_deactivate(client);
    jack_client_close(client);
    print_events(p);
    return r;
}
#endif

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    static pedal_config cfg;
    pedal p;
    const char *config = NULL, *model = NULL, *name = NULL, *midi = NULL;
    const char *offline_in = NULL, *offline_out = NULL;
    int block = 128, raw_channels = 1, i, r;
    double raw_rate = 48000.0;
    struct sigaction sa;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--offline") && i + 2 < argc) {
            offline_in = argv[++i];
            offline_out = argv[++i];
        } else if (!strcmp(a, "--config") && more) {
            config = argv[++i];
        } else if (!strcmp(a, "--model") && more) {
            model = argv[++i];
        } else if (!strcmp(a, "--name") && more) {
            name = argv[++i];
        } else if (!strcmp(a, "--midi") && more) {
            midi = argv[++i];
        } else if (!strcmp(a, "--block") && more) {
            block = atoi(argv[++i]);
        } else if (!strcmp(a, "--channels") && more) {
            raw_channels = atoi(argv[++i]);
        } else if (!strcmp(a, "--rate") && more) {
            raw_rate = atof(argv[++i]);
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: nnfx-pedal [--config FILE] [--model FILE.onnx] [--name CLIENT]\n"
                   "       nnfx-pedal --offline IN OUT [--config FILE] [--model FILE.onnx] "
                   "[--block N] [--midi SCRIPT] [--channels N] [--rate HZ]\n");
            return 0;
        } else {
            return fail("unknown or incomplete option '%s' (see --help)%s", a, NULL);
        }
    }
    if (block < 1 || block > 65536)
        return fail("--block must be 1..65536%s%s", NULL, NULL);
    if (raw_channels < 1 || raw_channels > NNFX_MAX_CHANNELS ||
        !(raw_rate >= 1000.0 && raw_rate <= 768000.0)) {
        char limit[16];
        snprintf(limit, sizeof limit, "%d", NNFX_MAX_CHANNELS);
        return fail("--channels is 1..%s and --rate 1000..768000 Hz%s", limit, NULL);
    }
    config_defaults(&cfg);
    if (config && config_read(&cfg, config))
        return 2;
    if (model)
        snprintf(cfg.model, sizeof cfg.model, "%s", model);
    if (name)
        snprintf(cfg.client, sizeof cfg.client, "%s", name);
    memset(&p, 0, sizeof p);
    p.cfg = &cfg;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (offline_in) {
        r = run_offline(&p, offline_in, offline_out, block, midi, raw_channels, raw_rate);
    } else {
#ifdef NNFX_HAVE_JACK
        r = run_jack(&p);
#else
        r = fail("this build has no JACK support (built without libjack): only --offline "
                 "works%s%s", NULL, NULL);
#endif
    }
    nnfx_host_free(p.host);
    return r;
}
