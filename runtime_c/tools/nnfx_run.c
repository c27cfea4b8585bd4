/*
 * nnfx_run - run an nnfx model file on raw float32 audio from the command line.
 *
 *   nnfx_run MODEL IN.f32 OUT.f32 [--block N] [--mode stream|lookback] [--max-block N]
 *            [--param NAME=VALUE ...]
 *   nnfx_run --verify MODEL [--mode ...] [--max-block N]
 *   nnfx_run --info MODEL [--mode ...] [--max-block N]
 *
 * IN.f32 holds float32 in host order laid out [channels][frames] (channel-major); frames =
 * file size / 4 / in_channels. OUT.f32 receives [out_channels][frames]. The input is fed in
 * calls of --block frames (default: max-block). Exit status 0 on success, 1 on a mismatch in
 * --verify, 2 on errors (one line on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfx.h"

static int die(const char *msg, const char *detail)
{
    fprintf(stderr, "nnfx_run: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
    return 2;
}

static int parse_pos(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || end == s || v < 1 || v > (1 << 24))
        return 0;
    *out = (int)v;
    return 1;
}

int main(int argc, char **argv)
{
    nnfx_config cfg = nnfx_config_init();
    const char *pos[3] = {NULL, NULL, NULL};
    const char *params[64];
    int nparams = 0;
    int npos = 0, block = 0, verify = 0, info = 0, i, c;
    nnfx_model *m = NULL;
    nnfx_error err;
    nnfx_info inf;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--verify")) {
            verify = 1;
        } else if (!strcmp(argv[i], "--info")) {
            info = 1;
        } else if (!strcmp(argv[i], "--block") && i + 1 < argc) {
            if (!parse_pos(argv[++i], &block))
                return die("--block needs a positive integer", argv[i]);
        } else if (!strcmp(argv[i], "--max-block") && i + 1 < argc) {
            if (!parse_pos(argv[++i], &cfg.max_block))
                return die("--max-block needs a positive integer", argv[i]);
        } else if (!strcmp(argv[i], "--param") && i + 1 < argc) {
            if (nparams == 64 || !strchr(argv[i + 1], '='))
                return die("--param needs NAME=VALUE", argv[i + 1]);
            params[nparams++] = argv[++i];
        } else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "stream"))
                cfg.mode = NNFX_MODE_STREAM;
            else if (!strcmp(argv[i], "lookback"))
                cfg.mode = NNFX_MODE_LOOKBACK;
            else
                return die("--mode is stream or lookback", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return die("unknown option", argv[i]);
        } else if (npos < 3) {
            pos[npos++] = argv[i];
        } else {
            return die("too many arguments", argv[i]);
        }
    }
    if (npos < 1 || ((verify || info) ? npos != 1 : npos != 3))
        return die("usage: nnfx_run MODEL IN.f32 OUT.f32 [--block N] [--mode stream|lookback] "
                   "[--max-block N] [--param NAME=VALUE] | --verify MODEL | --info MODEL",
                   NULL);
    if (nnfx_model_load_file(pos[0], &cfg, &m, &err) != NNFX_OK)
        return die(err.message, NULL);
    nnfx_model_info(m, &inf);
    for (i = 0; i < nparams; i++) {
        char name[256];
        const char *eq = strchr(params[i], '=');
        size_t n = (size_t)(eq - params[i]);
        char *end;
        double v = strtod(eq + 1, &end);
        int idx;
        if (n >= sizeof name || *end || end == eq + 1) {
            nnfx_model_free(m);
            return die("--param needs NAME=VALUE", params[i]);
        }
        memcpy(name, params[i], n);
        name[n] = '\0';
        idx = nnfx_model_param_index(m, name);
        if (idx < 0) {
            nnfx_model_free(m);
            return die("the model has no knob named", name);
        }
        nnfx_model_set_param(m, idx, (float)v);
    }
    if (nparams)
        nnfx_model_reset(m); /* start from silence with these knob values */
    if (info) {
        printf("name %s\nin_channels %d\nout_channels %d\nsample_rate %g\nblock_size %d\n"
               "lookback %d\nreceptive_field %d\nlatency %d\nmode %s\nmax_block %d\n"
               "params %d\nstates %d\nmacs_per_sample %.0f\nweight_bytes %zu\n"
               "memory_bytes %zu\n",
               inf.name, inf.in_channels, inf.out_channels, inf.sample_rate, inf.block_size,
               inf.lookback, inf.receptive_field, inf.latency,
               inf.mode == NNFX_MODE_STREAM ? "stream" : "lookback", inf.max_block,
               inf.param_count, inf.state_count, inf.macs_per_sample, inf.weight_bytes,
               inf.memory_bytes);
        for (i = 0; i < inf.param_count; i++) {
            nnfx_param_info p;
            nnfx_model_param_info(m, i, &p);
            printf("param %d %s [%g, %g] default %g %s\n", i, p.name, p.min_value, p.max_value,
                   p.default_value, p.unit);
        }
        nnfx_model_free(m);
        return 0;
    }
    if (verify) {
        double e = 0.0;
        nnfx_result r = nnfx_model_verify(m, &e, &err);
        nnfx_model_free(m);
        if (r == NNFX_OK) {
            printf("ok: max abs error %.3g\n", e);
            return 0;
        }
        if (r == NNFX_ERR_MISMATCH) {
            printf("MISMATCH: %s\n", err.message);
            return 1;
        }
        return die(err.message, NULL);
    }
    {
        FILE *f = fopen(pos[1], "rb");
        long bytes;
        size_t frames;
        float *x, *y;
        const float *inp[64];
        float *outp[64];
        size_t done = 0;
        if (!f) {
            nnfx_model_free(m);
            return die("cannot open input", pos[1]);
        }
        fseek(f, 0, SEEK_END);
        bytes = ftell(f);
        fseek(f, 0, SEEK_SET);
        if (bytes < 0 || bytes % (4L * inf.in_channels)) {
            fclose(f);
            nnfx_model_free(m);
            return die("input size is not a whole number of float32 frames", pos[1]);
        }
        frames = (size_t)bytes / 4 / (size_t)inf.in_channels;
        x = (float *)malloc((size_t)bytes + 4);
        y = (float *)calloc(frames * (size_t)inf.out_channels + 1, sizeof(float));
        if (!x || !y || fread(x, 1, (size_t)bytes, f) != (size_t)bytes) {
            fclose(f);
            free(x);
            free(y);
            nnfx_model_free(m);
            return die("cannot read input", pos[1]);
        }
        fclose(f);
        if (block <= 0)
            block = cfg.max_block;
        while (done < frames) {
            int n = frames - done < (size_t)block ? (int)(frames - done) : block;
            for (c = 0; c < inf.in_channels; c++)
                inp[c] = x + (size_t)c * frames + done;
            for (c = 0; c < inf.out_channels; c++)
                outp[c] = y + (size_t)c * frames + done;
            if (nnfx_model_process(m, inp, outp, n) != NNFX_OK) {
                free(x);
                free(y);
                nnfx_model_free(m);
                return die("process failed", NULL);
            }
            done += (size_t)n;
        }
        f = fopen(pos[2], "wb");
        if (!f || fwrite(y, sizeof(float), frames * (size_t)inf.out_channels, f) !=
                      frames * (size_t)inf.out_channels) {
            if (f)
                fclose(f);
            free(x);
            free(y);
            nnfx_model_free(m);
            return die("cannot write output", pos[2]);
        }
        fclose(f);
        free(x);
        free(y);
        nnfx_model_free(m);
    }
    return 0;
}
