"""Parity of one model file across engines: ONNX Runtime, C stream, C look-back.

ONNX Runtime runs the exported graph at the file's fixed block size N (that is
the only block size the graph accepts), and serves as the reference; the C
engines run at each host block size asked for (default 1, 16, 64, 97, 4096),
so a host block size that differs from N checks that streaming and
look-back buffering give the same samples as the graph. On the embedded
reference signal, the PyTorch output stored in the file is compared too.

Signals: the embedded reference (with its knob values), a few seconds of white
noise, and music-like audio (the synthesized guitar phrase, plus the drum loop
on a second input channel).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from nnfx.engines import CEngine, OrtEngine, esr, max_abs
from nnfx.errors import NnfxError
from nnfx.modelfile import FileMeta, read_bytes

DEFAULT_BLOCKS = (1, 16, 64, 97, 4096)
# Look-back mode runs the whole graph (M + N frames) once per host call when the host block
# is smaller than N (it adds no latency that way): at block 1 a large model costs a graph
# run per frame. There parity compares a prefix whose cost stays near this many
# multiply-accumulates (at least three host blocks); the table marks it "[:frames]".
LOOKBACK_BUDGET = 1e9


def _frames(info: dict, mode: str, block: int, length: int) -> int:
    n, m = info["block_size"], info["lookback"]
    if mode != "lookback" or block >= n:
        return length
    per_frame = (m + n) * max(float(info["macs_per_sample"]), 1.0) / block
    return min(length, max(int(LOOKBACK_BUDGET / per_frame), 3 * block))


@dataclass
class Row:
    signal: str
    block: int  # host block size of the C engines (ORT always runs at N)
    pair: str  # "test vs reference"
    max_abs_error: float
    esr: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.max_abs_error <= self.tolerance


def signals(meta: FileMeta, seconds: float) -> dict[str, tuple[np.ndarray, list[float] | None]]:
    """name -> (input [C_in, L] float32, knob values or None for defaults)."""
    from nnfx import testsignals

    sr = int(meta.sample_rate) if meta.sample_rate > 0 else testsignals.SAMPLE_RATE
    length = max(1, int(round(seconds * sr)))
    c = meta.in_channels
    out: dict[str, tuple[np.ndarray, list[float] | None]] = {}
    if meta.reference_input is not None:
        out["reference"] = (meta.reference_input, meta.reference_params)
    noise = np.stack([0.5 * testsignals.noise(length, seed=1000 + i) for i in range(c)])
    out["noise"] = (noise.astype(np.float32), None)
    music_src = [testsignals.guitar(sr), testsignals.drums(sr)]
    music = np.zeros((c, length), dtype=np.float32)
    for i in range(c):
        src = np.asarray(music_src[i % 2], dtype=np.float32).reshape(-1)
        reps = -(-length // len(src))
        music[i] = np.tile(src, reps)[:length]
    out["music"] = (music, None)
    return out


def run_parity(
    path_or_bytes: str | os.PathLike[str] | bytes,
    blocks: Sequence[int] = DEFAULT_BLOCKS,
    seconds: float = 2.0,
    tolerance: float | None = None,
    signal_names: Iterable[str] | None = None,
) -> tuple[FileMeta, list[Row]]:
    """Every engine pair, every block size, every signal. ``tolerance`` defaults to
    the file's ``nnfx.reference_tolerance``."""
    data = read_bytes(path_or_bytes)
    ort_engine = OrtEngine(data)
    meta = ort_engine.meta
    tol = meta.reference_tolerance if tolerance is None else float(tolerance)
    sigs = signals(meta, seconds)
    if signal_names is not None:
        wanted = list(signal_names)
        unknown = [s for s in wanted if s not in sigs]
        if unknown:
            raise NnfxError(f"unknown signal(s) {unknown}; this file has {sorted(sigs)}")
        sigs = {k: sigs[k] for k in wanted}
    rows: list[Row] = []
    for name, (x, params) in sigs.items():
        y_ort = ort_engine.run(x, params)
        expected = meta.reference_output if name == "reference" else None
        if expected is not None:
            rows.append(
                Row(
                    name,
                    meta.block_size,
                    "ort vs pytorch",
                    max_abs(y_ort, expected),
                    esr(y_ort, expected),
                    tol,
                )
            )
        for block in blocks:
            outs = {}
            for mode in ("stream", "lookback"):
                engine = CEngine(data, mode, block)
                try:
                    frames = _frames(engine.model.info, mode, block, x.shape[1])
                    outs[mode] = engine.run(np.ascontiguousarray(x[:, :frames]), params)
                finally:
                    engine.close()
            for mode, y in outs.items():
                f = y.shape[1]
                cut = "" if f == x.shape[1] else f" [:{f}]"
                rows.append(
                    Row(
                        name,
                        block,
                        f"c-{mode} vs ort{cut}",
                        max_abs(y, y_ort[:, :f]),
                        esr(y, y_ort[:, :f]),
                        tol,
                    )
                )
                if expected is not None:
                    rows.append(
                        Row(
                            name,
                            block,
                            f"c-{mode} vs pytorch{cut}",
                            max_abs(y, expected[:, :f]),
                            esr(y, expected[:, :f]),
                            tol,
                        )
                    )
            f = outs["lookback"].shape[1]
            cut = "" if f == x.shape[1] else f" [:{f}]"
            a, b = outs["stream"][:, :f], outs["lookback"]
            rows.append(
                Row(name, block, f"c-stream vs c-lookback{cut}", max_abs(a, b), esr(a, b), tol)
            )
    return meta, rows


