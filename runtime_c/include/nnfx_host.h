/*
 * nnfx_host.h - the host layer shared by every nnfx host (Pd and Max objects,
 * the Bela project, the Raspberry Pi pedal). The random-network recipe and builder it
 * designs with are declared in nnfx_recipe.h (included here).
 *
 * Adapters only translate between their host's API and this one; everything
 * they share lives here: the message vocabulary, input/output gains, dry/wet
 * mix, DC blocking, smoothing, click-free bypass, off-thread loading with a
 * crossfaded swap, the random-network designer, `save`, `info` and `verify`.
 * docs/host-layer.md describes the vocabulary and what an adapter must do.
 *
 * Lifecycle:
 *   nnfx_host_config cfg = nnfx_host_config_init();
 *   cfg.in_channels = 1; cfg.out_channels = 1; cfg.max_block = 64; cfg.sample_rate = 48000;
 *   nnfx_host *h; nnfx_error err;
 *   if (nnfx_host_new(&cfg, &h, &err) != NNFX_OK) report(err.message);
 *   nnfx_host_open(h, "/abs/path/fx.onnx", &err);       control thread; returns at once
 *                                                       when threaded (result comes as an event)
 *   ... audio thread, every block: nnfx_host_process(h, in, out, frames);
 *   ... control thread, regularly: while (nnfx_host_poll(h, &ev)) show(ev);
 *   nnfx_host_message(h, "mix", 1, &atom_half, &err);   control thread
 *   nnfx_host_free(h);                                  control thread, audio stopped
 *
 * Threads: one CONTROL thread (Pd/Max message thread, Bela setup(), the pedal's
 * main loop) calls everything except the NNFX_RT functions; one AUDIO thread
 * calls the NNFX_RT functions. Models are built on an internal WORKER thread
 * (threaded = 1) or synchronously in the control thread (threaded = 0), handed
 * to the audio thread lock-free and swapped in at a block start with a
 * crossfade; models the audio thread retires are freed by the control thread
 * inside nnfx_host_poll, never by the audio thread.
 */
#ifndef NNFX_HOST_H
#define NNFX_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "nnfx.h"
#include "nnfx_recipe.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nnfx_host nnfx_host;

typedef enum { NNFX_ATOM_FLOAT = 0, NNFX_ATOM_SYMBOL = 1 } nnfx_atom_type;
/* One message argument. For FLOAT, f holds the value (s is NULL); for SYMBOL, s. */
typedef struct {
    nnfx_atom_type type;
    double f;
    const char *s;
} nnfx_atom;

typedef struct {
    int in_channels, out_channels; /* host signal ports, fixed for the object's life
                                      (1..NNFX_MAX_CHANNELS) */
    int max_block;                 /* largest frame count per nnfx_host_process call */
    double sample_rate;            /* host sample rate, Hz */
    nnfx_mode mode;                /* stream (default) or lookback */
    int threaded;                  /* 1 (default): open/random/verify on an internal worker thread;
                                      0: synchronously in the calling (control) thread */
    float crossfade_ms;            /* model swap and bypass crossfade, default 10 ms */
    float smoothing_ms;            /* gain/mix/knob smoothing time constant, default 20 ms */
    int measure_load;              /* 1 (default): time each process call with the monotonic
                                      clock (vDSO on Linux, QueryPerformanceCounter on Windows,
                                      no system call) for info's DSP load; 0: never read a clock
                                      on the audio thread (e.g. Xenomai on Bela) */
    int random_block_size;         /* N written into models built by `random`, default 512 */
} nnfx_host_config;

NNFX_API nnfx_host_config nnfx_host_config_init(void);
/* Allocates everything process needs for the configured ports/max_block; starts the worker. */
NNFX_API nnfx_result nnfx_host_new(const nnfx_host_config *cfg, nnfx_host **out, nnfx_error *err);
/* Control thread, audio stopped: joins the worker, frees every model and buffer. NULL ok. */
NNFX_API void nnfx_host_free(nnfx_host *host);

