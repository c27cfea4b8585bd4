/*
 * nnfx.h - run nnfx model files (ONNX, see docs/model-file.md) in real time.
 *
 * Lifecycle:
 *   nnfx_config cfg = nnfx_config_init();          defaults: stream mode, max_block 4096
 *   nnfx_model *m; nnfx_error err;
 *   if (nnfx_model_load_file("fx.onnx", &cfg, &m, &err) != NNFX_OK) report(err.message);
 *   ... audio thread: nnfx_model_process(m, in, out, frames);   (real-time safe)
 *   nnfx_model_free(m);                                           (never on the audio thread)
 *
 * Everything a model needs is allocated by the load call. Functions marked
 * NNFX_RT are real-time safe: they allocate nothing, take no lock, make no
 * system call and print nothing. Every other function may allocate.
 *
 * Threading: one model is used by one thread at a time. Loading may happen on
 * any thread; nnfx_host.h builds off-thread loading and swapping on top of this.
 */
#ifndef NNFX_H
#define NNFX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the library's public functions. libnnfx.so is built with -fvisibility=hidden and
   -DNNFX_SHARED_LIBRARY and exports these alone (everything internal is prefixed nx_); a host
   that compiles the sources into its own binary (a Pd or Max external, a board program)
   leaves NNFX_SHARED_LIBRARY undefined, so nothing of the runtime is exported from it. */
#if defined(NNFX_SHARED_LIBRARY) && defined(_WIN32)
#define NNFX_API __declspec(dllexport)
#elif defined(NNFX_SHARED_LIBRARY) && (defined(__GNUC__) || defined(__clang__))
#define NNFX_API __attribute__((visibility("default")))
#else
#define NNFX_API
#endif

/* Marks functions that may run on the audio thread. */
#define NNFX_RT

/* Most audio channels (inlets, outlets, model channels) any model or host has. */
#define NNFX_MAX_CHANNELS 64

#define NNFX_VERSION_STRING "0.1.0"
/* The newest model-file format version (metadata key nnfx.format_version) this runtime reads. */
#define NNFX_FORMAT_VERSION 1

typedef enum {
    NNFX_OK = 0,
    NNFX_ERR_IO = 1,          /* file missing or unreadable */
    NNFX_ERR_FORMAT = 2,      /* malformed protobuf / ONNX / metadata */
    NNFX_ERR_UNSUPPORTED = 3, /* valid ONNX, but an op or pattern nnfx cannot run */
    NNFX_ERR_INVALID_ARG = 4, /* bad argument from the caller */
    NNFX_ERR_NOMEM = 5,       /* allocation failed */
    NNFX_ERR_LIMIT = 6,       /* a size exceeds a safety limit (dims, memory, receptive field) */
    NNFX_ERR_MISMATCH = 7     /* verification against the embedded reference failed */
} nnfx_result;

typedef enum {
    NNFX_MODE_STREAM = 0,   /* per-op history and state: no latency, cost independent of receptive field */
    NNFX_MODE_LOOKBACK = 1  /* the exported graph over the last M + N frames every N frames */
} nnfx_mode;

/* Human-readable message for the last failure; always NUL-terminated. */
typedef struct {
    nnfx_result code;
    char message[512];
} nnfx_error;

typedef struct {
    nnfx_mode mode;          /* default NNFX_MODE_STREAM */
    int max_block;           /* most frames the host passes to one process call; default 4096 */
    double host_sample_rate; /* 0 = unknown/same as model; used for info and warnings only */
    size_t max_memory_bytes; /* refuse models needing more; default 1 GiB */
} nnfx_config;

typedef struct nnfx_model nnfx_model;

typedef struct {
    const char *name;      /* parameter (knob) name */
    const char *unit;      /* "" when none */
    float min_value, max_value, default_value;
} nnfx_param_info;

