/*
 * alloc.h - the one allocation pair of runtime_c (internal).
 *
 * Every allocation the library makes goes through nnfx__malloc/nnfx__calloc/
 * nnfx__realloc and is released with nnfx__free. They are thin wrappers over
 * the C library (so memory from them may also be passed to free(), and
 * nnfx__free(NULL) is a no-op), with two test hooks:
 *   - a counter of successful allocations (tests check that processing makes none);
 *   - a failure injector: nnfx__alloc_fail_at(n) makes the n-th allocation
 *     from now fail (returns NULL), so tests can walk every failure path.
 * The hooks use plain static counters: they are meant for single-threaded tests.
 * Alignment is the C library's (16 bytes on 64-bit glibc, at least 8 elsewhere).
 */
#ifndef NNFX_ALLOC_H
#define NNFX_ALLOC_H

#include <stddef.h>

void *nnfx__malloc(size_t size);
/* Zeroed; returns NULL if n * size overflows. */
void *nnfx__calloc(size_t n, size_t size);
void *nnfx__realloc(void *p, size_t size);
void nnfx__free(void *p);
/* Copy of s[0..len) with a NUL appended; NULL on failure or if len + 1 overflows. */
char *nnfx__strndup(const char *s, size_t len);
char *nnfx__strdup(const char *s);

/* Test hooks. */
/* Make the n-th allocation from now fail (n >= 1); n <= 0 disables injection. */
void nnfx__alloc_fail_at(long n);
/* Successful allocations (malloc, calloc, realloc) since the program started. */
long nnfx__alloc_count(void);
/* Allocations refused by the injector since the program started. */
long nnfx__alloc_failures(void);

#endif /* NNFX_ALLOC_H */