/*
 * Control thread, while the audio thread is not inside nnfx_host_process (Pd's _dsp, Max's
 * dsp64, a board's setup): the host's sample rate changed. Recomputes the smoothing, crossfade
 * and DC-blocker coefficients, uses the rate for the next `random` builds and warns (WARNING
 * event) when the loaded model was made for another rate. 1000..1536000 Hz.
 */
NNFX_API nnfx_result nnfx_host_set_sample_rate(nnfx_host *host, double sample_rate, nnfx_error *err);

/*
 * Control thread. Load a model file (path already resolved by the adapter). Threaded: queues
 * the load and returns NNFX_OK at once (a LOADED or ERROR event follows); a queued load not yet
 * started is replaced by the newer request. Unthreaded: loads now and returns the result (the
 * event is queued too). A model whose channels cannot map onto the host ports is refused and the
 * old model keeps playing. Channel mapping: equal counts map 1:1; a mono model input takes the
 * mean of the host inputs; a mono host input feeds every model input; a mono model output feeds
 * every host output; several model outputs onto one host output are averaged.
 */
NNFX_API nnfx_result nnfx_host_open(nnfx_host *host, const char *resolved_path, nnfx_error *err);
/* Same, from bytes in memory (copied); name is shown by info ("file"). */
NNFX_API nnfx_result nnfx_host_open_memory(nnfx_host *host, const void *data, size_t size,
                                  const char *name, nnfx_error *err);

/*
 * Control thread. The shared message vocabulary (docs/host-layer.md):
 *   bypass 0|1, reset, param NAME|INDEX VALUE, mix 0..1, ingain DB, outgain DB (-60..+60),
 *   dcblock 0|1, info, verify, save FILE,
 *   random [KEY VALUE]...  (keys: layers kernel channels growth activation init bias depthwise
 *                           seed in out in_gain_db out_gain_db; missing keys keep their value),
 *   and each random key alone as a message (`seed 43`, `layers 8`, `activation tanh`).
 * `open FILE` is accepted too and opens FILE as given; adapters normally resolve the path
 * (patch folder, search path) and call nnfx_host_open themselves.
 * Unknown selector/key or a bad value -> NNFX_ERR_INVALID_ARG with a message naming it and the
 * allowed values/range; nothing changes. info/verify results come as events.
 */
NNFX_API nnfx_result nnfx_host_message(nnfx_host *host, const char *selector, int argc,
                              const nnfx_atom *argv, nnfx_error *err);
/* Space-separated list of every selector nnfx_host_message accepts (for help/errors). */
NNFX_API const char *nnfx_host_selectors(void);

typedef enum {
    NNFX_EVENT_LOADED = 0,  /* a model was loaded and will be swapped in; text says which */
    NNFX_EVENT_ERROR,       /* a load/build/verify/save failed; text is the one-line message */
    NNFX_EVENT_WARNING,     /* e.g. sample-rate mismatch (once per model) */
    NNFX_EVENT_INFO,        /* one key with values, in answer to `info` */
    NNFX_EVENT_VERIFY       /* verify result: values = [max_abs_error, ok 0|1] */
} nnfx_host_event_kind;

typedef struct {
    nnfx_host_event_kind kind;
    char key[64];           /* LOADED: "loaded"; INFO: "file", "name", "channels",
                               "samplerate", "receptive_ms", "latency", "param",
                               "macs", "dspload", ...; VERIFY: "verify"; else "error"/"warning" */
    int n_values;
    nnfx_atom values[16];   /* symbols point into `sym` storage of this event */
    char sym[256];          /* storage for symbol values */
    char text[512];         /* one human-readable line */
} nnfx_host_event;

/* Control thread: frees models the audio thread retired, then fills *ev with the next
   event. Returns 1 when *ev was filled, 0 when none is waiting. Call regularly. */
NNFX_API int nnfx_host_poll(nnfx_host *host, nnfx_host_event *ev);
/* 1 when a model has been loaded (it may still be waiting to be swapped in). */
NNFX_API int nnfx_host_has_model(const nnfx_host *host);
/* Channel counts of a model file, for adapters that size their ports before the host exists
   (Pd/Max creation arguments). Loads and frees the model; control thread only. */
