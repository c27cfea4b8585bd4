"""cffi (API mode) build of the nnfx binding: compiles runtime_c's sources into nnfx._nnfx.

API mode means the C compiler sees the real ``nnfx.h`` next to the declarations
below, so any drift between the two is a build error rather than a crash, and
cffi releases the GIL around every call into the runtime.
"""

from __future__ import annotations

import importlib.util
import os

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RUNTIME = os.path.join(ROOT, "runtime_c")


def _runtime_sources():
    """nnfx/runtime_sources.py, loaded by path: the package is not built yet."""
    spec = importlib.util.spec_from_file_location(
        "nnfx_runtime_sources", os.path.join(HERE, "nnfx", "runtime_sources.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

# The subset of nnfx.h the binding uses, in cffi's declaration syntax. Structs the
# binding only reads end in "...;" so that fields the header adds later do not break
# the build (cffi takes the real layout from the compiler).
CDEF = """
typedef enum {
    NNFX_OK, NNFX_ERR_IO, NNFX_ERR_FORMAT, NNFX_ERR_UNSUPPORTED, NNFX_ERR_INVALID_ARG,
    NNFX_ERR_NOMEM, NNFX_ERR_LIMIT, NNFX_ERR_MISMATCH, ...
} nnfx_result;

typedef enum { NNFX_MODE_STREAM, NNFX_MODE_LOOKBACK, ... } nnfx_mode;

typedef struct {
    nnfx_result code;
    char message[512];
} nnfx_error;

typedef struct {
    nnfx_mode mode;
    int max_block;
    double host_sample_rate;
    size_t max_memory_bytes;
    ...;
} nnfx_config;

typedef struct nnfx_model nnfx_model;

typedef struct {
    const char *name;
    const char *unit;
    float min_value, max_value, default_value;
    ...;
} nnfx_param_info;

typedef struct {
    int in_channels, out_channels;
    double sample_rate;
    int block_size;
    int lookback;
    int receptive_field;
    int latency;
    int max_block;
    nnfx_mode mode;
    int param_count;
    int state_count;
    double macs_per_sample;
    size_t weight_bytes;
    size_t memory_bytes;
    const char *name;
    const char *architecture;
    ...;
} nnfx_info;

#define NNFX_FORMAT_VERSION ...

nnfx_config nnfx_config_init(void);
const char *nnfx_version(void);
const char *nnfx_result_string(nnfx_result r);

nnfx_result nnfx_model_load_file(const char *path, const nnfx_config *config, nnfx_model **out,
                                 nnfx_error *err);
nnfx_result nnfx_model_load_memory(const void *data, size_t size, const nnfx_config *config,
                                   nnfx_model **out, nnfx_error *err);
void nnfx_model_free(nnfx_model *model);

nnfx_result nnfx_model_process(nnfx_model *model, const float *const *in, float *const *out,
                               int frames);
nnfx_result nnfx_model_process_blocks(nnfx_model *model, const float *const *in,
                                      float *const *out, int frames, int block);
void nnfx_model_reset(nnfx_model *model);

nnfx_result nnfx_model_info(const nnfx_model *model, nnfx_info *info);
const char *nnfx_model_metadata(const nnfx_model *model, const char *key);

int nnfx_model_param_count(const nnfx_model *model);
nnfx_result nnfx_model_param_info(const nnfx_model *model, int index, nnfx_param_info *info);
int nnfx_model_param_index(const nnfx_model *model, const char *name);
nnfx_result nnfx_model_set_param(nnfx_model *model, int index, float value);
float nnfx_model_get_param(const nnfx_model *model, int index);

nnfx_result nnfx_model_verify(nnfx_model *model, double *max_abs_error, nnfx_error *err);
"""

ffibuilder = FFI()
ffibuilder.cdef(CDEF)
rs = _runtime_sources()
ffibuilder.set_source(
    "nnfx._nnfx",
    '#include "nnfx.h"\n',
    sources=[os.path.relpath(s, ROOT) for s in rs.sources()],
    include_dirs=[os.path.relpath(d, ROOT) for d in rs.include_dirs()],
    # -ffp-contract=off: no fused multiply-add anywhere, so that the random-network
    # builder (docs/random-networks.md) rounds every operation as specified and the
    # binding computes what the Makefile build computes on every platform.
    extra_compile_args=["-std=c99", "-O3", "-ffp-contract=off"],
    libraries=["m", "pthread"],  # the host layer's worker thread (part of libc since glibc 2.34)
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
