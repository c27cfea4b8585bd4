"""What an nnfx model file says about itself, as one JSON-able dict (``describe``).

The library side of ``nnfx info`` (the CLI only words it); ``nnfx deploy`` and the board
load estimates (``nnfx.boards``) read the same dict. The file is read with the ``onnx``
package (no PyTorch, no runtime); the keys are those of ``nnfx.modelfile``; derived figures
(milliseconds, MAC/s) are computed here.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from nnfx.errors import NnfxError
from nnfx.modelfile import FLOAT_KEYS, Key, check_params, decode_floats, read_file


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


def _floats_summary(meta: dict[str, str], key: str, channels: int | None) -> dict[str, Any] | None:
    if key not in meta:
        return None
    try:
        a = decode_floats(meta[key])
    except ValueError as exc:
        return {"valid": False, "reason": str(exc)}
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
    meta, model = read_file(path)
    fmt = _int(meta, Key.FORMAT_VERSION, path, required=True)
    sr = _int(meta, Key.SAMPLE_RATE, path, required=True)
    block = _int(meta, Key.BLOCK_SIZE, path, required=True)
    lookback = _int(meta, Key.LOOKBACK, path, required=True)
    if not sr or sr <= 0:
        raise NnfxError(f"{path}: metadata {Key.SAMPLE_RATE} = {sr} is not a positive rate")
    rf = _int(meta, Key.RECEPTIVE_FIELD, path) or (lookback + 1 if lookback is not None else 1)
    latency = _int(meta, Key.LATENCY, path) or 0
    cin = _int(meta, Key.IN_CHANNELS, path)
    cout = _int(meta, Key.OUT_CHANNELS, path)
    graph = _graph_summary(model)
    try:
        params = check_params(_json(meta, Key.PARAMS, path) or [])
    except NnfxError as exc:
        raise NnfxError(f"{path}: {exc}") from None
    arch = _json(meta, Key.ARCHITECTURE, path) or {}
    count = _int(meta, Key.PARAMETER_COUNT, path)
    macs = _int(meta, Key.MACS_PER_SAMPLE, path)
    if macs is None and isinstance(arch, dict) and arch.get("kind") == "random_tcn":
        macs = _recipe_macs(arch.get("recipe"))
    states = sorted(n for n in graph["io"] if n.startswith("state_in."))
    info: dict[str, Any] = {
        "file": path,
        "file_bytes": os.path.getsize(path),
        "name": meta.get(Key.NAME, ""),
        "description": meta.get(Key.DESCRIPTION, ""),
        "format_version": fmt,
        "exporter": meta.get(Key.EXPORTER, ""),
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
            "length": _int(meta, Key.REFERENCE_LENGTH, path),
            "tolerance": meta.get(Key.REFERENCE_TOLERANCE),
            "params": _json(meta, Key.REFERENCE_PARAMS, path),
            "input": _floats_summary(meta, Key.REFERENCE_INPUT, cin),
            "output": _floats_summary(meta, Key.REFERENCE_OUTPUT, cout),
        },
        "graph": graph,
        "metadata": {k: v for k, v in meta.items() if k not in FLOAT_KEYS},
        "load": {},
    }
    return info


def _recipe_macs(recipe: Any) -> int | None:
    """MACs of a random TCN from its recipe, for files that do not state them. The recipe
    module needs neither PyTorch nor numpy; it is imported only for such a file."""
    try:
        from nnfx.exporter.random_recipe import Recipe

        return Recipe.from_dict(recipe).macs_per_sample
    except (NnfxError, TypeError):
        return None
