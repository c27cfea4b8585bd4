/*
 * wavfile.h - read and write the sound files nnfx-pedal's offline mode uses: RIFF/WAVE
 * (PCM 16/24/32-bit or IEEE float 32-bit in, float 32-bit out) and raw float32
 * (channel-major [channels][frames], the layout of runtime_c/tools/nnfx_run).
 */
#ifndef NNFX_PEDAL_WAVFILE_H
#define NNFX_PEDAL_WAVFILE_H

#include <stddef.h>

typedef struct {
    int channels;
    long frames;
    double sample_rate;
    float *data; /* channel-major: data[c * frames + f] */
} pedal_audio;

/* Reads PATH (.wav by its RIFF header, anything else as raw float32 with raw_channels and
   raw_rate). Returns 0, or -1 with a one-line reason in msg. */
int pedal_audio_read(const char *path, int raw_channels, double raw_rate, pedal_audio *out,
                     char *msg, size_t cap);
/* Writes a float32 WAV when PATH ends in .wav, else raw float32. 0, or -1 with msg. */
int pedal_audio_write(const char *path, const pedal_audio *a, char *msg, size_t cap);
void pedal_audio_free(pedal_audio *a);

#endif
