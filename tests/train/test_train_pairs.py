"""Pair checks before training: rates, lengths, level, NaN, clipping, delay."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from nnfx import testsignals
from nnfx.exporter.train.pairs import PairError, check_pair, load_pair, measure_delay

SR = 48000


def noise(seconds: float = 2.0, seed: int = 0, level: float = 0.3) -> np.ndarray:
    return (level * testsignals.noise(int(seconds * SR), seed)).astype(np.float32).clip(-0.9, 0.9)


def mono(x: np.ndarray) -> np.ndarray:
    return x.reshape(1, -1)


def delayed(x: np.ndarray, frames: int) -> np.ndarray:
    """x delayed by ``frames`` (negative: advanced), same length, zero-filled."""
    if frames >= 0:
        return np.concatenate([np.zeros(frames, x.dtype), x[: len(x) - frames]])
    return np.concatenate([x[-frames:], np.zeros(-frames, x.dtype)])


def test_a_clean_pair_passes_unchanged() -> None:
    x = noise()
    p = check_pair(mono(x), SR, mono(np.tanh(3 * x)), SR)
    assert p.delay == 0 and p.notes == []
    assert np.array_equal(p.dry, x)


def test_sample_rate_mismatch() -> None:
    x = noise()
    with pytest.raises(PairError, match="44100 Hz but target is 48000 Hz"):
        check_pair(mono(x), 44100, mono(x), 48000)


def test_channel_mismatch_and_stereo() -> None:
    x = noise()
    with pytest.raises(PairError, match="1 channels but target has 2"):
        check_pair(mono(x), SR, np.stack([x, x]), SR)
    with pytest.raises(PairError, match="mono"):
        check_pair(np.stack([x, x]), SR, np.stack([x, x]), SR)


def test_nan_is_refused_with_its_frame() -> None:
    x = noise()
    y = x.copy()
    y[1234] = np.nan
    with pytest.raises(PairError, match="first at frame 1234"):
        check_pair(mono(x), SR, mono(y), SR)


def test_silence_is_refused() -> None:
    x = noise()
    with pytest.raises(PairError, match="input: silent"):
        check_pair(mono(x * 1e-5), SR, mono(x), SR)


def test_clipping_is_refused() -> None:
    x = noise()
    y = np.clip(4 * x, -1.0, 1.0)  # many flat tops at full scale
    with pytest.raises(PairError, match="target: clipped"):
        check_pair(mono(x), SR, mono(y), SR)
    # a saturated but scaled-down signal is not clipping
    check_pair(mono(x), SR, mono(0.5 * np.tanh(20 * x)), SR)


def test_small_length_difference_is_trimmed_large_refused() -> None:
    x = noise()
    p = check_pair(mono(x), SR, mono(x[:-100]), SR)
    assert len(p.dry) == len(p.wet) == len(x) - 100
    assert "trimmed" in p.notes[0]
    with pytest.raises(PairError, match="lengths differ"):
        check_pair(mono(x), SR, mono(x[: len(x) // 2]), SR)


@pytest.mark.parametrize("frames", [240, -240, 3000])
def test_capture_delay_is_measured_and_corrected(frames: int) -> None:
    x = noise()
    y = delayed(np.tanh(3 * x), frames)
    assert measure_delay(x, y, 6000) == frames
    p = check_pair(mono(x), SR, mono(y), SR)
    assert p.delay == frames
    assert f"by {abs(frames)} frames" in p.notes[0]
    # after correction the target is the effect of the input, sample for sample
    assert np.array_equal(p.wet, np.tanh(3 * p.dry))


def test_delay_within_tolerance_is_left_alone() -> None:
    x = noise()
    y = delayed(x, 20)  # 0.42 ms: treated as part of the effect
    p = check_pair(mono(x), SR, mono(y), SR)
    assert p.delay == 20 and p.notes == [] and np.array_equal(p.wet, y)


def test_long_delay_is_refused_with_the_measurement_unless_no_align() -> None:
    x = noise()
    y = delayed(x, 9600)  # 200 ms
    with pytest.raises(PairError, match=r"late by 9600 frames \(200.0 ms\)"):
        check_pair(mono(x), SR, mono(y), SR)
    p = check_pair(mono(x), SR, mono(y), SR, align=False)
    assert p.delay == 0 and np.array_equal(p.wet, y)


def test_files_missing_unreadable_and_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PairError, match="no such file"):
        load_pair(tmp_path / "nope.wav", tmp_path / "nope2.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"this is not audio")
    with pytest.raises(PairError, match="cannot read as audio"):
        load_pair(bad, bad)
    x = noise(1.0)
    sf.write(tmp_path / "d.wav", x, SR, subtype="FLOAT")
    sf.write(tmp_path / "w.wav", 0.5 * x, 44100, subtype="FLOAT")
    with pytest.raises(PairError, match="48000 Hz but .*w.wav is 44100 Hz"):
        load_pair(tmp_path / "d.wav", tmp_path / "w.wav")
    sf.write(tmp_path / "w.wav", 0.5 * x, SR, subtype="FLOAT")
    p = load_pair(tmp_path / "d.wav", tmp_path / "w.wav")
    assert np.array_equal(p.wet, 0.5 * x) and p.sample_rate == SR
