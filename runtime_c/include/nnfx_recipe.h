/*
 * nnfx_recipe.h - the randomized-network recipe (docs/random-networks.md) and its C builder:
 * the same networks, bit for bit, as nnfx.exporter's Python generator.
 *
 * Lifecycle:
 *   nnfx_random_recipe r = nnfx_random_recipe_init();          the spec's defaults
 *   nnfx_error err;
 *   nnfx_random_recipe_set(&r, "layers", NULL, 8, &err);        one key, range-checked
 *   nnfx_random_recipe_set(&r, "activation", "sine", 0, &err);
 *   if (nnfx_random_recipe_validate(&r, &err) != NNFX_OK) report(err.message);
 *   uint8_t *bytes; size_t size;
 *   nnfx_random_build(&r, 512, 48000.0, &bytes, &size, &err);   a complete model file
 *   nnfx_model_load_memory(bytes, size, &cfg, &model, &err);    (or write the bytes out)
 *   nnfx_free_bytes(bytes);
 *
 * A recipe is a plain value (copy it freely). Every function here is reentrant and may be
 * called from any thread; none is real-time safe (nnfx_random_build allocates). The host
 * layer (nnfx_host.h) uses this API for its `random` designer.
 */
#ifndef NNFX_RECIPE_H
#define NNFX_RECIPE_H

#include <stddef.h>
#include <stdint.h>

#include "nnfx.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif

#endif /* NNFX_RECIPE_H */
