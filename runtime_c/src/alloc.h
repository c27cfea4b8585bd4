/*
 * alloc.h - the one allocation pair of runtime_c (internal).
 *
 * Every allocation the library makes goes through nx_malloc/nx_calloc/
 * nx_realloc and is released with nx_free. They are thin wrappers over
 * the C library (so memory from them may also be passed to free(), and
 * nx_free(NULL) is a no-op), with two test hooks:
 *   - a counter of successful allocations (tests check that processing makes none);
 *   - a failure injector: nx_alloc_fail_at(n) makes the n-th allocation
 *     from now fail (returns NULL), so tests can walk every failure path.
 * The hooks use plain static counters: they are meant for single-threaded tests.
 * Alignment is the C library's (16 bytes on 64-bit glibc, at least 8 elsewhere).
 */
#ifndef NNFX_ALLOC_H
#define NNFX_ALLOC_H

#include <stddef.h>

void *nx_malloc(size_t size);
/* Zeroed; returns NULL if n * size overflows. */
void *nx_calloc(size_t n, size_t size);
void *nx_realloc(void *p, size_t size);
void nx_free(void *p);
/* Copy of s[0..len) with a NUL appended; NULL on failure or if len + 1 overflows. */
char *nx_strndup(const char *s, size_t len);
char *nx_strdup(const char *s);

/* Test hooks. */
/* Make the n-th allocation from now fail (n >= 1); n <= 0 disables injection. */
void nx_alloc_fail_at(long n);
/* Successful allocations (malloc, calloc, realloc) since the program started. */
long nx_alloc_count(void);
/* Allocations refused by the injector since the program started. */
long nx_alloc_failures(void);

#endif /* NNFX_ALLOC_H */
