"""Export a PyTorch module to the self-checking nnfx model file (``nnfx.export``).

Steps (each a function below):

1. ``describe_module``: in/out channels, knobs, state shapes, claimed receptive field, from
   ``module.nnfx_info`` (zoo modules) or the arguments / the module's first layer.
2. ``measure_module``: the look-back by shape and the receptive field by perturbation
   (exporter/measure.py); a non-causal module or one with unbounded memory is refused;
   the module's own claim must agree with the measurement.
3. ``_trace``: ``torch.onnx.export(dynamo=False)`` of a wrapper with the file's input and
   output names and fixed shapes, then ``graph_simplify.simplify``.
4. ``reference_io``: the deterministic reference input (python/nnfx/testsignals.py) and what
   PyTorch gives for it, run as one signal from silence.
5. ``_metadata``: every ``nnfx.*`` key of docs/model-file.md, through ``nnfx.modelfile``.
6. ``_check_engines``: every engine in ``ENGINES`` (ONNX Runtime; the C runtime plugs in
   here) runs the candidate file block by block as a host would and must match PyTorch;
   otherwise nothing is written and ``ExportError`` says by how much it missed.
7. The candidate file is renamed into place.
"""

from __future__ import annotations

import copy
import io
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
import torch

from nnfx import modelfile
from nnfx.engines import OrtEngine, exporter_engine
from nnfx.exporter import graph_simplify, graph_stats, measure
from nnfx.exporter.base import ExportInfo, ParamSpec
from nnfx.exporter.measure import ExportError

DEFAULT_TOLERANCE = 1e-4  # relative to the reference output's peak (at least 1)
__all__ = [
    "export",
    "ExportReport",
    "ExportError",
    "ENGINES",
    "EngineCase",
    "ModuleSpec",
    "describe_module",
    "measure_module",
    "reference_io",
    "default_knobs",
    "GraphWrapper",
]


@dataclass
class ExportReport:
    """What ``export`` wrote and the figures it measured."""

    path: str
    name: str
    sample_rate: int
    block_size: int
    lookback: int
    receptive_field: int  # M + 1
    measured_receptive_field: int | None  # by perturbation; None for recurrent models
    in_channels: int
    out_channels: int
    params: list[ParamSpec]
    state_shapes: list[tuple[int, ...]]
    parameter_count: int
    macs_per_sample: int
    reference_length: int
    tolerance: float  # absolute max error a host accepts on the reference
    errors: dict[str, float] = field(default_factory=dict)  # engine -> max abs error
    ops: dict[str, int] = field(default_factory=dict)
    file_bytes: int = 0

    def summary(self) -> str:
        ms = 1000.0 * self.receptive_field / self.sample_rate
        lines = [
            f"wrote {self.path} ({self.file_bytes} bytes): {self.name}",
            f"  channels {self.in_channels} -> {self.out_channels}, block {self.block_size}, "
            f"look-back {self.lookback}, receptive field {self.receptive_field} frames "
            f"({ms:.2f} ms at {self.sample_rate} Hz)",
            f"  {self.parameter_count} parameters, {self.macs_per_sample} MACs/sample, "
            f"knobs: {', '.join(p.name for p in self.params) or 'none'}, "
            f"state: {', '.join(str(list(s)) for s in self.state_shapes) or 'none'}",
            "  ops: " + ", ".join(f"{k} x{v}" for k, v in sorted(self.ops.items())),
            "  reference check ("
            + str(self.reference_length)
            + " frames): "
            + ", ".join(f"{k} max error {v:.3g}" for k, v in self.errors.items())
            + f" (tolerance {self.tolerance:.3g})",
        ]
        return "\n".join(lines)


@dataclass
class ModuleSpec:
    """What the file will say about a module before it is measured (``describe_module``)."""

    in_channels: int
    out_channels: int | None
    params: list[ParamSpec]
    state_shapes: list[tuple[int, ...]]
    claimed_rf: int | None
    architecture: dict[str, Any]
    name: str
    description: str


