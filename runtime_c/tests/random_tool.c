/*
 * random_tool.c - test driver for the C random-network builder.
 *
 *   random_tool weights OUT.f32 [KEY VALUE]...   every layer's weight then bias (when the
 *                                                recipe has one), raw float32, layer order
 *   random_tool build OUT.onnx BLOCK SR [KEY VALUE]...   the complete model file
 *   random_tool check [KEY VALUE]...             validate only; prints the error line
 *
 * KEY VALUE pairs are the `random` message's keys; activation/init take names.
 * Exit 0 on success, 2 with one line on stderr on a refused recipe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfx_host.h"

static int parse(nnfx_random_recipe *r, int argc, char **argv, nnfx_error *err)
{
    int i;
    for (i = 0; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        nnfx_result rc;
        if (!strcmp(k, "activation") || !strcmp(k, "init"))
            rc = nnfx_random_recipe_set(r, k, v, 0.0, err);
        else
            rc = nnfx_random_recipe_set(r, k, NULL, strtod(v, NULL), err);
        if (rc != NNFX_OK)
            return 1;
    }
    if (i != argc) {
        snprintf(err->message, sizeof err->message, "odd number of KEY VALUE arguments");
        return 1;
    }
    return nnfx_random_recipe_validate(r, err) != NNFX_OK;
}

int main(int argc, char **argv)
{
    nnfx_random_recipe r = nnfx_random_recipe_init();
    nnfx_error err;
    int l;
    err.message[0] = '\0';
    if (argc < 2) {
        fprintf(stderr, "usage: random_tool weights|build|check ...\n");
        return 2;
    }
    if (!strcmp(argv[1], "check")) {
        if (parse(&r, argc - 2, argv + 2, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 2;
        }
        printf("rf %ld params %ld macs %ld\n", nnfx_random_receptive_field(&r),
               nnfx_random_parameter_count(&r), nnfx_random_macs_per_sample(&r));
        return 0;
    }
    if (!strcmp(argv[1], "weights") && argc >= 3) {
        FILE *f;
        if (parse(&r, argc - 3, argv + 3, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 2;
        }
        f = fopen(argv[2], "wb");
        if (!f) {
            fprintf(stderr, "cannot write %s\n", argv[2]);
            return 1;
        }
        for (l = 0; l < r.layers; l++) {
            int cout, cin_g;
            size_t n;
            float *w, *b;
            nnfx_random_layer_shape(&r, l, &cout, &cin_g, NULL, NULL);
            n = (size_t)cout * (size_t)cin_g * (size_t)r.kernel;
            w = (float *)malloc(n * sizeof(float));
            b = (float *)malloc((size_t)cout * sizeof(float));
            if (!w || !b || nnfx_random_layer_weights(&r, l, w, b, &err) != NNFX_OK) {
                fprintf(stderr, "layer %d: %s\n", l, err.message);
                return 1;
            }
            fwrite(w, sizeof(float), n, f);
            if (r.bias)
                fwrite(b, sizeof(float), (size_t)cout, f);
            free(w);
            free(b);
        }
        fclose(f);
        return 0;
    }
    if (!strcmp(argv[1], "build") && argc >= 5) {
        uint8_t *data;
        size_t size;
        FILE *f;
        if (parse(&r, argc - 5, argv + 5, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 2;
        }
        if (nnfx_random_build(&r, atoi(argv[3]), strtod(argv[4], NULL), &data, &size, &err) !=
            NNFX_OK) {
            fprintf(stderr, "%s\n", err.message);
            return 2;
        }
        f = fopen(argv[2], "wb");
        if (!f || fwrite(data, 1, size, f) != size) {
            fprintf(stderr, "cannot write %s\n", argv[2]);
            return 1;
        }
        fclose(f);
        nnfx_free_bytes(data);
        return 0;
    }
    fprintf(stderr, "usage: random_tool weights|build|check ...\n");
    return 2;
}
