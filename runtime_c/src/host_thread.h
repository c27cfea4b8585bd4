/*
 * host_thread.h - threads, a mutex and a condition variable for the host
 * layer's worker (internal): POSIX threads, or Win32 under _WIN32.
 * Only the control and worker threads use these; never the audio thread.
 */
#ifndef NNFX_HOST_THREAD_H
#define NNFX_HOST_THREAD_H

#ifdef _WIN32
#include <windows.h>
typedef struct { HANDLE h; } nnfx__thread;
typedef struct { CRITICAL_SECTION cs; } nnfx__mutex;
typedef struct { CONDITION_VARIABLE cv; } nnfx__cond;
#else
#include <pthread.h>
typedef struct { pthread_t t; } nnfx__thread;
typedef struct { pthread_mutex_t m; } nnfx__mutex;
typedef struct { pthread_cond_t c; } nnfx__cond;
#endif

/* 0 on success. */
int nnfx__thread_start(nnfx__thread *t, void (*fn)(void *), void *arg);
void nnfx__thread_join(nnfx__thread *t);
int nnfx__mutex_init(nnfx__mutex *m);
void nnfx__mutex_destroy(nnfx__mutex *m);
void nnfx__mutex_lock(nnfx__mutex *m);
void nnfx__mutex_unlock(nnfx__mutex *m);
int nnfx__cond_init(nnfx__cond *c);
void nnfx__cond_destroy(nnfx__cond *c);
/* Waits (mutex held) until signalled or timeout_ms passed (spurious wake-ups possible). */
void nnfx__cond_wait_ms(nnfx__cond *c, nnfx__mutex *m, int timeout_ms);
void nnfx__cond_broadcast(nnfx__cond *c);
void nnfx__sleep_ms(int ms);
/* Monotonic time in nanoseconds (vDSO clock_gettime on Linux, QueryPerformanceCounter on
   Windows: no system call on the audio thread). */
long long nnfx__now_ns(void);

#endif /* NNFX_HOST_THREAD_H */
