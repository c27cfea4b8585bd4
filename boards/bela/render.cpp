/*
 * render.cpp - an nnfx model as a Bela guitar pedal.
 *
 * A thin adapter over runtime_c's host layer (nnfx_host.h): setup() loads the model (or designs
 * a randomized network) synchronously, outside the audio thread, and checks it fits the board;
 * render() moves audio, knobs and the footswitch into the host layer and does nothing heavy;
 * an auxiliary task polls the host layer's events (messages, freeing retired models);
 * cleanup() frees. The wiring is in nnfx_bela_config.h.
 *
 * Real-time rules in render(): no allocation, no printf, no file I/O, no locks; only the host
 * layer's NNFX_RT calls, Bela's pin helpers and Bela_scheduleAuxiliaryTask.
 */
#ifdef NNFX_BELA_CI
#include "bela_decls.h" /* CI stand-in, see boards/bela/ci/bela_decls.h */
#else
#include <Bela.h>
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfx_bela_config.h"
#include "nnfx_host.h"

namespace {

struct Knob {
    int role;
    float lo, hi;
    int param;
};

const Knob kKnobs[] = NNFX_BELA_KNOBS;
const int kKnobCount = (int)(sizeof kKnobs / sizeof kKnobs[0]);

struct Pedal {
    nnfx_host *host;
    float *in[NNFX_BELA_AUDIO_IN];   /* de-interleaved blocks, audioFrames each */
    float *out[NNFX_BELA_AUDIO_OUT];
    float knob_sent[kKnobCount];     /* last knob reading passed on (0..1), -1 = none yet */
    int switch_stable;               /* debounced footswitch state (1 = pressed) */
    int switch_raw;                  /* last raw reading */
    int switch_count;                /* digital frames the raw reading has been unchanged */
    int debounce_frames;
    int bypass;                      /* 1 = bypassed */
    int poll_frames, poll_every;     /* auxiliary task scheduling, in audio frames */
    AuxiliaryTask poll_task;
};

Pedal gPedal;

/* Control side (auxiliary task and setup): print the host layer's events; frees models the
   audio thread retired. */
void poll_events(void *)
{
    nnfx_host_event ev;
    while (gPedal.host && nnfx_host_poll(gPedal.host, &ev))
        rt_printf("nnfx: %s\n", ev.text);
}

/* Split "KEY VALUE KEY VALUE ..." into atoms for the `random` message. */
int recipe_atoms(char *text, nnfx_atom *atoms, int cap)
{
    int n = 0;
    for (char *tok = strtok(text, " \t"); tok && n < cap; tok = strtok(NULL, " \t")) {
        char *end;
        double v = strtod(tok, &end);
        if (*end == '\0' && end != tok) {
            atoms[n].type = NNFX_ATOM_FLOAT;
            atoms[n].f = v;
            atoms[n].s = NULL;
        } else {
            atoms[n].type = NNFX_ATOM_SYMBOL;
            atoms[n].f = 0.0;
            atoms[n].s = tok;
        }
        n++;
    }
    return n;
}

void apply_knob(int k, float v)
{
    const Knob &kn = kKnobs[k];
    float x = kn.lo + (kn.hi - kn.lo) * v;
    switch (kn.role) {
    case NNFX_KNOB_IN_GAIN:
        nnfx_host_set_in_gain_db(gPedal.host, x);
        break;
    case NNFX_KNOB_OUT_GAIN:
        nnfx_host_set_out_gain_db(gPedal.host, x);
        break;
    case NNFX_KNOB_MIX:
        nnfx_host_set_mix(gPedal.host, x);
        break;
    case NNFX_KNOB_PARAM: /* LO..HI of the model knob's own range, mapped by the host layer */
        nnfx_host_set_param_normalized(gPedal.host, kn.param, x);
        break;
    default:
        break;
    }
}

} // namespace

