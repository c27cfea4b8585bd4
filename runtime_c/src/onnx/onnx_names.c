/* onnx_names.c - name -> int hash map; see onnx_names.h. */
#include "onnx_names.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"

static size_t hash_name(const nx_names *t, const char *s)
{
    /* FNV-1a (32-bit) from a per-table basis. Lookups and every result are independent of
     * the basis; only the probe lengths change, so names crafted to collide for one basis
     * do not slow down a load. */
    uint32_t h = 2166136261u ^ t->seed;
    while (*s) {
        h ^= (uint8_t)*s++;
        h *= 16777619u;
    }
    /* FNV's low bits mix poorly and the table indexes with them: finish with an avalanche
     * (MurmurHash3's fmix32). */
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return (size_t)h;
}

int nx_names_init(nx_names *t, size_t expected)
{
    size_t cap = 16;
    memset(t, 0, sizeof *t);
    if (expected > SIZE_MAX / 4)
        return -1;
    while (cap < expected * 2)
        cap *= 2;
    t->keys = (const char **)nx_calloc(cap, sizeof *t->keys);
    t->values = (int *)nx_calloc(cap, sizeof *t->values);
    if (!t->keys || !t->values) {
        nx_names_free(t);
        return -1;
    }
    t->cap = cap;
    t->seed = (uint32_t)((uintptr_t)t->keys >> 4) * 2654435761u;
    return 0;
}

void nx_names_free(nx_names *t)
{
    nx_free((void *)t->keys);
    nx_free(t->values);
    memset(t, 0, sizeof *t);
}

int nx_names_get(const nx_names *t, const char *key)
{
    size_t i, n;
    if (!t->cap)
        return -1;
    i = hash_name(t, key) & (t->cap - 1);
    for (n = 0; n < t->cap; n++) {
        if (!t->keys[i])
            return -1;
        if (strcmp(t->keys[i], key) == 0)
            return t->values[i];
        i = (i + 1) & (t->cap - 1);
    }
    return -1;
}

int nx_names_put(nx_names *t, const char *key, int value, int *existing)
{
    size_t i, n;
    if (!t->cap || t->count + 1 > t->cap / 2 + t->cap / 4)
        return -1;
    i = hash_name(t, key) & (t->cap - 1);
    for (n = 0; n < t->cap; n++) {
        if (!t->keys[i]) {
            t->keys[i] = key;
            t->values[i] = value;
            t->count++;
            return 1;
        }
        if (strcmp(t->keys[i], key) == 0) {
            if (existing)
                *existing = t->values[i];
            return 0;
        }
        i = (i + 1) & (t->cap - 1);
    }
    return -1;
}
