"""Measure how fast a model file runs: C stream, C look-back, ONNX Runtime, PyTorch.

Every figure is the CPU time of the benchmarking thread (``time.thread_time``), one thread
everywhere (ONNX Runtime intra-op and inter-op 1, ``torch.set_num_threads(1)``), so that
other processes sharing the machine's cores do not inflate it (caches and memory bandwidth
are still shared). One warm-up run is discarded; then ``reps`` timed runs, each at least
``min_seconds`` of CPU time; the median is the figure, min and max show the noise.

- C stream / C look-back: ``nnfx_model_process_blocks`` runs a host's calls of ``block``
  frames inside one C call (no Python between blocks), on a noise signal.
- ONNX Runtime runs the file's look-back graph as exported, one run per ``N`` frames (the
  graph's fixed block), recurrent state fed back; its cost per frame does not depend on the
  host's block size, so it is measured once.
- PyTorch (eager and ``torch.jit.trace``) runs the source module the way the graph does:
  ``M + block`` frames in, ``block`` out (look-back models), or ``block`` frames and the state
  (recurrent models). The input window is prepared once and reused (its shift is not timed).

A real-time factor (RTF) is audio seconds processed per CPU second; percent of one core is
100 / RTF.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from nnfx import binding
from nnfx.engines import OrtEngine
from nnfx.errors import NnfxError
from nnfx.modelfile import Key

ENGINES = ("c-stream", "c-lookback", "ort", "torch", "torchscript")
DEFAULT_BLOCKS = (16, 64, 256, 1024)
SAMPLE_RATE = 48000


@dataclass
class Timing:
    """CPU seconds per second of audio over the timed runs (lower is faster)."""

    median: float
    low: float
    high: float
    runs: int

    @property
    def rtf(self) -> float:
        return 1.0 / self.median if self.median > 0 else float("inf")

    @property
    def core_percent(self) -> float:
        return 100.0 * self.median

    def as_json(self) -> dict[str, float]:
        return {
            "rtf": self.rtf,
            "rtf_min": 1.0 / self.high if self.high > 0 else float("inf"),
            "rtf_max": 1.0 / self.low if self.low > 0 else float("inf"),
            "core_percent": self.core_percent,
            "runs": self.runs,
        }


@dataclass
class ModelResult:
    label: str
    path: str
    info: dict[str, Any]
    lookback_memory_bytes: int | None
    load_ms: Timing
    verify_error: float | None
    verify_tolerance: float | None
    # engine -> block -> Timing
    timings: dict[str, dict[int, Timing]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # engine -> why not measured

    def rtf(self, engine: str, block: int) -> float | None:
        t = self.timings.get(engine, {}).get(block)
        return t.rtf if t else None

    def gmacs(self, block: int) -> float | None:
        """Achieved multiply-accumulates per second (GMAC/s) of C stream at this block."""
        rtf = self.rtf("c-stream", block)
        if rtf is None:
            return None
        return self.info["macs_per_sample"] * self.info["sample_rate"] * rtf / 1e9

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["load_ms"] = {
            "median": self.load_ms.median,
            "min": self.load_ms.low,
            "max": self.load_ms.high,
        }
        d["timings"] = {
            eng: {str(b): t.as_json() for b, t in per.items()} for eng, per in self.timings.items()
        }
        d["info"] = {k: v for k, v in self.info.items() if k != "architecture"}
        d["gmacs_c_stream"] = {str(b): self.gmacs(b) for b in self.timings.get("c-stream", {})}
        return d


def measure(step: Callable[[], int], sample_rate: float, reps: int, min_seconds: float) -> Timing:
    """Time ``step`` (which returns the frames it processed): warm-up, calibrate, ``reps`` runs."""
    clock = time.thread_time
    t0 = clock()
    frames = step()  # warm-up (caches, lazy initialisation), not counted
    once = max(clock() - t0, 1e-6)
    calls = max(1, int(min_seconds / once))
    per_audio: list[float] = []
    for _ in range(reps):
        n = 0
        t0 = clock()
        for _ in range(calls):
            n += step()
        cpu = clock() - t0
        per_audio.append(cpu / (n / sample_rate))
    del frames
    return Timing(statistics.median(per_audio), min(per_audio), max(per_audio), len(per_audio))


# --------------------------------------------------------------------------------- engines


def _noise(channels: int, frames: int) -> np.ndarray:
    rng = np.random.default_rng(1234)
    return (0.5 * rng.standard_normal((channels, frames))).astype(np.float32)


def c_step(path: str, mode: str, block: int, sample_rate: float) -> tuple[Callable[[], int], Any]:
    """A step running ~0.1 s of audio through the C runtime in calls of ``block`` frames."""
    model = binding.load(path, mode=mode, max_block=block)
    info = model.info
    frames = max(block, -(-int(0.1 * sample_rate) // block) * block)
    x = _noise(info["in_channels"], frames)
    y = np.zeros((info["out_channels"], frames), np.float32)
    ffi, lib = model._ffi, model._lib  # the binding's cffi handles (same package)
    ins = ffi.new("float *[]", [ffi.from_buffer("float[]", r) for r in x])
    outs = ffi.new("float *[]", [ffi.from_buffer("float[]", r, True) for r in y])
    handle = model._h()
    run = lib.nnfx_model_process_blocks

    def step() -> int:
        if run(handle, ins, outs, frames, block) != lib.NNFX_OK:
            raise NnfxError(f"the C runtime refused to process {path} in {mode} mode")
        return frames

    return step, (model, x, y, ins, outs)  # keep-alive


def ort_step(path: str) -> Callable[[], int]:
    """One ONNX Runtime run of the look-back graph (N frames), state fed back."""
    engine = OrtEngine(path)
    n = engine.meta.block_size
    window = _noise(engine.meta.in_channels, engine.meta.lookback + n)[None]
    knobs = engine.knobs()
    box = {"state": engine.zero_state()}

    def step() -> int:
        _, box["state"] = engine.block(window, box["state"], knobs)
        return n

    return step


def torch_steps(module: Any, lookback: int, block: int) -> dict[str, Callable[[], int]]:
    """PyTorch eager and TorchScript (traced) steps of ``block`` frames on the source module."""
    import torch

    from nnfx.exporter.export_onnx import default_knobs, describe_module

    torch.set_num_threads(1)
    spec = describe_module(module, None, None, None, None, None, None)
    module.eval()
    frames = lookback + block if not spec.state_shapes else block
    x = torch.from_numpy(_noise(spec.in_channels, frames))[None]
    extra = [default_knobs(spec)] if spec.params else []
    state = [torch.zeros(s) for s in spec.state_shapes]
    nstate = len(state)

    class Call(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *args: torch.Tensor) -> Any:
            return self.inner(*args)

    with torch.no_grad():
        traced = torch.jit.trace(Call(module), tuple([x, *extra, *state]), check_trace=False)
    fns = {"torch": module, "torchscript": traced}
    steps: dict[str, Callable[[], int]] = {}
    for name, fn in fns.items():
        box = {"state": list(state)}

        def step(fn: Any = fn, box: dict[str, list[Any]] = box) -> int:
            with torch.no_grad():
                out = fn(x, *extra, *box["state"])
            if nstate:
                box["state"] = list(out[1:])
            return block

        steps[name] = step
    return steps


# ------------------------------------------------------------------------------- a model


def bench_model(
    path: str,
    label: str,
    blocks: list[int],
    engines: tuple[str, ...] = ENGINES,
    module: Any = None,
    reps: int = 5,
    min_seconds: float = 0.1,
    log: Callable[[str], None] | None = None,
) -> ModelResult:
    """Every measurement of one model file (``module``: its source, for the PyTorch columns)."""
    try:
        model = binding.load(path, mode="stream", max_block=max(blocks))
    except binding.ModelError as exc:
        raise NnfxError(f"cannot load {path}: {exc}") from None
    info = model.info
    sr = info["sample_rate"] or SAMPLE_RATE
    err = model.verify(check=False) if model.metadata(Key.REFERENCE_OUTPUT) else None
    tol_text = model.metadata(Key.REFERENCE_TOLERANCE)
    model.close()
    load_times = []
    for _ in range(max(reps, 5)):
        t0 = time.thread_time()
        binding.load(path, mode="stream", max_block=max(blocks)).close()
        load_times.append(1e3 * (time.thread_time() - t0))
    load = Timing(statistics.median(load_times), min(load_times), max(load_times), len(load_times))
    lb_mem = None
    if "c-lookback" in engines:
        with binding.load(path, mode="lookback", max_block=max(blocks)) as lb:
            lb_mem = lb.info["memory_bytes"]
    res = ModelResult(label, path, info, lb_mem, load, err, float(tol_text) if tol_text else None)
    say = log or (lambda s: None)
    for mode, eng in (("stream", "c-stream"), ("lookback", "c-lookback")):
        if eng not in engines:
            continue
        for b in blocks:
            step, keep = c_step(path, mode, b, sr)
            res.timings.setdefault(eng, {})[b] = measure(step, sr, reps, min_seconds)
            del keep
        say(f"  {label}: {eng} done")
    if "ort" in engines:
        try:
            step = ort_step(path)
            t = measure(step, sr, reps, min_seconds)
            res.timings["ort"] = {b: t for b in blocks}
        except ImportError as exc:
            res.skipped["ort"] = f"onnxruntime not installed ({exc.__cause__ or exc})"
        say(f"  {label}: ort done")
    want_torch = [e for e in ("torch", "torchscript") if e in engines]
    if want_torch and module is None:
        for e in want_torch:
            res.skipped[e] = "no source module (a file, not a zoo preset)"
    elif want_torch:
        for b in blocks:
            steps = torch_steps(module, info["lookback"], b)
            for e in want_torch:
                res.timings.setdefault(e, {})[b] = measure(steps[e], sr, reps, min_seconds)
        say(f"  {label}: torch done")
    return res
