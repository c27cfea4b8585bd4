"""Engines that run a model file on a whole signal, for parity checks.

Each engine maps ``x`` float32 ``[C_in, L]`` (plus knob values) to float32
``[C_out, L]``, starting from silence (zero history, zero state):

- ``OrtEngine``: ONNX Runtime running the exported look-back graph literally,
  block by block at the file's fixed N: each run sees the last M + N input
  frames, and recurrent state is carried from ``state_out.*`` to ``state_in.*``.
- ``CEngine``: the C runtime through the binding, in stream or look-back mode,
  called the way a host with a given block size calls it. Look-back mode at a
  host block size other than N buffers, which delays the output by the latency
  the runtime reports; the engine feeds that many extra zeros and drops the
  delay, so every engine's output lines up with the input.

Nothing here imports torch; ``OrtEngine`` imports onnxruntime when created.
"""

from __future__ import annotations

import base64
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnfx.errors import NnfxError


@dataclass
class FileMeta:
    """What the parity tools need from a model file's ``nnfx.*`` metadata."""

    block_size: int
    lookback: int
    in_channels: int
    out_channels: int
    sample_rate: float
    params: list[dict[str, Any]] = field(default_factory=list)
    reference_input: np.ndarray | None = None  # [C_in, L]
    reference_output: np.ndarray | None = None  # [C_out, L]
    reference_params: list[float] | None = None
    reference_tolerance: float = 1e-4
    name: str = ""

    def default_params(self) -> list[float]:
        return [float(p["default"]) for p in self.params]


def _int_key(meta: dict[str, str], key: str) -> int:
    if key not in meta:
        raise NnfxError(f"the file has no {key} metadata (is it an nnfx model file?)")
    try:
        return int(meta[key])
    except ValueError as exc:
        raise NnfxError(f"metadata {key} is not an integer: {meta[key]!r}") from exc


def _tensor(meta: dict[str, str], key: str, channels: int) -> np.ndarray | None:
    if key not in meta:
        return None
    try:
        raw = base64.b64decode(meta[key], validate=True)
    except ValueError as exc:
        raise NnfxError(f"metadata {key} is not valid base64") from exc
    if len(raw) % (4 * channels):
        raise NnfxError(f"metadata {key}: {len(raw)} bytes is not {channels} channels of float32")
    return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(channels, -1)


def parse_meta(meta: dict[str, str], in_channels: int, out_channels: int) -> FileMeta:
    """FileMeta from a metadata map; channel counts come from the graph itself."""
    try:
        params = json.loads(meta.get("nnfx.params", "[]") or "[]")
        ref_params = (
            [float(v) for v in json.loads(meta["nnfx.reference_params"])]
            if "nnfx.reference_params" in meta
            else None
        )
        tol = float(meta.get("nnfx.reference_tolerance", "1e-4"))
        sample_rate = float(meta.get("nnfx.sample_rate", "0"))
    except (ValueError, TypeError) as exc:
        raise NnfxError(f"malformed nnfx metadata: {exc}") from exc
    if not isinstance(params, list):
        raise NnfxError("metadata nnfx.params is not a JSON list")
    fm = FileMeta(
        block_size=_int_key(meta, "nnfx.block_size"),
        lookback=_int_key(meta, "nnfx.lookback"),
        in_channels=in_channels,
        out_channels=out_channels,
        sample_rate=sample_rate,
        params=params,
        reference_input=_tensor(meta, "nnfx.reference_input", in_channels),
        reference_output=_tensor(meta, "nnfx.reference_output", out_channels),
        reference_params=ref_params,
        reference_tolerance=tol,
        name=meta.get("nnfx.name", ""),
    )
    if fm.block_size < 1 or fm.lookback < 0:
        raise NnfxError(f"bad block size {fm.block_size} or look-back {fm.lookback} in metadata")
    if (fm.reference_input is None) != (fm.reference_output is None) or (
        fm.reference_input is not None
        and fm.reference_output is not None
        and fm.reference_input.shape[1] != fm.reference_output.shape[1]
    ):
        raise NnfxError("the embedded reference input and output do not match in length")
    return fm


def _read(path_or_bytes: str | os.PathLike[str] | bytes) -> bytes:
    if isinstance(path_or_bytes, (bytes, bytearray)):
        return bytes(path_or_bytes)
    try:
        with open(path_or_bytes, "rb") as f:
            return f.read()
    except OSError as exc:
        raise NnfxError(f"cannot read {os.fspath(path_or_bytes)}: {exc.strerror}") from exc


