"""Streaming TorchScript for nn~ (``nnfx.export_torchscript``).

nn~ (acids-ircam/nn_tilde) loads a TorchScript file and, for each audio buffer, calls a
method (here ``forward``) with a float tensor ``[batch, in_channels, frames]`` and expects
``[batch, out_channels, frames]`` back. It finds the methods through ``get_methods()`` and
the buffer ``forward_params = [in_channels, in_ratio, out_channels, out_ratio]`` (ratios 1:
audio rate in and out); settable attributes through ``get_attributes()``, each with a
``<name>_params`` tensor of type codes (2 = float), ``get_<name>()`` and ``set_<name>(v)``
returning 0.

The written module keeps what a host would keep between calls: the last ``M`` input frames
(look-back models) or the recurrent state, one per batch row, so that its output at any
buffer size (1, 64, 4096 frames) equals one run over the whole signal, i.e. the ONNX file's
output. Knobs are attributes, clamped to their range. ``reset()`` clears history and state.

The module is traced (``torch.jit.trace``) inside a scripted streaming shell whose code is
generated for the module's knobs and state (nn~ needs one getter and setter per knob).
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from nnfx.exporter.base import ParamSpec
from nnfx.exporter.export_onnx import (
    GraphWrapper,
    ModuleSpec,
    describe_module,
    measure_module,
    reference_io,
)
from nnfx.exporter.measure import ExportError


@dataclass
class TorchScriptReport:
    path: str
    name: str
    in_channels: int
    out_channels: int
    lookback: int
    attributes: list[str]
    errors: dict[int, float]  # buffer size -> max abs error against PyTorch on the reference

    def summary(self) -> str:
        errs = ", ".join(f"buffer {k}: {v:.3g}" for k, v in self.errors.items())
        return (
            f"wrote {self.path}: {self.name} for nn~, {self.in_channels} -> {self.out_channels} "
            f"channels, look-back {self.lookback}, attributes: "
            f"{', '.join(self.attributes) or 'none'}; streaming check max error {errs}"
        )


def _ident(name: str) -> str:
    s = re.sub(r"\W", "_", name)
    return s if s and not s[0].isdigit() else f"k_{s}"


def _source(spec: ModuleSpec, lookback: int, out_channels: int) -> str:
    knobs = [_ident(p.name) for p in spec.params]
    if len(set(knobs)) != len(knobs):
        raise ExportError(f"knob names collide as attribute names: {knobs}")
    cin = spec.in_channels
    lines = [
        "import torch",
        "from typing import List",
        "",
        "",
        "class NnfxStream(torch.nn.Module):",
        "    def __init__(self, inner: torch.nn.Module, defaults: List[float]) -> None:",
        "        super().__init__()",
        "        self.inner = inner",
        "        self.register_buffer('forward_params', "
        f"torch.tensor([{cin}, 1, {out_channels}, 1]))",
        f"        self.register_buffer('history', torch.zeros(1, {cin}, {lookback}))",
        "        self.register_buffer('knobs', torch.tensor([defaults], dtype=torch.float32))",
    ]
    for k, shape in enumerate(spec.state_shapes):
        lines.append(f"        self.register_buffer('state_{k}', torch.zeros({list(shape)}))")
    for name in knobs:
        lines.append(f"        self.register_buffer('{name}_params', torch.tensor([2]))")
    lines += [
        "",
        "    @torch.jit.export",
        "    def get_methods(self) -> List[str]:",
        "        return ['forward']",
        "",
        "    @torch.jit.export",
        "    def get_attributes(self) -> List[str]:",
        f"        return {knobs!r}",
        "",
        "    @torch.jit.export",
        "    def reset(self) -> int:",
        "        self.history = torch.zeros_like(self.history)",
    ]
    for k in range(len(spec.state_shapes)):
        lines.append(f"        self.state_{k} = torch.zeros_like(self.state_{k})")
    lines.append("        return 0")
    for i, (name, p) in enumerate(zip(knobs, spec.params, strict=True)):
        lines += [
            "",
            "    @torch.jit.export",
            f"    def get_{name}(self) -> float:",
            f"        return float(self.knobs[0, {i}].item())",
            "",
            "    @torch.jit.export",
            f"    def set_{name}(self, value: float) -> int:",
            f"        v = min(max(float(value), {float(p.minimum)!r}), {float(p.maximum)!r})",
            "        k = self.knobs.clone()",
            f"        k[0, {i}] = v",
            "        self.knobs = k",
            "        return 0",
        ]
    call = ["w"] + (["self.knobs"] if spec.params else [])
    states = [f"self.state_{k}[:, b : b + 1]" for k in range(len(spec.state_shapes))]
    lines += [
        "",
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
        "        x = x.to(torch.float32)",
        "        batch = x.shape[0]",
        "        n = x.shape[2]",
        "        if self.history.shape[0] != batch:",
        f"            self.history = torch.zeros(batch, {cin}, {lookback})",
    ]
    for k, shape in enumerate(spec.state_shapes):
        lines.append(
            f"            self.state_{k} = torch.zeros({shape[0]}, batch, {shape[2]})"
            if len(shape) == 3
            else f"            self.state_{k} = torch.zeros({list(shape)})"
        )
    lines += [
        "        window = torch.cat([self.history, x], dim=2)",
        "        ys: List[torch.Tensor] = []",
    ]
    for k in range(len(spec.state_shapes)):
        lines.append(f"        new_{k}: List[torch.Tensor] = []")
    lines += [
        "        for b in range(batch):",
        "            w = window[b : b + 1]",
    ]
    if spec.state_shapes:
        outs = ", ".join(["y"] + [f"s{k}" for k in range(len(spec.state_shapes))])
        lines.append(f"            {outs} = self.inner({', '.join(call + states)})")
        for k in range(len(spec.state_shapes)):
            lines.append(f"            new_{k}.append(s{k})")
    else:
        lines.append(f"            y = self.inner({', '.join(call)})")
    lines += [
        "            ys.append(y)",
        f"        self.history = window[:, :, n : n + {lookback}]",
    ]
    for k in range(len(spec.state_shapes)):
        lines.append(f"        self.state_{k} = torch.cat(new_{k}, dim=1)")
    lines += ["        return torch.cat(ys, dim=0)", ""]
    return "\n".join(lines)


def _load_source(source: str, directory: str) -> Any:
    path = os.path.join(directory, "nnfx_stream_generated.py")
    with open(path, "w") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("nnfx_stream_generated", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["nnfx_stream_generated"] = mod
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.modules.pop("nnfx_stream_generated", None)
    return mod


def _trace_inner(
    module: torch.nn.Module, spec: ModuleSpec, lookback: int
) -> torch.jit.ScriptModule:
    def example(frames: int) -> tuple[torch.Tensor, ...]:
        g = torch.Generator().manual_seed(frames)
        args = [torch.rand((1, spec.in_channels, lookback + frames), generator=g) - 0.5]
        if spec.params:
            args.append(torch.tensor([[p.default for p in spec.params]], dtype=torch.float32))
        args += [torch.zeros(s) for s in spec.state_shapes]
        return tuple(args)

    wrapper = GraphWrapper(module, len(spec.state_shapes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(wrapper, example(64), check_trace=False)
    # the trace must not have frozen the block length: compare at other lengths
    for frames in (1, 7, 300):
        args = example(frames)
        with torch.no_grad():
            want, got = wrapper(*args), traced(*args)
        want = want if isinstance(want, tuple) else (want,)
        got = got if isinstance(got, tuple) else (got,)
        for a, b in zip(want, got, strict=True):
            if a.shape != b.shape or not torch.allclose(a, b, rtol=1e-5, atol=1e-6):
                raise ExportError(
                    f"the traced module does not generalise to {frames}-frame blocks "
                    f"(shape {tuple(b.shape)} vs {tuple(a.shape)}): it may depend on the input "
                    f"length in Python code"
                )
    return traced


def drive_like_nn_tilde(
    model: Any, x: np.ndarray, buffer_size: int, attributes: dict[str, float] | None = None
) -> np.ndarray:
    """Run ``x`` ``[C_in, L]`` through a loaded nn~ module as nn~ does; returns ``[C_out, L]``.

    Per buffer: one ``[1, 1, n]`` tensor per input channel concatenated on dim 1, reshaped
    to ``[batch, in_dim, -1, in_ratio]`` and the last ratio index selected, then the method
    called under inference mode; a short last buffer is zero-padded and its output cut.
    """
    params = model.forward_params
    in_dim, in_ratio, out_dim = int(params[0]), int(params[1]), int(params[2])
    for name, value in (attributes or {}).items():
        if name not in model.get_attributes():
            raise KeyError(name)
        if int(getattr(model, f"{name}_params")[0]) != 2:
            raise ValueError(f"attribute {name} is not a float")
        if getattr(model, f"set_{name}")(float(value)) != 0:
            raise RuntimeError(f"set_{name} failed")
    if "forward" not in model.get_methods():
        raise RuntimeError("model has no forward method for nn~")
    length = x.shape[1]
    out = np.zeros((out_dim, length), np.float32)
    with torch.inference_mode():
        for start in range(0, length, buffer_size):
            chunk = np.zeros((x.shape[0], buffer_size), np.float32)
            piece = x[:, start : start + buffer_size]
            chunk[:, : piece.shape[1]] = piece
            bufs = [torch.from_numpy(chunk[c].copy()).reshape(1, 1, -1) for c in range(in_dim)]
            t = torch.cat(bufs, 1).reshape(1, in_dim, -1, in_ratio).select(-1, -1)
            y = model.forward(t)
            out[:, start : start + piece.shape[1]] = y.reshape(out_dim, -1).numpy()[
                :, : piece.shape[1]
            ]
    return out


def export_torchscript(
    module: torch.nn.Module,
    path: str | os.PathLike[str],
    *,
    sample_rate: int = 48000,
    params: Sequence[ParamSpec] | None = None,
    name: str | None = None,
    in_channels: int | None = None,
    state_shapes: Sequence[Sequence[int]] | None = None,
    check_buffer_sizes: Sequence[int] = (64,),
    check_seconds: float = 0.1,
    tolerance: float = 1e-4,
) -> TorchScriptReport:
    """Write a streaming TorchScript file for nn~ and check it against PyTorch."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ExportError(f"output directory {directory} does not exist")
    if not isinstance(module, torch.nn.Module):
        raise ExportError(f"expected a torch.nn.Module, got {type(module).__name__}")
    was_training = module.training
    module.eval()
    try:
        spec = describe_module(module, params, in_channels, state_shapes, name, None, None)
        lookback, _ = measure_module(module, spec)
        length = max(1, int(check_seconds * sample_rate))
        ref_in, ref_out = reference_io(module, spec, lookback, length, sample_rate)
        cout = ref_out.shape[0]
        inner = _trace_inner(module, spec, lookback)
        with tempfile.TemporaryDirectory() as tmp:
            gen = _load_source(_source(spec, lookback, cout), tmp)
            shell = gen.NnfxStream(inner, [float(p.default) for p in spec.params])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scripted = torch.jit.script(shell)
        scripted.save(path)
    finally:
        module.train(was_training)
    loaded = torch.jit.load(path)
    errors: dict[int, float] = {}
    abs_tol = tolerance * max(1.0, float(np.max(np.abs(ref_out))))
    for size in check_buffer_sizes:
        loaded.reset()
        got = drive_like_nn_tilde(loaded, ref_in, int(size))
        err = float(np.max(np.abs(got - ref_out)))
        if not np.isfinite(err) or err > abs_tol:
            os.remove(path)
            raise ExportError(
                f"the TorchScript file does not match PyTorch at buffer size {size}: max abs "
                f"error {err:.3g} (tolerance {abs_tol:.3g}); nothing written"
            )
        errors[int(size)] = err
    loaded.reset()
    return TorchScriptReport(
        path=path,
        name=spec.name,
        in_channels=spec.in_channels,
        out_channels=cout,
        lookback=lookback,
        attributes=[_ident(p.name) for p in spec.params],
        errors=errors,
    )