NNFX_API nnfx_result nnfx_host_probe_file(const char *path, int *in_channels, int *out_channels,
                                 nnfx_error *err);
/* 1 while the worker has a job queued or running (tests, boards' setup()). */
NNFX_API int nnfx_host_busy(const nnfx_host *host);
/* Control thread, threaded hosts: wait until the worker is idle or timeout_ms passes.
   Returns 1 when idle. */
NNFX_API int nnfx_host_wait_idle(nnfx_host *host, int timeout_ms);
/* The current recipe of the designer (defaults, or the last random model built/loaded). */
NNFX_API nnfx_random_recipe nnfx_host_recipe(const nnfx_host *host);

/*
 * The model and its knobs, for adapters that show or map them (a board's knob table, a MIDI
 * map, a plugin's parameter list). CONTROL thread only (they take the host's lock), never
 * the audio thread.
 *
 * They describe the newest model the host has loaded: the one playing, or, from the moment a
 * load or `random` build finishes (its LOADED event is queued at that moment), the model that
 * replaces it, although the audio thread swaps it in only at its next block start (after any
 * crossfade still running). The RT setters below act on the model the audio thread plays, so
 * a knob index read here reaches the new model once it plays. Strings (name, architecture,
 * knob names and units) point into the host and stay valid until this thread's next
 * nnfx_host_poll or nnfx_host_free. The host drives at most 64 knobs of a model; param_count
 * and indices count those.
 */
/* NNFX_OK and *info filled (name and architecture "" when absent), or NNFX_ERR_INVALID_ARG
   when no model is loaded (*info zeroed). */
NNFX_API nnfx_result nnfx_host_model_info(const nnfx_host *host, nnfx_info *info);
/* Knobs of the model (0 with no model). */
NNFX_API int nnfx_host_param_count(const nnfx_host *host);
/* Name, unit, range and default of knob index; NNFX_ERR_INVALID_ARG when out of range. */
NNFX_API nnfx_result nnfx_host_param_info(const nnfx_host *host, int index, nnfx_param_info *info);
/* Index of the knob called name, or -1 (no model, or no such knob). */
NNFX_API int nnfx_host_param_index(const nnfx_host *host, const char *name);

/* Audio thread: lock-free, allocation-free setters (boards call them from render()).
   Values are clamped to their ranges; gains and mix are smoothed. */
NNFX_API NNFX_RT void nnfx_host_set_bypass(nnfx_host *host, int on);
NNFX_API NNFX_RT void nnfx_host_set_mix(nnfx_host *host, float wet);        /* 0..1 */
NNFX_API NNFX_RT void nnfx_host_set_in_gain_db(nnfx_host *host, float db);  /* -60..60 */
NNFX_API NNFX_RT void nnfx_host_set_out_gain_db(nnfx_host *host, float db); /* -60..60 */
/* Model knob by index (clamped by the model to its range; smoothed). Ignored if out of range. */
NNFX_API NNFX_RT void nnfx_host_set_param(nnfx_host *host, int index, float value);
/* Model knob by index from a 0..1 control (a potentiometer, a MIDI controller / 127): 0 gives
   the knob's minimum, 1 its maximum, linear in between (unit clamped to 0..1; NaN ignored),
   mapped with the range of the model that plays; then as nnfx_host_set_param. */
NNFX_API NNFX_RT void nnfx_host_set_param_normalized(nnfx_host *host, int index, float unit);

/*
 * Audio thread. Swaps in a finished model at the block start (crossfade), then: input gain ->
 * model -> output gain -> DC block -> dry/wet mix -> bypass crossfade. frames: 0..max_block
 * (larger counts are processed in max_block chunks). in[c] for c < in_channels, out[c] for
 * c < out_channels; in and out may alias. With no model: dry pass-through (host input i -> output
 * i; a mono input goes to every output; other missing inputs are silence).
 */
NNFX_API NNFX_RT void nnfx_host_process(nnfx_host *host, const float *const *in, float *const *out,
                               int frames);

#ifdef __cplusplus
}
#endif

#endif /* NNFX_HOST_H */
