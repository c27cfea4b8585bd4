"""Engines that run a model file on a whole signal, for parity checks.

``OrtEngine`` is also the one ONNX Runtime block runner of the package: the exporter's
pre-write check, the benchmark's ORT column and the tests run files through it.

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

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from nnfx.errors import NnfxError
from nnfx.modelfile import FileMeta, parse_metadata, read_bytes


class OnnxRuntimeMissing(NnfxError, ImportError):
    """onnxruntime is not installed (it is an optional dependency: ``nnfx[parity]``)."""


class OrtEngine:
    """ONNX Runtime over the look-back graph, block by block at the file's N.

    The one place where nnfx runs a model file with ONNX Runtime: parity, the exporter's
    pre-write check, the benchmark and the tests all go through ``run`` (a whole signal
    from silence) or ``block`` (one graph run)."""

    label = "ort"

    def __init__(self, path_or_bytes: str | os.PathLike[str] | bytes) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise OnnxRuntimeMissing(
                "parity needs onnxruntime: pip install 'nnfx[parity]'"
            ) from exc
        data = read_bytes(path_or_bytes)
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
        self.meta: FileMeta = parse_metadata(dict(meta), c_in[1], c_out[1])
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
        self.output_names = ["audio_out"] + [o for _, o, _ in self.states]

    def zero_state(self) -> dict[str, np.ndarray]:
        """Every ``state_in.*`` at zero: the state of a model that has heard only silence."""
        return {name: np.zeros(shape, dtype=np.float32) for name, _, shape in self.states}

    def knobs(self, params: list[float] | None = None) -> np.ndarray | None:
        """The ``params`` input ``[1, P]`` for these knob values (None: the defaults), or
        None when the graph has no knobs."""
        if not self.has_params:
            return None
        values = self.meta.default_params() if params is None else params
        return np.asarray(values, dtype=np.float32).reshape(1, -1)

    def block(
        self, window: np.ndarray, state: dict[str, np.ndarray], knobs: np.ndarray | None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """One graph run: ``window`` float32 ``[1, C_in, M + N]`` (look-back, then the block)
        -> (``audio_out`` ``[C_out, N]``, the next ``state``)."""
        feed: dict[str, np.ndarray] = {"audio_in": window, **state}
        if knobs is not None:
            feed["params"] = knobs
        result = self.session.run(self.output_names, feed)
        nxt = {name: value for (name, _, _), value in zip(self.states, result[1:], strict=True)}
        return result[0][0], nxt

    def run(self, x: np.ndarray, params: list[float] | None = None) -> np.ndarray:
        """``x`` float32 ``[C_in, L]`` from silence -> ``[C_out, L]``; a short last block is
        zero-padded and its extra output dropped."""
        n, m = self.meta.block_size, self.meta.lookback
        c_in, length = x.shape
        blocks = -(-length // n)
        buf = np.zeros((1, c_in, m + blocks * n), dtype=np.float32)
        buf[0, :, m : m + length] = x
        y = np.empty((self.meta.out_channels, blocks * n), dtype=np.float32)
        knobs = self.knobs(params)
        state = self.zero_state()
        for b in range(blocks):
            y[:, b * n : (b + 1) * n], state = self.block(
                buf[:, :, b * n : b * n + m + n], state, knobs
            )
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
