/*
 * driver.cpp - plays a sound through the Bela project's setup()/render()/cleanup() without a
 * board, as Bela's core would: 16-frame blocks at 44.1 kHz (default), 2 audio inputs and
 * outputs, 8 analog inputs at half the audio rate, 16 digital pins, scripted knob and
 * footswitch movements. Counts heap allocations made while render() runs.
 *
 *   driver IN.f32 OUT.f32 [--channels N] [--block FRAMES] [--rate HZ] [--model PATH]
 *          [--knobs A,B,C,D] [--script FILE] [--planar]
 *
 * IN.f32: float32 [N][frames] channel-major (N = 1 or 2, default 1) fed to audio inputs
 * 0..N-1 (others silent). OUT.f32: float32 [2][frames], the board's two audio outputs.
 * --knobs: initial analog input values 0..1 for knobs 0-3 (default 0.5,0.5,1,0.5: 0 dB,
 * 0 dB, fully wet, the model knob mid-range). --script: lines "FRAME knob K VALUE" and
 * "FRAME foot 0|1" (the footswitch pin's raw level from that audio frame on), sorted by FRAME.
 * --planar: non-interleaved buffers (default: interleaved, BELA_FLAG_INTERLEAVED).
 * --probe-alloc: also allocate once inside the counted window per block (proves the count).
 * Prints "render_calls N", "render_allocations A", "render_frees F" and "led FRAME VALUE" on
 * each LED change. Exit 0, or 2 with one line on stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <new>
#include <vector>

#include "bela_decls.h"
#include "nnfx_bela_config.h"

int gShouldStop = 0;

/* ---- allocation counting: libc allocation is wrapped at link time (-Wl,--wrap=...) ---- */
static volatile int g_in_render = 0;
static long g_allocs = 0, g_frees = 0;

extern "C" {
void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n)
{
    if (g_in_render)
        g_allocs++;
    return __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b)
{
    if (g_in_render)
        g_allocs++;
    return __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n)
{
    if (g_in_render)
        g_allocs++;
    return __real_realloc(p, n);
}
void __wrap_free(void *p)
{
    if (g_in_render && p)
        g_frees++;
    __real_free(p);
}
}

void *operator new(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        throw std::bad_alloc();
    return p;
}
void *operator new[](size_t n) { return operator new(n); }
void operator delete(void *p) noexcept { free(p); }
void operator delete[](void *p) noexcept { free(p); }
void operator delete(void *p, size_t) noexcept { free(p); }
void operator delete[](void *p, size_t) noexcept { free(p); }

/* ---- Bela functions the project calls ---- */
int rt_printf(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vprintf(format, ap);
    va_end(ap);
    return n;
}

struct Task {
    void (*fn)(void *);
    void *arg;
    int pending;
};
static Task g_tasks[8];
static int g_task_count = 0;

AuxiliaryTask Bela_createAuxiliaryTask(void (*callback)(void *), int, const char *, void *arg)
{
    if (g_task_count >= 8)
        return 0;
    g_tasks[g_task_count].fn = callback;
    g_tasks[g_task_count].arg = arg;
    g_tasks[g_task_count].pending = 0;
    return &g_tasks[g_task_count++];
}

/* Like Bela: the task runs later, at lower priority (here: after render() returns). */
int Bela_scheduleAuxiliaryTask(AuxiliaryTask task)
{
    static_cast<Task *>(task)->pending = 1;
    return 0;
}

static void run_tasks()
{
    for (int i = 0; i < g_task_count; i++) {
        if (g_tasks[i].pending) {
            g_tasks[i].pending = 0;
            g_tasks[i].fn(g_tasks[i].arg);
        }
    }
}

