"""Model files and signals for the Pd tests: small random TCNs exported by the Python
exporter (nnfx.export), cached in a temporary folder shared by pytest workers."""

from __future__ import annotations

import glob
import hashlib
import os
import tempfile
from typing import Any

import numpy as np
import soundfile as sf
from repo import ROOT

from nnfx import testsignals


def _cache_dir() -> str:
    """A temporary folder shared by pytest workers, named after the exporter's sources so that
    files from another version of the exporter are never reused."""
    h = hashlib.sha1()
    for folder in ("exporter", os.path.join("python", "nnfx")):
        for name in sorted(glob.glob(os.path.join(ROOT, folder, "**", "*.py"), recursive=True)):
            with open(name, "rb") as f:
                h.update(name.encode() + f.read())
    path = os.path.join(tempfile.gettempdir(), f"nnfx-pd-models-{h.hexdigest()[:16]}")
    os.makedirs(path, exist_ok=True)
    return path


_dir = _cache_dir()

# Small recipes whose receptive fields stay below the test signals' silent lead-in.
MONO = dict(layers=4, kernel=3, channels=6, growth=2, activation="tanh", init="xavier_normal",
            in_gain_db=6.0, seed=11)                                    # R = 31
STEREO = dict(layers=3, kernel=5, channels=4, growth=3, activation="elu", init="kaiming_uniform",
              in_channels=2, out_channels=2, seed=5)                    # R = 53
BIASED = dict(layers=5, kernel=3, channels=8, growth=2, activation="sine", init="uniform1",
              bias=1, in_gain_db=-3.0, out_gain_db=-6.0, seed=77)        # R = 63, dc offset


def random_model(block_size: int = 64, **keys: Any) -> str:
    """Export the random TCN of ``keys`` (recipe keys) with nnfx.export; returns its path."""
    key = repr((block_size, sorted(keys.items())))
    path = os.path.join(_dir, hashlib.sha1(key.encode()).hexdigest()[:20] + ".onnx")
    if os.path.exists(path):
        return path
    import nnfx
    from nnfx.exporter.random_recipe import Recipe
    from nnfx.exporter.random_tcn import RandomTCN

    recipe = Recipe.from_dict(dict(keys)).validate()
    tmp = f"{path}.{os.getpid()}.onnx"
    nnfx.export(RandomTCN(recipe), tmp, block_size=block_size, sample_rate=48000)
    os.replace(tmp, path)  # atomic: a worker never sees half a file
    return path


def knob_model(kind: str) -> str:
    """A small knob-conditioned model of the zoo ("wavenet": FiLM knobs drive and tone;
    "lstm": the knobs concatenated to every frame), exported with nnfx.export."""
    path = os.path.join(_dir, f"knobs-{kind}.onnx")
    if os.path.exists(path):
        return path
    import nnfx
    from nnfx.exporter import recurrent, wavenet
    from nnfx.exporter.film import default_knobs

    knobs = default_knobs(("drive", "tone"))
    module = (wavenet.WaveNet([1, 2, 4, 8], 6, 3, "gated", params=knobs, seed=3)
              if kind == "wavenet" else recurrent.RecurrentAmp("lstm", 8, 1, params=knobs, seed=5))
    tmp = f"{path}.{os.getpid()}.onnx"
    nnfx.export(module, tmp, block_size=64, sample_rate=48000)
    os.replace(tmp, path)
    return path


def make_signal(frames: int, channels: int = 1, lead: int = 0, seed: int = 1) -> np.ndarray:
    """[channels, lead + frames] float32: ``lead`` frames of silence, then a sweep with a
    noise burst and a step (so that DC handling and transients show), peak below 1."""
    out = np.zeros((channels, lead + frames), np.float32)
    burst = slice(frames // 3, frames // 3 + frames // 10)
    for c in range(channels):
        x = testsignals.sweep(frames, 60.0 * (c + 1), 6000.0, 48000.0, amplitude=0.5)
        x[burst] += 0.3 * testsignals.noise(burst.stop - burst.start, seed + 7919 * c)
        x[2 * frames // 3 :] += 0.2
        out[c, lead:] = x.astype(np.float32)
    return out


def write_wav(path: str, x: np.ndarray) -> str:
    """[channels, frames] float32 -> a float32 WAV file (one table per channel in Pd)."""
    sf.write(path, np.ascontiguousarray(x.T), 48000, subtype="FLOAT")
    return path


def read_wav(path: str) -> np.ndarray:
    data, sr = sf.read(path, dtype="float32", always_2d=True)
    assert sr == 48000, f"{path}: sample rate {sr}, expected 48000"
    return data.T
