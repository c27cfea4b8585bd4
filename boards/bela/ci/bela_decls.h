/*
 * bela_decls.h - NOT Bela's SDK.
 *
 * A minimal stand-in, written for nnfx's CI, declaring only the documented parts of Bela's
 * API (include/Bela.h of BelaPlatform/Bela) that boards/bela/render.cpp uses, so that the
 * project compiles and runs on a machine without a Bela board: the BelaContext fields,
 * setup/render/cleanup, rt_printf, auxiliary tasks and the audio/analog/digital access
 * helpers. The helpers follow Bela's documented buffer layouts (interleaved audio and analog
 * when BELA_FLAG_INTERLEAVED is set, one frame after another otherwise; digital pins as bits
 * 0-15 direction and 16-31 value of one 32-bit word per frame). The behaviour of the real
 * board (Xenomai, the PRU, the codec) is not modelled. On a board, render.cpp includes
 * <Bela.h> instead (it does unless NNFX_BELA_CI is defined).
 */
#ifndef NNFX_BELA_DECLS_H
#define NNFX_BELA_DECLS_H

#include <stdint.h>

#define BELA_FLAG_INTERLEAVED (1 << 0)
#define BELA_FLAG_ANALOG_OUTPUTS_PERSIST (1 << 1)
#define BELA_AUDIO_PRIORITY 95

#define INPUT 0
#define OUTPUT 1

typedef struct {
    const float *audioIn;
    float *audioOut;
    const float *analogIn;
    float *analogOut;
    uint32_t *digital;
    uint32_t audioFrames;
    uint32_t audioInChannels;
    uint32_t audioOutChannels;
    float audioSampleRate;
    uint32_t analogFrames;
    uint32_t analogInChannels;
    uint32_t analogOutChannels;
    float analogSampleRate;
    uint32_t digitalFrames;
    uint32_t digitalChannels;
    float digitalSampleRate;
    uint64_t audioFramesElapsed;
    uint32_t flags;
} BelaContext;

typedef void *AuxiliaryTask;

extern int gShouldStop;

bool setup(BelaContext *context, void *userData);
void render(BelaContext *context, void *userData);
void cleanup(BelaContext *context, void *userData);

int rt_printf(const char *format, ...);
AuxiliaryTask Bela_createAuxiliaryTask(void (*callback)(void *), int priority, const char *name,
                                       void *arg = 0);
int Bela_scheduleAuxiliaryTask(AuxiliaryTask task);

static inline float audioRead(BelaContext *c, int frame, int channel)
{
    return (c->flags & BELA_FLAG_INTERLEAVED) ? c->audioIn[frame * c->audioInChannels + channel]
                                              : c->audioIn[channel * c->audioFrames + frame];
}

static inline void audioWrite(BelaContext *c, int frame, int channel, float value)
{
    if (c->flags & BELA_FLAG_INTERLEAVED)
        c->audioOut[frame * c->audioOutChannels + channel] = value;
    else
        c->audioOut[channel * c->audioFrames + frame] = value;
}

static inline float analogRead(BelaContext *c, int frame, int channel)
{
    return (c->flags & BELA_FLAG_INTERLEAVED) ? c->analogIn[frame * c->analogInChannels + channel]
                                              : c->analogIn[channel * c->analogFrames + frame];
}

static inline int digitalRead(BelaContext *c, int frame, int channel)
{
    return (int)((c->digital[frame] >> (16 + channel)) & 1u);
}

/* Sets the pin's value from this frame to the end of the block (Bela's documented
   behaviour; digitalWriteOnce changes one frame only). */
static inline void digitalWrite(BelaContext *c, int frame, int channel, int value)
{
    for (uint32_t f = (uint32_t)frame; f < c->digitalFrames; f++) {
        if (value)
            c->digital[f] |= 1u << (16 + channel);
        else
            c->digital[f] &= ~(1u << (16 + channel));
    }
}

/* Direction from this frame to the end of the block: bit set = input. */
static inline void pinMode(BelaContext *c, int frame, int channel, int mode)
{
    for (uint32_t f = (uint32_t)frame; f < c->digitalFrames; f++) {
        if (mode == INPUT)
            c->digital[f] |= 1u << channel;
        else
            c->digital[f] &= ~(1u << channel);
    }
}

#endif /* NNFX_BELA_DECLS_H */
