"""nnfx.export on users' own modules: what is accepted, what is refused and why.

Tolerances: ONNX Runtime against PyTorch on O(1) signals through a few float32
convolutions differs by summation order only (a few ulp, < 1e-6); we allow 1e-5. The
exporter's own tolerance is 1e-4 relative to the output peak; tests that must be refused
miss by orders of magnitude more.
"""

from __future__ import annotations

import json
import os

import export_util as eu
import numpy as np
import pytest
import torch
from torch import nn

from nnfx.exporter.base import ExportInfo, ParamSpec
from nnfx.exporter.export_onnx import ExportError, export

SR = 48000
TOL = 1e-5


class ResidualTCN(nn.Module):
    """A user's causal module: valid dilated convolutions, residuals by right-aligned crops."""

    def __init__(self, cin: int = 1, cout: int = 1, channels: int = 6) -> None:
        super().__init__()
        torch.manual_seed(5)
        self.inp = nn.Conv1d(cin, channels, 1)
        self.c1 = nn.Conv1d(channels, channels, 3, dilation=1)
        self.c2 = nn.Conv1d(channels, channels, 3, dilation=2)
        self.c3 = nn.Conv1d(channels, channels, 2, dilation=4)
        self.out = nn.Conv1d(channels, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        for conv in (self.c1, self.c2, self.c3):
            z = torch.tanh(conv(h))
            h = z + h[..., -z.shape[-1] :]
        return self.out(h) + x[..., -h.shape[-1] :].mean(dim=1, keepdim=True)


class KnobTCN(nn.Module):
    """A user's module with one knob: params [1, 1] scales the drive."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(9)
        self.c = nn.Conv1d(1, 4, 5)
        self.o = nn.Conv1d(4, 1, 1)

    def forward(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        return self.o(torch.tanh(self.c(x) * (1.0 + 4.0 * params[:, :1, None])))


class Centered(nn.Module):  # looks one frame into the future
    def __init__(self) -> None:
        super().__init__()
        self.c = nn.Conv1d(1, 1, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c(x)


class LeftPadded(nn.Module):  # causal, but hides its look-back by padding
    def __init__(self) -> None:
        super().__init__()
        self.c = nn.Conv1d(1, 1, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c(nn.functional.pad(x, (2, 0)))


class Integrator(nn.Module):  # unbounded memory: y[t] = sum of all x up to t
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(x, dim=-1)


def test_user_residual_module_exports_and_matches(tmp_path) -> None:
    path = str(tmp_path / "user.onnx")
    r = export(ResidualTCN(), path, block_size=32, sample_rate=SR, reference_seconds=0.05)
    assert r.lookback == 2 + 4 + 4  # (3-1)*1 + (3-1)*2 + (2-1)*4
    assert r.measured_receptive_field == r.receptive_field == 11
    x, y_ref, meta = eu.reference(path)
    assert np.max(np.abs(eu.ort_run(path, x) - y_ref)) < TOL
    assert not (eu.op_types(path) & eu.SHAPE_OPS)
    for key in eu.REQUIRED_KEYS:
        assert key in meta, key
    assert meta["nnfx.lookback"] == "10" and meta["nnfx.block_size"] == "32"
    assert json.loads(meta["nnfx.architecture"])["kind"] == "custom"
    # the stored reference output is PyTorch's run from silence
    m = ResidualTCN().eval()
    with torch.no_grad():
        want = m(torch.from_numpy(np.concatenate([np.zeros((1, 10), np.float32), x], 1))[None])
    assert np.max(np.abs(want[0].numpy() - y_ref)) < TOL
    # the reference starts with the impulse and is at most one second long
    assert x[0, 0] != 0 and x.shape[1] <= SR and int(meta["nnfx.reference_length"]) == x.shape[1]


def test_stereo_module(tmp_path) -> None:
    path = str(tmp_path / "stereo.onnx")
    r = export(ResidualTCN(2, 2), path, block_size=16, sample_rate=SR, reference_seconds=0.02)
    assert (r.in_channels, r.out_channels) == (2, 2)
    x, y_ref, _ = eu.reference(path)
    assert x.shape[0] == 2 and not np.array_equal(x[0], x[1])  # the channels differ
    assert np.max(np.abs(eu.ort_run(path, x) - y_ref)) < TOL


def test_knob_module_and_variants(tmp_path) -> None:
    path = str(tmp_path / "knob.onnx")
    knobs = [ParamSpec("drive", 0.0, 1.0, 0.25, "")]
    export(KnobTCN(), path, block_size=8, sample_rate=SR, params=knobs, reference_seconds=0.02)
    x, y_ref, meta = eu.reference(path)
    assert json.loads(meta["nnfx.params"]) == [
        {"name": "drive", "min": 0.0, "max": 1.0, "default": 0.25, "unit": ""}
    ]
    assert json.loads(meta["nnfx.reference_params"]) == [0.25]
    assert np.max(np.abs(eu.ort_run(path, x) - y_ref)) < TOL
    # another knob value: ORT and PyTorch agree and the sound changes
    m = KnobTCN().eval()
    with torch.no_grad():
        xp = torch.from_numpy(np.concatenate([np.zeros((1, 4), np.float32), x], 1))[None]
        want = m(xp, torch.tensor([[0.9]]))[0].numpy()
    got = eu.ort_run(path, x, [0.9])
    assert np.max(np.abs(got - want)) < TOL
    assert np.max(np.abs(got - y_ref)) > 1e-2


def test_refuses_non_causal(tmp_path) -> None:
    path = tmp_path / "nc.onnx"
    with pytest.raises(ExportError, match="not causal"):
        export(Centered(), path, block_size=64, sample_rate=SR)
    assert not os.path.exists(path)


def test_refuses_hidden_lookback(tmp_path) -> None:
    with pytest.raises(ExportError, match="depends on input 2 frames back"):
        export(LeftPadded(), tmp_path / "p.onnx", block_size=64, sample_rate=SR)


def test_refuses_unbounded_receptive_field(tmp_path) -> None:
    with pytest.raises(ExportError, match="receptive field cannot be established"):
        export(Integrator(), tmp_path / "i.onnx", block_size=64, sample_rate=SR, in_channels=1)


def test_refuses_wrong_claim(tmp_path) -> None:
    m = ResidualTCN()
    m.nnfx_info = ExportInfo(in_channels=1, out_channels=1, receptive_field=20)
    with pytest.raises(ExportError, match="claims a receptive field of 20"):
        export(m, tmp_path / "c.onnx", block_size=64, sample_rate=SR)


def test_refuses_on_engine_mismatch(tmp_path) -> None:
    def broken(case):  # an engine that is off by 0.01 everywhere
        return case.reference_input[:1] * 0.0 + 0.01

    path = tmp_path / "m.onnx"
    with pytest.raises(ExportError, match="broken does not match PyTorch.*nothing written"):
        export(
            ResidualTCN(),
            path,
            block_size=64,
            sample_rate=SR,
            reference_seconds=0.01,
            engines={"broken": broken},
        )
    assert not os.listdir(tmp_path)  # neither the file nor its temporary


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"block_size": 0}, "block size"),
        ({"block_size": 70000}, "block size"),
        ({"sample_rate": 10}, "sample rate"),
        ({"opset": 13}, "opset 17"),
        ({"reference_seconds": 2.0}, "reference_seconds"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message) -> None:
    args = {"block_size": 64, "sample_rate": SR, **kwargs}
    with pytest.raises(ExportError, match=message):
        export(ResidualTCN(), tmp_path / "m.onnx", **args)


def test_missing_directory(tmp_path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        export(ResidualTCN(), tmp_path / "no" / "m.onnx", block_size=64, sample_rate=SR)


class UserLSTM(nn.Module):
    """A user's recurrent module without nnfx_info: state shapes passed to export."""

    def __init__(self, bidirectional: bool = False) -> None:
        super().__init__()
        torch.manual_seed(2)
        self.rnn = nn.LSTM(1, 6, 1, bidirectional=bidirectional)
        self.head = nn.Linear(12 if bidirectional else 6, 1)

    def forward(self, x, h, c):
        y, (h2, c2) = self.rnn(x.permute(2, 0, 1), (h, c))
        return self.head(y).permute(1, 2, 0), h2, c2


def test_user_recurrent_module(tmp_path) -> None:
    path = str(tmp_path / "rnn.onnx")
    r = export(
        UserLSTM(),
        path,
        block_size=16,
        sample_rate=SR,
        state_shapes=[(1, 1, 6), (1, 1, 6)],
        reference_seconds=0.02,
    )
    assert r.lookback == 0 and r.state_shapes == [(1, 1, 6), (1, 1, 6)]
    x, y_ref, _ = eu.reference(path)
    assert np.max(np.abs(eu.ort_run(path, x) - y_ref)) < TOL


def test_refuses_bidirectional_recurrent(tmp_path) -> None:
    with pytest.raises(ExportError, match="not causal"):
        export(
            UserLSTM(bidirectional=True),
            tmp_path / "bi.onnx",
            block_size=16,
            sample_rate=SR,
            state_shapes=[(2, 1, 6), (2, 1, 6)],
        )


def test_missing_params_is_explained(tmp_path) -> None:
    with pytest.raises(ExportError, match="needs params="):
        export(KnobTCN(), tmp_path / "k.onnx", block_size=16, sample_rate=SR)