@dataclass
class EngineCase:
    """Everything an engine needs to run the candidate file on the reference."""

    model_path: str  # the candidate file, with all metadata
    model_bytes: bytes
    reference_input: np.ndarray  # float32 [C_in, L]
    params: np.ndarray  # float32 [1, P] (P may be 0)
    block_size: int
    lookback: int
    state_shapes: list[tuple[int, ...]]
    out_channels: int


Engine = Callable[[EngineCase], np.ndarray]  # returns float32 [C_out, L]


# ----------------------------------------------------------------------------- describe


def describe_module(
    module: torch.nn.Module,
    params: Sequence[ParamSpec] | None,
    in_channels: int | None,
    state_shapes: Sequence[Sequence[int]] | None,
    name: str | None,
    description: str | None,
    architecture: dict[str, Any] | None,
) -> ModuleSpec:
    """The module's channels, knobs, state shapes, claimed receptive field and names, from
    the arguments, else ``module.nnfx_info``, else its first layer; ExportError if unknown."""
    info: ExportInfo | None = getattr(module, "nnfx_info", None)
    if info is not None and not isinstance(info, ExportInfo):
        raise ExportError("module.nnfx_info must be an nnfx.exporter.base.ExportInfo")
    cin = in_channels or (info.in_channels if info else None) or measure.first_channels(module)
    if cin is None:
        raise ExportError(
            "cannot tell the module's input channels: pass in_channels= (or give it nnfx_info)"
        )
    knobs = list(params) if params is not None else (list(info.params) if info else [])
    for p in knobs:
        if not isinstance(p, ParamSpec):
            raise ExportError(f"params must be ParamSpec objects, got {type(p).__name__}")
        if not (p.minimum <= p.default <= p.maximum):
            raise ExportError(
                f"knob {p.name!r}: default {p.default} is outside [{p.minimum}, {p.maximum}]"
            )
    states = (
        [tuple(int(d) for d in s) for s in state_shapes]
        if state_shapes is not None
        else ([tuple(s) for s in info.state_shapes] if info else [])
    )
    arch = architecture or (dict(info.architecture) if info and info.architecture else {})
    if not arch:
        arch = {"kind": "custom", "class": type(module).__name__}
    return ModuleSpec(
        in_channels=int(cin),
        out_channels=info.out_channels if info else None,
        params=knobs,
        state_shapes=states,
        claimed_rf=info.receptive_field if info else None,
        architecture=arch,
        name=name or (info.name if info and info.name else type(module).__name__),
        description=description or (info.description if info else ""),
    )


def default_knobs(spec: ModuleSpec) -> torch.Tensor:
    """The ``params`` input ``[1, P]`` at the knobs' defaults."""
    return torch.tensor([[p.default for p in spec.params]], dtype=torch.float32)


def _call(
    module: torch.nn.Module,
    spec: ModuleSpec,
    x: torch.Tensor,
    state: list[torch.Tensor],
    dtype: torch.dtype = torch.float32,
):
    args: list[torch.Tensor] = [x.to(dtype)]
    if spec.params:
        args.append(default_knobs(spec).to(dtype))
    args.extend(s.to(dtype) for s in state)
    return module(*args)


def _probe_copy(module: torch.nn.Module) -> tuple[torch.nn.Module, torch.dtype]:
    """A float64 copy of the module for the gradient probe: in float32 the gradient through
    the oldest taps of a deep network can underflow, which would make the measured receptive
    field come out short. Falls back to the module itself."""
    try:
        probe = copy.deepcopy(module).double().eval()
        return probe, torch.float64
    except Exception:
        return module, torch.float32


def _zero_state(spec: ModuleSpec) -> list[torch.Tensor]:
    return [torch.zeros(s, dtype=torch.float32) for s in spec.state_shapes]


def _audio_only(out: Any) -> torch.Tensor:
    return out[0] if isinstance(out, tuple | list) else out


# ------------------------------------------------------------------------------ measure


