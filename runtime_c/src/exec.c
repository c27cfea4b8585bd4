/*
 * exec.c - running the plan: stream mode (chunks of at most NX_STREAM_CHUNK frames, per-op history
 * and state) and look-back mode (the exported graph over the last M + N frames), denormal
 * control, and recovery from non-finite input and state. Everything here is real-time safe.
 *
 * Look-back mode and host block sizes: the window holds the M frames before the current block
 * of N and the frames of that block received so far, then zeros. Every call runs the graph on
 * the window as it stands and returns the outputs of the frames it received; since the model
 * is causal, the zeros after them do not change those outputs. So look-back mode adds no
 * latency at any host block size; it costs one graph run per call and per block of N touched
 * (hosts that pass multiples of N, aligned, pay exactly one run per N frames). Recurrent state
 * is committed (state_out -> state_in) only when a block of N is complete.
 */
#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#include <xmmintrin.h>
#define NX_X86 1
#endif

#include "engine.h"

/* ---------------------------------------------------------------- FPU */

void nx_fpu_enter(nx_fpu_state *st)
{
#if defined(NX_X86)
    unsigned csr = _mm_getcsr();
    st->saved = csr;
    _mm_setcsr(csr | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
    st->saved = fpcr;
    fpcr |= (uint64_t)1 << 24; /* FZ */
    __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr));
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
    uint32_t fpscr;
    __asm__ __volatile__("vmrs %0, fpscr" : "=r"(fpscr));
    st->saved = fpscr;
    fpscr |= (uint32_t)1 << 24; /* FZ */
    __asm__ __volatile__("vmsr fpscr, %0" : : "r"(fpscr));
#else
    st->saved = 0;
#endif
}

void nx_fpu_leave(const nx_fpu_state *st)
{
#if defined(NX_X86)
    _mm_setcsr((unsigned)st->saved);
#elif defined(__aarch64__)
    uint64_t fpcr = st->saved;
    __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr));
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
    uint32_t fpscr = (uint32_t)st->saved;
    __asm__ __volatile__("vmsr fpscr, %0" : : "r"(fpscr));
#else
    (void)st;
#endif
}

int nx_fpu_flush_active(void)
{
#if defined(NX_X86)
    return (_mm_getcsr() & 0x8040u) == 0x8040u;
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
    return (int)((fpcr >> 24) & 1);
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
    uint32_t fpscr;
    __asm__ __volatile__("vmrs %0, fpscr" : "=r"(fpscr));
    return (int)((fpscr >> 24) & 1);
#else
    return 0;
#endif
}

/* ------------------------------------------------------------- helpers */

static int finite_f(float x)
{
    /* no isfinite(): builds with -ffast-math elsewhere must not fold this away */
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return (u & 0x7f800000u) != 0x7f800000u;
}

/* An input sample as the model sees it: NaN/Inf become silence, subnormals become 0 (a plain
 * copy would carry them into the histories even with flush-to-zero on). */
static float clean_in(float x)
{
    uint32_t u, e;
    memcpy(&u, &x, sizeof u);
    e = u & 0x7f800000u;
    return (e == 0x7f800000u || e == 0) ? 0.0f : x;
}

/* Clear a state buffer that holds a non-finite value (the recurrence would never recover). */
static void sanitize_state(float *p, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        if (!finite_f(p[i]))
            break;
    if (i < n)
        memset(p, 0, (size_t)n * sizeof(float));
}

static void run_steps(nnfx_model *m, nx_step *steps, int n, int T, int prime)
{
    nx_exec e;
    int i;
    e.v = m->v;
    e.T = T;
    e.prime = prime;
    for (i = 0; i < n; i++)
        steps[i].run(&steps[i], &e);
}

void nx_run_pre(nnfx_model *m)
{
    if (m->params >= 0) {
        int i;
        for (i = 0; i < m->P; i++)
            m->v[m->params].data[i] = m->pvals[i];
    }
    run_steps(m, m->pre, m->npre, -1, 0);
    m->params_dirty = 0;
}

static void commit_state(nnfx_model *m)
{
    int k;
    for (k = 0; k < m->nstate; k++) {
        nx_val *si = &m->v[m->state_in[k]], *so = &m->v[m->state_out[k]];
        if (si->data != so->data)
            memmove(si->data, so->data, (size_t)si->count * sizeof(float));
        sanitize_state(si->data, si->count);
    }
}

