"""``nnfx bench FILE.onnx | --zoo``: speed of the C runtime against ONNX Runtime and PyTorch."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
from typing import Any

from nnfx.errors import NnfxError

HELP = "measure real-time factor, %% of a core, GMAC/s and load time (C, ONNX Runtime, PyTorch)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", help="model file (.onnx)")
    parser.add_argument(
        "--zoo",
        action="store_true",
        help="benchmark the zoo presets and the target networks, print targets",
    )
    parser.add_argument(
        "--models", default=None, help="with --zoo: comma-separated subset (e.g. overdrive,lstm32)"
    )
    parser.add_argument(
        "--blocks", default=None, help="comma-separated host block sizes (default 16,64,256,1024)"
    )
    parser.add_argument(
        "--engines",
        default=None,
        help="comma-separated subset of c-stream,c-lookback,ort,torch,torchscript",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer, shorter runs (3 x 0.02 s; blocks 16,64 unless given)",
    )
    parser.add_argument(
        "--keep",
        default=None,
        metavar="DIR",
        help="with --zoo: export into DIR and reuse the files found there",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def _ints(text: str, what: str) -> list[int]:
    try:
        vals = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise NnfxError(f"{what} must be comma-separated integers, got {text!r}") from None
    if not vals or any(not 1 <= v <= 65536 for v in vals):
        raise NnfxError(f"{what} must be integers in 1..65536, got {text!r}")
    return sorted(set(vals))


def _fmt_rtf(t: Any) -> str:
    if t is None:
        return "-"
    lo, hi = 1.0 / t.high, 1.0 / t.low
    return (
        f"{t.rtf:,.0f}x ({lo:,.0f}-{hi:,.0f})"
        if t.rtf >= 100
        else (f"{t.rtf:.2f}x ({lo:.2f}-{hi:.2f})")
    )


def _kib(n: int | None) -> str:
    return "-" if n is None else f"{n / 1024:.1f} KiB"


def _print_model(r: Any, peak_macs: float) -> None:
    i = r.info
    ver = "-" if r.verify_error is None else f"{r.verify_error:.2g}"
    if r.verify_tolerance is not None and r.verify_error is not None:
        ver += f" (tolerance {r.verify_tolerance:.2g}, "
        ver += "ok)" if r.verify_error <= r.verify_tolerance else "MISMATCH)"
    print(
        f"\n== {r.label}: {os.path.basename(r.path)}  {i['in_channels']}->{i['out_channels']} ch,"
        f" N={i['block_size']}, RF {i['receptive_field']} frames"
        f" ({i['receptive_field'] / i['sample_rate'] * 1e3:.1f} ms)"
    )
    print(
        f"   {i['macs_per_sample']:,.0f} MACs/sample; weights {_kib(i['weight_bytes'])}; memory"
        f" (weights+state+scratch) stream {_kib(i['memory_bytes'])}, look-back"
        f" {_kib(r.lookback_memory_bytes)}; load {r.load_ms.median:.2f} ms"
        f" ({r.load_ms.low:.2f}-{r.load_ms.high:.2f}); verify max error {ver}"
    )
    engines = [
        e for e in ("c-stream", "c-lookback", "ort", "torch", "torchscript") if e in r.timings
    ]
    heads = {
        "c-stream": "C stream",
        "c-lookback": "C look-back",
        "ort": f"ORT (graph N={i['block_size']})",
        "torch": "torch eager",
        "torchscript": "TorchScript",
    }
    cols = ["block"] + [heads[e] for e in engines] + ["stream %core", "GMAC/s", "% peak"]
    rows = []
    for b in sorted(r.timings.get(engines[0], {})) if engines else []:
        g = r.gmacs(b)
        st = r.timings.get("c-stream", {}).get(b)
        rows.append(
            [str(b)]
            + [_fmt_rtf(r.timings[e].get(b)) for e in engines]
            + [
                "-" if st is None else f"{st.core_percent:.2f}%",
                "-" if g is None else f"{g:.2f}",
                "-" if g is None else f"{100 * g * 1e9 / peak_macs:.1f}%",
            ]
        )
    widths = [
        max(len(c), *(len(row[k]) for row in rows)) if rows else len(c) for k, c in enumerate(cols)
    ]
    print("   " + "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=False)))
    for row in rows:
        print("   " + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=False)))
    for eng, why in r.skipped.items():
        print(f"   ({eng}: {why})")


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def run(args: argparse.Namespace) -> int:
    from nnfx import bench, cpuinfo

    if bool(args.file) == bool(args.zoo):
        raise NnfxError("give either a model file or --zoo")
    if args.file and not os.path.isfile(args.file):
        raise NnfxError(f"no such file: {args.file}")
    blocks = (
        _ints(args.blocks, "--blocks")
        if args.blocks
        else ([16, 64] if args.quick else list(bench.DEFAULT_BLOCKS))
    )
    engines = tuple(bench.ENGINES)
    if args.engines:
        engines = tuple(e.strip() for e in args.engines.split(",") if e.strip())
        bad = [e for e in engines if e not in bench.ENGINES]
        if bad or not engines:
            raise NnfxError(f"unknown engine(s) {bad}; known: {', '.join(bench.ENGINES)}")
    reps, min_s = (3, 0.02) if args.quick else (7, 0.15)
    peak = cpuinfo.peak()

    def log(s: str) -> None:
        print(s, file=sys.stderr, flush=True)

    results = []
    if args.file:
        results.append(
            bench.bench_model(
                args.file,
                os.path.basename(args.file),
                blocks,
                engines,
                None,
                reps,
                min_s,
                log,
            )
        )
    else:
        from nnfx import bench_targets

        names = [n.strip() for n in args.models.split(",")] if args.models else None
        cases = bench_targets.cases(names)
        keep = args.keep
        tmp = None if keep else tempfile.TemporaryDirectory(prefix="nnfx-bench-")
        directory = keep or tmp.name  # type: ignore[union-attr]
        if keep and not os.path.isdir(keep):
            raise NnfxError(f"--keep directory {keep} does not exist")
        try:
            for case in cases:
                log(f"{case.label}: export and measure")
                path, module = bench_targets.export_case(case, directory)
                use = tuple(e for e in engines if e in case.engines)
                results.append(
                    bench.bench_model(path, case.label, blocks, use, module, reps, min_s, log)
                )
        finally:
            if tmp is not None:
                tmp.cleanup()
    targets = []
    if args.zoo or args.file:
        from nnfx.bench_targets import evaluate

        targets = evaluate(results, peak.macs_per_second)
    machine = {
        "cpu": peak.model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "peak_gmacs": peak.macs_per_second / 1e9,
        "peak_derivation": peak.derivation(),
        "notes": peak.notes,
        "timing": "median CPU time of the benchmarking thread, one thread",
        "reps": reps,
        "min_seconds_per_run": min_s,
    }
    if args.json:
        out = {
            "machine": machine,
            "blocks": blocks,
            "models": [r.as_json() for r in results],
            "targets": [t.__dict__ for t in targets],
        }
        print(json.dumps(_clean(out), indent=1))
        return 0
    print(f"machine: {peak.model}, {platform.platform()}")
    print(peak.derivation())
    for n in peak.notes:
        print(f"note: {n}")
    print(
        f"figures: real-time factor at 48 kHz (audio seconds per CPU second of the one thread),"
        f" median of {reps} runs of >= {min_s} s CPU after a warm-up, (min-max)"
    )
    for r in results:
        _print_model(r, peak.macs_per_second)
    if targets:
        print("\ntargets (Performance issue), measured in this run:")
        w = max(len(t.target) for t in targets)
        for t in targets:
            state = {True: "met", False: "MISSED", None: "-"}[t.met]
            print(
                f"  {t.target:<{w}}  goal {t.goal:<9} measured {t.measured:<12} {state:<6}"
                f" {t.margin}"
            )
    return 0
