"""Synthesized source signals for training and testing (numpy only, deterministic).

Every generator takes a ``numpy.random.Generator`` (or none) and returns
float32 mono audio at ``sr``. Nothing is downloaded: the material the
project's sources used - sines, chirps across the guitar range, square and
sawtooth waves, coloured noise, amplitude envelopes, plucked strings,
segments of varying density - is made here, plus speech-like and music-like
signals kept apart from training for testing on material unlike it.
"""

from __future__ import annotations

import numpy as np

GUITAR_LOW, GUITAR_HIGH = 82.41, 1318.5  # E2 to E6, fundamentals of a standard guitar


def _phase(freq: np.ndarray, sr: int) -> np.ndarray:
    return 2.0 * np.pi * np.cumsum(freq) / sr


def sine(freq: float, seconds: float, sr: int) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return np.sin(2.0 * np.pi * freq * t)


def chirp(f0: float, f1: float, seconds: float, sr: int) -> np.ndarray:
    """Exponential sweep from f0 to f1 (rising when f1 > f0, falling otherwise)."""
    n = int(seconds * sr)
    freq = f0 * (f1 / f0) ** (np.arange(n) / max(n - 1, 1))
    return np.sin(_phase(freq, sr))


def square(freq: float, seconds: float, sr: int) -> np.ndarray:
    return np.sign(sine(freq, seconds, sr) + 1e-12)


def sawtooth(freq: float, seconds: float, sr: int) -> np.ndarray:
    t = np.arange(int(seconds * sr)) * freq / sr
    return 2.0 * (t - np.floor(t + 0.5))


