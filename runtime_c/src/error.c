/* error.c - filling nnfx_error (declared in onnx_model.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "onnx_model.h"

nnfx_result nnfx_set_error(nnfx_error *err, nnfx_result code, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (!err)
        return code;
    err->code = code;
    va_start(ap, fmt);
    n = vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    if (n < 0) {
        err->message[0] = '\0';
    } else if ((size_t)n >= sizeof err->message) {
        /* Truncated: say so with a trailing "..." (vsnprintf already terminated it). */
        memcpy(err->message + sizeof err->message - 4, "...", 4);
    }
    return code;
}

nnfx_result nnfx_error_prefix(nnfx_error *err, const char *fmt, ...)
{
    char prefix[256];
    char old[sizeof err->message];
    va_list ap;
    int n;
    if (!err)
        return NNFX_OK;
    va_start(ap, fmt);
    n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n < 0)
        return err->code;
    memcpy(old, err->message, sizeof old);
    old[sizeof old - 1] = '\0';
    return nnfx_set_error(err, err->code, "%s%s", prefix, old);
}

void nnfx_error_clear(nnfx_error *err)
{
    if (!err)
        return;
    err->code = NNFX_OK;
    err->message[0] = '\0';
}
