/*
 * nnfx_host.h - the host layer shared by every nnfx host (Pd and Max objects,
 * the Bela project, the Raspberry Pi pedal), and the random-network builder.
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

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* The random-network recipe (docs/random-networks.md) and its C builder.    */
/* ------------------------------------------------------------------------ */

typedef enum {
    NNFX_ACT_LINEAR = 0, NNFX_ACT_LEAKYRELU, NNFX_ACT_TANH, NNFX_ACT_SIGMOID, NNFX_ACT_RELU,
    NNFX_ACT_ELU, NNFX_ACT_SELU, NNFX_ACT_GELU, NNFX_ACT_RRELU, NNFX_ACT_SOFTPLUS,
    NNFX_ACT_SOFTSHRINK, NNFX_ACT_SINE, NNFX_ACT_SINE30,
    NNFX_ACT_COUNT
} nnfx_activation;

typedef enum {
    NNFX_INIT_NORMAL = 0, NNFX_INIT_UNIFORM, NNFX_INIT_UNIFORM1, NNFX_INIT_XAVIER_NORMAL,
    NNFX_INIT_XAVIER_UNIFORM, NNFX_INIT_KAIMING_NORMAL, NNFX_INIT_KAIMING_UNIFORM,
    NNFX_INIT_ORTHOGONAL, NNFX_INIT_DIRAC,
    NNFX_INIT_COUNT
} nnfx_init;

/* Every key of the recipe table in docs/random-networks.md. */
typedef struct {
    int layers;              /* 1..24, default 6 */
    int kernel;              /* 1..64, default 3 */
    int channels;            /* 1..64, default 8 */
    int growth;              /* 1..4, default 2: layer l has dilation growth**l */
    nnfx_activation activation; /* default tanh */
    nnfx_init init;          /* default normal */
    int bias;                /* 0|1, default 0 */
    int depthwise;           /* 0|1, default 0 */
    int in_channels;         /* 1..2, default 1 */
    int out_channels;        /* 1..2, default 1 */
    double in_gain_db;       /* -60..60, default 0 */
    double out_gain_db;      /* -60..60, default 0 */
    uint32_t seed;           /* 0..16777215, default 42 */
} nnfx_random_recipe;

/* The defaults of the spec. */
NNFX_API nnfx_random_recipe nnfx_random_recipe_init(void);
/* NNFX_OK, or NNFX_ERR_INVALID_ARG naming the key, its value and the allowed range/values
   (also NNFX_ERR_LIMIT when the receptive field exceeds 2^22 frames). */
NNFX_API nnfx_result nnfx_random_recipe_validate(const nnfx_random_recipe *r, nnfx_error *err);
/* Names as in the spec ("tanh", "kaiming_uniform"); NULL for an out-of-range value. */
NNFX_API const char *nnfx_activation_name(nnfx_activation a);
NNFX_API const char *nnfx_init_name(nnfx_init i);
/* Lookup by name; -1 when unknown. */
NNFX_API int nnfx_activation_from_name(const char *name);
NNFX_API int nnfx_init_from_name(const char *name);
/* Comma-separated list of every name, for error messages. */
NNFX_API const char *nnfx_activation_names(void);
NNFX_API const char *nnfx_init_names(void);

/*
 * Set one recipe key from text/number, as the `random` message does. key is a spec key
 * (layers kernel channels growth activation init bias depthwise in_channels out_channels
 * in_gain_db out_gain_db seed) or an alias (in, out). For `activation`/`init`, sval is used;
 * otherwise fval (must be an integer for integer keys). Checks the range; on error names
 * the key and the allowed values. Does not check the receptive-field limit (validate does).
 */
NNFX_API nnfx_result nnfx_random_recipe_set(nnfx_random_recipe *r, const char *key, const char *sval,
                                   double fval, nnfx_error *err);
/* Receptive field R = 1 + sum_l (kernel-1)*growth**l (frames), 0 if invalid. */
NNFX_API long nnfx_random_receptive_field(const nnfx_random_recipe *r);
/* Weights + biases, and MACs per output frame in stream mode (sum of cout*cin_g*kernel). */
NNFX_API long nnfx_random_parameter_count(const nnfx_random_recipe *r);
NNFX_API long nnfx_random_macs_per_sample(const nnfx_random_recipe *r);
/* JSON of nnfx.architecture: {"kind":"random_tcn","recipe":{...},"generator":"..."}.
   Returns the length written (truncated to cap-1 and NUL-terminated), like snprintf. */
NNFX_API int nnfx_random_architecture_json(const nnfx_random_recipe *r, char *buf, size_t cap);

/*
 * Weights of one layer exactly as the spec's generator gives them.
 * weight: cout*cin_g*kernel floats (row-major [cout, cin_g, kernel]); bias: cout floats
 * (zeros when the recipe has no bias; may be NULL). Sizes via nnfx_random_layer_shape.
 */
NNFX_API nnfx_result nnfx_random_layer_shape(const nnfx_random_recipe *r, int layer, int *cout,
                                    int *cin_g, int *groups, long *dilation);
NNFX_API nnfx_result nnfx_random_layer_weights(const nnfx_random_recipe *r, int layer, float *weight,
                                      float *bias, nnfx_error *err);

/*
 * Build the complete model file (ONNX bytes) for a recipe: graph of docs/random-networks.md
 * with block size N = block_size, nnfx.* metadata (architecture with the recipe, channels,
 * receptive field, MACs), no reference I/O. *out_data is released with nnfx_free_bytes.
 */
NNFX_API nnfx_result nnfx_random_build(const nnfx_random_recipe *r, int block_size, double sample_rate,
                              uint8_t **out_data, size_t *out_size, nnfx_error *err);
NNFX_API void nnfx_free_bytes(void *p);

/* ------------------------------------------------------------------------ */
/* The host object.                                                          */
/* ------------------------------------------------------------------------ */

typedef struct nnfx_host nnfx_host;

typedef enum { NNFX_ATOM_FLOAT = 0, NNFX_ATOM_SYMBOL = 1 } nnfx_atom_type;
/* One message argument. For FLOAT, f holds the value (s is NULL); for SYMBOL, s. */
typedef struct {
    nnfx_atom_type type;
    double f;
    const char *s;
} nnfx_atom;

typedef struct {
    int in_channels, out_channels; /* host signal ports, fixed for the object's life (1..64) */
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

/* Audio thread: lock-free, allocation-free setters (boards call them from render()).
   Values are clamped to their ranges; gains and mix are smoothed. */
NNFX_API NNFX_RT void nnfx_host_set_bypass(nnfx_host *host, int on);
NNFX_API NNFX_RT void nnfx_host_set_mix(nnfx_host *host, float wet);        /* 0..1 */
NNFX_API NNFX_RT void nnfx_host_set_in_gain_db(nnfx_host *host, float db);  /* -60..60 */
NNFX_API NNFX_RT void nnfx_host_set_out_gain_db(nnfx_host *host, float db); /* -60..60 */
/* Model knob by index (clamped by the model to its range; smoothed). Ignored if out of range. */
NNFX_API NNFX_RT void nnfx_host_set_param(nnfx_host *host, int index, float value);

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
