"""Figures read from an exported graph: multiply-accumulates per sample, weight count."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

AUDIO_INPUTS_PREFIXES = ("audio_in", "state_in.")


def _audio_dependent(model: onnx.ModelProto) -> set[str]:
    """Names of tensors that depend on audio input or recurrent state (not only on params)."""
    live = {i.name for i in model.graph.input if i.name.startswith(AUDIO_INPUTS_PREFIXES)}
    for node in model.graph.node:
        if any(i in live for i in node.input if i):
            live.update(o for o in node.output if o)
    return live


def macs_per_sample(model: onnx.ModelProto) -> int:
    """Multiply-accumulates per output frame when streaming.

    Counts the linear operators on the audio path: a Conv costs its weight's element
    count per output frame (``C_out * C_in/groups * K``); LSTM/GRU/RNN cost their input
    and recurrent weight counts per frame; MatMul/Gemm cost the element count of their
    constant operand per frame. Elementwise operators and the per-block knob network
    (which depends on ``params`` only) are not counted.
    """
    inits = {t.name: t for t in model.graph.initializer}
    live = _audio_dependent(model)

    def size(name: str) -> int:
        t = inits.get(name)
        return int(np.prod(t.dims)) if t is not None else 0

    total = 0
    for node in model.graph.node:
        if not any(i in live for i in node.input if i):
            continue
        if node.op_type == "Conv" and len(node.input) > 1:
            total += size(node.input[1])
        elif node.op_type in ("LSTM", "GRU", "RNN"):
            total += size(node.input[1]) + size(node.input[2])
        elif node.op_type in ("MatMul", "Gemm"):
            total += sum(size(i) for i in node.input[:2])
    return total


def weight_count(model: onnx.ModelProto) -> int:
    """Float elements held in initializers with more than one element (weights, biases)."""
    n = 0
    for t in model.graph.initializer:
        if t.data_type in (
            onnx.TensorProto.FLOAT,
            onnx.TensorProto.DOUBLE,
            onnx.TensorProto.FLOAT16,
        ):
            count = int(np.prod(t.dims)) if len(t.dims) else 1
            if count > 1:
                n += count
    return n


def initializer(model: onnx.ModelProto, name: str) -> np.ndarray:
    for t in model.graph.initializer:
        if t.name == name:
            return numpy_helper.to_array(t)
    raise KeyError(name)
