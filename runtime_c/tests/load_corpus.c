/*
 * load_corpus.c - load every file of a directory as an untrusted model file and
 * run whatever loads. Built with -fsanitize=address,undefined
 * -fno-sanitize-recover=all by tests/runtime/test_hostile_files.py: any out-of-bounds
 * access, leak or undefined behaviour aborts the run.
 *
 *   load_corpus DIR                   load all files; print a summary line per result code
 *                                     (NNFX_CORPUS_VERBOSE=1: also one line per file)
 *   load_corpus --expect FRAG FILE    FILE must be refused with a message containing FRAG
 *   load_corpus --allocfail FILE      fail each allocation of the load in turn: NNFX_ERR_NOMEM
 *                                     every time, no leak
 *
 * With NNFX_HAVE_MODEL_LOAD (defined by the test when runtime_c has nnfx_model_load_memory),
 * the full loader is used and loaded models are processed; otherwise the parser and the
 * graph checks (onnx_model.h) are used.
 *
 * Exit status: 0 when every file was handled (loaded, or refused with a non-empty message
 * and a matching code), 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "nnfx.h"
#include "onnx_model.h"

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = (uint8_t *)malloc((size_t)n + 1); /* +1: a 0-byte file still gets a pointer */
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

#ifdef NNFX_HAVE_MODEL_LOAD
/* Run a loaded model a little: a few calls with odd frame counts, reset, a NaN burst. */
static int exercise(nnfx_model *m)
{
    nnfx_info info;
    float *in[64], *out[64];
    float *buf;
    int c, k, frames[4] = {1, 17, 64, 5}, ok = 1;
    if (nnfx_model_info(m, &info) != NNFX_OK)
        return 1;
    if (info.in_channels < 0 || info.in_channels > 64 || info.out_channels < 0 ||
        info.out_channels > 64)
        return 1; /* nothing sensible to feed: loading was the test */
    buf = (float *)calloc((size_t)(info.in_channels + info.out_channels) * 64 + 1, sizeof(float));
    if (!buf)
        return 0;
    for (c = 0; c < info.in_channels; c++) {
        in[c] = buf + (size_t)c * 64;
        for (k = 0; k < 64; k++)
            in[c][k] = (float)((k * 37 + c * 11) % 23 - 11) / 11.0f;
    }
    for (c = 0; c < info.out_channels; c++)
        out[c] = buf + (size_t)(info.in_channels + c) * 64;
    for (k = 0; k < 4; k++)
        if (frames[k] <= info.max_block && nnfx_model_process(m, (const float *const *)in, out,
                                                              frames[k]) != NNFX_OK)
            ok = 0;
    nnfx_model_reset(m);
    if (nnfx_model_process(m, (const float *const *)in, out, 0) != NNFX_OK)
        ok = 0;
    free(buf);
    return ok;
}
#endif

/* Returns the result code; err filled. */
static nnfx_result try_load(const uint8_t *data, size_t size, nnfx_error *err, int *processed)
{
    nnfx_result r;
    *processed = 0;
#ifdef NNFX_HAVE_MODEL_LOAD
    {
        nnfx_config cfg = nnfx_config_init();
        nnfx_model *m = NULL;
        cfg.max_block = 64;
        cfg.max_memory_bytes = (size_t)256 << 20;
        r = nnfx_model_load_memory(data, size, &cfg, &m, err);
        if (r == NNFX_OK) {
            *processed = exercise(m);
            nnfx_model_free(m);
        } else if (m != NULL) {
            fprintf(stderr, "loader failed (%d) but returned a model\n", (int)r);
            return (nnfx_result)-1;
        }
    }
#else
    {
        nx_onnx_model model;
        r = nx_onnx_model_parse(data, size, &model, err);
        if (r == NNFX_OK) {
            r = nx_onnx_model_check(&model, err);
            nx_onnx_model_free(&model);
        }
    }
#endif
    return r;
}

/* Make each allocation of a load fail in turn: every one must give NNFX_ERR_NOMEM with a
 * message, and nothing may leak (LeakSanitizer checks at exit). */
