"""``nnfx info``: what an nnfx model file says about itself, in words or as JSON.

The figures come from ``nnfx.modelinfo.describe``; this module only words them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from nnfx.modelinfo import describe

HELP = "describe an nnfx model file: channels, receptive field, latency, cost, knobs, recipe"

# Load estimates per target board: name -> function(info dict from ``describe``) -> one line.
# The boards engineer registers "bela", "rpi4", "rpi5" here; ``--target`` appears as soon as
# this table is not empty, and ``describe`` puts each estimate under info["load"][name].
TARGET_ESTIMATES: dict[str, Callable[[dict[str, Any]], str]] = {}
TARGET_ESTIMATES.update(__import__("nnfx.boards", fromlist=["ESTIMATES"]).ESTIMATES)  # boards


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE.onnx", help="model file")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    if TARGET_ESTIMATES:
        parser.add_argument(
            "--target",
            choices=sorted(TARGET_ESTIMATES),
            action="append",
            help="add a load estimate for this board (repeatable)",
        )


# ------------------------------------------------------------------------------ words


def _fmt_ms(ms: float) -> str:
    return f"{ms:.3g} ms" if ms < 1000 else f"{ms / 1000:.3g} s"


def _frames(n: Any) -> str:
    return f"{n} frame" if n == 1 else f"{n} frames"


def _fmt_tol(text: str | None) -> str:
    if not text:
        return "1e-4 (default)"
    try:
        return f"{float(text):.3g}"
    except ValueError:
        return f"{text!r} (not a number)"


def _knob_line(p: Any) -> str:
    if not isinstance(p, dict):
        return f"    {p!r} (malformed)"
    unit = f" {p['unit']}" if p.get("unit") else ""
    return (
        f"    {p.get('name', '?')}: {p.get('min')} .. {p.get('max')}{unit}, "
        f"default {p.get('default')}"
    )


def _arch_lines(arch: Any) -> list[str]:
    if not isinstance(arch, dict) or not arch:
        return ["  architecture: not stated"]
    kind = arch.get("kind", "?")
    if kind == "random_tcn" and isinstance(arch.get("recipe"), dict):
        r = arch["recipe"]
        flags = [k for k in ("bias", "depthwise") if r.get(k)]
        lines = [
            f"  architecture: randomized TCN ({arch.get('generator', 'generator not stated')})",
            f"    {r.get('layers')} layers, kernel {r.get('kernel')}, {r.get('channels')} "
            f"channels, dilation growth {r.get('growth')}, {r.get('activation')} activation, "
            f"{r.get('init')} init, seed {r.get('seed')}"
            + (", " + ", ".join(flags) if flags else ""),
            f"    {r.get('in_channels')} -> {r.get('out_channels')} channels, gains "
            f"{r.get('in_gain_db')} dB in, {r.get('out_gain_db')} dB out",
        ]
        return lines
    rest = {k: v for k, v in arch.items() if k != "kind"}
    return [f"  architecture: {kind}" + (f" {json.dumps(rest, sort_keys=True)}" if rest else "")]


def words(info: dict[str, Any]) -> str:
    sr = info["sample_rate"]
    lines = [f"{info['file']}: {info['name'] or '(no name)'}"]
    if info["description"]:
        lines.append(f"  {info['description']}")
    lines.append(
        f"  nnfx model file format {info['format_version']}, made by "
        f"{info['exporter'] or 'unknown'}, {info['file_bytes']} bytes"
    )
    lines.append(
        f"  sample rate {sr} Hz, block {_frames(info['block_size'])} ({_fmt_ms(info['block_ms'])})"
    )
    cin = info["in_channels"] if info["in_channels"] is not None else "?"
    cout = info["out_channels"] if info["out_channels"] is not None else "?"
    lines.append(f"  channels: {cin} in -> {cout} out")
    lines.append(
        f"  receptive field {_frames(info['receptive_field'])} "
        f"({_fmt_ms(info['receptive_field_ms'])}), look-back {_frames(info['lookback'])}"
    )
    lines.append(
        f"  latency {_frames(info['latency'])} ({_fmt_ms(info['latency_ms'])})"
        + (" (causal)" if info["latency"] == 0 else "")
    )
    macs = info["macs_per_sample"]
    cost = (
        f"{macs} MACs/sample ({macs * sr / 1e6:.3g} M MAC/s at {sr} Hz)"
        if macs is not None
        else "MACs/sample not stated"
    )
    lines.append(f"  {info['parameter_count']} parameters, {cost}")
    if info["params"]:
        lines.append(f"  knobs ({len(info['params'])}):")
        lines.extend(_knob_line(p) for p in info["params"])
    else:
        lines.append("  knobs: none")
    if info["state"]:
        lines.append(
            "  recurrent state: " + ", ".join(f"{k} {v}" for k, v in info["state"].items())
        )
    lines.extend(_arch_lines(info["architecture"]))
    ref = info["reference"]
    if ref["length"] is not None:
        lines.append(
            f"  reference: {_frames(ref['length'])} ({_fmt_ms(1000.0 * ref['length'] / sr)}), "
            f"hosts accept max abs error {_fmt_tol(ref['tolerance'])}"
        )
    else:
        lines.append("  reference: none (hosts cannot verify this file)")
    g = info["graph"]
    lines.append(
        f"  graph: opset {g['opset']}, IR {g['ir_version']}, "
        + ", ".join(f"{k} x{v}" for k, v in sorted(g["ops"].items()))
    )
    lines.append("  inputs/outputs: " + ", ".join(f"{k} {v}" for k, v in g["io"].items()))
    for target, text in info["load"].items():
        lines.append(f"  load on {target}: {text}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    info = describe(args.file)
    for target in getattr(args, "target", None) or []:
        info["load"][target] = TARGET_ESTIMATES[target](info)
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=False))
    else:
        print(words(info))
    return 0