def format_table(meta: FileMeta, rows: list[Row]) -> str:
    lines = [
        f"model: {meta.name or '(unnamed)'}, {meta.in_channels}->{meta.out_channels} ch, "
        f"N={meta.block_size}, M={meta.lookback}, {meta.sample_rate:g} Hz",
        f"ONNX Runtime runs the graph at its fixed N={meta.block_size} and is the reference; "
        "the C engines run at the host block size in the 'block' column; 'pytorch' is the "
        "output embedded in the file.",
        "",
        "Look-back mode below N runs the whole graph per host call; where that is costly the "
        "comparison covers the first frames only, marked [:frames].",
        "",
        f"{'signal':<10} {'block':>6}  {'pair':<32} {'max abs err':>12} {'ESR':>10}  result",
    ]
    for r in rows:
        lines.append(
            f"{r.signal:<10} {r.block:>6}  {r.pair:<32} {r.max_abs_error:>12.3e} "
            f"{r.esr:>10.2e}  {'ok' if r.ok else 'FAIL'}"
        )
    worst = max(rows, key=lambda r: r.max_abs_error) if rows else None
    if worst is not None:
        verdict = "PASS" if all(r.ok for r in rows) else "FAIL"
        lines += [
            "",
            f"{verdict}: worst max abs error {worst.max_abs_error:.3e} ({worst.signal}, block "
            f"{worst.block}, {worst.pair}); tolerance {worst.tolerance:.1e}",
        ]
    return "\n".join(lines)


def rows_as_json(meta: FileMeta, rows: list[Row]) -> dict[str, object]:
    return {
        "model": {
            "name": meta.name,
            "in_channels": meta.in_channels,
            "out_channels": meta.out_channels,
            "block_size": meta.block_size,
            "lookback": meta.lookback,
            "sample_rate": meta.sample_rate,
        },
        "pass": all(r.ok for r in rows),
        "rows": [dict(asdict(r), ok=r.ok) for r in rows],
    }


def check_c_runtime(
    data: bytes,
    x: np.ndarray,
    expected: np.ndarray,
    params: Sequence[float] | None = None,
    tolerance: float = 1e-4,
    blocks: Sequence[int] | None = None,
) -> list[tuple[str, int, float]]:
    """The exporter's pre-write check: run ``x`` ([C_in, L]) through the C runtime,
    stream and look-back, at the file's N and at an odd host block size (97), and
    compare with ``expected`` ([C_out, L], PyTorch's output from silence). Returns
    ``(mode, block, max_abs_error)`` rows; raises NnfxError naming the worst case
    when one exceeds ``tolerance``."""
    from nnfx.binding import load_bytes

    with load_bytes(data) as probe:
        n = probe.info["block_size"]
    rows = []
    for mode in ("stream", "lookback"):
        for block in blocks or sorted({n, 97}):
            engine = CEngine(data, mode, block)
            try:
                y = engine.run(np.ascontiguousarray(x, np.float32), list(params or []))
            finally:
                engine.close()
            rows.append((mode, block, max_abs(y, expected)))
    worst = max(rows, key=lambda r: r[2])
    if not worst[2] <= tolerance:
        raise NnfxError(
            f"the C runtime ({worst[0]} mode, host block {worst[1]}) differs from PyTorch by "
            f"{worst[2]:.3e} (tolerance {tolerance:.1e})"
        )
    return rows
