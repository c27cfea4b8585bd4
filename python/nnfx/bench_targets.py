"""The models ``nnfx bench --zoo`` measures, and the speed targets of the Performance issue.

Zoo presets are exported at N = 64 (the block of the targets) so that C look-back and ONNX
Runtime run the same graph a host with 64-frame blocks would. A few networks that the targets
name but the zoo lacks are added here (``EXTRA``). Exports skip the exporter's engine checks
(the bench verifies each file with the C runtime's embedded reference instead) and use a
0.1 s reference, so that a 4 s receptive field exports in seconds rather than minutes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nnfx.bench import ENGINES, ModelResult

TARGET_BLOCK = 64
C_ONLY = ("c-stream",)


@dataclass(frozen=True)
class Case:
    label: str
    make: Callable[[], Any]  # -> torch.nn.Module
    engines: tuple[str, ...] = ENGINES


def _random(**keys: Any) -> Callable[[], Any]:
    def make() -> Any:
        from nnfx.exporter.random_recipe import Recipe
        from nnfx.exporter.random_tcn import RandomTCN

        return RandomTCN(Recipe(**keys).validate())

    return make


def _gru64() -> Any:
    from nnfx.exporter.recurrent import RecurrentAmp

    return RecurrentAmp("gru", 64, 1, name="gru64")


EXTRA: tuple[Case, ...] = (
    Case("random-default", _random()),  # `nnfx random`'s defaults: 6 layers, k3, 8 ch
    Case("random16", _random(channels=16, init="xavier_normal")),
    Case("random32", _random(channels=32, init="xavier_normal")),
    Case("gru64", _gru64),
    # 4.1 s receptive field, full convolutions, 8 channels: only C stream is practical
    # (look-back would run 196,660 frames per block)
    Case("random-4s", _random(layers=14, kernel=13, growth=2, init="xavier_normal"), C_ONLY),
)


def cases(names: list[str] | None = None) -> list[Case]:
    from nnfx.exporter import zoo

    out = [Case(n, lambda n=n: zoo.build(n)) for n in zoo.names()] + list(EXTRA)
    if names:
        known = {c.label: c for c in out}
        missing = [n for n in names if n not in known]
        if missing:
            from nnfx.errors import NnfxError

            raise NnfxError(f"unknown bench model(s) {missing} (known: {', '.join(known)})")
        out = [known[n] for n in names]
    return out


def export_case(case: Case, directory: str) -> tuple[str, Any]:
    """The case's model file in ``directory`` (exported unless already there) and module."""
    import torch

    from nnfx.exporter.export_onnx import export

    torch.set_num_threads(1)
    module = case.make()
    path = os.path.join(directory, f"{case.label}-n{TARGET_BLOCK}.onnx")
    if not os.path.exists(path):
        export(
            module,
            path,
            block_size=TARGET_BLOCK,
            sample_rate=48000,
            engines={},
            reference_seconds=0.1,
        )
    return path, module


# ---------------------------------------------------------------------------------- targets


@dataclass
class Target:
    target: str
    goal: str
    measured: str
    met: bool | None  # None: not measured in this run
    margin: str


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _row(
    target: str, goal: float, value: float | None, unit: str, above: bool, fmt: str = "{:.1f}"
) -> Target:
    want = f"{'>=' if above else '<'} {fmt.format(goal)}{unit}"
    if value is None:
        return Target(target, want, "not measured", None, "")
    met = value >= goal if above else value < goal
    factor = value / goal if above else goal / value if value else float("inf")
    margin = f"{factor:.2f}x the goal" if met else f"missed: {factor:.2f}x of the goal"
    return Target(target, want, f"{fmt.format(value)}{unit}", met, margin)


def evaluate(results: list[ModelResult], peak_macs: float) -> list[Target]:
    by = {r.label: r for r in results}
    rows: list[Target] = []
    b = TARGET_BLOCK

    def get(label: str) -> ModelResult | None:
        return by.get(label)

    for label, goal in (("random-default", 10.0), ("overdrive", 10.0), ("longtail", 100.0)):
        r = get(label)
        if r is not None:
            rf = r.info["receptive_field"]
            rows.append(
                _row(
                    f"C stream / ORT, block {b}, {label} (RF {rf})",
                    goal,
                    _ratio(r.rtf("c-stream", b), r.rtf("ort", b)),
                    "x",
                    True,
                )
            )
    for r in results:
        if r.info["receptive_field"] >= 2047 and "c-lookback" in r.timings:
            rows.append(
                _row(
                    f"C stream / C look-back, block {b}, {r.label} "
                    f"(RF {r.info['receptive_field']})",
                    5.0,
                    _ratio(r.rtf("c-stream", b), r.rtf("c-lookback", b)),
                    "x",
                    True,
                )
            )
    for label in ("wavenet3", "random16", "random32"):
        r = get(label)
        if r is not None:
            blocks = sorted(x for x in r.timings.get("c-stream", {}) if x >= b)
            fracs = [100.0 * (r.gmacs(x) or 0.0) * 1e9 / peak_macs for x in blocks]
            worst = min(fracs) if fracs else None
            rows.append(
                _row(f"% of FP32 peak, {label}, worst of blocks {blocks}", 25.0, worst, "%", True)
            )
    for label, goal in (("lstm32", 50.0), ("gru32", 50.0), ("lstm64", 15.0), ("gru64", 15.0)):
        r = get(label)
        if r is not None:
            rows.append(
                _row(
                    f"real-time factor, C stream block {b}, {label}",
                    goal,
                    r.rtf("c-stream", b),
                    "x",
                    True,
                )
            )
    r = get("random-4s")
    if r is not None:
        t = r.timings.get("c-stream", {}).get(16)
        rows.append(
            _row(
                "% of one core, C stream block 16, random-4s (14 x k13, 8 ch)",
                10.0,
                t.core_percent if t else None,
                "%",
                False,
            )
        )
    if results:
        worst = max(results, key=lambda r: r.load_ms.median)
        rows.append(
            _row(
                f"load time, slowest model ({worst.label})",
                20.0,
                worst.load_ms.median,
                " ms",
                False,
                "{:.2f}",
            )
        )
    return rows