static int alloc_walk(const char *path)
{
    size_t size = 0;
    uint8_t *data = read_file(path, &size);
    long n;
    int bad = 0;
    if (!data) {
        fprintf(stderr, "cannot read %s\n", path);
        return 2;
    }
    for (n = 1; n < 100000000L; n++) {
        nnfx_error err;
        int processed;
        long before = nx_alloc_failures();
        nnfx_result r;
        memset(&err, 0, sizeof err);
        nx_alloc_fail_at(n);
        r = try_load(data, size, &err, &processed);
        nx_alloc_fail_at(0);
        if (nx_alloc_failures() == before) {
            if (r != NNFX_OK) {
                fprintf(stderr, "FAIL: load without injected failure: %s\n", err.message);
                bad = 1;
            }
            printf("allocation points walked: %ld\n", n - 1);
            fflush(stdout); /* LeakSanitizer may end the process without flushing */
            break;
        }
        if (r != NNFX_ERR_NOMEM || err.message[0] == '\0') {
            fprintf(stderr, "FAIL: allocation %ld failed, result %d: %s\n", n, (int)r,
                    err.message);
            bad = 1;
            break;
        }
    }
    free(data);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--allocfail") == 0)
        return alloc_walk(argv[2]);
    if (argc == 4 && strcmp(argv[1], "--expect") == 0) {
        size_t size = 0;
        uint8_t *data = read_file(argv[3], &size);
        nnfx_error err;
        int processed;
        nnfx_result r;
        if (!data) {
            fprintf(stderr, "cannot read %s\n", argv[3]);
            return 2;
        }
        memset(&err, 0, sizeof err);
        r = try_load(data, size, &err, &processed);
        free(data);
        printf("%d %s\n", (int)r, err.message);
        if (r == NNFX_OK) {
            fprintf(stderr, "FAIL: %s loaded; expected a refusal containing '%s'\n", argv[3],
                    argv[2]);
            return 1;
        }
        if (!strstr(err.message, argv[2])) {
            fprintf(stderr, "FAIL: message '%s' lacks '%s'\n", err.message, argv[2]);
            return 1;
        }
        return 0;
    }
    if (argc == 2) {
        DIR *dir = opendir(argv[1]);
        struct dirent *e;
        long counts[8] = {0}, total = 0, processed_n = 0, bad = 0;
        int i, verbose = getenv("NNFX_CORPUS_VERBOSE") != NULL;
        if (!dir) {
            fprintf(stderr, "cannot open directory %s\n", argv[1]);
            return 2;
        }
        while ((e = readdir(dir)) != NULL) {
            char path[4096];
            size_t size = 0;
            uint8_t *data;
            nnfx_error err;
            nnfx_result r;
            int processed;
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
            data = read_file(path, &size);
            if (!data) {
                fprintf(stderr, "cannot read %s\n", path);
                bad++;
                continue;
            }
            memset(&err, 0, sizeof err);
            if (verbose) { /* name first, flushed: a sanitizer abort then shows the culprit */
                printf("%s: ", e->d_name);
                fflush(stdout);
            }
            r = try_load(data, size, &err, &processed);
            free(data);
            total++;
            processed_n += processed;
            if ((int)r < 0 || (int)r > 7) {
                fprintf(stderr, "%s: invalid result %d\n", e->d_name, (int)r);
                bad++;
                continue;
            }
            counts[r]++;
            if (r != NNFX_OK && (err.message[0] == '\0' || err.code != r)) {
                fprintf(stderr, "%s: refused (%d) with %s message / code %d\n", e->d_name,
                        (int)r, err.message[0] ? "a" : "an empty", (int)err.code);
                bad++;
            }
            if (verbose)
                printf("%d %s\n", (int)r, r ? err.message : processed ? "loaded, processed" : "loaded");
        }
        closedir(dir);
        printf("files %ld, loaded %ld, processed %ld, bad %ld\n", total, counts[0], processed_n,
               bad);
        for (i = 1; i < 8; i++)
            if (counts[i])
                printf("refused with %s: %ld\n", nnfx_result_string((nnfx_result)i), counts[i]);
        return bad ? 1 : 0;
    }
    fprintf(stderr, "usage: %s DIR | --expect FRAGMENT FILE | --allocfail FILE\n", argv[0]);
    return 2;
}