def white(seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(int(seconds * sr)) * 0.3


def _spectral_tilt(x: np.ndarray, sr: int, exponent: float) -> np.ndarray:
    """Shapes white noise so that power falls as f**-exponent (1: pink, 2: brown)."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1.0 / sr)
    f[0] = f[1]
    spec *= (f / 1000.0) ** (-exponent / 2.0)
    spec[np.fft.rfftfreq(len(x), 1.0 / sr) < 20.0] = 0.0  # no energy below 20 Hz
    y = np.fft.irfft(spec, len(x))
    return y / (np.sqrt(np.mean(y**2)) + 1e-12) * 0.3


def pink(seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    return _spectral_tilt(rng.standard_normal(int(seconds * sr)), sr, 1.0)


def brown(seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    return _spectral_tilt(rng.standard_normal(int(seconds * sr)), sr, 2.0)


def envelope(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A random amplitude envelope: ADSR notes, tremolo or a slow swell, in [0, 1]."""
    kind = rng.integers(3)
    t = np.arange(n) / sr
    if kind == 0:  # repeated attack-decay notes
        period = rng.uniform(0.15, 0.8)
        phase = (t % period) / period
        attack = rng.uniform(0.01, 0.1)
        return np.where(phase < attack, phase / attack, np.exp(-(phase - attack) * 6.0))
    if kind == 1:  # tremolo
        rate, depth = rng.uniform(2.0, 9.0), rng.uniform(0.3, 1.0)
        return 1.0 - depth * 0.5 * (1.0 + np.sin(2.0 * np.pi * rate * t))
    return np.clip(np.sin(np.pi * t / (n / sr)), 0.0, 1.0)  # swell in and out


def pluck(freq: float, seconds: float, sr: int, rng: np.random.Generator,
          decay: float = 0.996, brightness: float = 0.5) -> np.ndarray:
    """A Karplus-Strong plucked string, computed block by block (lags >= one period)."""
    n = int(seconds * sr)
    period = max(int(round(sr / freq)), 2)
    y = np.zeros(n + period + 1)
    burst = rng.uniform(-1.0, 1.0, period)
    burst = brightness * burst + (1.0 - brightness) * np.convolve(burst, [0.5, 0.5], "same")
    y[1 : period + 1] = burst
    start = period + 1
    while start < len(y):
        stop = min(start + period, len(y))
        idx = np.arange(start, stop)
        y[idx] = decay * 0.5 * (y[idx - period] + y[idx - period - 1])
        start = stop
    return y[1 : n + 1]


def plucked_phrase(seconds: float, sr: int, rng: np.random.Generator,
                   notes_per_second: float = 3.0) -> np.ndarray:
    """Plucked notes in the guitar range at random times, sometimes overlapping (chords)."""
    n = int(seconds * sr)
    out = np.zeros(n)
    count = max(1, int(seconds * notes_per_second))
    for start in np.sort(rng.uniform(0.0, seconds, count)):
        freq = GUITAR_LOW * 2.0 ** (rng.integers(0, 40) / 12.0)
        length = min(rng.uniform(0.3, 2.0), seconds - start)
        if length < 0.05:
            continue
        note = pluck(freq, length, sr, rng, decay=rng.uniform(0.990, 0.999),
                     brightness=rng.uniform(0.2, 1.0))
        i = int(start * sr)
        out[i : i + len(note)] += note * rng.uniform(0.3, 1.0)
    return out


def _normalise(x: np.ndarray, peak: float) -> np.ndarray:
    return x * (peak / (np.max(np.abs(x)) + 1e-12))


def training_material(seconds: float, sr: int, seed: int = 0) -> np.ndarray:
    """The training source: segments of every kind at random levels and densities.

    Segments of 0.5-3 s are drawn in turn from the source kinds (so that even
    a short file holds each), each at a random peak between -30 and -1 dBFS
    under a random envelope, with short silences between some of them.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    pieces: list[np.ndarray] = []
    total = 0
    kinds = ["sine", "chirp_up", "chirp_down", "square", "saw", "white", "pink", "brown",
             "pluck_sparse", "pluck_dense"]
    k = 0
    while total < n:
        length = rng.uniform(0.5, 3.0)
        kind = kinds[k % len(kinds)]
        k += 1
        f = GUITAR_LOW * 2.0 ** rng.uniform(0.0, 4.0)
        if kind == "sine":
            x = sine(f, length, sr)
        elif kind == "chirp_up":
            x = chirp(GUITAR_LOW, 5000.0, length, sr)
        elif kind == "chirp_down":
            x = chirp(5000.0, GUITAR_LOW, length, sr)
        elif kind == "square":
            x = square(f, length, sr) * 0.7
        elif kind == "saw":
            x = sawtooth(f, length, sr) * 0.7
        elif kind == "white":
            x = white(length, sr, rng)
        elif kind == "pink":
            x = pink(length, sr, rng)
        elif kind == "brown":
            x = brown(length, sr, rng)
        elif kind == "pluck_sparse":
            x = plucked_phrase(length, sr, rng, notes_per_second=1.5)
        else:
            x = plucked_phrase(length, sr, rng, notes_per_second=8.0)
        if not kind.startswith("pluck"):
            x = x * envelope(len(x), sr, rng)
        x = _normalise(x, 10.0 ** (rng.uniform(-30.0, -1.0) / 20.0))
        fade = min(len(x) // 2, int(0.005 * sr))  # 5 ms fades: no clicks between segments
        ramp = np.linspace(0.0, 1.0, fade)
        x[:fade] *= ramp
        x[len(x) - fade :] *= ramp[::-1]
        pieces.append(x)
        total += len(x)
        if rng.uniform() < 0.2:
            gap = np.zeros(int(rng.uniform(0.05, 0.4) * sr))
            pieces.append(gap)
            total += len(gap)
    return np.concatenate(pieces)[:n].astype(np.float32)


def speech_like(seconds: float, sr: int, seed: int = 1) -> np.ndarray:
    """Vowel-like syllables: a gliding glottal harmonic series shaped by moving formants,
    with noise fricatives between syllables and pauses between phrases."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    f0 = 120.0 * 2.0 ** (0.25 * np.sin(2 * np.pi * 0.4 * t) + 0.1 * np.sin(2 * np.pi * 2.1 * t))
    f0 *= 2.0 ** rng.uniform(-0.3, 0.6)
    vowels = np.array([[730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240],
                       [530, 1840, 2480], [570, 840, 2410], [660, 1720, 2410]], float)
    syll = 0.22  # seconds per syllable
    index = (t / syll).astype(int)
    choice = rng.integers(0, len(vowels), index.max() + 2)
    frac = (t / syll) - index
    formants = (vowels[choice[index]] * (1 - frac[:, None]) +
                vowels[choice[index + 1]] * frac[:, None])  # glide between vowels
    phase = _phase(f0, sr)
    voiced = np.zeros(n)
    for h in range(1, 40):
        fh = h * f0
        gain = np.zeros(n)
        for j, bw in enumerate((80.0, 100.0, 140.0)):
            gain += (0.5**j) / (1.0 + ((fh - formants[:, j]) / bw) ** 2)
        voiced += np.where(fh < sr / 2 - 1000, gain / h**0.5, 0.0) * np.sin(h * phase)
    syl_env = np.sin(np.pi * frac) ** 0.7
    phrase = (np.sin(2 * np.pi * t / 2.7) > -0.6).astype(float)  # pauses between phrases
    hiss = _spectral_tilt(rng.standard_normal(n), sr, -1.0)  # bright noise: fricatives
    fric = (frac > 0.85).astype(float) * (choice[index] % 2 == 0)
    x = (voiced * syl_env + 0.3 * hiss * fric) * phrase
    return _normalise(x, 0.5).astype(np.float32)


def music_like(seconds: float, sr: int, seed: int = 2) -> np.ndarray:
    """A 110 bpm loop: decaying piano-like chords, a bass line, kick, snare and hats."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    out = np.zeros(n)
    beat = 60.0 / 110.0
    chords = [[0, 4, 7], [-3, 0, 4], [5, 9, 12], [7, 11, 14]]
    for b in range(int(seconds / beat) + 1):
        start = int(b * beat * sr)
        if start >= n:
            break
        length = min(n - start, int(2 * beat * sr))
        tt = np.arange(length) / sr
        if b % 2 == 0:  # chord every two beats
            for semi in chords[(b // 4) % 4]:
                f = 261.63 * 2 ** (semi / 12)
                note = sum(np.sin(2 * np.pi * f * k * tt) / k**1.5 for k in range(1, 7))
                out[start : start + length] += 0.15 * note * np.exp(-tt * 2.5)
        f_bass = 65.41 * 2 ** (chords[(b // 4) % 4][0] / 12)
        out[start : start + length] += 0.3 * np.sin(2 * np.pi * f_bass * tt) * np.exp(-tt * 4)
        kl = min(length, int(0.25 * sr))
        tk = tt[:kl]
        if b % 2 == 0:  # kick: falling sine
            out[start : start + kl] += 0.6 * np.sin(_phase(50 + 120 * np.exp(-tk * 30), sr))\
                * np.exp(-tk * 12)
        else:  # snare: noise burst and tone
            out[start : start + kl] += (0.3 * rng.standard_normal(kl) +
                                        0.2 * np.sin(2 * np.pi * 190 * tk)) * np.exp(-tk * 20)
        hl = min(length, int(0.05 * sr))
        for half in (0, int(beat * sr / 2)):  # hats on eighths
            s = start + half
            if s + hl <= n:
                out[s : s + hl] += 0.08 * np.diff(rng.standard_normal(hl + 1)) \
                    * np.exp(-np.arange(hl) / sr * 80)
    return _normalise(out, 0.6).astype(np.float32)
