/* host_thread.c - POSIX / Win32 threads, mutex, condition variable and clock (internal). */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200112L
#endif
#include "host_thread.h"

#ifdef _WIN32

typedef struct {
    void (*fn)(void *);
    void *arg;
} start_args;

static DWORD WINAPI win_entry(LPVOID p)
{
    start_args *a = (start_args *)p;
    void (*fn)(void *) = a->fn;
    void *arg = a->arg;
    HeapFree(GetProcessHeap(), 0, a);
    fn(arg);
    return 0;
}

int nx_thread_start(nx_thread *t, void (*fn)(void *), void *arg)
{
    start_args *a = (start_args *)HeapAlloc(GetProcessHeap(), 0, sizeof *a);
    if (!a)
        return -1;
    a->fn = fn;
    a->arg = arg;
    t->h = CreateThread(NULL, 0, win_entry, a, 0, NULL);
    if (!t->h) {
        HeapFree(GetProcessHeap(), 0, a);
        return -1;
    }
    return 0;
}

void nx_thread_join(nx_thread *t)
{
    WaitForSingleObject(t->h, INFINITE);
    CloseHandle(t->h);
}

int nx_mutex_init(nx_mutex *m)
{
    InitializeCriticalSection(&m->cs);
    return 0;
}
void nx_mutex_destroy(nx_mutex *m) { DeleteCriticalSection(&m->cs); }
void nx_mutex_lock(nx_mutex *m) { EnterCriticalSection(&m->cs); }
void nx_mutex_unlock(nx_mutex *m) { LeaveCriticalSection(&m->cs); }
int nx_cond_init(nx_cond *c)
{
    InitializeConditionVariable(&c->cv);
    return 0;
}
void nx_cond_destroy(nx_cond *c) { (void)c; }
void nx_cond_wait_ms(nx_cond *c, nx_mutex *m, int timeout_ms)
{
    SleepConditionVariableCS(&c->cv, &m->cs, (DWORD)(timeout_ms < 0 ? 0 : timeout_ms));
}
void nx_cond_broadcast(nx_cond *c) { WakeAllConditionVariable(&c->cv); }
void nx_sleep_ms(int ms) { Sleep((DWORD)ms); }
long long nx_now_ns(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (long long)((double)c.QuadPart * 1e9 / (double)f.QuadPart);
}

#else /* POSIX */

#include <errno.h>
#include <time.h>

typedef struct {
    void (*fn)(void *);
    void *arg;
} start_args;

/* The start arguments live on the starter's stack; the new thread copies them and
   raises `taken` before nx_thread_start returns. */
typedef struct {
    start_args a;
    volatile int taken;
} start_box;

static void *posix_boxed_entry(void *p)
{
    start_box *b = (start_box *)p;
    start_args a = b->a;
    __atomic_store_n(&b->taken, 1, __ATOMIC_RELEASE);
    a.fn(a.arg);
    return NULL;
}

int nx_thread_start(nx_thread *t, void (*fn)(void *), void *arg)
{
    start_box box;
    box.a.fn = fn;
    box.a.arg = arg;
    box.taken = 0;
    if (pthread_create(&t->t, NULL, posix_boxed_entry, &box) != 0)
        return -1;
    while (!__atomic_load_n(&box.taken, __ATOMIC_ACQUIRE))
        nx_sleep_ms(0);
    return 0;
}

void nx_thread_join(nx_thread *t) { pthread_join(t->t, NULL); }
int nx_mutex_init(nx_mutex *m) { return pthread_mutex_init(&m->m, NULL); }
void nx_mutex_destroy(nx_mutex *m) { pthread_mutex_destroy(&m->m); }
void nx_mutex_lock(nx_mutex *m) { pthread_mutex_lock(&m->m); }
void nx_mutex_unlock(nx_mutex *m) { pthread_mutex_unlock(&m->m); }
int nx_cond_init(nx_cond *c) { return pthread_cond_init(&c->c, NULL); }
void nx_cond_destroy(nx_cond *c) { pthread_cond_destroy(&c->c); }

void nx_cond_wait_ms(nx_cond *c, nx_mutex *m, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&c->c, &m->m, &ts);
}

void nx_cond_broadcast(nx_cond *c) { pthread_cond_broadcast(&c->c); }

void nx_sleep_ms(int ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    if (ms <= 0)
        ts.tv_nsec = 100000L; /* 0.1 ms: a yield */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

long long nx_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif
