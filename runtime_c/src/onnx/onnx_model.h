/*
 * onnx_model.h - the in-memory form of an ONNX file, as read by onnx_reader.c
 * and written by onnx_writer.c. Internal to runtime_c.
 *
 * Everything here is owned by the nx_onnx_model and released by
 * nx_onnx_model_free(). Strings are NUL-terminated copies. Tensor data is
 * always converted to host byte order and stored in `data` (raw_data and the
 * typed repeated fields of TensorProto are both accepted on reading).
 */
#ifndef NX_ONNX_MODEL_H
#define NX_ONNX_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "nnfx.h"

#define NNFX_MAX_DIMS 8

/* ONNX TensorProto.DataType values used by nnfx. */
enum {
    NNFX_DT_UNDEFINED = 0,
    NNFX_DT_FLOAT = 1,
    NNFX_DT_UINT8 = 2,
    NNFX_DT_INT8 = 3,
    NNFX_DT_INT32 = 6,
    NNFX_DT_INT64 = 7,
    NNFX_DT_BOOL = 9,
    NNFX_DT_DOUBLE = 11
};

typedef struct {
    char *name;
    int32_t dtype;                  /* NNFX_DT_* */
    int ndim;
    int64_t dims[NNFX_MAX_DIMS];
    int64_t count;                  /* product of dims (1 for a scalar) */
    void *data;                     /* count elements of dtype, host order, 16-byte aligned */
} nx_onnx_tensor;

/* AttributeProto.AttributeType values. */
enum {
    NNFX_ATTR_FLOAT = 1,
    NNFX_ATTR_INT = 2,
    NNFX_ATTR_STRING = 3,
    NNFX_ATTR_TENSOR = 4,
    NNFX_ATTR_FLOATS = 6,
    NNFX_ATTR_INTS = 7,
    NNFX_ATTR_STRINGS = 8
};

typedef struct {
    char *name;
    int type;                       /* NNFX_ATTR_* */
    float f;
    int64_t i;
    char *s;                        /* STRING (bytes, NUL-terminated copy) */
    size_t s_len;
    nx_onnx_tensor *t;            /* TENSOR */
    float *floats;                  /* FLOATS */
    int64_t *ints;                  /* INTS */
    char **strings;                 /* STRINGS */
    size_t n;                       /* element count of FLOATS/INTS/STRINGS */
} nx_onnx_attr;

typedef struct {
    char *name;                     /* may be "" */
    char *op_type;
    char *domain;                   /* "" for the default ONNX domain */
    int n_inputs, n_outputs, n_attrs;
    char **inputs;                  /* "" marks an omitted optional input */
    char **outputs;
    nx_onnx_attr *attrs;
} nx_onnx_node;

/* A graph input or output (ValueInfoProto with a tensor type). */
typedef struct {
    char *name;
    int32_t elem_type;
    int ndim;                       /* -1 when the shape is absent */
    int64_t dims[NNFX_MAX_DIMS];    /* -1 for a symbolic/unknown dimension */
} nx_onnx_value_info;

typedef struct {
    char *key;
    char *value;
} nx_onnx_prop;

typedef struct {
    int64_t ir_version;
    int64_t opset;                  /* version of the default ("" or "ai.onnx") domain; 0 if absent */
    char *producer_name;
    char *graph_name;
    int n_nodes, n_initializers, n_inputs, n_outputs, n_value_infos, n_props;
    nx_onnx_node *nodes;          /* in file order (topological per the ONNX spec, re-checked later) */
    nx_onnx_tensor *initializers;
    nx_onnx_value_info *inputs;   /* graph inputs that are not initializers */
    nx_onnx_value_info *outputs;
    nx_onnx_value_info *value_infos;
    nx_onnx_prop *props;          /* metadata_props */
} nx_onnx_model;

/* Safety limits applied while reading untrusted files. */
#define NX_ONNX_MAX_NODES 100000
#define NX_ONNX_MAX_TENSOR_ELEMS (256 * 1024 * 1024 / 4)
#define NX_ONNX_MAX_NAME 4096
#define NX_ONNX_MAX_NESTING 16
#define NX_ONNX_MAX_ATTRS 256         /* attributes per node (ONNX ops have a dozen at most) */

/* Parse a serialized ModelProto. On failure, frees everything and fills err. */
nnfx_result nx_onnx_model_parse(const uint8_t *data, size_t size, nx_onnx_model *out,
                                  nnfx_error *err);
void nx_onnx_model_free(nx_onnx_model *model);

/* Serialize a model (opset, ir_version, graph, metadata_props). *out_data comes from
 * nx_malloc (alloc.h; plain malloc underneath, so free() or nx_free() release it). */
nnfx_result nx_onnx_model_serialize(const nx_onnx_model *model, uint8_t **out_data,
                                      size_t *out_size, nnfx_error *err);

/* Bytes per element of a supported NNFX_DT_* type; 0 for types nnfx does not read. */
size_t nx_onnx_dtype_size(int32_t dtype);
/* "float32", "int64", ... ("unknown" outside the ONNX enum). */
const char *nx_onnx_dtype_name(int32_t dtype);

/*
 * Graph checks (onnx_validate.c), to run after parsing and before planning:
 *   nx_onnx_model_toposort: reorders model->nodes so that every node comes after the
 *     producers of its inputs (stable: a file already in order is left unchanged). Refuses
 *     inputs that nothing produces (naming node and input), names produced twice, and
 *     cycles (naming a node on the cycle).
 *   nx_onnx_model_validate: checks, without changing anything, that every node input is
 *     a graph input, an initializer or an output of an EARLIER node; no name is produced
 *     twice (by nodes, graph inputs or initializers); every graph output is produced; nodes
 *     have an op_type and at least one output; attribute names are unique per node;
 *     graph inputs/outputs are tensors with at most NNFX_MAX_DIMS dims.
 *   nx_onnx_model_check: toposort then validate (what the loader calls).
 */
nnfx_result nx_onnx_model_toposort(nx_onnx_model *model, nnfx_error *err);
nnfx_result nx_onnx_model_validate(const nx_onnx_model *model, nnfx_error *err);
nnfx_result nx_onnx_model_check(nx_onnx_model *model, nnfx_error *err);

/* Lookups (NULL when absent). */
const char *nx_onnx_prop_get(const nx_onnx_model *model, const char *key);
const nx_onnx_tensor *nx_onnx_initializer_find(const nx_onnx_model *model, const char *name);
const nx_onnx_attr *nx_onnx_attr_find(const nx_onnx_node *node, const char *name);

/* printf-style error helper shared by the runtime: sets err->code and message. Returns code. */
nnfx_result nx_set_error(nnfx_error *err, nnfx_result code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prepend printf-style context ("node 'x': ") to err->message, keeping err->code. Returns the code. */
nnfx_result nx_error_prefix(nnfx_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* code = NNFX_OK, empty message. */
void nx_error_clear(nnfx_error *err);

#endif /* NX_ONNX_MODEL_H */
