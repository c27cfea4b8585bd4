/*
 * json.h - a small strict JSON reader (RFC 8259) for the nnfx.* metadata (internal).
 * No comments, no trailing commas, nesting at most 64 deep; strings are decoded to UTF-8
 * (\u escapes and surrogate pairs included) and NUL-terminated. Memory through alloc.h.
 */
#ifndef NNFX_JSON_H
#define NNFX_JSON_H

#include <stddef.h>

#include "nnfx.h"

typedef enum {
    NNFX_JSON_NULL = 0, NNFX_JSON_FALSE, NNFX_JSON_TRUE, NNFX_JSON_NUMBER, NNFX_JSON_STRING,
    NNFX_JSON_ARRAY, NNFX_JSON_OBJECT
} nx_json_type;

typedef struct nx_json {
    nx_json_type type;
    double number;
    char *string;                 /* STRING: decoded text */
    size_t string_len;
    char *key;                    /* member name when inside an object */
    struct nx_json *child;     /* ARRAY/OBJECT: first element */
    struct nx_json *next;      /* next sibling */
    size_t count;                 /* ARRAY/OBJECT: number of elements */
} nx_json;

/* Parse text[0..len). On failure *out is NULL and err says where (byte offset) and why. */
nnfx_result nx_json_parse(const char *text, size_t len, nx_json **out, nnfx_error *err);
void nx_json_free(nx_json *j);
/* Member of an object by name, or NULL. */
const nx_json *nx_json_get(const nx_json *obj, const char *key);
/* Element i of an array, or NULL. */
const nx_json *nx_json_at(const nx_json *arr, size_t i);

#endif /* NNFX_JSON_H */
