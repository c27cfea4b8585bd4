/*
 * test_engine.c - real-time rules and mode agreement of the engine, on real model files.
 *
 *   test_engine [MODEL.onnx ...]
 *
 * Without arguments it tests two randomized networks built in memory (nnfx_random_build): a
 * stereo tanh network with bias and a depthwise one. tests/runtime/test_c_runtime.py also passes
 * files exported from PyTorch (a gated WaveNet block, an LSTM and a GRU with state pairs).
 * For every model:
 *   - stream and look-back agree at host block sizes 1, 16, 64, 97 and 4096 (and with stream
 *     at 4096 as the reference) within 1e-5;
 *   - processing allocates nothing: counted through alloc.c and, with -Wl,--wrap, through
 *     libc's malloc/calloc/realloc/free;
 *   - denormal input: flush-to-zero is active inside process and restored after, and no
 *     subnormal value remains in the output or in the state (conv histories, recurrent state);
 *     the time ratio denormal/normal input is printed, not asserted;
 *   - NaN/Inf input is treated as silence (output stays finite); state poisoned with NaN is
 *     recovered from once the history has passed (and at once by reset).
 * Exit status 0 when every check passes; each failure prints one line.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "check.h"
#include "engine.h"
#include "nnfx.h"
#include "nnfx_host.h"

/* ---- libc allocation counting (-Wl,--wrap=malloc,...) ---- */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
static int g_watch;
static long g_libc_calls;
void *__wrap_malloc(size_t n)
{
    if (g_watch)
        g_libc_calls++;
    return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t s)
{
    if (g_watch)
        g_libc_calls++;
    return __real_calloc(n, s);
}
void *__wrap_realloc(void *p, size_t n)
{
    if (g_watch)
        g_libc_calls++;
    return __real_realloc(p, n);
}
void __wrap_free(void *p)
{
    if (g_watch && p)
        g_libc_calls++;
    __real_free(p);
}

#define FRAMES 5000
#define MAXCH 8

typedef struct {
    const char *label;
    uint8_t *bytes;
    size_t size;
} src_model;

static uint32_t g_rng = 12345u;
static float frand(void)
{
    g_rng = g_rng * 1664525u + 1013904223u;
    return (float)((g_rng >> 8) & 0xFFFFFF) / 16777216.0f * 2.0f - 1.0f;
}

static nnfx_model *load(const src_model *s, nnfx_mode mode, int max_block)
{
    nnfx_config cfg = nnfx_config_init();
    nnfx_model *m = NULL;
    nnfx_error err;
    cfg.mode = mode;
    cfg.max_block = max_block;
    if (nnfx_model_load_memory(s->bytes, s->size, &cfg, &m, &err) != NNFX_OK) {
        printf("FAIL %s: load (%s): %s\n", s->label, mode ? "lookback" : "stream", err.message);
        check_failures++;
        return NULL;
    }
    return m;
}

/* Run x [cin][FRAMES] through m in host calls of `block` frames into y [cout][FRAMES]. */
static void run(nnfx_model *m, const float *x, float *y, int frames, int block)
{
    const float *in[MAXCH];
    float *out[MAXCH];
    nnfx_info inf;
    int done = 0, c;
    nnfx_model_info(m, &inf);
    while (done < frames) {
        int n = frames - done < block ? frames - done : block;
        for (c = 0; c < inf.in_channels; c++)
            in[c] = x + (size_t)c * FRAMES + done;
        for (c = 0; c < inf.out_channels; c++)
            out[c] = y + (size_t)c * FRAMES + done;
        CHECK(nnfx_model_process(m, in, out, n) == NNFX_OK, "process");
        done += n;
    }
}

static int is_subnormal(float v) { return v != 0.0f && fabsf(v) < FLT_MIN; }

/* Every float of state a model carries between calls: conv histories and recurrent state. */
static long count_state(const nnfx_model *m, int (*pred)(float))
{
    long bad = 0;
    int i, k;
    int64_t j;
    for (i = 0; i < m->nmain; i++) {
        const nx_step *s = &m->main[i];
        if (s->op == NX_OP_CONV && s->stream && s->ring)
            for (j = 0; j < m->v[s->in[0]].dims[1] * s->ring_len; j++)
                bad += pred(s->ring[j]);
    }
    for (k = 0; k < m->nstate; k++) {
        const nx_val *v = &m->v[m->state_in[k]];
        for (j = 0; j < v->count; j++)
            bad += pred(v->data[j]);
    }
    return bad;
}

static int pred_sub(float v) { return is_subnormal(v); }
static int pred_nonfinite(float v) { return !(v == v) || fabsf(v) > FLT_MAX; }

static double max_diff(const float *a, const float *b, size_t n)
{
    double d = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double e = fabs((double)a[i] - (double)b[i]);
        if (!(e <= d))
            d = e;
    }
    return d;
}

