/*
 * onnx_names.h - a small open-addressing hash map from names (borrowed C
 * strings) to int values, used by the ONNX reader and the graph checks
 * (internal). Memory through alloc.h.
 */
#ifndef NX_ONNX_NAMES_H
#define NX_ONNX_NAMES_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char **keys; /* NULL = empty slot; keys are borrowed, not copied */
    int *values;
    size_t cap;        /* power of two */
    size_t count;
    uint32_t seed;     /* varies per table (from its address): crafted collisions are hard */
} nx_names;

/* Room for at least `expected` names. Returns 0, or -1 when out of memory. */
int nx_names_init(nx_names *t, size_t expected);
void nx_names_free(nx_names *t);
/* Value stored for key, or -1 when absent. */
int nx_names_get(const nx_names *t, const char *key);
/* Insert key -> value. Returns 1 if inserted, 0 if key was already present (value unchanged,
 * *existing receives it when non-NULL), -1 when the table is full (sized too small). */
int nx_names_put(nx_names *t, const char *key, int value, int *existing);

#endif /* NX_ONNX_NAMES_H */
