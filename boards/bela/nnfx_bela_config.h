/*
 * nnfx_bela_config.h - how the nnfx Bela pedal is wired and which model it plays.
 *
 * Edit this file (or let `nnfx deploy bela` write it) instead of render.cpp. Every value
 * can also be overridden on the compiler command line (-DNAME=value): each is #ifndef-guarded.
 */
#ifndef NNFX_BELA_CONFIG_H
#define NNFX_BELA_CONFIG_H

/* The model file, relative to the project folder (Bela runs the program from there).
   Ignored when NNFX_BELA_RECIPE is non-empty. */
#ifndef NNFX_BELA_MODEL_FILE
#define NNFX_BELA_MODEL_FILE "model.onnx"
#endif

/* A randomized network designed on the board instead of a file: the `random` message's
   KEY VALUE pairs (docs/random-networks.md), e.g. "layers 6 kernel 3 seed 42". "" = use
   the model file. */
#ifndef NNFX_BELA_RECIPE
#define NNFX_BELA_RECIPE ""
#endif

/* Audio ports the host layer sees: the first IN audio inputs and OUT audio outputs.
   A guitar pedal has one input jack (1); a mono model output feeds every output. */
#ifndef NNFX_BELA_AUDIO_IN
#define NNFX_BELA_AUDIO_IN 1
#endif
#ifndef NNFX_BELA_AUDIO_OUT
#define NNFX_BELA_AUDIO_OUT 2
#endif

/* Knobs: analog input channel -> role. Roles: NNFX_KNOB_NONE, NNFX_KNOB_IN_GAIN,
   NNFX_KNOB_OUT_GAIN (dB between LO and HI), NNFX_KNOB_MIX (LO..HI within 0..1),
   NNFX_KNOB_PARAM (model knob PARAM_INDEX; LO..HI are fractions 0..1 of that knob's own range,
   which the host layer maps: nnfx_host_set_param_normalized). A knob reads 0..1
   (Bela's analogRead of a potentiometer between 0 V and the board's reference). */
#define NNFX_KNOB_NONE 0
#define NNFX_KNOB_IN_GAIN 1
#define NNFX_KNOB_OUT_GAIN 2
#define NNFX_KNOB_MIX 3
#define NNFX_KNOB_PARAM 4

#ifndef NNFX_BELA_KNOBS
/* {role, lo, hi, param index} for analog inputs 0, 1, 2, 3 */
#define NNFX_BELA_KNOBS                              \
    {                                                \
        {NNFX_KNOB_IN_GAIN, -24.0f, 24.0f, 0},       \
        {NNFX_KNOB_OUT_GAIN, -24.0f, 24.0f, 0},      \
        {NNFX_KNOB_MIX, 0.0f, 1.0f, 0},              \
        {NNFX_KNOB_PARAM, 0.0f, 1.0f, 0},            \
    }
#endif

/* A knob reading that moves less than this (of the 0..1 range) since the last value sent is
   ignored: potentiometer noise does not keep the smoothers busy. */
#ifndef NNFX_BELA_KNOB_DEADBAND
#define NNFX_BELA_KNOB_DEADBAND 0.002f
#endif

/* Footswitch: momentary switch on this digital pin, toggling bypass; pressed reads 1
   (set NNFX_BELA_FOOTSWITCH_ACTIVE_LOW 1 for a switch to ground with a pull-up). */
#ifndef NNFX_BELA_FOOTSWITCH_PIN
#define NNFX_BELA_FOOTSWITCH_PIN 1
#endif
#ifndef NNFX_BELA_FOOTSWITCH_ACTIVE_LOW
#define NNFX_BELA_FOOTSWITCH_ACTIVE_LOW 0
#endif
/* The switch must read the same for this long before a press or release counts. */
#ifndef NNFX_BELA_DEBOUNCE_MS
#define NNFX_BELA_DEBOUNCE_MS 20.0f
#endif
/* LED on this digital pin: lit while the effect is on (not bypassed). -1: no LED. */
#ifndef NNFX_BELA_LED_PIN
#define NNFX_BELA_LED_PIN 0
#endif

/* The sustained FP32 MAC rate budget used for the load estimate in setup(): the same
   figure as python/nnfx/boards.py ("bela": Cortex-A8 VFP-lite 50 M MAC/s x 80 %). */
#ifndef NNFX_BELA_MACS_BUDGET
#define NNFX_BELA_MACS_BUDGET 40.0e6
#endif

/* Poll the host layer's events (load/warning messages, freeing retired models) from an
   auxiliary task scheduled every this many milliseconds. */
#ifndef NNFX_BELA_POLL_MS
#define NNFX_BELA_POLL_MS 100.0f
#endif

#endif /* NNFX_BELA_CONFIG_H */
