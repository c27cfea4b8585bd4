"""``nnfx info``: what an nnfx model file says about itself, in words or as JSON.

Reads the ONNX protobuf with the ``onnx`` package only (no PyTorch, no runtime). The keys are
those of docs/model-file.md; derived figures (milliseconds, MAC/s) are computed here.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
from collections.abc import Callable
from typing import Any

from nnfx.errors import NnfxError

HELP = "describe an nnfx model file: channels, receptive field, latency, cost, knobs, recipe"

REQUIRED_INT_KEYS = ("nnfx.format_version", "nnfx.sample_rate", "nnfx.block_size", "nnfx.lookback")
BLOB_KEYS = ("nnfx.reference_input", "nnfx.reference_output")

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


# ------------------------------------------------------------------------------ reading


def read_metadata(path: str) -> tuple[dict[str, str], Any]:
    """(metadata_props as a dict, the ModelProto); NnfxError for anything that is not nnfx."""
    if not os.path.exists(path):
        raise NnfxError(f"{path}: no such file")
    if os.path.isdir(path):
        raise NnfxError(f"{path} is a directory, not a model file")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise NnfxError(f"cannot read {path}: {exc.strerror or exc}") from None
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise NnfxError(
            f"{path} is not an ONNX model ({exc or 'protobuf decode failed'})"
        ) from None
    meta = {p.key: p.value for p in model.metadata_props}
    if "nnfx.format_version" not in meta:
        raise NnfxError(f"{path} is not an nnfx model file (no nnfx.format_version metadata)")
    return meta, model


def _int(meta: dict[str, str], key: str, path: str, required: bool = False) -> int | None:
    if key not in meta:
        if required:
            raise NnfxError(f"{path}: required metadata {key} is missing")
        return None
    try:
        return int(meta[key])
    except ValueError:
        if required:
            raise NnfxError(f"{path}: metadata {key} = {meta[key]!r} is not an integer") from None
        return None


def _json(meta: dict[str, str], key: str, path: str) -> Any:
    if key not in meta or meta[key] == "":
        return None
    try:
        return json.loads(meta[key])
    except json.JSONDecodeError as exc:
        raise NnfxError(f"{path}: metadata {key} is not valid JSON ({exc.msg})") from None


def _blob_summary(meta: dict[str, str], key: str, channels: int | None) -> dict[str, Any] | None:
    if key not in meta:
        return None
    import numpy as np

    try:
        raw = base64.b64decode(meta[key], validate=True)
    except (binascii.Error, ValueError):
        return {"valid": False, "reason": "not base64"}
    if len(raw) % 4:
        return {"valid": False, "reason": f"{len(raw)} bytes is not a whole number of float32"}
    a = np.frombuffer(raw, dtype="<f4")
    frames = a.size // channels if channels else None
    return {
        "valid": True,
        "values": int(a.size),
        "frames": frames,
        "peak": float(np.max(np.abs(a))) if a.size else 0.0,
    }


def _graph_summary(model: Any) -> dict[str, Any]:
    ops: dict[str, int] = {}
    for node in model.graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    weights = 0
    for init in model.graph.initializer:
        n = 1
        for d in init.dims:
            n *= int(d)
        weights += n
    shapes = {}
    for v in list(model.graph.input) + list(model.graph.output):
        dims = [
            d.dim_value if d.HasField("dim_value") else d.dim_param
            for d in v.type.tensor_type.shape.dim
        ]
        shapes[v.name] = dims
    opsets = {o.domain or "ai.onnx": int(o.version) for o in model.opset_import}
    return {
        "ops": ops,
        "initializer_values": weights,
        "io": shapes,
        "opset": opsets.get("ai.onnx"),
        "ir_version": int(model.ir_version),
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
    }


def describe(path: str) -> dict[str, Any]:
    """Everything ``nnfx info`` knows about a file, as a JSON-able dict."""
    meta, model = read_metadata(path)
    fmt = _int(meta, "nnfx.format_version", path, required=True)
    sr = _int(meta, "nnfx.sample_rate", path, required=True)
    block = _int(meta, "nnfx.block_size", path, required=True)
    lookback = _int(meta, "nnfx.lookback", path, required=True)
    if not sr or sr <= 0:
        raise NnfxError(f"{path}: metadata nnfx.sample_rate = {sr} is not a positive rate")
    rf = _int(meta, "nnfx.receptive_field", path) or (lookback + 1 if lookback is not None else 1)
    latency = _int(meta, "nnfx.latency", path) or 0
    cin = _int(meta, "nnfx.in_channels", path)
    cout = _int(meta, "nnfx.out_channels", path)
    graph = _graph_summary(model)
    params = _json(meta, "nnfx.params", path) or []
    arch = _json(meta, "nnfx.architecture", path) or {}
    count = _int(meta, "nnfx.parameter_count", path)
    macs = _int(meta, "nnfx.macs_per_sample", path)
    if macs is None and isinstance(arch, dict) and arch.get("kind") == "random_tcn":
        macs = _recipe_macs(arch.get("recipe"))
    states = sorted(n for n in graph["io"] if n.startswith("state_in."))
    info: dict[str, Any] = {
        "file": path,
        "file_bytes": os.path.getsize(path),
        "name": meta.get("nnfx.name", ""),
        "description": meta.get("nnfx.description", ""),
        "format_version": fmt,
        "exporter": meta.get("nnfx.exporter", ""),
        "sample_rate": sr,
        "block_size": block,
        "block_ms": 1000.0 * block / sr if block else None,
        "lookback": lookback,
        "receptive_field": rf,
        "receptive_field_ms": 1000.0 * rf / sr,
        "latency": latency,
        "latency_ms": 1000.0 * latency / sr,
        "in_channels": cin,
        "out_channels": cout,
        "parameter_count": count if count is not None else graph["initializer_values"],
        "macs_per_sample": macs,
        "macs_per_second": macs * sr if macs is not None else None,
        "params": params,
        "state": {n: graph["io"][n] for n in states},
        "architecture": arch,
        "reference": {
            "length": _int(meta, "nnfx.reference_length", path),
            "tolerance": meta.get("nnfx.reference_tolerance"),
            "params": _json(meta, "nnfx.reference_params", path),
            "input": _blob_summary(meta, "nnfx.reference_input", cin),
            "output": _blob_summary(meta, "nnfx.reference_output", cout),
        },
        "graph": graph,
        "metadata": {k: v for k, v in meta.items() if k not in BLOB_KEYS},
        "load": {},
    }
    return info


def _recipe_macs(recipe: Any) -> int | None:
    try:
        from nnfx.exporter.random_recipe import Recipe

        return Recipe.from_dict(recipe).macs_per_sample
    except (NnfxError, TypeError):
        return None


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
