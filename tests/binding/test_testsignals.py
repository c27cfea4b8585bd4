"""Bundled audio and the exporter's reference signal: deterministic, as committed.

The committed WAV files must equal what nnfx.testsignals generates, to within one 16-bit
step: the synthesis uses libm's sin and exp, whose last-bit differences between platforms
can move a sample across a rounding boundary (never by more than one step).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from nnfx import testsignals


@pytest.mark.parametrize("name", ["guitar", "drums"])
def test_committed_files_equal_generated(name) -> None:
    path = testsignals.bundled_path(name)
    info = sf.info(path)
    assert (info.samplerate, info.channels, info.subtype) == (48000, 1, "PCM_16")
    assert 3.0 <= info.duration <= 6.0
    with open(path, "rb") as f:
        assert len(f.read()) < 1_000_000
    committed, _ = sf.read(path, dtype="int16")
    generated = testsignals.to_pcm16(testsignals.BUNDLED[name](48000))
    assert committed.shape == generated.shape
    assert np.max(np.abs(committed.astype(np.int32) - generated.astype(np.int32))) <= 1
    assert np.max(np.abs(generated)) > 10000  # not silence: peak about -6 dBFS


def test_deterministic_across_processes() -> None:
    code = (
        "import hashlib, nnfx.testsignals as t;"
        "print(hashlib.sha256(t.reference(4800, 2).tobytes() + t.noise(999, 5).tobytes())"
        ".hexdigest())"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert len(runs) == 1


def test_reference_signal_shape_and_content() -> None:
    x = testsignals.reference(4800, 2, 48000)
    assert x.shape == (2, 4800) and x.dtype == np.float32
    assert x[0, 0] == np.float32(0.9) and x[1, 1] == np.float32(0.9)  # impulses
    assert not np.array_equal(x[0], x[1])  # channels differ
    assert np.max(np.abs(x)) <= 1.0
    assert np.std(x[0, 3700:]) > 0.05  # the noise burst in the last quarter
    assert np.std(x[0, 1000:2500]) > 0.1  # the sine in the middle
    small = testsignals.reference(3, 1, 48000)  # tiny lengths still work
    assert small.shape == (1, 3) and small[0, 0] != 0


def test_noise_generator() -> None:
    n = testsignals.noise(100000, 1)
    assert -1.0 <= n.min() and n.max() < 1.0
    assert abs(float(n.mean())) < 0.01  # uniform on [-1, 1): mean 0 +- 3 sigma (0.0055)
    assert abs(float(n.var()) - 1.0 / 3.0) < 0.01
    assert not np.array_equal(testsignals.noise(16, 1), testsignals.noise(16, 2))
