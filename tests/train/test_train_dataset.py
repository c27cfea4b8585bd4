"""`nnfx dataset synth`: determinism, files, reference effects, command-line errors."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import soundfile as sf

from nnfx.cli import main
from nnfx.errors import NnfxError
from nnfx.exporter.train import dataset, signals

SR = 48000


def digest(path) -> str:  # type: ignore[no-untyped-def]
    """Hash of the decoded samples (a float WAV's PEAK chunk holds a time stamp)."""
    x, rate = sf.read(path, dtype="float32")
    return hashlib.sha256(x.tobytes() + str(rate).encode()).hexdigest()


def test_synth_is_deterministic_and_seeded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    args = dict(effect_name="distortion", seconds=3.0, test_seconds=2.0, knob_steps=2)
    a = dataset.synthesize(tmp_path / "a", seed=5, **args)
    b = dataset.synthesize(tmp_path / "b", seed=5, **args)
    dataset.synthesize(tmp_path / "c", seed=6, **args)
    assert a == b
    for name in a["files"].values():  # type: ignore[union-attr]
        assert digest(tmp_path / "a" / name) == digest(tmp_path / "b" / name)
    assert digest(tmp_path / "a" / "train_dry.wav") != digest(tmp_path / "c" / "train_dry.wav")
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["knob"]["values"] == [10.0, 30.0]
    for key in ("train_dry", "train_wet", "test_speech_dry", "test_music_wet",
                "train_wet_drive=10", "train_wet_drive=30"):
        x, rate = sf.read(tmp_path / "a" / manifest["files"][key], dtype="float32")
        assert rate == SR and np.isfinite(x).all() and np.abs(x).max() > 0.01


def test_training_material_has_every_length_and_level() -> None:
    x = signals.training_material(20.0, SR, seed=0)
    assert len(x) == 20 * SR and x.dtype == np.float32
    assert np.abs(x).max() < 0.95  # headroom: never at full scale, so never "clipped"
    # levels vary by segment: the loudest 0.5 s window is >= 10 dB above the median one
    rms = np.sqrt((x[: len(x) // 24000 * 24000].reshape(-1, 24000) ** 2).mean(axis=1))
    assert 20 * np.log10(rms.max() / np.median(rms)) > 10.0


def test_test_material_is_unlike_training() -> None:
    speech = signals.speech_like(2.0, SR)
    music = signals.music_like(2.0, SR)
    assert len(speech) == len(music) == 2 * SR
    assert np.isfinite(speech).all() and np.isfinite(music).all()
    assert not np.allclose(speech, music)


def test_highpass_reference_is_440_hz_first_order() -> None:
    # A first-order high-pass is 3 dB down at its cutoff and about 1 dB down an octave above
    # (10 log10(1 + (1/2)^2) = 0.97 dB); pedalboard's digital filter is close to the analogue
    # response far below Nyquist, hence 0.3 dB tolerance.
    for f, expect_db in ((440.0, -3.01), (880.0, -0.97)):
        x = signals.sine(f, 1.0, SR).astype(np.float32)
        y = dataset.render("highpass440", x, SR)
        gain = np.sqrt(np.mean(y[SR // 2 :] ** 2) / np.mean(x[SR // 2 :] ** 2))
        assert 20 * np.log10(gain) == pytest.approx(expect_db, abs=0.3)


@pytest.mark.parametrize("name", list(dataset.EFFECTS))
def test_every_effect_renders_and_its_knob_matters(name: str) -> None:
    x = signals.training_material(2.0, SR, seed=1)
    fx = dataset.EFFECTS[name]
    lo, hi = dataset.render(name, x, SR, fx.low), dataset.render(name, x, SR, fx.high)
    assert lo.shape == x.shape and np.isfinite(lo).all()
    assert np.abs(lo - hi).max() > 1e-3
    with pytest.raises(NnfxError, match=f"{fx.knob} must be in"):
        dataset.render(name, x, SR, fx.high + 1000.0)


def test_command_line(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "ds"
    assert main(["dataset", "synth", "--out", str(out), "--effect", "fuzz", "--seconds", "2",
                 "--test-seconds", "2"]) == 0
    assert "fuzz" in capsys.readouterr().out and (out / "train_wet.wav").is_file()
    assert main(["dataset", "synth", "--out", str(out), "--seconds", "0.1"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0  # one line
    assert main(["dataset"]) == 2
    with pytest.raises(SystemExit) as e:
        main(["dataset", "synth", "--out", str(out), "--effect", "phaser"])
    assert e.value.code == 2
