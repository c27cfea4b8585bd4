"""``nnfx dataset synth``: source signals through reference effects, written as WAV pairs.

Reference effects come from Spotify's ``pedalboard`` (the ``train`` extra),
not hand-written DSP. Each effect has one control (its knob) with a range;
``render(effect, x, sr, knob=None)`` applies it at that setting (default when
``None``). No torch is needed here.

Layout written by ``synthesize(out_dir, ...)``::

    train_dry.wav  train_wet.wav          training material (segments of every kind)
    test_dry.wav   test_wet.wav           held out: speech-like then music-like
    test_speech_{dry,wet}.wav  test_music_{dry,wet}.wav   the two halves
    train_wet_<knob>=<value>.wav          with ``knob_steps``: targets at several settings
    manifest.json                          effect, settings, seed, rate, files
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnfx.errors import NnfxError
from nnfx.exporter.train import signals


@dataclass(frozen=True)
class Effect:
    """A reference effect with one control: ``knob`` from ``low`` to ``high``."""

    name: str
    description: str
    knob: str
    low: float
    high: float
    default: float
    unit: str
    build: Callable[[float], object]  # knob value -> pedalboard.Pedalboard


def _pb():  # type: ignore[no-untyped-def]
    try:
        import pedalboard
    except ImportError:
        raise NnfxError(
            "the reference effects need Spotify's pedalboard: pip install 'nnfx[train]'"
        ) from None
    return pedalboard


def _highpass(cutoff: float):  # type: ignore[no-untyped-def]
    pb = _pb()
    return pb.Pedalboard([pb.HighpassFilter(cutoff_frequency_hz=cutoff)])


def _distortion(drive_db: float):  # type: ignore[no-untyped-def]
    pb = _pb()  # tanh soft clipping, then the treble rolled off and the level brought down
    return pb.Pedalboard([pb.Distortion(drive_db=drive_db), pb.LowpassFilter(6000.0),
                          pb.Gain(gain_db=-6.0)])


def _fuzz(gain_db: float):  # type: ignore[no-untyped-def]
    pb = _pb()  # bass cut, hard clipping of a heavily boosted signal, darker tone
    return pb.Pedalboard([pb.HighpassFilter(120.0), pb.Gain(gain_db=gain_db),
                          pb.Clipping(threshold_db=-12.0), pb.LowpassFilter(4000.0),
                          pb.Gain(gain_db=3.0)])


def _delay(mix: float):  # type: ignore[no-untyped-def]
    pb = _pb()
    return pb.Pedalboard([pb.Delay(delay_seconds=0.05, feedback=0.0, mix=mix)])


def _chorus(depth: float):  # type: ignore[no-untyped-def]
    pb = _pb()
    return pb.Pedalboard([pb.Chorus(rate_hz=1.0, depth=depth, centre_delay_ms=7.0,
                                    feedback=0.0, mix=0.5)])


EFFECTS: dict[str, Effect] = {
    e.name: e
    for e in (
        Effect("highpass440", "first-order high-pass EQ, cutoff 440 Hz", "cutoff",
               110.0, 1760.0, 440.0, "Hz", _highpass),
        Effect("distortion", "tanh distortion (pedalboard Distortion), low-pass 6 kHz",
               "drive", 10.0, 30.0, 24.0, "dB", _distortion),
        Effect("fuzz", "high-pass 120 Hz, gain, hard clipping at -12 dBFS, low-pass 4 kHz",
               "gain", 20.0, 40.0, 30.0, "dB", _fuzz),
        Effect("delay", "50 ms delay, no feedback (pedalboard Delay)", "mix",
               0.1, 0.5, 0.35, "", _delay),
        Effect("chorus", "chorus, 1 Hz rate, 7 ms centre delay (pedalboard Chorus)", "depth",
               0.05, 0.5, 0.25, "", _chorus),
    )
}


def effect(name: str) -> Effect:
    if name not in EFFECTS:
        raise NnfxError(f"unknown effect {name!r}; choose one of {', '.join(EFFECTS)}")
    return EFFECTS[name]


def render(name: str, x: np.ndarray, sr: int, knob: float | None = None) -> np.ndarray:
    """Applies effect ``name`` at knob value ``knob`` (its default if None) to mono ``x``."""
    fx = effect(name)
    value = fx.default if knob is None else float(knob)
    if not fx.low <= value <= fx.high:
        raise NnfxError(f"{name}: {fx.knob} must be in {fx.low:g}..{fx.high:g}, got {value:g}")
    board = fx.build(value)
    y = board(np.asarray(x, dtype=np.float32).reshape(1, -1), sr, reset=True)
    return np.asarray(y[0], dtype=np.float32)


def _write(path: Path, x: np.ndarray, sr: int) -> None:
    import soundfile as sf

    sf.write(str(path), x, sr, subtype="FLOAT")


def synthesize(
    out_dir: str | Path,
    *,
    effect_name: str = "highpass440",
    seconds: float = 60.0,
    test_seconds: float = 10.0,
    sample_rate: int = 48000,
    seed: int = 0,
    knob_steps: int = 0,
) -> dict[str, object]:
    """Writes the dataset of the module docstring into ``out_dir``; returns the manifest."""
    fx = effect(effect_name)
    if not 1.0 <= seconds <= 3600.0:
        raise NnfxError(f"--seconds must be between 1 and 3600, got {seconds:g}")
    if knob_steps == 1 or knob_steps < 0 or knob_steps > 16:
        raise NnfxError(f"--knob-steps must be 0 or 2..16, got {knob_steps}")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NnfxError(f"cannot create {out}: {exc.strerror}") from None
    files: dict[str, str] = {}

    def put(key: str, x: np.ndarray) -> None:
        name = f"{key}.wav"
        _write(out / name, x, sample_rate)
        files[key] = name

    dry = signals.training_material(seconds, sample_rate, seed)
    put("train_dry", dry)
    put("train_wet", render(fx.name, dry, sample_rate))
    speech = signals.speech_like(test_seconds / 2, sample_rate, seed + 1)
    music = signals.music_like(test_seconds / 2, sample_rate, seed + 2)
    put("test_speech_dry", speech)
    put("test_speech_wet", render(fx.name, speech, sample_rate))
    put("test_music_dry", music)
    put("test_music_wet", render(fx.name, music, sample_rate))
    both = np.concatenate([speech, music])
    put("test_dry", both)
    put("test_wet", render(fx.name, both, sample_rate))
    knob_values: list[float] = []
    if knob_steps:
        knob_values = [float(v) for v in np.linspace(fx.low, fx.high, knob_steps)]
        for v in knob_values:
            put(f"train_wet_{fx.knob}={v:g}", render(fx.name, dry, sample_rate, v))
            put(f"test_wet_{fx.knob}={v:g}", render(fx.name, both, sample_rate, v))
    manifest: dict[str, object] = {
        "effect": fx.name,
        "description": fx.description,
        "knob": {"name": fx.knob, "min": fx.low, "max": fx.high, "default": fx.default,
                 "unit": fx.unit, "values": knob_values},
        "sample_rate": sample_rate,
        "seconds": seconds,
        "test_seconds": test_seconds,
        "seed": seed,
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
