/*
 * plan_memory.c - after the graph is planned: dead-step removal, the lifetimes of per-block
 * values and the sharing of their buffers, and the one arena (every buffer's size and offset
 * computed here, one allocation), then the steps split into pre (param-only) and main.
 */
#include <stddef.h>
#include <string.h>

#include "alloc.h"
#include "ops.h"

typedef struct {
    void **slot;
    size_t bytes;
} nx_req;

static size_t align64(size_t x) { return (x + 63) & ~(size_t)63; }

static int64_t rt_count(const nx_builder *b, const nx_val *v)
{
    if (b->stream && v->time_axis >= 0)
        return v->count / v->dims[v->time_axis] * b->max_block;
    return v->count;
}

static int root_of(const nx_builder *b, int vi)
{
    int guard = 0;
    while (b->v[vi].alias_of >= 0 && guard++ < b->nv)
        vi = b->v[vi].alias_of;
    return vi;
}

/* Per-block values share memory when their lifetimes (first write .. last read, in step order)
 * do not overlap: greedy placement, largest first, at the lowest offset free of every placed
 * value whose lifetime intersects. Values read after the run (audio_out, state_out) live to
 * the end. Writes each shared root's offset into off[]; returns the region size. */
static size_t share_buffers(nx_builder *b, const int *first, const int *last,
                            const char *shared, size_t *off, int *order)
{
    size_t region = 0;
    int n = 0, i, j, k;
    for (i = 0; i < b->nv; i++)
        if (shared[i])
            order[n++] = i;
    /* sort by size, largest first (insertion sort: value counts are small) */
    for (i = 1; i < n; i++) {
        int x = order[i];
        size_t sx = (size_t)rt_count(b, &b->v[x]);
        for (j = i - 1; j >= 0 && (size_t)rt_count(b, &b->v[order[j]]) < sx; j--)
            order[j + 1] = order[j];
        order[j + 1] = x;
    }
        for (i = 0; i < n; i++) {
        int x = order[i];
        size_t sz = align64((size_t)rt_count(b, &b->v[x]) * sizeof(float)), cand = 0;
        int moved = 1;
        while (moved) {
            moved = 0;
            for (k = 0; k < i; k++) {
                int y = order[k];
                size_t sy = align64((size_t)rt_count(b, &b->v[y]) * sizeof(float));
                if (first[y] > last[x] || first[x] > last[y])
                    continue; /* lifetimes disjoint */
                if (cand < off[y] + sy && off[y] < cand + sz) {
                    cand = off[y] + sy;
                    moved = 1;
                }
            }
        }
        off[x] = cand;
        if (cand + sz > region)
            region = cand + sz;
    }
    return region;
}


/* Working state of the memory plan (load time only). */
typedef struct {
    char *live;                     /* per step: 1 when something it produces is needed */
    int npre, nmain;                /* live param-only / per-block steps */
    int *first, *last, *order;      /* per value: lifetime in main-step order; sort scratch */
    char *shared;                   /* per value: lives in the shared region */
    size_t *shoff;                  /* per value: offset in the shared region */
    size_t shared_bytes;
    void *shared_base;
    nx_req *reqs;                   /* buffers of the arena, in layout order */
    int nreq;
    size_t total;                   /* arena bytes */
} mem_plan;

/* Class of a step: that of its first output (param-only steps run before the block). */
static int step_cls(const nx_builder *b, const nx_step *s)
{
    return b->v[s->out[0] >= 0 ? s->out[0] : s->out[1]].cls;
}

/* Dead-step removal: a step is live when audio_out, a state_out or a live step reads one of
 * its outputs; marks the values that need buffers and counts the pre and main steps. */
static nnfx_result mark_live(nx_builder *b, mem_plan *p)
{
    nnfx_model *m = b->m;
    int i, j;
    p->live = (char *)nx_calloc((size_t)(b->nsteps + 1), 1);
    if (!p->live)
        return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    b->v[m->audio_out].needed = 1;
    for (i = 0; i < m->nstate; i++)
        b->v[m->state_out[i]].needed = 1;
    for (i = b->nsteps - 1; i >= 0; i--) {
        nx_step *s = &b->steps[i];
        for (j = 0; j < s->n_out; j++)
            if (s->out[j] >= 0 && b->v[s->out[j]].needed)
                p->live[i] = 1;
        if (!p->live[i])
            continue;
        for (j = 0; j < s->n_in; j++)
            if (s->in[j] >= 0)
                b->v[s->in[j]].needed = 1;
        for (j = 0; j < s->n_out; j++)
            if (s->out[j] >= 0 && b->v[s->out[j]].alias_of >= 0)
                b->v[b->v[s->out[j]].alias_of].needed = 1;
        /* outputs of a live step all need buffers (kernels write them) */
        for (j = 0; j < s->n_out; j++)
            if (s->out[j] >= 0)
                b->v[s->out[j]].needed = 1;
        if (step_cls(b, s) == NX_PARAM)
            p->npre++;
        else
            p->nmain++;
    }
    b->v[m->audio_in].needed = 1;
    if (m->params >= 0)
        b->v[m->params].needed = 1;
    for (i = 0; i < m->nstate; i++)
        b->v[m->state_in[i]].needed = 1;
    return NNFX_OK;
}

