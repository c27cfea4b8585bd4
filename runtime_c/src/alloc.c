/* alloc.c - the allocation pair with test hooks; see alloc.h. */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static long g_count;    /* successful allocations */
static long g_failures; /* injected failures */
static long g_fail_in;  /* >0: the g_fail_in-th allocation from now fails */

/* Returns nonzero if this allocation must fail (injected). */
static int inject_failure(void)
{
    if (g_fail_in > 0) {
        g_fail_in--;
        if (g_fail_in == 0) {
            g_failures++;
            return 1;
        }
    }
    return 0;
}

void *nx_malloc(size_t size)
{
    void *p;
    if (inject_failure())
        return NULL;
    p = malloc(size ? size : 1);
    if (p)
        g_count++;
    return p;
}

void *nx_calloc(size_t n, size_t size)
{
    void *p;
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    if (inject_failure())
        return NULL;
    p = calloc(n ? n : 1, size ? size : 1);
    if (p)
        g_count++;
    return p;
}

void *nx_realloc(void *p, size_t size)
{
    void *q;
    if (inject_failure())
        return NULL;
    q = realloc(p, size ? size : 1);
    if (q)
        g_count++;
    return q;
}

void nx_free(void *p) { free(p); }

char *nx_strndup(const char *s, size_t len)
{
    char *d;
    if (len == SIZE_MAX)
        return NULL;
    d = (char *)nx_malloc(len + 1);
    if (!d)
        return NULL;
    if (len)
        memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *nx_strdup(const char *s) { return nx_strndup(s, strlen(s)); }

void nx_alloc_fail_at(long n) { g_fail_in = n > 0 ? n : 0; }
long nx_alloc_count(void) { return g_count; }
long nx_alloc_failures(void) { return g_failures; }