class OrtEngine:
    """ONNX Runtime over the look-back graph, block by block at the file's N."""

    label = "ort"

    def __init__(self, path_or_bytes: str | os.PathLike[str] | bytes) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise NnfxError("parity needs onnxruntime: pip install 'nnfx[parity]'") from exc
        data = _read(path_or_bytes)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # deterministic, and polite on small machines
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - ORT raises its own exception types
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise NnfxError(f"ONNX Runtime cannot load the file: {first}") from exc
        inputs = {i.name: i for i in self.session.get_inputs()}
        outputs = {o.name: o for o in self.session.get_outputs()}
        if "audio_in" not in inputs or "audio_out" not in outputs:
            raise NnfxError("the graph has no audio_in input or audio_out output")
        c_in = _fixed(inputs["audio_in"].shape, "audio_in")
        c_out = _fixed(outputs["audio_out"].shape, "audio_out")
        meta = self.session.get_modelmeta().custom_metadata_map
        self.meta = parse_meta(dict(meta), c_in[1], c_out[1])
        n, m = self.meta.block_size, self.meta.lookback
        if c_in[2] != m + n or c_out[2] != n:
            raise NnfxError(
                f"graph shapes audio_in {c_in} / audio_out {c_out} do not match "
                f"N={n}, M={m} from the metadata"
            )
        self.has_params = "params" in inputs
        self.states: list[tuple[str, str, tuple[int, ...]]] = []
        for name, spec in sorted(inputs.items()):
            if name.startswith("state_in."):
                out_name = "state_out." + name[len("state_in.") :]
                if out_name not in outputs:
                    raise NnfxError(f"{name} has no matching {out_name} output")
                self.states.append((name, out_name, tuple(_fixed(spec.shape, name))))

    def run(self, x: np.ndarray, params: list[float] | None = None) -> np.ndarray:
        n, m = self.meta.block_size, self.meta.lookback
        c_in, length = x.shape
        blocks = -(-length // n)
        buf = np.zeros((1, c_in, m + blocks * n), dtype=np.float32)
        buf[0, :, m : m + length] = x
        y = np.empty((self.meta.out_channels, blocks * n), dtype=np.float32)
        feed: dict[str, np.ndarray] = {}
        if self.has_params:
            values = self.meta.default_params() if params is None else params
            feed["params"] = np.asarray(values, dtype=np.float32).reshape(1, -1)
        state = {name: np.zeros(shape, dtype=np.float32) for name, _, shape in self.states}
        out_names = ["audio_out"] + [o for _, o, _ in self.states]
        for b in range(blocks):
            feed["audio_in"] = buf[:, :, b * n : b * n + m + n]
            feed.update(state)
            result = self.session.run(out_names, feed)
            y[:, b * n : (b + 1) * n] = result[0][0]
            for (name, _, _), value in zip(self.states, result[1:], strict=True):
                state[name] = value
        return y[:, :length]


def _fixed(shape: list[Any], name: str) -> list[int]:
    if not all(isinstance(d, int) and d > 0 for d in shape):
        raise NnfxError(f"{name} has a non-fixed shape {shape}; nnfx files have fixed shapes")
    if name.startswith("audio") and len(shape) != 3:
        raise NnfxError(f"{name} must be [1, channels, frames], not {shape}")
    return [int(d) for d in shape]


class CEngine:
    """The C runtime through the binding, in one mode at one host block size."""

    def __init__(self, data: bytes, mode: str, block: int, max_block: int | None = None) -> None:
        from nnfx.binding import load_bytes

        self.mode = mode
        self.block = block
        self.label = f"c-{mode}"
        self.model = load_bytes(data, mode=mode, max_block=max_block or max(block, 1))

    def run(self, x: np.ndarray, params: list[float] | None = None) -> np.ndarray:
        model = self.model
        # knobs first, then reset: the reset primes each layer's history with the model's
        # response to silence, which depends on the knobs (FiLM)
        for i, v in enumerate(params or []):
            model.set_param(i, v)
        model.reset()
        latency = model.info["latency"]
        if latency:
            x = np.concatenate([x, np.zeros((x.shape[0], latency), np.float32)], axis=1)
        y = model.process(x, block=self.block)
        return np.ascontiguousarray(y[:, latency:])

    def close(self) -> None:
        self.model.close()


def max_abs(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute difference; inf when either side is non-finite."""
    d = np.abs(a.astype(np.float64) - b.astype(np.float64))
    return float("inf") if not np.all(np.isfinite(d)) else float(d.max(initial=0.0))


def esr(test: np.ndarray, ref: np.ndarray) -> float:
    """Error-to-signal ratio sum((test-ref)^2) / sum(ref^2); 0 when both are silent."""
    t, r = test.astype(np.float64), ref.astype(np.float64)
    num = float(np.sum((t - r) ** 2))
    den = float(np.sum(r**2))
    if den == 0.0:
        return 0.0 if num == 0.0 else math.inf
    return num / den


def exporter_engine(mode: str, block: int = 97) -> Callable[[Any], np.ndarray]:
    """An engine for ``nnfx.exporter.export_onnx.ENGINES``: the C runtime in ``mode`` at
    host block size ``block`` (odd by default, so that host blocks straddle the file's
    N; 0 for the file's N), run on the exporter's ``EngineCase`` from silence."""

    def run(case: Any) -> np.ndarray:
        engine = CEngine(case.model_bytes, mode, block or int(case.block_size))
        try:
            params = [float(v) for v in np.asarray(case.params, dtype=np.float32).reshape(-1)]
            x = np.ascontiguousarray(case.reference_input, dtype=np.float32)
            return engine.run(x, params)
        finally:
            engine.close()

    run.__name__ = f"nnfx_c_{mode}"
    return run