/* Lifetimes of per-block values, in the order the main steps run, and their places in the
 * shared region (share_buffers). */
static nnfx_result plan_lifetimes(nx_builder *b, mem_plan *p)
{
    nnfx_model *m = b->m;
    int i, j, step = 0;
    p->first = (int *)nx_malloc((size_t)(b->nv + 1) * sizeof(int));
    p->last = (int *)nx_malloc((size_t)(b->nv + 1) * sizeof(int));
    p->order = (int *)nx_malloc((size_t)(b->nv + 1) * sizeof(int));
    p->shoff = (size_t *)nx_calloc((size_t)(b->nv + 1), sizeof(size_t));
    p->shared = (char *)nx_calloc((size_t)(b->nv + 1), 1);
    if (!p->first || !p->last || !p->order || !p->shoff || !p->shared)
        return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    for (i = 0; i < b->nv; i++) {
        p->first[i] = 0x7fffffff;
        p->last[i] = -1;
    }
    for (i = 0; i < b->nsteps; i++) {
        nx_step *s = &b->steps[i];
        if (!p->live[i] || step_cls(b, s) != NX_DYN)
            continue;
        for (j = 0; j < s->n_out; j++) {
            int rt;
            if (s->out[j] < 0)
                continue;
            rt = root_of(b, s->out[j]);
            if (p->first[rt] > step)
                p->first[rt] = step;
            if (p->last[rt] < step)
                p->last[rt] = step;
        }
        for (j = 0; j < s->n_in; j++) {
            int rt;
            if (s->in[j] < 0)
                continue;
            rt = root_of(b, s->in[j]);
            if (p->last[rt] < step)
                p->last[rt] = step;
        }
        step++;
    }
    p->last[root_of(b, m->audio_out)] = 0x7fffffff;
    for (i = 0; i < m->nstate; i++)
        p->last[root_of(b, m->state_out[i])] = 0x7fffffff;
    for (i = 0; i < b->nv; i++) {
        nx_val *v = &b->v[i];
        int is_input = i == m->audio_in || i == m->params;
        for (j = 0; j < m->nstate; j++)
            is_input |= i == m->state_in[j];
        p->shared[i] = v->needed && v->alias_of < 0 && v->cls == NX_DYN && !is_input &&
                       p->last[i] >= 0 && p->first[i] != 0x7fffffff;
    }
    p->shared_bytes = share_buffers(b, p->first, p->last, p->shared, p->shoff, p->order);
    return NNFX_OK;
}

/* The arena's buffers: the shared region, every other needed value that owns its buffer
 * (constants counted as weights), and what steps need besides values (src/ops/). */
static nnfx_result collect_requests(nx_builder *b, mem_plan *p)
{
    nnfx_model *m = b->m;
    int i;
    p->reqs = (nx_req *)nx_calloc((size_t)(b->nv + b->nsteps + 4), sizeof *p->reqs);
    if (!p->reqs)
        return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    if (p->shared_bytes) {
        p->reqs[p->nreq].slot = (void **)&p->shared_base;
        p->reqs[p->nreq].bytes = p->shared_bytes;
        p->nreq++;
    }
    for (i = 0; i < b->nv; i++) {
        nx_val *v = &b->v[i];
        if (!v->needed || v->alias_of >= 0 || p->shared[i])
            continue;
        if (v->cls == NX_CONST) {
            if (v->dtype != NX_F32)
                return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                    "an integer constant is used as data at run time");
            m->weight_bytes += (size_t)v->count * sizeof(float);
        }
        if ((uint64_t)rt_count(b, v) > (uint64_t)(SIZE_MAX / 8))
            return nx_set_error(b->err, NNFX_ERR_LIMIT, "a tensor is too large for this machine");
        p->reqs[p->nreq].slot = (void **)&v->data;
        p->reqs[p->nreq].bytes = (size_t)rt_count(b, v) * sizeof(float);
        p->nreq++;
    }
    for (i = 0; i < b->nsteps; i++) {
        nx_step *s = &b->steps[i];
        if (!p->live[i])
            continue;
        if (s->op == NX_OP_CONV && s->stream) {
            uint64_t rb = nx_conv_ring_bytes(s, &b->v[s->in[0]], b->max_block);
            if (rb > (uint64_t)(SIZE_MAX / 4))
                return nx_set_error(b->err, NNFX_ERR_LIMIT, "a history is too large");
            p->reqs[p->nreq].slot = (void **)&s->ring;
            p->reqs[p->nreq].bytes = (size_t)rb;
            p->nreq++;
        } else if (s->op == NX_OP_LSTM || s->op == NX_OP_GRU) {
            p->reqs[p->nreq].slot = (void **)&s->scratch;
            p->reqs[p->nreq].bytes = nx_rnn_scratch_bytes(s, &b->v[s->in[0]]);
            p->nreq++;
        }
    }
    return NNFX_OK;
}