typedef struct {
    int in_channels, out_channels;
    double sample_rate;       /* model's sample rate in Hz */
    int block_size;           /* N: frames per graph run in the exported file */
    int lookback;             /* M: receptive field minus one (0 for recurrent models) */
    int receptive_field;      /* M + 1 frames */
    int latency;              /* frames of delay this mode adds (0 in stream mode) */
    int max_block;            /* as configured */
    nnfx_mode mode;
    int param_count;
    int state_count;          /* recurrent state tensors */
    double macs_per_sample;   /* multiply-accumulates per output frame in stream mode */
    size_t weight_bytes;      /* bytes of weights */
    size_t memory_bytes;      /* total bytes allocated for this model (weights, state, scratch) */
    const char *name;         /* nnfx.name metadata or "" */
    const char *architecture; /* nnfx.architecture metadata (JSON) or "" */
} nnfx_info;

NNFX_API nnfx_config nnfx_config_init(void);
NNFX_API const char *nnfx_version(void);
NNFX_API const char *nnfx_result_string(nnfx_result r);

/* Load and plan a model. On failure *out is NULL and err (if non-NULL) says why. */
NNFX_API nnfx_result nnfx_model_load_file(const char *path, const nnfx_config *config, nnfx_model **out,
                                 nnfx_error *err);
NNFX_API nnfx_result nnfx_model_load_memory(const void *data, size_t size, const nnfx_config *config,
                                   nnfx_model **out, nnfx_error *err);
NNFX_API void nnfx_model_free(nnfx_model *model);

/*
 * Process `frames` frames (any count >= 0; internally split into max_block chunks).
 * in[c] for c < in_channels, out[c] for c < out_channels, non-interleaved float.
 * in and out may alias (in[c] == out[c]). Non-finite input samples are treated
 * as silence, and state that becomes non-finite is cleared, so a model never stays stuck.
 */
NNFX_API NNFX_RT nnfx_result nnfx_model_process(nnfx_model *model, const float *const *in,
                                       float *const *out, int frames);
/*
 * Process `frames` frames as consecutive nnfx_model_process calls of `block` frames (the last
 * one shorter), as a host with that block size would; used by `nnfx bench` to time the runtime
 * without a caller's loop. Same arguments and aliasing rules as nnfx_model_process.
 */
NNFX_API NNFX_RT nnfx_result nnfx_model_process_blocks(nnfx_model *model, const float *const *in,
                                              float *const *out, int frames, int block);
/* Clear all history and recurrent state (as at load). */
NNFX_API NNFX_RT void nnfx_model_reset(nnfx_model *model);

NNFX_API nnfx_result nnfx_model_info(const nnfx_model *model, nnfx_info *info);
/* Raw metadata value for key (e.g. "nnfx.sample_rate"), or NULL. */
NNFX_API const char *nnfx_model_metadata(const nnfx_model *model, const char *key);

NNFX_API int nnfx_model_param_count(const nnfx_model *model);
NNFX_API nnfx_result nnfx_model_param_info(const nnfx_model *model, int index, nnfx_param_info *info);
/* Index of a parameter by name, or -1. */
NNFX_API int nnfx_model_param_index(const nnfx_model *model, const char *name);
/* Values are clamped to the parameter's range; takes effect at the next process call.
   Set after load/reset but before any audio, the model starts from silence with the new
   value (histories re-primed); mid-stream, history already computed stays. */
NNFX_API NNFX_RT nnfx_result nnfx_model_set_param(nnfx_model *model, int index, float value);
NNFX_API float nnfx_model_get_param(const nnfx_model *model, int index);

/*
 * Run the embedded reference input (nnfx.reference_*) through this model from
 * a reset state and compare with the embedded expected output. Resets the model.
 * Not real-time safe. *max_abs_error receives the largest absolute difference.
 * Returns NNFX_ERR_MISMATCH above the file's tolerance (nnfx.reference_tolerance).
 */
NNFX_API nnfx_result nnfx_model_verify(nnfx_model *model, double *max_abs_error, nnfx_error *err);

#ifdef __cplusplus
}
#endif

#endif /* NNFX_H */