bool setup(BelaContext *context, void *userData)
{
    nnfx_error err;
    memset(&gPedal, 0, sizeof gPedal);
    for (int k = 0; k < kKnobCount; k++)
        gPedal.knob_sent[k] = -1.0f;
    if ((int)context->audioInChannels < NNFX_BELA_AUDIO_IN ||
        (int)context->audioOutChannels < NNFX_BELA_AUDIO_OUT) {
        fprintf(stderr, "nnfx: the project is set for %d audio inputs and %d outputs; this board "
                "has %u and %u (change NNFX_BELA_AUDIO_IN/OUT in nnfx_bela_config.h)\n",
                NNFX_BELA_AUDIO_IN, NNFX_BELA_AUDIO_OUT, context->audioInChannels,
                context->audioOutChannels);
        return false;
    }
    if (context->audioFrames < 1 || context->audioFrames > 4096) {
        fprintf(stderr, "nnfx: block size %u is outside 1..4096\n", context->audioFrames);
        return false;
    }

    nnfx_host_config cfg = nnfx_host_config_init();
    cfg.in_channels = NNFX_BELA_AUDIO_IN;
    cfg.out_channels = NNFX_BELA_AUDIO_OUT;
    cfg.max_block = (int)context->audioFrames;
    cfg.sample_rate = context->audioSampleRate;
    cfg.threaded = 0;      /* load now, in setup(), not on a worker thread */
    cfg.measure_load = 0;  /* render() reads no clock (Xenomai) */
    if (nnfx_host_new(&cfg, &gPedal.host, &err) != NNFX_OK) {
        fprintf(stderr, "nnfx: %s\n", err.message);
        return false;
    }
    for (int c = 0; c < NNFX_BELA_AUDIO_IN; c++)
        gPedal.in[c] = (float *)calloc(context->audioFrames, sizeof(float));
    for (int c = 0; c < NNFX_BELA_AUDIO_OUT; c++)
        gPedal.out[c] = (float *)calloc(context->audioFrames, sizeof(float));
    for (int c = 0; c < NNFX_BELA_AUDIO_IN; c++)
        if (!gPedal.in[c])
            return false;
    for (int c = 0; c < NNFX_BELA_AUDIO_OUT; c++)
        if (!gPedal.out[c])
            return false;

    /* The model: a recipe designed here, or a file (userData may name another file). */
    nnfx_result r;
    if (NNFX_BELA_RECIPE[0]) {
        char text[512];
        nnfx_atom atoms[64];
        snprintf(text, sizeof text, "%s", NNFX_BELA_RECIPE);
        int n = recipe_atoms(text, atoms, 64);
        r = nnfx_host_message(gPedal.host, "random", n, atoms, &err);
    } else {
        const char *path = userData ? (const char *)userData : NNFX_BELA_MODEL_FILE;
        r = nnfx_host_open(gPedal.host, path, &err);
    }
    if (r != NNFX_OK) {
        fprintf(stderr, "nnfx: %s\n", err.message);
        return false;
    }
    poll_events(NULL); /* the load's messages */
    nnfx_info info;
    if (nnfx_host_model_info(gPedal.host, &info) != NNFX_OK) {
        fprintf(stderr, "nnfx: the model did not load\n");
        return false;
    }
    double need = info.macs_per_sample * context->audioSampleRate;
    rt_printf("nnfx: %d in, %d out; %.0f MACs/sample = %.1f M MAC/s, estimated load %.0f %% "
              "of the %.0f M MAC/s budget%s\n", info.in_channels, info.out_channels,
              info.macs_per_sample, need / 1e6, 100.0 * need / NNFX_BELA_MACS_BUDGET,
              NNFX_BELA_MACS_BUDGET / 1e6,
              need > NNFX_BELA_MACS_BUDGET ? " - WILL NOT KEEP UP (expect dropouts)" : "");
    for (int k = 0; k < kKnobCount; k++) {
        nnfx_param_info p;
        if (kKnobs[k].role != NNFX_KNOB_PARAM)
            continue;
        if (nnfx_host_param_info(gPedal.host, kKnobs[k].param, &p) == NNFX_OK)
            rt_printf("nnfx: analog in %d -> knob '%s' %g..%g %s\n", k, p.name,
                      (double)p.min_value, (double)p.max_value, p.unit);
        else
            rt_printf("nnfx: analog in %d: the model has no knob %d (it has %d); ignored\n", k,
                      kKnobs[k].param, nnfx_host_param_count(gPedal.host));
    }

    /* Pedal controls. */
    gPedal.debounce_frames = (int)(NNFX_BELA_DEBOUNCE_MS * 1e-3f * context->digitalSampleRate);
    if (gPedal.debounce_frames < 1)
        gPedal.debounce_frames = 1;
    gPedal.poll_every = (int)(NNFX_BELA_POLL_MS * 1e-3f * context->audioSampleRate);
    gPedal.poll_task = Bela_createAuxiliaryTask(poll_events, BELA_AUDIO_PRIORITY - 20, "nnfx-poll");
    return gPedal.poll_task != 0;
}

