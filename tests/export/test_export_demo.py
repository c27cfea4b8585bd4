"""``nnfx demo``: designs, exports and runs the bundled audio; writes sound files and a picture.

The processed files must equal running the written model file over the bundled input
with ONNX Runtime, to within one 16-bit step (the files are 16-bit PCM) plus 1e-5 for
float summation order between engines.
"""

from __future__ import annotations

import os

import export_util as eu
import numpy as np
import soundfile as sf

from nnfx import testsignals
from nnfx.cli import main


def test_demo(tmp_path, capsys) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "receptive field 127 frames" in text and "MACs/sample" in text and "peak" in text
    for name in ("overdrive.onnx", "guitar-overdrive.wav", "drums-overdrive.wav", "demo.png"):
        assert os.path.getsize(out / name) > 1000
    with open(out / "demo.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    x, sr = sf.read(testsignals.bundled_path("guitar"), dtype="float32", always_2d=True)
    want = np.clip(eu.ort_run(str(out / "overdrive.onnx"), x.T), -1.0, 1.0)
    got, sr2 = sf.read(out / "guitar-overdrive.wav", dtype="float32", always_2d=True)
    assert sr2 == sr == 48000 and got.shape == want.T.shape
    assert np.max(np.abs(got.T - want)) <= 1.0 / 32767 + 1e-5
    assert np.max(np.abs(want - x.T)) > 0.05  # the effect changes the sound


def test_demo_bad_out(capsys) -> None:
    assert main(["demo", "--out", "/nonexistent-nnfx-dir/sub"]) == 2
    assert "does not exist" in capsys.readouterr().err
