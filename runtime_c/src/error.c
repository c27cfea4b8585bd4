/* error.c - filling nnfx_error (declared in onnx_model.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "onnx_model.h"

/* Length of the valid UTF-8 sequence at p (at most `left` bytes), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    size_t n, i;
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;
    if (n > left)
        return 0;
    for (i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    /* overlong 3/4-byte forms, surrogates, > U+10FFFF */
    if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) || (c == 0xf0 && p[1] < 0x90) ||
        (c == 0xf4 && p[1] > 0x8f))
        return 0;
    return n;
}

/* Make a message one printable line of valid UTF-8: names from a file can hold any byte. */
static void sanitize(char *msg)
{
    unsigned char *p = (unsigned char *)msg;
    size_t len = strlen(msg), i = 0;
    while (i < len) {
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
            p[i] = '?';
            n = 1;
        }
        i += n;
    }
}

nnfx_result nx_set_error(nnfx_error *err, nnfx_result code, const char *fmt, ...)
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
    sanitize(err->message);
    return code;
}

nnfx_result nx_error_prefix(nnfx_error *err, const char *fmt, ...)
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
    return nx_set_error(err, err->code, "%s%s", prefix, old);
}

void nx_error_clear(nnfx_error *err)
{
    if (!err)
        return;
    err->code = NNFX_OK;
    err->message[0] = '\0';
}