void render(BelaContext *context, void *)
{
    const int frames = (int)context->audioFrames;

    /* Knobs: the newest analog frame of the block (analog runs at half the audio rate by
       default); the host layer smooths the change. */
    if (context->analogFrames > 0) {
        for (int k = 0; k < kKnobCount; k++) {
            if (kKnobs[k].role == NNFX_KNOB_NONE || k >= (int)context->analogInChannels)
                continue;
            float v = analogRead(context, (int)context->analogFrames - 1, k);
            v = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
            if (fabsf(v - gPedal.knob_sent[k]) > NNFX_BELA_KNOB_DEADBAND) {
                gPedal.knob_sent[k] = v;
                apply_knob(k, v);
            }
        }
    }

    /* Footswitch with debounce: a new level counts once it held for debounce_frames. */
    if (context->digitalFrames > 0) {
        for (int f = 0; f < (int)context->digitalFrames; f++) {
            if (f == 0)
                pinMode(context, 0, NNFX_BELA_FOOTSWITCH_PIN, INPUT);
            int raw = digitalRead(context, f, NNFX_BELA_FOOTSWITCH_PIN);
            if (NNFX_BELA_FOOTSWITCH_ACTIVE_LOW)
                raw = !raw;
            if (raw != gPedal.switch_raw) {
                gPedal.switch_raw = raw;
                gPedal.switch_count = 0;
            } else if (gPedal.switch_count < gPedal.debounce_frames) {
                if (++gPedal.switch_count == gPedal.debounce_frames && raw != gPedal.switch_stable) {
                    gPedal.switch_stable = raw;
                    if (raw) { /* press toggles */
                        gPedal.bypass = !gPedal.bypass;
                        nnfx_host_set_bypass(gPedal.host, gPedal.bypass);
                    }
                }
            }
        }
        if (NNFX_BELA_LED_PIN >= 0) {
            pinMode(context, 0, NNFX_BELA_LED_PIN, OUTPUT);
            digitalWrite(context, 0, NNFX_BELA_LED_PIN, gPedal.bypass ? 0 : 1);
        }
    }

    /* Audio through the host layer. */
    for (int c = 0; c < NNFX_BELA_AUDIO_IN; c++)
        for (int f = 0; f < frames; f++)
            gPedal.in[c][f] = audioRead(context, f, c);
    nnfx_host_process(gPedal.host, gPedal.in, gPedal.out, frames);
    for (int c = 0; c < NNFX_BELA_AUDIO_OUT; c++)
        for (int f = 0; f < frames; f++)
            audioWrite(context, f, c, gPedal.out[c][f]);
    for (int c = NNFX_BELA_AUDIO_OUT; c < (int)context->audioOutChannels; c++)
        for (int f = 0; f < frames; f++)
            audioWrite(context, f, c, 0.0f);

    /* Events and freeing retired models happen off the audio thread. */
    gPedal.poll_frames += frames;
    if (gPedal.poll_frames >= gPedal.poll_every) {
        gPedal.poll_frames = 0;
        Bela_scheduleAuxiliaryTask(gPedal.poll_task);
    }
}

void cleanup(BelaContext *, void *)
{
    poll_events(NULL);
    nnfx_host_free(gPedal.host);
    gPedal.host = NULL;
    for (int c = 0; c < NNFX_BELA_AUDIO_IN; c++)
        free(gPedal.in[c]);
    for (int c = 0; c < NNFX_BELA_AUDIO_OUT; c++)
        free(gPedal.out[c]);
}
