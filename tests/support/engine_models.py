"""Small causal models written in plain PyTorch (not from the zoo), exported the way a user
would (plain ``torch.onnx.export(..., dynamo=False)``) plus the nnfx metadata, and the tools
that run them through runtime_c's ``nnfx_run``. Used by tests/runtime/test_c_engine.py and
tests/runtime/test_c_runtime.py.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import binding_models as bm
import numpy as np
import onnx
import torch
import torch.nn as nn
from repo import RUNTIME
from runtime_build import compile_c_program

from nnfx import modelfile, testsignals


class TCN(nn.Module):
    """Dilated convolutions with residual paths cropped on the left to the conv's length."""

    def __init__(self, ch: int = 8, k: int = 3, dilations: tuple[int, ...] = (1, 2, 4, 8)):
        super().__init__()
        self.inp = nn.Conv1d(1, ch, 1)
        self.convs = nn.ModuleList(nn.Conv1d(ch, ch, k, dilation=d) for d in dilations)
        self.out = nn.Conv1d(ch, 1, 1)
        self.receptive_field = 1 + sum((k - 1) * d for d in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        for conv in self.convs:
            y = torch.tanh(conv(h))
            h = h[..., h.shape[-1] - y.shape[-1] :] + y
        return self.out(h)


class GatedWaveNet(nn.Module):
    """WaveNet-style gated block: chunk into tanh/sigmoid halves, residual and skip paths."""

    def __init__(self, ch: int = 6, k: int = 2, dilations: tuple[int, ...] = (1, 2, 4, 8, 16)):
        super().__init__()
        self.inp = nn.Conv1d(1, ch, 1)
        self.convs = nn.ModuleList(nn.Conv1d(ch, 2 * ch, k, dilation=d) for d in dilations)
        self.res = nn.ModuleList(nn.Conv1d(ch, ch, 1) for _ in dilations)
        self.skip = nn.ModuleList(nn.Conv1d(ch, ch, 1) for _ in dilations)
        self.out = nn.Conv1d(ch, 1, 1)
        self.receptive_field = 1 + sum((k - 1) * d for d in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        acc = None
        for conv, res, skip in zip(self.convs, self.res, self.skip, strict=True):
            a, b = conv(h).chunk(2, dim=1)
            g = torch.tanh(a) * torch.sigmoid(b)
            s = skip(g)
            acc = s if acc is None else acc[..., -s.shape[-1] :] + s
            h = h[..., -g.shape[-1] :] + res(g)
        return self.out(torch.relu(acc))


class LSTMNet(nn.Module):
    """Two-layer LSTM with its state as explicit inputs/outputs, linear head, residual."""

    def __init__(self, hidden: int = 12, layers: int = 2):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, num_layers=layers, batch_first=True)
        self.lin = nn.Linear(hidden, 1)
        self.receptive_field = 1
        self.state_shapes = [(layers, 1, hidden), (layers, 1, hidden)]

    def forward(self, x, h, c):  # noqa: ANN001, ANN201 - torch export signature
        y, (h2, c2) = self.lstm(x.transpose(1, 2), (h, c))
        return self.lin(y).transpose(1, 2) + x, h2, c2


class GRUNet(nn.Module):
    """Stereo GRU (sequence-first), linear head."""

    def __init__(self, hidden: int = 10):
        super().__init__()
        self.gru = nn.GRU(2, hidden)
        self.lin = nn.Linear(hidden, 2)
        self.receptive_field = 1
        self.state_shapes = [(1, 1, hidden)]

    def forward(self, x, h):  # noqa: ANN001, ANN201
        y, h2 = self.gru(x.permute(2, 0, 1), h)
        return self.lin(y).permute(1, 2, 0), h2


class ShapeMath(nn.Module):
    """Stereo; channel halves from chunk (traced as Shape/Gather/Div feeding Slice), time crop
    computed from shapes. Exported without constant folding, the arithmetic stays in the file."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(2, 8, 5)
        self.b = nn.Conv1d(2, 4, 3, dilation=3)
        self.o = nn.Conv1d(4, 2, 1)
        self.receptive_field = 7

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ga, gb = self.a(x).chunk(2, dim=1)
        g = torch.tanh(ga) * torch.sigmoid(gb)
        b = self.b(x)
        return self.o(g[..., g.shape[-1] - b.shape[-1] :] + b)


class KnobFiLM(nn.Module):
    """Two knobs through a small MLP (the knob subgraph) scaling and shifting conv features."""

    def __init__(self, ch: int = 6):
        super().__init__()
        self.c1 = nn.Conv1d(1, ch, 3, dilation=2)
        self.mlp = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2 * ch))
        self.c2 = nn.Conv1d(ch, 1, 2)
        self.receptive_field = 1 + 4 + 1
        self.param_specs = [
            {"name": "drive", "min": 0.0, "max": 1.0, "default": 0.5, "unit": ""},
            {"name": "tone", "min": -1.0, "max": 1.0, "default": 0.0, "unit": ""},
        ]

    def forward(self, x, params):  # noqa: ANN001, ANN201
        scale, shift = self.mlp(params).unsqueeze(-1).chunk(2, dim=1)
        h = torch.tanh(self.c1(x) * (1 + scale) + shift)
        return self.c2(h)


def make(name: str, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    cls = {"tcn": TCN, "gated": GatedWaveNet, "lstm": LSTMNet, "gru": GRUNet, "shape": ShapeMath,
           "knobs": KnobFiLM}
    return cls[name]().eval()


def in_channels(module: nn.Module) -> int:
    return 2 if isinstance(module, GRUNet | ShapeMath) else 1


def export(
    module: nn.Module,
    path: Path,
    block: int = 64,
    fold: bool = True,
    meta: dict[str, str] | None = None,
    reference: bool = True,
) -> onnx.ModelProto:
    """Plain torch.onnx.export, then the nnfx metadata added with the onnx package."""
    states = getattr(module, "state_shapes", [])
    knobs = getattr(module, "param_specs", [])
    m = module.receptive_field - 1
    cin = in_channels(module)
    args = (torch.zeros(1, cin, m + block),)
    if knobs:
        args += (torch.tensor([[k["default"] for k in knobs]], dtype=torch.float32),)
    args += tuple(torch.zeros(*s) for s in states)
    names_in = ["audio_in"] + (["params"] if knobs else [])
    names_in += [f"state_in.{i}" for i in range(len(states))]
    names_out = ["audio_out"] + [f"state_out.{i}" for i in range(len(states))]
    buf = io.BytesIO()
    torch.onnx.export(
        module, args, buf, dynamo=False, input_names=names_in, output_names=names_out,
        opset_version=17, do_constant_folding=fold,
    )
    proto = onnx.load_from_string(buf.getvalue())
    x = signal(cin, 480, seed=3) if reference else None
    bm.add_nnfx_metadata(
        proto, meta, sample_rate=48000, block_size=block, lookback=m, receptive_field=m + 1,
        params=knobs or None, name=type(module).__name__, reference_input=x,
        reference_output=None if x is None else torch_reference(module, x),
        reference_tolerance="1e-5" if reference else None,
    )
    onnx.save(proto, str(path))
    return proto


def signal(channels: int, frames: int, seed: int = 5) -> np.ndarray:
    """A 220 Hz sine plus noise, [channels, frames] float32."""
    tone = testsignals.sine(frames, 220.0, 48000, amplitude=0.6)
    return (tone + testsignals.noise_channels(channels, frames, seed, amplitude=0.3)).astype(
        np.float32
    )


def torch_reference(
    module: nn.Module, x: np.ndarray, knobs: list[float] | None = None
) -> np.ndarray:
    """The module run on x as one signal from silence: M zeros before it, zero state; knob
    values `knobs` (default: the defaults) for a module with param_specs."""
    xt = torch.from_numpy(x)[None]
    with torch.no_grad():
        states = getattr(module, "state_shapes", [])
        specs = getattr(module, "param_specs", [])
        if specs:
            vals = knobs if knobs is not None else [k["default"] for k in specs]
            p = torch.tensor([vals], dtype=torch.float32)
            y = module(torch.nn.functional.pad(xt, (module.receptive_field - 1, 0)), p)
        elif states:
            y = module(xt, *[torch.zeros(*s) for s in states])[0]
        else:
            y = module(torch.nn.functional.pad(xt, (module.receptive_field - 1, 0)))
    return y[0].numpy().astype(np.float32)


def build_nnfx_run(out_dir: Path, cc: str = "gcc") -> Path:
    """Compile runtime_c/tools/nnfx_run.c with every runtime source into out_dir."""
    return compile_c_program(RUNTIME / "tools" / "nnfx_run.c", out_dir / "nnfx_run", cc=cc)


def run_nnfx(
    exe: Path, model: Path, x: np.ndarray, work: Path, block: int, mode: str, out_ch: int,
    params: dict[str, float] | None = None,
) -> np.ndarray:
    """Process x [channels, frames] with nnfx_run in host calls of `block` frames."""
    xin, yout = work / "in.f32", work / "out.f32"
    np.ascontiguousarray(x, dtype=np.float32).tofile(xin)
    knobs = [a for k, v in (params or {}).items() for a in ("--param", f"{k}={v!r}")]
    proc = subprocess.run(
        [str(exe), str(model), str(xin), str(yout), "--block", str(block), "--mode", mode,
         *knobs],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return np.fromfile(yout, dtype=np.float32).reshape(out_ch, -1)


def load_message(exe: Path, model: Path, mode: str = "stream") -> tuple[int, str]:
    """Exit status and stderr of `nnfx_run --info` (a load attempt)."""
    proc = subprocess.run(
        [str(exe), "--info", str(model), "--mode", mode], capture_output=True, text=True
    )
    return proc.returncode, proc.stderr.strip()


def set_meta(path: Path, **kv: str) -> None:
    """Set ``nnfx.<key>`` values of a saved file (in place where the key exists)."""
    proto = onnx.load(str(path))
    modelfile.set_metadata(proto, {"nnfx." + k: v for k, v in kv.items()})
    onnx.save(proto, str(path))