/* The value whose data pointer `slot` is, or NULL when it is a step's buffer. */
static const nx_val *slot_value(const nx_builder *b, void **slot)
{
    const char *q = (const char *)slot;
    if (q >= (const char *)b->v && q < (const char *)(b->v + b->nv))
        return (const nx_val *)(const void *)(q - offsetof(nx_val, data));
    return NULL;
}

/* One arena for every request (64-byte aligned, in order), within max_memory; constants
 * copied in, then the shared values and the aliases pointed at their buffers. */
static nnfx_result layout_arena(nx_builder *b, mem_plan *p, size_t max_memory)
{
    nnfx_model *m = b->m;
    size_t off = 0;
    int i;
    for (i = 0; i < p->nreq; i++) {
        if (p->reqs[i].bytes > max_memory || p->total > max_memory) {
            p->total = max_memory + 1;
            break;
        }
        p->total += align64(p->reqs[i].bytes);
    }
    if (p->total > max_memory)
        return nx_set_error(b->err, NNFX_ERR_LIMIT,
                            "the model needs more than the memory limit of %zu bytes",
                            max_memory);
    m->arena = nx_calloc(p->total ? p->total : 1, 1);
    if (!m->arena)
        return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory (%zu bytes)", p->total);
    m->arena_bytes = p->total;
    for (i = 0; i < p->nreq; i++) {
        void *dst = (char *)m->arena + off;
        const float *src = *(float **)p->reqs[i].slot;
        const nx_val *v = slot_value(b, p->reqs[i].slot);
        /* constant data: copy before the slot is overwritten */
        if (v && v->cls == NX_CONST && src)
            memcpy(dst, src, p->reqs[i].bytes);
        *p->reqs[i].slot = dst;
        off += align64(p->reqs[i].bytes);
    }
    for (i = 0; i < b->nv; i++)
        if (p->shared[i])
            b->v[i].data = (float *)(void *)((char *)p->shared_base + p->shoff[i]);
    for (i = 0; i < b->nv; i++) {
        nx_val *v = &b->v[i];
        int root = root_of(b, i);
        if (root != i && v->needed)
            v->data = b->v[root].data;
    }
    return NNFX_OK;
}

/* The live steps into m->pre (param-only) and m->main (per block), in graph order. */
static nnfx_result split_steps(nx_builder *b, mem_plan *p)
{
    nnfx_model *m = b->m;
    int i;
    m->pre = (nx_step *)nx_calloc((size_t)(p->npre + 1), sizeof(nx_step));
    m->main = (nx_step *)nx_calloc((size_t)(p->nmain + 1), sizeof(nx_step));
    if (!m->pre || !m->main)
        return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    for (i = 0; i < b->nsteps; i++) {
        nx_step *s = &b->steps[i];
        if (!p->live[i])
            continue;
        if (step_cls(b, s) == NX_PARAM) {
            m->pre[m->npre++] = *s;
        } else {
            m->main[m->nmain++] = *s;
            if (b->v[s->out[0] >= 0 ? s->out[0] : s->out[1]].time_axis >= 0)
                m->macs_per_sample += s->macs;
        }
    }
    m->memory_bytes = p->total + (size_t)(m->npre + m->nmain + 2) * sizeof(nx_step) +
                      (size_t)b->nv * sizeof(nx_val) + sizeof(nnfx_model);
    return NNFX_OK;
}

nnfx_result nx_plan_memory(nx_builder *b, size_t max_memory)
{
    mem_plan p;
    nnfx_result r;
    memset(&p, 0, sizeof p);
    r = mark_live(b, &p);
    if (!r)
        r = plan_lifetimes(b, &p);
    if (!r)
        r = collect_requests(b, &p);
    if (!r)
        r = layout_arena(b, &p, max_memory);
    if (!r)
        r = split_steps(b, &p);
    nx_free(p.reqs);
    nx_free(p.live);
    nx_free(p.first);
    nx_free(p.last);
    nx_free(p.order);
    nx_free(p.shoff);
    nx_free(p.shared);
    return r;
}
