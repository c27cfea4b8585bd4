/* wavfile.c - see wavfile.h. */
#include "wavfile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnfx.h" /* NNFX_MAX_CHANNELS */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && !strcmp(s + n - m, tail);
}

static unsigned char *slurp(const char *path, long *size, char *msg, size_t cap)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    if (!f) {
        snprintf(msg, cap, "cannot open %s", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = (unsigned char *)malloc(*size > 0 ? (size_t)*size : 1);
    if (!buf || (*size > 0 && fread(buf, 1, (size_t)*size, f) != (size_t)*size)) {
        snprintf(msg, cap, "cannot read %s", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    return buf;
}

static int read_wav(const char *path, const unsigned char *b, long size, pedal_audio *out,
                    char *msg, size_t cap)
{
    long pos = 12;
    int fmt = 0, ch = 0, bits = 0;
    double rate = 0;
    while (pos + 8 <= size) {
        uint32_t len = le32(b + pos + 4);
        const unsigned char *body = b + pos + 8;
        if ((long)len > size - pos - 8)
            len = (uint32_t)(size - pos - 8); /* a truncated last chunk: take what is there */
        if (!memcmp(b + pos, "fmt ", 4) && len >= 16) {
            fmt = le16(body);
            ch = le16(body + 2);
            rate = le32(body + 4);
            bits = le16(body + 14);
            if (fmt == 0xFFFE && len >= 26)
                fmt = le16(body + 24); /* WAVE_FORMAT_EXTENSIBLE: the sub-format's tag */
        } else if (!memcmp(b + pos, "data", 4)) {
            long f, frames;
            int c, bps = bits / 8;
            if (!ch || !(fmt == 1 || fmt == 3)) {
                snprintf(msg, cap, "%s: only PCM or float WAV is supported (format %d)", path, fmt);
                return -1;
            }
            if (!((fmt == 1 && (bits == 16 || bits == 24 || bits == 32)) || (fmt == 3 && bits == 32))) {
                snprintf(msg, cap, "%s: %d-bit samples are not supported", path, bits);
                return -1;
            }
            if (ch > NNFX_MAX_CHANNELS) {
                snprintf(msg, cap, "%s: %d channels (at most %d)", path, ch, NNFX_MAX_CHANNELS);
                return -1;
            }
            frames = (long)len / (bps * ch);
            out->channels = ch;
            out->frames = frames;
            out->sample_rate = rate;
            out->data = (float *)calloc((size_t)(frames * ch) + 1, sizeof(float));
            if (!out->data) {
                snprintf(msg, cap, "%s: out of memory", path);
                return -1;
            }
            for (f = 0; f < frames; f++) {
                for (c = 0; c < ch; c++) {
                    const unsigned char *p = body + (f * ch + c) * bps;
                    float v;
                    if (fmt == 3) {
                        uint32_t u = le32(p);
                        memcpy(&v, &u, 4);
                    } else if (bits == 16) {
                        v = (float)(int16_t)le16(p) / 32768.0f;
                    } else if (bits == 24) {
                        int32_t s = (int32_t)((uint32_t)p[0] << 8 | (uint32_t)p[1] << 16 |
                                              (uint32_t)p[2] << 24) >> 8;
                        v = (float)s / 8388608.0f;
                    } else {
                        v = (float)((double)(int32_t)le32(p) / 2147483648.0);
                    }
                    out->data[(long)c * frames + f] = v;
                }
            }
            return 0;
        }
        pos += 8 + (long)len + (len & 1);
    }
    snprintf(msg, cap, "%s: no fmt/data chunk", path);
    return -1;
}

int pedal_audio_read(const char *path, int raw_channels, double raw_rate, pedal_audio *out,
                     char *msg, size_t cap)
{
    long size = 0;
    unsigned char *b = slurp(path, &size, msg, cap);
    int r;
    memset(out, 0, sizeof *out);
    if (!b)
        return -1;
    if (size >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WAVE", 4)) {
        r = read_wav(path, b, size, out, msg, cap);
    } else if (ends_with(path, ".wav")) {
        snprintf(msg, cap, "%s is not a RIFF/WAVE file", path);
        r = -1;
    } else {
        long n = size / 4;
        out->channels = raw_channels;
        out->frames = n / raw_channels;
        out->sample_rate = raw_rate;
        out->data = (float *)malloc((size_t)n * 4 + 4);
        if (!out->data) {
            snprintf(msg, cap, "%s: out of memory", path);
            r = -1;
        } else {
            memcpy(out->data, b, (size_t)out->frames * raw_channels * 4);
            r = 0;
        }
    }
    free(b);
    return r;
}

static void put32(FILE *f, uint32_t v)
{
    unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    fwrite(p, 1, 4, f);
}

static void put16(FILE *f, uint16_t v)
{
    unsigned char p[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    fwrite(p, 1, 2, f);
}

int pedal_audio_write(const char *path, const pedal_audio *a, char *msg, size_t cap)
{
    FILE *f = fopen(path, "wb");
    long i, n = a->frames * a->channels;
    int c, ok;
    if (!f) {
        snprintf(msg, cap, "cannot write %s", path);
        return -1;
    }
    if (ends_with(path, ".wav")) {
        uint32_t data = (uint32_t)(n * 4);
        fwrite("RIFF", 1, 4, f);
        put32(f, 36 + data);
        fwrite("WAVEfmt ", 1, 8, f);
        put32(f, 16);
        put16(f, 3); /* IEEE float */
        put16(f, (uint16_t)a->channels);
        put32(f, (uint32_t)a->sample_rate);
        put32(f, (uint32_t)(a->sample_rate * 4 * a->channels));
        put16(f, (uint16_t)(4 * a->channels));
        put16(f, 32);
        fwrite("data", 1, 4, f);
        put32(f, data);
        for (i = 0; i < a->frames; i++)
            for (c = 0; c < a->channels; c++) {
                uint32_t u;
                memcpy(&u, &a->data[(long)c * a->frames + i], 4);
                put32(f, u);
            }
    } else {
        fwrite(a->data, 4, (size_t)n, f);
    }
    ok = !ferror(f);
    if (fclose(f) != 0 || !ok) {
        snprintf(msg, cap, "cannot write %s", path);
        return -1;
    }
    return 0;
}

void pedal_audio_free(pedal_audio *a)
{
    free(a->data);
    a->data = NULL;
}
