/*
 * host_internal.h - the host object's layout, shared by the host layer's files. Internal.
 *
 * Files, by job, and who calls whom (an arrow: "calls into"); every arrow points down the
 * page, so there are no cycles:
 *
 *                      host_messages.c          the vocabulary (selector table)
 *          .-------------+---------+-----------.
 *          v             |         v           v
 *        host.c          |    host_query.c     |  lifecycle, audio path | control questions
 *          |  \          |                     |
 *          |   '-----> host_worker.c           |  jobs off the audio thread; publish
 *          |             |         |           |
 *          |             v         v           |
 *          |      host_recipe.c  host_events.c <-'  recipe from nnfx.architecture | events
 *          '---------------------------^
 *
 *   host_messages.c -> host.c, host_worker.c, host_query.c, host_events.c
 *   host.c          -> host_worker.c, host_events.c
 *   host_worker.c   -> host_recipe.c, host_events.c
 *   host_query.c, host_recipe.c, host_events.c -> no other host file
 *   host_thread.c (threads, lock) and host_atomic.h serve them all.
 *
 * Ownership and threads:
 *  - a host_slot (one loaded model with its buffers) is built by the worker
 *    (or the control thread when unthreaded), published through `pending`
 *    (atomic exchange), adopted by the audio thread at a block start, and,
 *    once faded out, pushed into the `retired` ring (single producer: audio;
 *    single consumer: control, in nnfx_host_poll, which frees it);
 *  - control-side fields (latest, recipe, events, jobs) are guarded by `mu`;
 *    the audio thread never takes `mu`;
 *  - audio settings travel as atomics (targets); the audio thread smooths.
 */
#ifndef NNFX_HOST_INTERNAL_H
#define NNFX_HOST_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "host_thread.h"
#include "nnfx_host.h"

#define HOST_MAX_PARAMS 64
#define HOST_RETIRE_RING 16 /* power of two */
#define HOST_EVENT_RING 128
#define HOST_MAX_JOBS 8

typedef struct host_slot {
    nnfx_model *model;
    int model_in, model_out;
    float **in_buf;          /* [model_in][max_block]: model input after gain and mapping */
    float **out_buf;         /* [model_out][max_block] */
    float *mem;              /* backing store of in_buf/out_buf */
    uint8_t *bytes;          /* the model file (save, verify) */
    size_t n_bytes;
    char name[512];          /* file path or "random ..." */
    nnfx_info info;          /* cached at load (name/architecture pointers not used) */
    const char *architecture; /* nnfx.architecture metadata, "" if none (lives in model) */
    char model_name[128];
    int dc_default;          /* 1 for randomized networks with bias */
    int is_random;           /* architecture kind random_tcn */
    nnfx_random_recipe recipe;
    int param_count;         /* min(model params, HOST_MAX_PARAMS) */
    nnfx_param_info pinfo[HOST_MAX_PARAMS];
    char pname[HOST_MAX_PARAMS][48];
    char punit[HOST_MAX_PARAMS][16];
    volatile int32_t param_target[HOST_MAX_PARAMS]; /* float bits, written by control/audio */
    double param_current[HOST_MAX_PARAMS];          /* audio thread only (double: no stall) */
    int ran;                 /* audio thread: the model has processed audio */
    struct host_slot *next_free;                    /* control-side free list link */
} host_slot;

typedef enum { JOB_OPEN_FILE, JOB_OPEN_MEMORY, JOB_RANDOM, JOB_VERIFY } job_kind;

typedef struct {
    job_kind kind;
    char path[1024];         /* OPEN_FILE path; OPEN_MEMORY/VERIFY display name */
    uint8_t *bytes;          /* OPEN_MEMORY / VERIFY: owned copy */
    size_t n_bytes;
    nnfx_random_recipe recipe;
} host_job;

struct nnfx_host {
    nnfx_host_config cfg;

