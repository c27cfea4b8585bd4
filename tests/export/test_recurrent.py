"""LSTM/GRU amps: state carried across blocks, knobs, export with state pairs, parity.

Tolerance 1e-5 (absolute): outputs are O(0.1-1); a recurrent cell over a few thousand
frames in float32 accumulates rounding differences between PyTorch's and ONNX Runtime's
gate arithmetic of about 1e-7 (measured 6e-8), and a state that is dropped or reset at a
block boundary gives errors of 1e-2 or more.
"""

from __future__ import annotations

import export_util as eu
import numpy as np
import onnx
import pytest
import torch

from nnfx import testsignals
from nnfx.exporter import recurrent
from nnfx.exporter.export_onnx import export
from nnfx.exporter.film import default_knobs

TOL = 1e-5
SR = 48000


def _zero_state(m: recurrent.RecurrentAmp) -> list[torch.Tensor]:
    return [torch.zeros(s) for s in m.nnfx_info.state_shapes]


@pytest.mark.parametrize(("cell", "layers"), [("lstm", 1), ("gru", 2), ("lstm", 3)])
def test_state_across_blocks_equals_one_run(cell, layers) -> None:
    m = recurrent.RecurrentAmp(cell, 12, layers, seed=4).eval()
    x = torch.from_numpy(testsignals.reference(1000, 1, SR))[None]
    with torch.no_grad():
        whole = m(x, *_zero_state(m))[0]
        state = _zero_state(m)
        parts = []
        for start in range(0, 1000, 37):  # odd block length, not dividing the signal
            y, *state = m(x[..., start : start + 37], *state)
            parts.append(y)
    blocks = torch.cat(parts, dim=-1)
    assert torch.max(torch.abs(blocks - whole)) < TOL
    # and the state matters: restarting from zero at every block is audibly different
    with torch.no_grad():
        fresh = torch.cat(
            [m(x[..., s : s + 37], *_zero_state(m))[0] for s in range(0, 1000, 37)], dim=-1
        )
    assert torch.max(torch.abs(fresh - whole)) > 1e-3


@pytest.mark.parametrize("name", ["lstm16", "gru16", "lstm32x2"])
def test_preset_exports_with_state_pairs(tmp_path, name) -> None:
    path = str(tmp_path / f"{name}.onnx")
    r = export(recurrent.build(name), path, block_size=32, sample_rate=SR, reference_seconds=0.05)
    assert r.lookback == 0 and r.receptive_field == 1
    cell, hidden, layers = recurrent.PRESETS[name]
    g = onnx.load(path).graph
    inputs = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in g.input}
    outputs = {o.name for o in g.output}
    n_state = 2 if cell == "lstm" else 1
    for k in range(n_state):
        assert inputs[f"state_in.{k}"] == [layers, 1, hidden]
        assert f"state_out.{k}" in outputs
    assert inputs["audio_in"] == [1, 1, 32]
    assert cell.upper() in eu.op_types(path)
    x, y_ref, meta = eu.reference(path)
    assert meta["nnfx.lookback"] == "0"
    assert np.max(np.abs(eu.ort_run(path, x) - y_ref)) < TOL
    # MACs/sample: gates x hidden x (inputs + hidden) per layer, plus the head
    gates = 4 if cell == "lstm" else 3
    macs = gates * hidden * (1 + hidden) + (layers - 1) * gates * hidden * 2 * hidden + hidden
    assert r.macs_per_sample == macs


def test_knobs_and_skip(tmp_path) -> None:
    m = recurrent.RecurrentAmp("lstm", 8, 1, 2, 2, params=default_knobs(), seed=2)
    path = str(tmp_path / "k.onnx")
    export(m, path, block_size=16, sample_rate=SR, reference_seconds=0.02)
    x, y_ref, meta = eu.reference(path)
    assert meta["nnfx.in_channels"] == "2" and meta["nnfx.out_channels"] == "2"
    assert np.max(np.abs(eu.ort_run(path, x) - y_ref)) < TOL
    m.eval()
    with torch.no_grad():
        want = m(torch.from_numpy(x)[None], torch.tensor([[1.0, 0.0]]), *_zero_state(m))[0]
    got = eu.ort_run(path, x, [1.0, 0.0])
    assert np.max(np.abs(got - want[0].numpy())) < TOL
    assert np.max(np.abs(got - y_ref)) > 1e-3
    # the input skip: with the head zeroed, the output is the input
    with torch.no_grad():
        m.head.weight.zero_()
        m.head.bias.zero_()
        y = m(torch.from_numpy(x)[None], torch.tensor([[0.5, 0.5]]), *_zero_state(m))[0]
    assert torch.equal(y[0], torch.from_numpy(x))


def test_bad_sizes() -> None:
    with pytest.raises(ValueError, match="hidden must be 4..128"):
        recurrent.RecurrentAmp("lstm", 200)
    with pytest.raises(ValueError, match="layers must be 1..3"):
        recurrent.RecurrentAmp("gru", 8, 4)
    with pytest.raises(ValueError, match="cell must be one of"):
        recurrent.RecurrentAmp("rnn", 8)