static void test_model(const src_model *s)
{
    static float x[MAXCH * FRAMES], ref[MAXCH * FRAMES], y[MAXCH * FRAMES];
    const int blocks[5] = {1, 16, 64, 97, 4096};
    nnfx_model *ms = load(s, NNFX_MODE_STREAM, 4096), *ml = load(s, NNFX_MODE_LOOKBACK, 4096);
    nnfx_info inf;
    int b, mode, c, i;
    size_t nout;
    if (!ms || !ml) {
        nnfx_model_free(ms);
        nnfx_model_free(ml);
        return;
    }
    nnfx_model_info(ms, &inf);
    nout = (size_t)inf.out_channels * FRAMES;
    for (i = 0; i < MAXCH * FRAMES; i++)
        x[i] = 0.5f * frand();
    /* 1. agreement of the modes at every host block size */
    run(ms, x, ref, FRAMES, 4096);
    for (mode = 0; mode < 2; mode++) {
        nnfx_model *m = mode ? ml : ms;
        for (b = 0; b < 5; b++) {
            double d;
            nnfx_model_reset(m);
            memset(y, 0, sizeof y);
            for (c = 0; c < inf.out_channels; c++)
                memset(y + (size_t)c * FRAMES, 0, FRAMES * sizeof(float));
            run(m, x, y, FRAMES, blocks[b]);
            d = max_diff(y, ref, nout);
            /* 1e-5: the same kernels run in both modes; only chunking differs */
            CHECK(d <= 1e-5, "%s: %s at block %d differs from stream/4096 by %g", s->label,
                  mode ? "lookback" : "stream", blocks[b], d);
        }
    }
    /* 2. no allocation while processing (after load, any block size, both modes) */
    for (mode = 0; mode < 2; mode++) {
        nnfx_model *m = mode ? ml : ms;
        long before = nx_alloc_count();
        nnfx_model_reset(m);
        g_libc_calls = 0;
        g_watch = 1;
        for (b = 0; b < 5; b++)
            run(m, x, y, 600, blocks[b]);
        nnfx_model_set_param(m, 0, 0.5f); /* a knob change (if any) re-runs the param graph */
        run(m, x, y, 64, 64);
        nnfx_model_reset(m);
        run(m, x, y, 64, 64);
        g_watch = 0;
        CHECK(nx_alloc_count() == before, "%s: %ld allocations through alloc.c in process",
              s->label, nx_alloc_count() - before);
        CHECK(g_libc_calls == 0, "%s: %ld libc allocation calls in process", s->label,
              g_libc_calls);
    }
    /* 3. denormals */
    for (mode = 0; mode < 2; mode++) {
        nnfx_model *m = mode ? ml : ms;
        clock_t t0, t1, t2;
        float dn[MAXCH * 4096];
        long sub_out = 0;
        nx_fpu_state none;
        int before_ftz = nx_fpu_flush_active();
        for (i = 0; i < MAXCH * 4096; i++)
            dn[i] = (i % 3 ? 1e-39f : -3e-42f) * (float)(1 + i % 7);
        nnfx_model_reset(m);
        m->ftz_seen = 0;
        t0 = clock();
        for (i = 0; i < 4; i++)
            run(m, dn, y, 4096, 64);
        t1 = clock();
        CHECK(m->ftz_seen == 1, "%s: flush-to-zero not active inside process", s->label);
        CHECK(nx_fpu_flush_active() == before_ftz, "%s: FPU mode not restored", s->label);
        for (i = 0; i < (int)((size_t)inf.out_channels * FRAMES) && i < 4096; i++)
            sub_out += is_subnormal(y[i]);
        CHECK(sub_out == 0, "%s: %ld subnormal outputs", s->label, sub_out);
        CHECK(count_state(m, pred_sub) == 0, "%s: subnormal values in the state", s->label);
        nnfx_model_reset(m);
        t1 = clock();
        for (i = 0; i < 4; i++)
            run(m, x, y, 4096, 64);
        t2 = clock();
        printf("%s %s: time denormal/normal input = %.2f\n", s->label,
               mode ? "lookback" : "stream",
               (double)(t1 - t0) / (double)((t2 - t1) > 0 ? (t2 - t1) : 1));
        (void)none;
    }
    /* 4. NaN/Inf input and poisoned state */
    for (mode = 0; mode < 2; mode++) {
        nnfx_model *m = mode ? ml : ms;
        static float xb[MAXCH * FRAMES], yc[MAXCH * FRAMES];
        long bad = 0;
        int64_t j;
        memcpy(xb, x, sizeof xb);
        for (c = 0; c < inf.in_channels; c++)
            for (i = 1000; i < 1010; i++)
                xb[(size_t)c * FRAMES + i] = (i % 2) ? NAN : (i % 4 ? INFINITY : -INFINITY);
        nnfx_model_reset(m);
        run(m, xb, y, FRAMES, 97);
        for (i = 0; i < (int)nout; i++)
            bad += !(y[i] == y[i]) || fabsf(y[i]) > FLT_MAX;
        CHECK(bad == 0, "%s: %ld non-finite outputs after NaN/Inf input", s->label, bad);
        /* same as the clean signal with those samples silent */
        for (c = 0; c < inf.in_channels; c++)
            for (i = 1000; i < 1010; i++)
                xb[(size_t)c * FRAMES + i] = 0.0f;
        nnfx_model_reset(m);
        run(m, xb, yc, FRAMES, 4096);
        CHECK(max_diff(y, yc, nout) <= 1e-5, "%s: NaN input is not treated as silence",
              s->label);
        /* poison the state directly: conv histories and recurrent state */
        if (mode == 0) {
            for (i = 0; i < m->nmain; i++) {
                nx_step *st = &m->main[i];
                if (st->op == NX_OP_CONV && st->stream)
                    for (j = 0; j < m->v[st->in[0]].dims[1] * st->ring_len; j++)
                        st->ring[j] = NAN;
            }
        }
        for (c = 0; c < m->nstate; c++)
            for (j = 0; j < m->v[m->state_in[c]].count; j++)
                m->v[m->state_in[c]].data[j] = NAN;
        run(m, x, y, FRAMES, 64);
        bad = 0;
        for (c = 0; c < inf.out_channels; c++)
            for (i = inf.receptive_field + 64; i < FRAMES; i++)
                bad += !(y[(size_t)c * FRAMES + i] == y[(size_t)c * FRAMES + i]);
        CHECK(bad == 0, "%s: %ld NaN outputs after the poisoned history passed", s->label, bad);
        bad = 0;
        for (c = 0; c < m->nstate; c++)
            for (j = 0; j < m->v[m->state_in[c]].count; j++)
                bad += pred_nonfinite(m->v[m->state_in[c]].data[j]);
        /* recurrent state is cleared at once; conv histories are overwritten as frames pass */
        CHECK(bad == 0, "%s: non-finite recurrent state remains", s->label);
        nnfx_model_reset(m);
        run(m, x, y, FRAMES, 64);
        CHECK(max_diff(y, ref, nout) <= 1e-5, "%s: reset does not restore the clean output",
              s->label);
    }
    printf("%s: macs/sample %.0f, weights %zu B, memory %zu B\n", s->label, inf.macs_per_sample,
           inf.weight_bytes, inf.memory_bytes);
    nnfx_model_free(ms);
    nnfx_model_free(ml);
}