void nx_model_clear_state(nnfx_model *m)
{
    int i, k;
    for (i = 0; i < m->nmain; i++) {
        nx_step *s = &m->main[i];
        if (s->op == NX_OP_CONV && s->stream && s->ring) {
            memset(s->ring, 0,
                   (size_t)m->v[s->in[0]].dims[1] * (size_t)s->ring_len * sizeof(float));
            s->ring_pos = 0;
        }
    }
    for (k = 0; k < m->nstate; k++) {
        nx_val *si = &m->v[m->state_in[k]];
        memset(si->data, 0, (size_t)si->count * sizeof(float));
    }
    if (m->mode == NNFX_MODE_LOOKBACK) {
        nx_val *a = &m->v[m->audio_in];
        memset(a->data, 0, (size_t)a->count * sizeof(float));
    } else {
        /* prime the conv histories with the response to silence (see op_conv.c) */
        nx_val *a = &m->v[m->audio_in];
        nx_fpu_state fpu;
        nx_fpu_enter(&fpu);
        if (m->params_dirty)
            nx_run_pre(m);
        memset(a->data, 0, (size_t)m->in_ch * sizeof(float));
        run_steps(m, m->main, m->nmain, 1, 1);
        for (i = 0; i < m->nmain; i++)
            if (m->main[i].op == NX_OP_CONV && m->main[i].stream)
                m->main[i].ring_pos = 0;
        nx_fpu_leave(&fpu);
    }
    m->lb_fill = 0;
    m->pristine = 1;
}

/* ------------------------------------------------------------- process */

static void stream_chunk(nnfx_model *m, const float *const *in, int off, int T)
{
    nx_val *a = &m->v[m->audio_in], *y = &m->v[m->audio_out];
    int c, t;
    for (c = 0; c < m->in_ch; c++) {
        const float *x = in[c] + off;
        float *d = a->data + (int64_t)c * T;
        for (t = 0; t < T; t++)
            d[t] = clean_in(x[t]);
    }
    run_steps(m, m->main, m->nmain, T, 0);
    for (c = 0; c < m->out_ch; c++)
        memcpy(m->out_tmp + (int64_t)c * m->chunk,
               y->data + (int64_t)c * T, (size_t)T * sizeof(float));
    if (m->nstate)
        commit_state(m);
}

/* Look-back: feed up to N - lb_fill frames of the current block; returns frames consumed. */
static int lookback_step(nnfx_model *m, const float *const *in, int off, int frames, int obase)
{
    nx_val *a = &m->v[m->audio_in], *y = &m->v[m->audio_out];
    int64_t W = a->dims[2];
    int n = m->N - m->lb_fill, c, t;
    if (n > frames)
        n = frames;
    for (c = 0; c < m->in_ch; c++) {
        const float *x = in[c] + off;
        float *d = a->data + (int64_t)c * W + m->M + m->lb_fill;
        for (t = 0; t < n; t++)
            d[t] = clean_in(x[t]);
    }
    run_steps(m, m->main, m->nmain, -1, 0);
    for (c = 0; c < m->out_ch; c++)
        memcpy(m->out_tmp + (int64_t)c * m->chunk + obase,
               y->data + (int64_t)c * m->N + m->lb_fill, (size_t)n * sizeof(float));
    m->lb_fill += n;
    if (m->lb_fill == m->N) {
        /* block complete: commit state and slide the window by N */
        if (m->nstate)
            commit_state(m);
        for (c = 0; c < m->in_ch; c++) {
            float *row = a->data + (int64_t)c * W;
            memmove(row, row + m->N, (size_t)m->M * sizeof(float));
            memset(row + m->M, 0, (size_t)m->N * sizeof(float));
        }
        m->lb_fill = 0;
    }
    return n;
}

nnfx_result nnfx_model_process(nnfx_model *m, const float *const *in, float *const *out,
                               int frames)
{
    nx_fpu_state fpu;
    int done = 0, c;
    if (!m || frames < 0 || (frames > 0 && (!in || !out)))
        return NNFX_ERR_INVALID_ARG;
    for (c = 0; c < m->in_ch && frames > 0; c++)
        if (!in[c])
            return NNFX_ERR_INVALID_ARG;
    for (c = 0; c < m->out_ch && frames > 0; c++)
        if (!out[c])
            return NNFX_ERR_INVALID_ARG;
    nx_fpu_enter(&fpu);
    m->ftz_seen = nx_fpu_flush_active();
    /* A knob set after load/reset but before any audio: start from silence *with that knob*,
       as PyTorch and the look-back graph do (the primed histories hold the old knob's response). */
    if (m->pristine && m->params_dirty && m->mode == NNFX_MODE_STREAM)
        nx_model_clear_state(m);
    if (m->params_dirty)
        nx_run_pre(m);
    if (frames > 0)
        m->pristine = 0;
    while (done < frames) {
        int T = frames - done < m->chunk ? frames - done : m->chunk;
        if (m->mode == NNFX_MODE_STREAM) {
            stream_chunk(m, in, done, T);
        } else {
            int got = 0;
            while (got < T)
                got += lookback_step(m, in, done + got, T - got, got);
        }
        /* in and out may alias: outputs go out only after the chunk's inputs were read */
        for (c = 0; c < m->out_ch; c++)
            memcpy(out[c] + done, m->out_tmp + (int64_t)c * m->chunk,
                   (size_t)T * sizeof(float));
        done += T;
    }
    nx_fpu_leave(&fpu);
    return NNFX_OK;
}

void nnfx_model_reset(nnfx_model *m)
{
    if (!m)
        return;
    nx_model_clear_state(m);
}

