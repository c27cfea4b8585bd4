"""Helpers for the exporter tests: read a model file back and run it with ONNX Runtime.

Independent of nnfx.exporter's own check: the file is opened from disk, N, M and knobs
are read from its metadata, and the graph is run block by block as a host would.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import onnx
import onnxruntime as ort
import torch

# CI runs pytest -n 2 on 2 cores: two torch threads per worker only spin against each other
# (an export measured 8 s of CPU with 2 threads under load, 0.9 s with 1).
torch.set_num_threads(1)


def metadata(path: str) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load(path).metadata_props}


def decode(meta: dict[str, str], key: str, channels: int) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(meta[key]), dtype="<f4").copy()
    return raw.reshape(channels, -1)


def reference(path: str) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    meta = metadata(path)
    x = decode(meta, "nnfx.reference_input", int(meta["nnfx.in_channels"]))
    y = decode(meta, "nnfx.reference_output", int(meta["nnfx.out_channels"]))
    return x, y, meta


def ort_run(path: str, x: np.ndarray, params: list[float] | None = None) -> np.ndarray:
    """``x`` [C_in, L] through the file, blocks of N with an M-frame look-back, state carried."""
    meta = metadata(path)
    n, m = int(meta["nnfx.block_size"]), int(meta["nnfx.lookback"])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    inputs = {i.name: i for i in sess.get_inputs()}
    knobs = json.loads(meta.get("nnfx.params", "[]"))
    if params is None:
        params = [k["default"] for k in knobs]
    state_names = sorted(k for k in inputs if k.startswith("state_in."))
    state = {k: np.zeros(inputs[k].shape, np.float32) for k in state_names}
    cin, length = x.shape
    blocks = -(-length // n)
    buf = np.zeros((1, cin, m + blocks * n), np.float32)
    buf[0, :, m : m + length] = x
    outs = []
    for b in range(blocks):
        feed = {"audio_in": buf[:, :, b * n : b * n + m + n], **state}
        if "params" in inputs:
            feed["params"] = np.asarray(params, np.float32).reshape(1, -1)
        names = ["audio_out"] + [s.replace("state_in.", "state_out.") for s in state_names]
        res = sess.run(names, feed)
        outs.append(res[0][0])
        state = dict(zip(state_names, res[1:], strict=True))
    return np.concatenate(outs, axis=1)[:, :length]


def op_types(path: str) -> set[str]:
    return {n.op_type for n in onnx.load(path).graph.node}


REQUIRED_KEYS = [
    "nnfx.format_version",
    "nnfx.sample_rate",
    "nnfx.block_size",
    "nnfx.lookback",
    "nnfx.receptive_field",
    "nnfx.in_channels",
    "nnfx.out_channels",
    "nnfx.latency",
    "nnfx.params",
    "nnfx.architecture",
    "nnfx.name",
    "nnfx.description",
    "nnfx.parameter_count",
    "nnfx.macs_per_sample",
    "nnfx.exporter",
    "nnfx.reference_input",
    "nnfx.reference_params",
    "nnfx.reference_output",
    "nnfx.reference_length",
    "nnfx.reference_tolerance",
]

# Graph ops that are shape arithmetic, not audio compute: none may survive the export.
SHAPE_OPS = {"Shape", "Gather", "Constant", "ConstantOfShape", "Range", "Size", "Identity"}