static int read_file(const char *path, src_model *s)
{
    FILE *f = fopen(path, "rb");
    long n;
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s->bytes = (uint8_t *)malloc((size_t)n + 1);
    s->size = (size_t)n;
    if (!s->bytes || fread(s->bytes, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return 0;
    }
    fclose(f);
    s->label = path;
    return 1;
}

int main(int argc, char **argv)
{
    int i;
    if (argc > 1) {
        for (i = 1; i < argc; i++) {
            src_model s;
            if (!read_file(argv[i], &s)) {
                printf("FAIL cannot read %s\n", argv[i]);
                return 1;
            }
            test_model(&s);
            free(s.bytes);
        }
    } else {
        nnfx_random_recipe r = nnfx_random_recipe_init();
        nnfx_error err;
        src_model s;
        r.layers = 5;
        r.channels = 6;
        r.bias = 1;
        r.in_channels = 2;
        r.out_channels = 2;
        r.init = NNFX_INIT_XAVIER_UNIFORM;
        if (nnfx_random_build(&r, 64, 48000.0, &s.bytes, &s.size, &err) != NNFX_OK) {
            printf("FAIL random build: %s\n", err.message);
            return 1;
        }
        s.label = "random-stereo";
        test_model(&s);
        nnfx_free_bytes(s.bytes);
        r = nnfx_random_recipe_init();
        r.depthwise = 1;
        r.layers = 7;
        r.kernel = 5;
        r.activation = NNFX_ACT_SIGMOID;
        r.init = NNFX_INIT_KAIMING_UNIFORM;
        if (nnfx_random_build(&r, 32, 48000.0, &s.bytes, &s.size, &err) != NNFX_OK) {
            printf("FAIL random build: %s\n", err.message);
            return 1;
        }
        s.label = "random-depthwise";
        test_model(&s);
        nnfx_free_bytes(s.bytes);
    }
    if (check_failures) {
        printf("%d check(s) failed\n", check_failures);
        return 1;
    }
    printf("all engine checks passed\n");
    return 0;
}
