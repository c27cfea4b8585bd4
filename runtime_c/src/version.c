/* version.c - library identity, defaults and result names. */
#include "nnfx.h"

const char *nnfx_version(void) { return NNFX_VERSION_STRING; }

nnfx_config nnfx_config_init(void)
{
    nnfx_config c;
    c.mode = NNFX_MODE_STREAM;
    c.max_block = 4096;
    c.host_sample_rate = 0.0;
    c.max_memory_bytes = (size_t)1 << 30;
    return c;
}

const char *nnfx_result_string(nnfx_result r)
{
    switch (r) {
    case NNFX_OK: return "ok";
    case NNFX_ERR_IO: return "i/o error";
    case NNFX_ERR_FORMAT: return "malformed model file";
    case NNFX_ERR_UNSUPPORTED: return "unsupported model";
    case NNFX_ERR_INVALID_ARG: return "invalid argument";
    case NNFX_ERR_NOMEM: return "out of memory";
    case NNFX_ERR_LIMIT: return "size limit exceeded";
    case NNFX_ERR_MISMATCH: return "reference mismatch";
    }
    return "unknown error";
}
