"""TorchScript for nn~: load with torch.jit.load and drive it as nn~ does.

nn~ (nn_tilde's backend) builds ``[batch, in_dim, n]`` from per-channel ``[1, 1, n]``
buffers, calls the method named in ``get_methods()`` under inference mode, and sets knobs
through ``get_attributes()``, ``<name>_params`` (2 = float) and ``set_<name>``.
``drive_like_nn_tilde`` does exactly that; here the output at buffer sizes 1, 64 and 4096
must equal the ONNX file's (ONNX Runtime on the same file, same input).

Tolerance 1e-5 absolute: both run the same float32 weights; the look-back/state handling
must be exact, and summation-order differences stay near 1e-7 on O(1) outputs.
"""

from __future__ import annotations

import export_util as eu
import numpy as np
import pytest
import torch

from nnfx import testsignals
from nnfx.exporter import recurrent, wavenet, zoo
from nnfx.exporter.export_onnx import export
from nnfx.exporter.film import default_knobs
from nnfx.exporter.torchscript import drive_like_nn_tilde, export_torchscript

TOL = 1e-5
SR = 48000


def _models():
    return {
        "overdrive": lambda: zoo.build("overdrive"),
        "wavenet-knobs": lambda: wavenet.WaveNet([1, 2, 4, 8], 4, params=default_knobs()),
        "lstm-knobs": lambda: recurrent.build("lstm16", default_knobs()),
        "gru2": lambda: recurrent.RecurrentAmp("gru", 8, 2, seed=1),
        "stereo": lambda: zoo.build("stereo-spread"),
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("ts")
    out = {}
    for name, make in _models().items():
        onnx_path, ts_path = str(d / f"{name}.onnx"), str(d / f"{name}.ts")
        export(make(), onnx_path, block_size=64, sample_rate=SR, reference_seconds=0.02)
        export_torchscript(make(), ts_path, check_buffer_sizes=(64,), check_seconds=0.02)
        out[name] = (onnx_path, ts_path)
    return out


@pytest.mark.parametrize("name", list(_models()))
@pytest.mark.parametrize("buffer", [1, 64, 4096])
def test_streaming_parity(files, name, buffer) -> None:
    onnx_path, ts_path = files[name]
    meta = eu.metadata(onnx_path)
    cin = int(meta["nnfx.in_channels"])
    # 1-frame buffers cost one call per frame: a shorter signal there (still longer than
    # every look-back but the stereo model's 484 frames, whose history is then partly used)
    length = 300 if buffer == 1 else 5000
    x = testsignals.reference(length, cin, SR)
    want = eu.ort_run(onnx_path, x)
    model = torch.jit.load(ts_path)
    assert model.get_methods() == ["forward"]
    assert model.forward_params.tolist() == [cin, 1, int(meta["nnfx.out_channels"]), 1]
    got = drive_like_nn_tilde(model, x, buffer)
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) < TOL


def test_knob_attributes(files) -> None:
    onnx_path, ts_path = files["wavenet-knobs"]
    model = torch.jit.load(ts_path)
    assert model.get_attributes() == ["drive", "tone"]
    assert model.drive_params.tolist() == [2]
    assert model.get_drive() == 0.5
    assert model.set_drive(7.0) == 0 and model.get_drive() == 1.0  # clamped to the range
    x = testsignals.reference(3000, 1, SR)
    model.reset()
    got = drive_like_nn_tilde(model, x, 256, {"drive": 0.1, "tone": 0.9})
    want = eu.ort_run(onnx_path, x, [0.1, 0.9])
    assert np.max(np.abs(got - want)) < TOL
    assert np.max(np.abs(want - eu.ort_run(onnx_path, x))) > 1e-4  # the knobs matter


def test_batches_keep_separate_history(files) -> None:
    _, ts_path = files["lstm-knobs"]
    model = torch.jit.load(ts_path)
    x = torch.from_numpy(testsignals.reference(512, 1, SR))
    batch = torch.stack([x, -x])  # [2, 1, 512]
    with torch.inference_mode():
        y = torch.cat([model.forward(batch[..., i : i + 128]) for i in range(0, 512, 128)], -1)
        model.reset()
        y0 = torch.cat([model.forward(batch[:1, :, i : i + 128]) for i in range(0, 512, 128)], -1)
    assert torch.max(torch.abs(y[:1] - y0)) < TOL
    assert torch.max(torch.abs(y[1] - y[0])) > 1e-3