def measure_module(module: torch.nn.Module, spec: ModuleSpec) -> tuple[int, int | None]:
    """(look-back M, measured receptive field or None for recurrent modules)."""
    if spec.state_shapes:
        measure.check_causal_recurrent(
            lambda x: _audio_only(_call(module, spec, x, _zero_state(spec))),
            spec.in_channels,
        )
        if spec.claimed_rf not in (None, 1):
            raise ExportError(
                f"a recurrent module must have receptive_field 1 (look-back 0), "
                f"nnfx_info says {spec.claimed_rf}"
            )
        return 0, None

    def run(x: torch.Tensor) -> torch.Tensor:
        return _audio_only(_call(module, spec, x, []))

    hint = spec.claimed_rf - 1 if spec.claimed_rf else None
    lookback = measure.shape_lookback(run, spec.in_channels, hint)
    if spec.claimed_rf is not None and spec.claimed_rf != lookback + 1:
        raise ExportError(
            f"the module claims a receptive field of {spec.claimed_rf} frames but turns "
            f"M + N frames into N with M = {lookback} (receptive field {lookback + 1})"
        )
    rf = measure.receptive_field(run, spec.in_channels, lookback)
    if rf < lookback + 1:
        # shorter than the shape says: make sure it is not float32 gradient underflow
        probe, dtype = _probe_copy(module)

        def run_probe(x: torch.Tensor) -> torch.Tensor:
            return _audio_only(_call(probe, spec, x, [], dtype))

        rf = max(rf, measure.receptive_field(run, spec.in_channels, lookback, grad_run=run_probe))
    if rf > lookback + 1:
        raise ExportError(
            f"the module's output depends on input {rf - 1} frames back, but it only drops "
            f"{lookback} frames (input minus output length): use valid (unpadded) convolutions "
            f"so that M + N frames give N, or give it recurrent state"
        )
    return lookback, rf


# -------------------------------------------------------------------------------- trace


class GraphWrapper(torch.nn.Module):
    """Calls the module with the file's inputs in order; returns audio_out and state_out.*."""

    def __init__(self, module: torch.nn.Module, n_state: int) -> None:
        super().__init__()
        self.module = module
        self.n_state = n_state

    def forward(self, *args: torch.Tensor):
        out = self.module(*args)
        if self.n_state:
            if not isinstance(out, tuple | list) or len(out) != 1 + self.n_state:
                raise ExportError(
                    f"a recurrent module must return (audio, {self.n_state} state tensors)"
                )
            return tuple(out)
        return _audio_only(out)


def _trace(
    module: torch.nn.Module, spec: ModuleSpec, lookback: int, block_size: int, opset: int
) -> onnx.ModelProto:
    names = ["audio_in"]
    args: list[torch.Tensor] = [torch.zeros((1, spec.in_channels, lookback + block_size))]
    if spec.params:
        names.append("params")
        args.append(default_knobs(spec))
    for k, s in enumerate(spec.state_shapes):
        names.append(f"state_in.{k}")
        args.append(torch.zeros(s))
    outputs = ["audio_out"] + [f"state_out.{k}" for k in range(len(spec.state_shapes))]
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                GraphWrapper(module, len(spec.state_shapes)),
                tuple(args),
                buf,
                dynamo=False,
                opset_version=opset,
                do_constant_folding=True,
                input_names=names,
                output_names=outputs,
            )
        except ExportError:
            raise
        except Exception as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ExportError(f"torch.onnx.export failed: {msg}") from exc
    model = onnx.load_from_string(buf.getvalue())
    graph_simplify.simplify(model)
    got = [i.name for i in model.graph.input]
    if got != names:
        raise ExportError(
            f"the exported graph's inputs are {got}, expected {names} (an input is unused?)"
        )
    return model


# ---------------------------------------------------------------------------- reference