/* ---- the driver ---- */
static int fail(const char *what, const char *detail)
{
    fprintf(stderr, "driver: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 2;
}

struct Event {
    long frame;
    int kind; /* 0 knob, 1 foot */
    int index;
    float value;
};

static bool read_file(const char *path, std::vector<float> &out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    out.resize((size_t)(bytes > 0 ? bytes : 0) / sizeof(float));
    size_t got = out.empty() ? 0 : fread(out.data(), sizeof(float), out.size(), f);
    fclose(f);
    return got == out.size();
}

int main(int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    const char *model = NULL, *script = NULL;
    int npos = 0, channels = 1, block = 16, planar = 0, probe = 0;
    float rate = 44100.0f, knobs[8] = {0.5f, 0.5f, 1.0f, 0.5f, 0, 0, 0, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--channels") && i + 1 < argc)
            channels = atoi(argv[++i]);
        else if (!strcmp(a, "--block") && i + 1 < argc)
            block = atoi(argv[++i]);
        else if (!strcmp(a, "--rate") && i + 1 < argc)
            rate = (float)atof(argv[++i]);
        else if (!strcmp(a, "--model") && i + 1 < argc)
            model = argv[++i];
        else if (!strcmp(a, "--script") && i + 1 < argc)
            script = argv[++i];
        else if (!strcmp(a, "--planar"))
            planar = 1;
        else if (!strcmp(a, "--probe-alloc"))
            probe = 1;
        else if (!strcmp(a, "--knobs") && i + 1 < argc) {
            char *s = argv[++i];
            for (int k = 0; k < 8 && s && *s; k++) {
                knobs[k] = strtof(s, &s);
                if (*s == ',')
                    s++;
            }
        } else if (a[0] == '-')
            return fail("unknown option", a);
        else if (npos < 2)
            pos[npos++] = a;
        else
            return fail("too many arguments", a);
    }
    if (npos != 2)
        return fail("usage: driver IN.f32 OUT.f32 [--channels N] [--block FRAMES] [--rate HZ] "
                    "[--model PATH] [--knobs A,B,C,D] [--script FILE] [--planar]", NULL);
    if (channels < 1 || channels > 2 || block < 2 || block % 2 || block > 128)
        return fail("--channels is 1 or 2 and --block an even count 2..128", NULL);

    std::vector<float> input;
    if (!read_file(pos[0], input))
        return fail("cannot read", pos[0]);
    long frames = (long)input.size() / channels;

    std::vector<Event> events;
    if (script) {
        FILE *f = fopen(script, "r");
        if (!f)
            return fail("cannot read", script);
        char line[256], kind[16];
        while (fgets(line, sizeof line, f)) {
            Event e = {0, 0, 0, 0.0f};
            int n = sscanf(line, "%ld %15s", &e.frame, kind);
            if (n < 2)
                continue;
            if (!strcmp(kind, "knob") && sscanf(line, "%*d %*s %d %f", &e.index, &e.value) == 2)
                e.kind = 0;
            else if (!strcmp(kind, "foot") && sscanf(line, "%*d %*s %f", &e.value) == 1)
                e.kind = 1;
            else {
                fclose(f);
                return fail("bad script line", line);
            }
            events.push_back(e);
        }
        fclose(f);
    }

    const uint32_t ain = 2, aout = 2, anin = 8, dch = 16;
    const uint32_t aframes = (uint32_t)block / 2;
    std::vector<float> audio_in((size_t)block * ain), audio_out((size_t)block * aout);
    std::vector<float> analog_in((size_t)aframes * anin), analog_out((size_t)aframes * 8);
    std::vector<uint32_t> digital((size_t)block);
    BelaContext ctx = {audio_in.data(), audio_out.data(), analog_in.data(), analog_out.data(),
                       digital.data(), (uint32_t)block, ain, aout, rate, aframes, anin, 8,
                       rate / 2.0f, (uint32_t)block, dch, rate, 0,
                       planar ? 0u : (uint32_t)BELA_FLAG_INTERLEAVED};

    if (!setup(&ctx, (void *)model))
        return fail("setup() returned false", NULL);
    run_tasks();

    std::vector<float> output((size_t)aout * (size_t)frames);
    size_t next = 0;
    float foot = 0.0f;
    int led = -1;
    long calls = 0;
    for (long start = 0; start < frames; start += block) {
        long n = frames - start < block ? frames - start : block;
        /* Scripted controls take effect from their frame on (knobs at analog frames). */
        for (uint32_t f = 0; f < (uint32_t)block; f++) {
            long t = start + f;
            while (next < events.size() && events[next].frame <= t) {
                const Event &e = events[next++];
                if (e.kind == 0 && e.index >= 0 && e.index < 8)
                    knobs[e.index] = e.value;
                else if (e.kind == 1)
                    foot = e.value;
            }
            uint32_t word = digital[f] & 0xffffu;
            digital[f] = word | (foot > 0.5f ? 1u << (16 + NNFX_BELA_FOOTSWITCH_PIN) : 0u);
            if (f % 2 == 0)
                for (uint32_t k = 0; k < anin; k++) {
                    size_t idx = planar ? k * aframes + f / 2 : (f / 2) * anin + k;
                    analog_in[idx] = knobs[k];
                }
            for (uint32_t c = 0; c < ain; c++) {
                float v = ((long)f < n && (int)c < channels) ? input[(size_t)c * frames + t] : 0.0f;
                audio_in[planar ? c * block + f : f * ain + c] = v;
            }
        }
        g_in_render = 1;
        if (probe) { /* through a volatile pointer, so the compiler cannot drop the pair */
            void *volatile p = malloc(16);
            free(p);
        }
        render(&ctx, (void *)model);
        g_in_render = 0;
        calls++;
        run_tasks();
        for (long f = 0; f < n; f++)
            for (uint32_t c = 0; c < aout; c++)
                output[(size_t)c * frames + start + f] =
                    audio_out[planar ? c * block + f : f * aout + c];
        if (NNFX_BELA_LED_PIN >= 0) {
            int v = (int)((digital[0] >> (16 + NNFX_BELA_LED_PIN)) & 1u);
            if (v != led) {
                printf("led %ld %d\n", start, v);
                led = v;
            }
        }
        /* BelaContext's counter is const on the board; the stand-in lets the driver advance it. */
        ctx.audioFramesElapsed += (uint64_t)block;
    }
    cleanup(&ctx, (void *)model);

    FILE *f = fopen(pos[1], "wb");
    if (!f || fwrite(output.data(), sizeof(float), output.size(), f) != output.size())
        return fail("cannot write", pos[1]);
    fclose(f);
    printf("render_calls %ld\nrender_allocations %ld\nrender_frees %ld\n", calls, g_allocs,
           g_frees);
    return 0;
}
