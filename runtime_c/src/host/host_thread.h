/*
 * host_thread.h - threads, a mutex and a condition variable for the host
 * layer's worker (internal): POSIX threads, or Win32 under _WIN32.
 * Only the control and worker threads use these; never the audio thread.
 */
#ifndef NNFX_HOST_THREAD_H
#define NNFX_HOST_THREAD_H

#ifdef _WIN32
#include <windows.h>
typedef struct { HANDLE h; } nx_thread;
typedef struct { CRITICAL_SECTION cs; } nx_mutex;
typedef struct { CONDITION_VARIABLE cv; } nx_cond;
#else
#include <pthread.h>
typedef struct { pthread_t t; } nx_thread;
typedef struct { pthread_mutex_t m; } nx_mutex;
typedef struct { pthread_cond_t c; } nx_cond;
#endif

/* 0 on success. */
int nx_thread_start(nx_thread *t, void (*fn)(void *), void *arg);
void nx_thread_join(nx_thread *t);
int nx_mutex_init(nx_mutex *m);
void nx_mutex_destroy(nx_mutex *m);
void nx_mutex_lock(nx_mutex *m);
void nx_mutex_unlock(nx_mutex *m);
int nx_cond_init(nx_cond *c);
void nx_cond_destroy(nx_cond *c);
/* Waits (mutex held) until signalled or timeout_ms passed (spurious wake-ups possible). */
void nx_cond_wait_ms(nx_cond *c, nx_mutex *m, int timeout_ms);
void nx_cond_broadcast(nx_cond *c);
void nx_sleep_ms(int ms);
/* Monotonic time in nanoseconds (vDSO clock_gettime on Linux, QueryPerformanceCounter on
   Windows: no system call on the audio thread). */
long long nx_now_ns(void);

#endif /* NNFX_HOST_THREAD_H */