def _reference_length(sample_rate: int, rf: int, seconds: float | None) -> int:
    if seconds is not None:
        if not (0 < seconds <= 1.0):
            raise ExportError(f"reference_seconds must be in (0, 1], got {seconds}")
        return max(1, int(round(seconds * sample_rate)))
    # long enough to exceed the receptive field twice where a second allows, at least 1/4 s
    return int(min(sample_rate, max(2 * rf + sample_rate // 100, sample_rate // 4)))


def reference_io(
    module: torch.nn.Module, spec: ModuleSpec, lookback: int, length: int, sample_rate: int
) -> tuple[np.ndarray, np.ndarray]:
    """(reference input ``[C_in, L]``, PyTorch's output for it ``[C_out, L]`` from silence)."""
    from nnfx import testsignals

    x = testsignals.reference(length, spec.in_channels, sample_rate)
    padded = np.concatenate([np.zeros((spec.in_channels, lookback), np.float32), x], axis=1)
    with torch.no_grad():
        y = _audio_only(_call(module, spec, torch.from_numpy(padded)[None], _zero_state(spec)))
    y = y.detach().to(torch.float32).numpy()[0]
    if y.shape[-1] != length:
        raise ExportError(f"reference run gave {y.shape[-1]} frames for {length}")
    if not np.isfinite(y).all():
        raise ExportError("the module's output on the reference input holds NaN or infinity")
    return x, np.ascontiguousarray(y, dtype=np.float32)


# ----------------------------------------------------------------------------- metadata


def _metadata(
    model: onnx.ModelProto,
    spec: ModuleSpec,
    *,
    sample_rate: int,
    block_size: int,
    lookback: int,
    out_channels: int,
    parameter_count: int,
    macs: int,
    ref_in: np.ndarray,
    ref_out: np.ndarray,
    tolerance: float,
) -> None:
    from nnfx import __version__

    meta = modelfile.build_metadata(
        sample_rate=sample_rate,
        block_size=block_size,
        lookback=lookback,
        receptive_field=lookback + 1,
        in_channels=spec.in_channels,
        out_channels=out_channels,
        latency=0,
        params=[p.as_json() for p in spec.params],
        architecture=spec.architecture,
        name=spec.name,
        description=spec.description,
        parameter_count=parameter_count,
        macs_per_sample=macs,
        exporter=f"nnfx {__version__}",
        reference_input=ref_in,
        reference_params=[p.default for p in spec.params],
        reference_output=ref_out,
        reference_tolerance=tolerance,
    )
    modelfile.set_metadata(model, meta, replace=True)
    model.producer_name = "nnfx"
    model.producer_version = __version__
    model.doc_string = spec.description


# ------------------------------------------------------------------------------ engines


def _run_onnxruntime(case: EngineCase) -> np.ndarray:
    """Run the file as a host does: blocks of N, a sliding look-back window, state carried."""
    knobs = [float(v) for v in case.params.reshape(-1)] if case.params.size else None
    return OrtEngine(case.model_bytes).run(case.reference_input, knobs)


# Engines checked before a file is written: name -> function. The C runtime (binding)
# registers itself here too, e.g. ENGINES["nnfx-c"] = run_with_binding.
ENGINES: dict[str, Engine] = {"onnxruntime": _run_onnxruntime}
# The C runtime through the binding (python/nnfx/engines.py): stream mode at an odd host
# block size (host blocks straddle N), look-back mode at N (one graph run per block).
ENGINES["nnfx-c-stream"] = exporter_engine("stream", 97)
ENGINES["nnfx-c-lookback"] = exporter_engine("lookback", 0)


def _check_engines(
    case: EngineCase, expected: np.ndarray, tolerance: float, engines: dict[str, Engine] | None
) -> dict[str, float]:
    """Max abs error of every engine against PyTorch; raises ExportError over tolerance."""
    errors: dict[str, float] = {}
    for name, engine in (engines if engines is not None else ENGINES).items():
        try:
            got = np.asarray(engine(case), dtype=np.float32)
        except ExportError:
            raise
        except Exception as exc:
            raise ExportError(f"{name} could not run the exported file: {exc}") from exc
        if got.shape != expected.shape:
            raise ExportError(f"{name} gave output shaped {got.shape}, PyTorch {expected.shape}")
        diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
        err = float(np.max(diff)) if diff.size else 0.0
        if not np.isfinite(err) or err > tolerance:
            ch, frame = np.unravel_index(int(np.nanargmax(diff)), diff.shape)
            raise ExportError(
                f"{name} does not match PyTorch on the reference: max abs error {err:.3g} "
                f"(tolerance {tolerance:.3g}) at channel {ch}, frame {frame} "
                f"(got {got[ch, frame]:.6g}, expected {expected[ch, frame]:.6g}); nothing written"
            )
        errors[name] = err
    return errors


# ------------------------------------------------------------------------------- export


def _check_args(path: str, block_size: int, sample_rate: int, opset: int) -> None:
    if not isinstance(block_size, int) or not (1 <= block_size <= 65536):
        raise ExportError(f"block size must be an integer in 1..65536, got {block_size!r}")
    if not isinstance(sample_rate, int) or not (1000 <= sample_rate <= 768000):
        raise ExportError(f"sample rate must be an integer in 1000..768000 Hz, got {sample_rate!r}")
    if opset < 17:
        raise ExportError(f"the model file needs ONNX opset 17 or newer, got {opset}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ExportError(f"output directory {directory} does not exist")


def export(
    module: torch.nn.Module,
    path: str | os.PathLike[str],
    *,
    block_size: int,
    sample_rate: int,
    params: Sequence[ParamSpec] | None = None,
    name: str | None = None,
    description: str | None = None,
    reference_seconds: float | None = None,
    opset: int = 17,
    tolerance: float = DEFAULT_TOLERANCE,
    in_channels: int | None = None,
    state_shapes: Sequence[Sequence[int]] | None = None,
    architecture: dict[str, Any] | None = None,
    engines: dict[str, Engine] | None = None,
    verbose: bool = False,
) -> ExportReport:
    """Write ``module`` as an nnfx model file at ``path`` after checking it; see module doc.

    ``tolerance`` is relative to the reference output's peak (at least 1): the file is
    refused when an engine's max abs error exceeds ``tolerance * max(1, peak)``, and that
    absolute figure is stored as ``nnfx.reference_tolerance``.
    """
    path = os.fspath(path)
    _check_args(path, block_size, sample_rate, opset)
    if not isinstance(module, torch.nn.Module):
        raise ExportError(f"expected a torch.nn.Module, got {type(module).__name__}")
    for p in module.parameters():
        if p.dtype != torch.float32:
            raise ExportError(f"the module's weights must be float32, found {p.dtype}")
    was_training = module.training
    module.eval()
    try:
        spec = describe_module(
            module, params, in_channels, state_shapes, name, description, architecture
        )
        lookback, measured = measure_module(module, spec)
        length = _reference_length(sample_rate, lookback + 1, reference_seconds)
        ref_in, ref_out = reference_io(module, spec, lookback, length, sample_rate)
        cout = ref_out.shape[0]
        if spec.out_channels is not None and spec.out_channels != cout:
            raise ExportError(
                f"the module claims {spec.out_channels} output channels but gives {cout}"
            )
        model = _trace(module, spec, lookback, block_size, opset)
        macs = graph_stats.macs_per_sample(model)
        count = sum(p.numel() for p in module.parameters()) or graph_stats.weight_count(model)
        abs_tol = float(tolerance) * max(
            1.0, float(np.max(np.abs(ref_out))) if ref_out.size else 1.0
        )
        _metadata(
            model,
            spec,
            sample_rate=sample_rate,
            block_size=block_size,
            lookback=lookback,
            out_channels=cout,
            parameter_count=int(count),
            macs=macs,
            ref_in=ref_in,
            ref_out=ref_out,
            tolerance=abs_tol,
        )
        data = model.SerializeToString()
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(data)
        try:
            case = EngineCase(
                model_path=tmp,
                model_bytes=data,
                reference_input=ref_in,
                params=default_knobs(spec).numpy() if spec.params else np.zeros((1, 0), np.float32),
                block_size=block_size,
                lookback=lookback,
                state_shapes=spec.state_shapes,
                out_channels=cout,
            )
            errors = _check_engines(case, ref_out, abs_tol, engines)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    finally:
        module.train(was_training)
    report = ExportReport(
        path=path,
        name=spec.name,
        sample_rate=sample_rate,
        block_size=block_size,
        lookback=lookback,
        receptive_field=lookback + 1,
        measured_receptive_field=measured,
        in_channels=spec.in_channels,
        out_channels=cout,
        params=spec.params,
        state_shapes=spec.state_shapes,
        parameter_count=int(count),
        macs_per_sample=macs,
        reference_length=length,
        tolerance=abs_tol,
        errors=errors,
        ops=graph_simplify.op_counts(model),
        file_bytes=len(data),
    )
    if verbose:
        print(report.summary())
    return report
