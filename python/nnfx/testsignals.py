"""Deterministic synthesized audio: the bundled guitar and drum files and the export reference.

Everything here uses numpy only (no torch) and its own counter-based noise generator
(SplitMix64 mixing, as in docs/random-networks.md), so the same call gives the same
samples on every machine and numpy version. The only transcendental functions used are
``sin`` and ``exp``, whose last-bit differences between libm builds cannot change a 16-bit
sample by more than one step.

- ``guitar(sample_rate)``: a plucked-string phrase (Karplus-Strong), about 4 s.
- ``drums(sample_rate)``: a kick/snare/hi-hat loop at 120 BPM, 4 s.
- ``reference(length, channels, sample_rate)``: impulse + sine + noise burst, used by the
  exporter as the model file's self-check input.
- ``impulse``, ``sine``, ``sweep``, ``noise_burst``: the pieces, for tests and tools;
  ``noise_channels`` gives independent noise on several channels.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 48000

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix64(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def noise(length: int, seed: int) -> np.ndarray:
    """White noise, uniform on [-1, 1), float64, from a counter-based generator."""
    counter = np.arange(1, length + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        key = _mix64(np.array([seed], dtype=np.uint64))[0]
        raw = _mix64(key + counter * _GAMMA)
    u = (raw >> np.uint64(40)).astype(np.float64) * 2.0**-24
    return 2.0 * u - 1.0


def impulse(length: int, position: int = 0, amplitude: float = 1.0) -> np.ndarray:
    """A single non-zero frame (float64)."""
    x = np.zeros(length)
    if 0 <= position < length:
        x[position] = amplitude
    return x


def sine(length: int, freq: float, sample_rate: int, amplitude: float = 1.0) -> np.ndarray:
    """A sine wave starting at phase 0 (float64)."""
    t = np.arange(length, dtype=np.float64)
    return amplitude * np.sin(2.0 * np.pi * freq * t / sample_rate)


def sweep(
    length: int, f0: float, f1: float, sample_rate: float, amplitude: float = 1.0
) -> np.ndarray:
    """A linear sine sweep from ``f0`` to ``f1`` Hz over ``length`` frames, phase 0 (float64)."""
    t = np.arange(length, dtype=np.float64) / sample_rate
    span = t[-1] if length > 1 else 1.0
    return amplitude * np.sin(2.0 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2.0 * span)))


def noise_channels(channels: int, length: int, seed: int, amplitude: float = 1.0) -> np.ndarray:
    """White noise on ``channels`` channels (each its own stream), float32
    ``[channels, length]``, uniform on [-amplitude, amplitude)."""
    out = np.stack([noise(length, seed + 7919 * c) for c in range(channels)])
    return (amplitude * out).astype(np.float32)


def noise_burst(length: int, seed: int, amplitude: float = 1.0, decay: float = 0.0) -> np.ndarray:
    """Noise with an exponential decay (``decay`` in 1/frames, 0 for none)."""
    env = np.exp(-decay * np.arange(length, dtype=np.float64)) if decay > 0 else 1.0
    return amplitude * noise(length, seed) * env


def _fade(x: np.ndarray, frames: int) -> np.ndarray:
    """Linear fade in and out over ``frames`` (in place on a copy)."""
    x = x.copy()
    n = min(frames, len(x) // 2)
    if n > 0:
        ramp = np.arange(n, dtype=np.float64) / n
        x[:n] *= ramp
        x[len(x) - n :] *= ramp[::-1]
    return x


def reference(length: int, channels: int = 1, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The exporter's reference input, float32 ``[channels, length]``.

    An impulse at frame 0, a sine over the middle half (faded in and out), and a
    decaying noise burst in the last quarter. Channel 1 (stereo) uses another
    sine frequency, an impulse one frame later and other noise, so that models
    that mix channels are exercised.
    """
    if length < 1 or channels < 1:
        raise ValueError("reference: length and channels must be positive")
    out = np.zeros((channels, length))
    for ch in range(channels):
        x = impulse(length, position=ch, amplitude=0.9)
        a, b = length // 8, (5 * length) // 8
        if b > a:
            seg = sine(b - a, 110.0 * (1.5**ch), sample_rate, amplitude=0.5)
            x[a:b] += _fade(seg, max(1, sample_rate // 200))
        c = (3 * length) // 4
        if length > c:
            x[c:] += noise_burst(length - c, seed=1000 + ch, amplitude=0.4, decay=8.0 / sample_rate)
        out[ch] = x
    return out.astype(np.float32)


def _karplus_strong(
    freq: float, frames: int, sample_rate: int, seed: int, decay: float = 0.996
) -> np.ndarray:
    """One plucked string: a noise burst in a delay line with a two-tap averaging loss."""
    period = max(2, int(round(sample_rate / freq)))
    excite = noise(period, seed)
    # soften the pluck: one-pole lowpass over the excitation
    for i in range(1, period):
        excite[i] = 0.5 * excite[i] + 0.5 * excite[i - 1]
    y = np.zeros(frames + period + 1)
    y[: period + 1] = np.concatenate([excite, [0.0]])
    # y[n] = decay * 0.5 * (y[n - P] + y[n - P - 1]) for n > P: whole periods at a time
    n = period + 1
    while n < len(y):
        m = min(period, len(y) - n)
        y[n : n + m] = (
            decay * 0.5 * (y[n - period : n - period + m] + y[n - period - 1 : n - period - 1 + m])
        )
        n += m
    return y[:frames]


def guitar(sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A plucked-string phrase, mono float32, about 4 s, peak 0.5."""
    # (start in beats at 120 BPM, MIDI note, length in beats): a minor-pentatonic riff
    riff = [
        (0.0, 40, 1.0),
        (1.0, 43, 0.5),
        (1.5, 45, 0.5),
        (2.0, 47, 1.0),
        (3.0, 50, 0.5),
        (3.5, 47, 0.5),
        (4.0, 45, 1.0),
        (5.0, 43, 0.5),
        (5.5, 40, 0.5),
        (6.0, 52, 2.0),
    ]
    beat = sample_rate // 2
    total = 8 * beat
    out = np.zeros(total)
    for i, (start, note, beats) in enumerate(riff):
        freq = 440.0 * 2.0 ** ((note - 69) / 12.0)
        begin = int(start * beat)
        frames = min(int(beats * beat) + sample_rate // 50, total - begin)
        tone = _karplus_strong(freq, frames, sample_rate, seed=100 + i)
        out[begin : begin + frames] += _fade(tone, sample_rate // 500)
    out *= 0.5 / np.max(np.abs(out))
    return out.astype(np.float32)


def drums(sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A kick/snare/hi-hat loop at 120 BPM, mono float32, 4 s, peak 0.5."""
    beat = sample_rate // 2
    total = 8 * beat
    out = np.zeros(total)

    def add(at: int, sound: np.ndarray) -> None:
        end = min(total, at + len(sound))
        out[at:end] += sound[: end - at]

    t = np.arange(int(0.4 * sample_rate), dtype=np.float64) / sample_rate
    # kick: a sine sweeping down from 150 Hz to 50 Hz with a fast amplitude decay
    freq = 50.0 + 100.0 * np.exp(-t * 30.0)
    phase = 2.0 * np.pi * np.cumsum(freq) / sample_rate
    kick = np.sin(phase) * np.exp(-t * 9.0)
    # snare: a 190 Hz body and decaying noise
    ts = t[: int(0.25 * sample_rate)]
    snare_noise = noise(len(ts), 7)
    snare = 0.4 * np.sin(2.0 * np.pi * 190.0 * ts) * np.exp(-ts * 25.0)
    snare += 0.6 * snare_noise * np.exp(-ts * 18.0)
    # hi-hat: differentiated (bright) noise, very short
    th = t[: int(0.06 * sample_rate)]
    hat_noise = noise(len(th) + 1, 11)
    hat = 0.3 * np.diff(hat_noise) * np.exp(-th * 70.0)
    for b in range(8):
        add(b * beat, hat)
        add(b * beat + beat // 2, 0.6 * hat)
        if b % 2 == 0:
            add(b * beat, kick)
        else:
            add(b * beat, snare)
    add(6 * beat + beat // 2, 0.8 * kick)
    out *= 0.5 / np.max(np.abs(out))
    return out.astype(np.float32)


def to_pcm16(x: np.ndarray) -> np.ndarray:
    """Float in [-1, 1] to 16-bit PCM with rounding to nearest and clipping."""
    return np.clip(np.round(np.asarray(x, dtype=np.float64) * 32767.0), -32768, 32767).astype(
        np.int16
    )


BUNDLED = {"guitar": guitar, "drums": drums}


def bundled_path(name: str) -> str:
    """Path of a bundled file (``guitar`` or ``drums``) inside the installed package."""
    import os

    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", f"{name}.wav")


def write_bundled(directory: str | None = None) -> list[str]:
    """(Re)generate the bundled 48 kHz mono 16-bit files; returns the paths written."""
    import os

    import soundfile as sf

    paths = []
    for name, make in BUNDLED.items():
        path = bundled_path(name) if directory is None else os.path.join(directory, f"{name}.wav")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        sf.write(path, to_pcm16(make(SAMPLE_RATE)), SAMPLE_RATE, subtype="PCM_16")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write_bundled():
        print(p)
