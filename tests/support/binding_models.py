"""Small hand-built nnfx model files (onnx.helper, no torch) and their numpy reference.

Used by the binding and CLI tests so that they depend on the file contract
(docs/model-file.md) only, not on the exporter. Each model is a chain of valid
dilated convolutions with an activation between them and an optional ``gain``
knob multiplying the output (fed as ``params [1, 1]`` through Unsqueeze, the
pattern torch.onnx.export writes for a per-batch scale).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from nnfx import modelfile, testsignals


@dataclass
class ConvSpec:
    weight: np.ndarray  # [cout, cin, k] float32
    bias: np.ndarray  # [cout] float32
    dilation: int


@dataclass
class TinyModel:
    convs: list[ConvSpec]
    activation: str  # ONNX op between convolutions: "Tanh", "Relu", ...
    block_size: int
    gain_knob: bool
    sample_rate: int = 48000
    name: str = "tiny"
    knob_range: tuple[float, float, float] = (0.0, 2.0, 1.0)  # min, max, default
    meta_overrides: dict[str, str] = field(default_factory=dict)
    knob_shifts_first_layer: bool = False  # the knob is added after the first conv, not a gain

    @property
    def in_channels(self) -> int:
        return int(self.convs[0].weight.shape[1])

    @property
    def out_channels(self) -> int:
        return int(self.convs[-1].weight.shape[0])

    @property
    def lookback(self) -> int:
        return sum((c.weight.shape[2] - 1) * c.dilation for c in self.convs)

    def reference(self, x: np.ndarray, gain: float | None = None) -> np.ndarray:
        """Output for x [C_in, L] from silence, in float64 (numpy)."""
        m = self.lookback
        h = np.concatenate([np.zeros((x.shape[0], m)), x.astype(np.float64)], axis=1)
        for i, c in enumerate(self.convs):
            k, d = c.weight.shape[2], c.dilation
            length = h.shape[1] - (k - 1) * d
            y = np.zeros((c.weight.shape[0], length)) + c.bias.astype(np.float64)[:, None]
            for j in range(k):
                y += c.weight[:, :, j].astype(np.float64) @ h[:, j * d : j * d + length]
            knob = self.knob_range[2] if gain is None else gain
            if i == 0 and self.gain_knob and self.knob_shifts_first_layer:
                y = y + np.float64(np.float32(knob))
            h = y if i == len(self.convs) - 1 else _ACT[self.activation](y)
        if self.gain_knob and not self.knob_shifts_first_layer:
            h = h * (self.knob_range[2] if gain is None else gain)
        return h


_ACT = {
    "Tanh": np.tanh,
    "Relu": lambda v: np.maximum(v, 0.0),
    "Sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
}


def make_tiny(
    seed: int = 0,
    in_channels: int = 1,
    out_channels: int = 1,
    hidden: int = 4,
    kernels: tuple[int, ...] = (3, 2),
    dilations: tuple[int, ...] = (1, 2),
    activation: str = "Tanh",
    block_size: int = 16,
    gain_knob: bool = True,
    scale: float = 0.6,
) -> TinyModel:
    rng = np.random.default_rng(seed)
    convs = []
    for i, (k, d) in enumerate(zip(kernels, dilations, strict=True)):
        cin = in_channels if i == 0 else hidden
        cout = out_channels if i == len(kernels) - 1 else hidden
        w = (rng.standard_normal((cout, cin, k)) * scale / np.sqrt(cin * k)).astype(np.float32)
        b = (rng.standard_normal(cout) * 0.1).astype(np.float32)
        convs.append(ConvSpec(w, b, d))
    return TinyModel(convs, activation, block_size, gain_knob)


def add_nnfx_metadata(
    proto: onnx.ModelProto, overrides: Mapping[str, str] | None = None, **fields: Any
) -> None:
    """Write the nnfx metadata of a hand-made test file into ``proto``: the keys that
    ``nnfx.modelfile.build_metadata(**fields)`` makes, then ``overrides`` (raw key -> value,
    e.g. a malformed value a test wants the loader to refuse)."""
    meta = modelfile.build_metadata(**fields)
    meta.update(overrides or {})
    modelfile.set_metadata(proto, meta)


def to_onnx_bytes(model: TinyModel, reference_length: int = 480) -> bytes:
    n, m = model.block_size, model.lookback
    nodes, inits = [], []
    inputs = [
        helper.make_tensor_value_info("audio_in", TensorProto.FLOAT, [1, model.in_channels, m + n])
    ]
    cur = "audio_in"
    if model.gain_knob:
        inputs.append(helper.make_tensor_value_info("params", TensorProto.FLOAT, [1, 1]))
        inits.append(numpy_helper.from_array(np.array([2], dtype=np.int64), "axes2"))
        nodes.append(helper.make_node("Unsqueeze", ["params", "axes2"], ["gain3"], name="/unsq"))
    for i, c in enumerate(model.convs):
        inits += [
            numpy_helper.from_array(c.weight, f"conv{i}.weight"),
            numpy_helper.from_array(c.bias, f"conv{i}.bias"),
        ]
        out = f"conv{i}_out"
        nodes.append(
            helper.make_node(
                "Conv",
                [cur, f"conv{i}.weight", f"conv{i}.bias"],
                [out],
                name=f"/conv{i}/Conv",
                dilations=[c.dilation],
                kernel_shape=[c.weight.shape[2]],
                pads=[0, 0],
                strides=[1],
                group=1,
            )
        )
        cur = out
        if i == 0 and model.gain_knob and model.knob_shifts_first_layer:
            nodes.append(helper.make_node("Add", [cur, "gain3"], ["shifted0"], name="/shift/Add"))
            cur = "shifted0"
        if i < len(model.convs) - 1:
            nodes.append(helper.make_node(model.activation, [cur], [f"act{i}"], name=f"/act{i}"))
            cur = f"act{i}"
    if model.gain_knob and not model.knob_shifts_first_layer:
        nodes.append(helper.make_node("Mul", [cur, "gain3"], ["audio_out"], name="/gain/Mul"))
    else:
        nodes.append(helper.make_node("Identity", [cur], ["audio_out"], name="/out"))
    outputs = [
        helper.make_tensor_value_info("audio_out", TensorProto.FLOAT, [1, model.out_channels, n])
    ]
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, inits)
    proto = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="nnfx-tests"
    )
    proto.ir_version = 8
    x = testsignals.reference(reference_length, model.in_channels)
    lo, hi, default = model.knob_range
    params = [{"name": "gain", "min": lo, "max": hi, "default": default, "unit": ""}]
    add_nnfx_metadata(
        proto,
        model.meta_overrides,
        sample_rate=model.sample_rate,
        block_size=n,
        lookback=m,
        receptive_field=m + 1,
        in_channels=model.in_channels,
        out_channels=model.out_channels,
        latency=0,
        params=params if model.gain_knob else [],
        architecture={"kind": "custom"},
        name=model.name,
        reference_input=x,
        reference_params=[default] if model.gain_knob else [],
        reference_output=model.reference(x).astype(np.float32),
        reference_tolerance="1e-4",
    )
    onnx.checker.check_model(proto)
    return proto.SerializeToString()
