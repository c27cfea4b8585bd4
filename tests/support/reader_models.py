"""Small plain-PyTorch models exported with torch.onnx.export (dynamo=False), used as
sources for the reader tests and the hostile-file corpus.

They follow the file contract (audio_in/audio_out, state_in.k/state_out.k, the required
nnfx.* metadata added after export, no reference I/O) so that the full loader accepts
them, and they are real ONNX bytes as torch writes them (Conv, Slice with shape
arithmetic, Tanh/Sigmoid gates, LSTM, MatMul, Constant nodes holding int64 tensors).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn


class SmallTCN(nn.Module):
    """Two dilated causal convs (valid padding) with a residual crop."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv1d(1, 4, 3, dilation=1)
        self.c2 = nn.Conv1d(4, 4, 3, dilation=2)
        self.out = nn.Conv1d(4, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(self.c1(x))
        y = self.c2(h)
        y = torch.relu(y) + h[..., -y.shape[-1]:]
        return self.out(y)


class GatedBlock(nn.Module):
    """WaveNet-like gated block: conv -> chunk -> tanh*sigmoid, residual crop of the input."""

    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Conv1d(1, 4, 1)
        self.dil = nn.Conv1d(4, 8, 2, dilation=4)
        self.res = nn.Conv1d(4, 4, 1)
        self.out = nn.Conv1d(4, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        a, b = self.dil(h).chunk(2, dim=1)
        z = torch.tanh(a) * torch.sigmoid(b)
        h = self.res(z) + h[:, :, -z.shape[-1]:]
        return self.out(h)


class SmallLSTM(nn.Module):
    """LSTM with explicit state pairs and a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, 6, batch_first=True)
        self.head = nn.Linear(6, 1)

    def forward(
        self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        y, (h2, c2) = self.lstm(x.transpose(1, 2), (h, c))
        return self.head(y).transpose(1, 2), h2, c2


def export_models(out_dir: Path, block: int = 32) -> list[Path]:
    """Export the three models into out_dir; returns their paths (deterministic weights)."""
    import binding_models as bm
    import onnx

    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(1234)
    paths: list[Path] = []
    # (name, module, example inputs, input names, output names, look-back M)
    specs: list[tuple[str, nn.Module, tuple[torch.Tensor, ...], list[str], list[str], int]] = [
        ("tcn", SmallTCN(), (torch.randn(1, 1, 6 + block),), ["audio_in"], ["audio_out"], 6),
        ("gated", GatedBlock(), (torch.randn(1, 1, 4 + block),), ["audio_in"], ["audio_out"], 4),
        (
            "lstm",
            SmallLSTM(),
            (torch.randn(1, 1, block), torch.zeros(1, 1, 6), torch.zeros(1, 1, 6)),
            ["audio_in", "state_in.0", "state_in.1"],
            ["audio_out", "state_out.0", "state_out.1"],
            0,
        ),
    ]
    for name, model, args, inputs, outputs, lookback in specs:
        path = out_dir / f"{name}.onnx"
        model.eval()
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # legacy-exporter deprecation and tracer notes
            torch.onnx.export(
                model, args, str(path), input_names=inputs, output_names=outputs,
                opset_version=17, dynamo=False,
            )
        proto = onnx.load(str(path))
        bm.add_nnfx_metadata(
            proto, sample_rate=48000, block_size=block, lookback=lookback,
            receptive_field=lookback + 1, in_channels=1, out_channels=1, name=name,
        )
        onnx.save(proto, str(path))
        paths.append(path)
    return paths