    /* ---- audio thread state ---- */
    host_slot *cur;          /* playing model, or NULL */
    host_slot *old;          /* fading out (NULL: fading out from the dry signal if fading) */
    int fading;              /* 1 while a swap crossfade runs */
    float fade_pos;          /* 0 -> 1 over crossfade_ms */
    float fade_step;         /* per sample */
    float bypass_pos;        /* 0 = effect, 1 = dry */
    double mix_cur, in_gain_cur, out_gain_cur; /* smoothed, linear (double: a float
                                                  one-pole stalls ~500 ulps short) */
    double smooth_a;         /* one-pole coefficient per sample */
    int started;             /* audio thread: a block has been processed */
    float dc_r;              /* DC blocker pole */
    float dc_x1[NNFX_MAX_CHANNELS], dc_y1[NNFX_MAX_CHANNELS];
    int32_t reset_seen;
    float **dry, **wet;      /* [out_channels][max_block] */
    float *ramp_in, *ramp_out, *ramp_mix, *ramp_fade, *ramp_bypass, *ramp_dc; /* [max_block] */
    float dc_pos;            /* DC blocker crossfade 0 = off, 1 = on */
    float *scratch_mem;
    double load_avg;         /* smoothed DSP load (audio thread) */

    /* ---- shared atomics (targets) ---- */
    void *volatile pending;  /* host_slot* ready to swap in */
    host_slot *volatile retired[HOST_RETIRE_RING];
    volatile int32_t retire_w, retire_r; /* ring indices (free-running) */
    volatile int32_t bypass_target;
    volatile int32_t mix_target;         /* float bits */
    volatile int32_t in_gain_target;     /* float bits, linear */
    volatile int32_t out_gain_target;    /* float bits, linear */
    volatile int32_t dc_mode;            /* -1 auto, 0 off, 1 on */
    volatile int32_t reset_req;          /* incremented by `reset` */
    volatile int32_t load_bits;          /* float bits: DSP load (0..1+) */
    volatile int32_t blocks_done;

    /* ---- control side, under mu ---- */
    nx_mutex mu;
    nx_cond cv;
    host_slot *latest;       /* newest published slot (what info/param/save see) */
    host_slot *to_free;      /* slots never adopted by audio, freed in poll */
    nnfx_random_recipe recipe;
    nnfx_host_event *events; /* ring of HOST_EVENT_RING */
    int ev_r, ev_w, ev_dropped;
    host_job jobs[HOST_MAX_JOBS];
    int n_jobs;
    int busy;                /* worker is running a job */
    int quit;
    int worker_started;
    nx_thread worker;
    float in_gain_db, out_gain_db, mix, user_bypass; /* control-side copies for info */
};

/* Truncating string copy (always NUL-terminated). */
static inline void nx_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (cap == 0)
        return;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The keys of a random network's recipe (docs/random-networks.md), in the spec's order:
   the host's designer selectors and the keys read back from nnfx.architecture. */
#define NX_RECIPE_KEYS(X)                                                                     \
    X(layers) X(kernel) X(channels) X(growth) X(activation) X(init) X(bias) X(depthwise)     \
    X(seed) X(in_channels) X(out_channels) X(in_gain_db) X(out_gain_db)

/* host_worker.c */
nnfx_result nx_host_worker_start(nnfx_host *h, nnfx_error *err);
void nx_host_worker_stop(nnfx_host *h);
/* Queue (threaded) or run (unthreaded) a job; takes ownership of job->bytes. */
nnfx_result nx_host_submit(nnfx_host *h, host_job *job, nnfx_error *err);
void nx_host_slot_free(host_slot *s);

/* host_events.c */
/* Push an event (mu must NOT be held). */
void nx_host_push_event(nnfx_host *h, nnfx_host_event_kind kind, const char *key,
                        const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Same, with mu held by the caller. */
void nx_host_push_event_locked(nnfx_host *h, const nnfx_host_event *ev);
/* Take the oldest event (mu must NOT be held): 1 when *ev was filled, 0 when none waits. */
int nx_host_pop_event(nnfx_host *h, nnfx_host_event *ev);

/* host_recipe.c */
/* 1: json describes a random_tcn and *out is its recipe; 0: another kind of model (or no
   architecture); -1: the architecture is broken, err says where (*out untouched). */
int nx_recipe_from_architecture(const char *json, nnfx_random_recipe *out, nnfx_error *err);

/* host_query.c */
/* Index of the knob called name in slot s, or -1 (mu held, or s owned by the caller). */
int nx_slot_param_index(const host_slot *s, const char *name);

#endif /* NNFX_HOST_INTERNAL_H */
