"""The board adapters under clang with AddressSanitizer and UndefinedBehaviorSanitizer (any
finding aborts): the Bela project through its driver (knobs, footswitch) and nnfx-pedal
offline (MIDI bypass and knobs, a stereo model, a biased random network whose DC path runs)."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import soundfile as sf
from boards_util import BELA_CI, RPI, guitarish, make, need, random_model, zoo_model

SAN = "-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


def _clean(proc: subprocess.CompletedProcess[str], what: str) -> None:
    text = proc.stdout + proc.stderr
    for mark in MARKS:
        assert mark not in text, f"{what}: sanitizer report\n{text[-4000:]}"
    assert proc.returncode == 0, f"{what}: exit {proc.returncode}\n{text[-4000:]}"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:exitcode=99"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    return env


def test_bela_driver_sanitized(tmp_path):
    need("make")
    build = tmp_path / "b"
    make(BELA_CI, "CC=clang", "CXX=clang++", f"BUILD={build}", f"OPT={SAN}",
         "STATIC=-fsanitize=address,undefined", f"{build}/driver")
    model = zoo_model("overdrive", tmp_path / "od.onnx", 44100)
    guitarish(8000).tofile(tmp_path / "in.f32")
    (tmp_path / "s.txt").write_text("500 knob 3 0.9\n1000 foot 1\n2500 foot 0\n4000 knob 2 0.3\n")
    proc = subprocess.run(
        [str(build / "driver"), str(tmp_path / "in.f32"), str(tmp_path / "out.f32"), "--model",
         str(model), "--script", str(tmp_path / "s.txt"), "--planar"],
        capture_output=True, text=True, timeout=300, env=_env(),
    )
    _clean(proc, "bela driver")
    assert "render_allocations 0" in proc.stdout
    assert np.isfinite(np.fromfile(tmp_path / "out.f32", dtype=np.float32)).all()


def test_pedal_sanitized(tmp_path):
    need("make")
    build = tmp_path / "p"
    make(RPI, "CC=clang", f"BUILD={build}", f"OPT={SAN}", "STATIC=-fsanitize=address,undefined",
         "JACK=0", f"{build}/nnfx-pedal")
    x = guitarish(9000, 48000.0)
    sf.write(tmp_path / "in.wav", np.stack([x, -x], axis=1), 48000, subtype="PCM_16")
    (tmp_path / "m.txt").write_text("100 cc 22 64\n2000 cc 80 127\n2100 cc 80 0\n5000 cc 80 127\n")
    (tmp_path / "c.conf").write_text("cc 22 mix 0 1\ncc 80 bypass\ncc 23 param 0\n")
    stereo = zoo_model("stereo-spread", tmp_path / "st.onnx", 48000)
    biased = random_model(tmp_path / "b.onnx", 48000, layers=3, kernel=3, channels=4, bias=1,
                          activation="sine", seed=5)
    for model in (stereo, biased):
        proc = subprocess.run(
            [str(build / "nnfx-pedal"), "--offline", str(tmp_path / "in.wav"),
             str(tmp_path / "o.wav"), "--model", str(model), "--config", str(tmp_path / "c.conf"),
             "--midi", str(tmp_path / "m.txt"), "--block", "100"],
            capture_output=True, text=True, timeout=300, env=_env(),
        )
        _clean(proc, f"nnfx-pedal {model.name}")
        y, _ = sf.read(tmp_path / "o.wav", dtype="float32", always_2d=True)
        assert y.shape[0] == 9000 and np.isfinite(y).all()
