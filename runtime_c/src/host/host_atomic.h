/*
 * host_atomic.h - the few atomic operations the host layer needs (internal).
 *
 * C11 <stdatomic.h> is not C99, so: __atomic builtins under gcc/clang, the
 * Interlocked* family under MSVC. Loads acquire, stores release, exchanges
 * are full barriers. Floats travel as their 32-bit patterns.
 */
#ifndef NNFX_HOST_ATOMIC_H
#define NNFX_HOST_ATOMIC_H

#include <stdint.h>
#include <string.h>

#if defined(_MSC_VER) && !defined(__clang__)
#include <windows.h>
static __inline void *nx_atomic_load_ptr(void *volatile *p)
{
    return InterlockedCompareExchangePointer(p, NULL, NULL);
}
static __inline void nx_atomic_store_ptr(void *volatile *p, void *v)
{
    InterlockedExchangePointer(p, v);
}
static __inline void *nx_atomic_xchg_ptr(void *volatile *p, void *v)
{
    return InterlockedExchangePointer(p, v);
}
static __inline int32_t nx_atomic_load_i32(volatile int32_t *p)
{
    return (int32_t)InterlockedCompareExchange((volatile LONG *)p, 0, 0);
}
static __inline void nx_atomic_store_i32(volatile int32_t *p, int32_t v)
{
    InterlockedExchange((volatile LONG *)p, (LONG)v);
}
static __inline int32_t nx_atomic_add_i32(volatile int32_t *p, int32_t v)
{
    return (int32_t)InterlockedExchangeAdd((volatile LONG *)p, (LONG)v) + v;
}
#else
static inline void *nx_atomic_load_ptr(void *volatile *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline void nx_atomic_store_ptr(void *volatile *p, void *v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline void *nx_atomic_xchg_ptr(void *volatile *p, void *v)
{
    return __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL);
}
static inline int32_t nx_atomic_load_i32(volatile int32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline void nx_atomic_store_i32(volatile int32_t *p, int32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline int32_t nx_atomic_add_i32(volatile int32_t *p, int32_t v)
{
    return __atomic_add_fetch(p, v, __ATOMIC_ACQ_REL);
}
#endif

static inline float nx_atomic_load_f32(volatile int32_t *p)
{
    int32_t bits = nx_atomic_load_i32(p);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline void nx_atomic_store_f32(volatile int32_t *p, float f)
{
    int32_t bits;
    memcpy(&bits, &f, sizeof bits);
    nx_atomic_store_i32(p, bits);
}

#endif /* NNFX_HOST_ATOMIC_H */
