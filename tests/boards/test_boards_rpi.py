"""nnfx-pedal (boards/rpi) in offline mode: the x86 build and the aarch64 cross build (offline
only, static, under qemu-aarch64) against the Python binding, WAV and raw files, MIDI CC
bypass and knobs, and clear one-line errors.

Tolerance 2e-5 absolute (signals peak near 1): the same C code as the binding, built with -O3
(-mtune=cortex-a72 for the Pi) instead of the binding's flags, with the host layer's gains and
mix at exactly 1; aarch64 has its own libm (tanhf/expf may differ by 1 ulp) and another
instruction schedule, so results agree to float rounding accumulated over the layers, not
bit for bit. qemu emulates the FPU exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from boards_util import RPI, assert_matches, guitarish, make, need, python_output, run, zoo_model

RATE = 48000
TOL = 2e-5  # see the module docstring
FRAMES = 12000


@pytest.fixture(scope="module")
def pedals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    root = tmp_path_factory.mktemp("rpi-build")
    need("aarch64-linux-gnu-gcc", "qemu-aarch64")
    make(RPI, f"BUILD={root / 'x86'}", f"{root / 'x86'}/nnfx-pedal")
    make(RPI, "CC=aarch64-linux-gnu-gcc", "STATIC=-static", f"BUILD={root / 'arm64'}",
         f"{root / 'arm64'}/nnfx-pedal")
    return {"x86": [str(root / "x86" / "nnfx-pedal")],
            "arm64": ["qemu-aarch64", str(root / "arm64" / "nnfx-pedal")]}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("rpi-models")
    names = ("overdrive", "gru16", "stereo-spread", "wavenet1-knobs")
    return {name: zoo_model(name, d / f"{name}.onnx", RATE, block=64) for name in names}


@pytest.mark.parametrize("target", ["x86", "arm64"])
@pytest.mark.parametrize("name", ["overdrive", "gru16", "stereo-spread"])
def test_offline_matches_python(pedals, models, tmp_path, target, name):
    x = guitarish(FRAMES, RATE)
    sf.write(tmp_path / "in.wav", x, RATE, subtype="FLOAT")
    run([*pedals[target], "--offline", str(tmp_path / "in.wav"), str(tmp_path / "out.wav"),
         "--model", str(models[name])], timeout=600)
    y, sr = sf.read(tmp_path / "out.wav", dtype="float32", always_2d=True)
    want = python_output(models[name], x[None, :])
    assert sr == RATE and y.shape == (FRAMES, want.shape[0])  # one port per model channel
    assert np.max(np.abs(want)) > 0.01
    for c in range(want.shape[0]):
        assert_matches(y[:, c], want[c], x, TOL, f"{target} {name} channel {c}")


def test_raw_files_and_block_sizes_agree(pedals, models, tmp_path):
    """Raw float32 in/out, odd block sizes: the same output as WAV at the default block."""
    x = guitarish(FRAMES, RATE)
    x.tofile(tmp_path / "in.f32")
    outs = []
    for block in ("37", "128"):
        run([*pedals["arm64"], "--offline", str(tmp_path / "in.f32"), str(tmp_path / "o.f32"),
             "--model", str(models["gru16"]), "--rate", str(RATE), "--block", block])
        outs.append(np.fromfile(tmp_path / "o.f32", dtype=np.float32))
    # Stream mode is independent of the block size; the host layer's smoothers and fades are
    # per frame. Equal to float rounding.
    assert outs[0].shape == (FRAMES,)
    assert float(np.max(np.abs(outs[0] - outs[1]))) <= TOL


def test_midi_bypass_and_knob(pedals, models, tmp_path):
    x = guitarish(FRAMES * 2, RATE)
    sf.write(tmp_path / "in.wav", x, RATE, subtype="PCM_24")
    x24, _ = sf.read(tmp_path / "in.wav", dtype="float32")  # what the pedal reads
    conf = tmp_path / "pedal.conf"
    conf.write_text("cc 80 bypass\ncc 22 mix 0 1\ncc 23 param drive\nbypass_mode toggle\n")
    midi = tmp_path / "midi.txt"
    # Press (127) and release (0) toggle once each press: bypass on at 6000, off at 14000.
    midi.write_text("6000 cc 80 127\n6100 cc 80 0\n14000 cc 80 127\n14100 cc 80 0\n")
    base = [*pedals["arm64"], "--offline", str(tmp_path / "in.wav"), str(tmp_path / "o.wav"),
            "--model", str(models["overdrive"]), "--config", str(conf), "--block", "64"]
    run(base)
    wet, _ = sf.read(tmp_path / "o.wav", dtype="float32")
    run([*base, "--midi", str(midi)])
    y, _ = sf.read(tmp_path / "o.wav", dtype="float32")
    on, off, fade = 6000 // 64 * 64, 14000 // 64 * 64, int(0.010 * RATE)
    assert np.array_equal(y[:on], wet[:on])
    seg = slice(on + fade + 64, off)
    assert np.array_equal(y[seg], x24[seg])  # bypassed: exactly the dry input
    assert float(np.max(np.abs(y[off + fade + 64:] - wet[off + fade + 64:]))) <= TOL
    own = max(float(np.max(np.abs(np.diff(wet)))), float(np.max(np.abs(np.diff(x24)))))
    for t in (on, off):
        jump = float(np.max(np.abs(np.diff(y[t - 64:t + fade + 64]))))
        assert jump <= own * 1.001, f"step {jump:.3g} at {t} > signal's own {own:.3g}"


def test_midi_knob_reaches_model_param(pedals, models, tmp_path):
    x = guitarish(FRAMES, RATE)
    sf.write(tmp_path / "in.wav", x, RATE, subtype="FLOAT")
    conf = tmp_path / "pedal.conf"
    conf.write_text("cc 23 param drive\n")
    # At frame 640, after the model has been swapped in (knobs sent before that are dropped
    # by the host layer: there is no playing model to take them yet).
    (tmp_path / "midi.txt").write_text("640 cc 23 127\n")
    m = models["wavenet1-knobs"]
    run([*pedals["x86"], "--offline", str(tmp_path / "in.wav"), str(tmp_path / "a.wav"),
         "--model", str(m), "--config", str(conf)])
    run([*pedals["x86"], "--offline", str(tmp_path / "in.wav"), str(tmp_path / "b.wav"),
         "--model", str(m), "--config", str(conf), "--midi", str(tmp_path / "midi.txt")])
    a, _ = sf.read(tmp_path / "a.wav", dtype="float32")
    b, _ = sf.read(tmp_path / "b.wav", dtype="float32")
    import nnfx

    with nnfx.load(str(m)) as model:
        info = {p["name"]: p for p in model.params}
        model.set_param("drive", info["drive"]["max"])
        want = model.process(x[None, :])[0]
    assert float(np.max(np.abs(a - b))) > 1e-3  # the knob changed the sound
    # After the knob's 20 ms smoothing has settled (10 time constants), as Python at max drive.
    settle = 640 + int(0.2 * RATE)
    assert float(np.max(np.abs(b[settle:] - want[settle:]))) <= 1e-4


def test_errors_are_one_line(pedals, models, tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text("cc 200 mix\n")
    cases = [
        ([*pedals["x86"], "--offline", "/nonexistent.wav", str(tmp_path / "o.wav"), "--model",
          str(models["overdrive"])], "cannot open /nonexistent.wav"),
        ([*pedals["x86"], "--offline", str(tmp_path / "x.wav"), str(tmp_path / "o.wav"),
          "--model", str(tmp_path / "missing.onnx")], "missing.onnx"),
        ([*pedals["x86"], "--config", str(bad), "--offline", "a", "b"], "0..127"),
        ([*pedals["arm64"], "--model", str(models["overdrive"])], "JACK"),
    ]
    for cmd, words in cases:
        proc = run(cmd, check=False)
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("nnfx-pedal")]
        assert proc.returncode == 2, (cmd, proc.stderr)
        assert len(lines) == 1 and words in lines[0], (cmd, proc.stderr)
