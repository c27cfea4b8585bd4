"""WaveNet presets and FiLM knobs: export, receptive field, parity with ONNX Runtime.

Tolerance 1e-5 (absolute) between ONNX Runtime and PyTorch: outputs are O(0.1-1) and each
output is a float32 sum through ~20 layers of 16-48 products; summation order differences
stay near 1e-7 (measured 2e-7 worst), while a lost frame of history or a wrong crop gives
errors of 1e-2 or more.
"""

from __future__ import annotations

import export_util as eu
import numpy as np
import pytest
import torch

from nnfx.exporter import wavenet
from nnfx.exporter.export_onnx import export
from nnfx.exporter.film import default_knobs

TOL = 1e-5
SR = 48000


@pytest.fixture(scope="module")
def presets(tmp_path_factory) -> dict[str, tuple[str, object]]:
    """WaveNet1-3 exported once per session (block 64, a 0.1 s reference)."""
    d = tmp_path_factory.mktemp("wavenet")
    out = {}
    for name in wavenet.PRESETS:
        path = str(d / f"{name}.onnx")
        report = export(
            wavenet.build(name), path, block_size=64, sample_rate=SR, reference_seconds=0.1
        )
        out[name] = (path, report)
    return out


@pytest.mark.parametrize(
    ("name", "layers", "channels", "rf"),
    [("wavenet1", 10, 16, 2047), ("wavenet2", 18, 8, 2045), ("wavenet3", 18, 16, 2045)],
)
def test_preset_sizes_and_parity(presets, name, layers, channels, rf) -> None:
    path, report = presets[name]
    # receptive field 1 + sum (k - 1) d: 1 + 2 * 1023 and 1 + 2 * 2 * 511
    assert report.receptive_field == rf == report.measured_receptive_field
    m = wavenet.build(name)
    assert len(m.layers) == layers and m.channels == channels
    assert all(layer.conv.kernel_size == (3,) for layer in m.layers)
    x, y_ref, meta = eu.reference(path)
    assert meta["nnfx.lookback"] == str(rf - 1)
    assert np.max(np.abs(eu.ort_run(path, x) - y_ref)) < TOL
    assert np.max(np.abs(y_ref)) > 1e-3  # the model does something
    assert not (eu.op_types(path) & eu.SHAPE_OPS)
    # MACs/sample: per layer C*2C*3 (dilated), C*C per residual (all layers but the last,
    # which feeds only the mixer), the 1x1 input (C) and the linear mixer (C * layers)
    macs = layers * channels * 2 * channels * 3 + (layers - 1) * channels * channels
    macs += channels + channels * layers
    assert report.macs_per_sample == macs


def test_plain_activation_and_stereo(tmp_path) -> None:
    m = wavenet.WaveNet([1, 2, 4, 8], 6, 3, "tanh", in_channels=2, out_channels=2, seed=3)
    path = str(tmp_path / "plain.onnx")
    r = export(m, path, block_size=16, sample_rate=SR, reference_seconds=0.02)
    assert r.receptive_field == 31 and (r.in_channels, r.out_channels) == (2, 2)
    x, y_ref, _ = eu.reference(path)
    assert np.max(np.abs(eu.ort_run(path, x) - y_ref)) < TOL


def test_film_knobs(tmp_path) -> None:
    m = wavenet.WaveNet([1, 2, 4], 8, params=default_knobs(), seed=1)
    path = str(tmp_path / "film.onnx")
    export(m, path, block_size=32, sample_rate=SR, reference_seconds=0.02)
    x, y_ref, meta = eu.reference(path)
    assert '"drive"' in meta["nnfx.params"] and '"tone"' in meta["nnfx.params"]
    assert np.max(np.abs(eu.ort_run(path, x) - y_ref)) < TOL
    padded = torch.from_numpy(np.concatenate([np.zeros((1, 14), np.float32), x], 1))[None]
    for knobs in ([0.0, 1.0], [1.0, 0.0]):
        with torch.no_grad():
            want = m.eval()(padded, torch.tensor([knobs]))[0].numpy()
        got = eu.ort_run(path, x, knobs)
        assert np.max(np.abs(got - want)) < TOL
        assert np.max(np.abs(got - y_ref)) > 1e-3  # each knob setting changes the sound


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="activation must be one of"):
        wavenet.WaveNet([1, 2], activation="swish")
    with pytest.raises(ValueError, match="at least one layer"):
        wavenet.WaveNet([])
