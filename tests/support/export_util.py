"""Helpers for the exporter tests: read a model file back and run it with ONNX Runtime.

Independent of nnfx.exporter's own check: the file is opened from disk, N, M and knobs
are read from its metadata (nnfx.modelfile), and the graph is run block by block as a host
would (nnfx.engines.OrtEngine, the one ONNX Runtime block runner).
"""

from __future__ import annotations

import numpy as np
import onnx
import torch

from nnfx import modelfile
from nnfx.engines import OrtEngine
from nnfx.modelfile import Key

# CI runs pytest -n 2 on 2 cores: two torch threads per worker only spin against each other
# (an export measured 8 s of CPU with 2 threads under load, 0.9 s with 1).
torch.set_num_threads(1)


def metadata(path: str) -> dict[str, str]:
    return modelfile.metadata_of(onnx.load(path))


def decode(meta: dict[str, str], key: str, channels: int) -> np.ndarray:
    return modelfile.decode_floats(meta[key], channels)


def reference(path: str) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    meta = metadata(path)
    x = decode(meta, Key.REFERENCE_INPUT, int(meta[Key.IN_CHANNELS]))
    y = decode(meta, Key.REFERENCE_OUTPUT, int(meta[Key.OUT_CHANNELS]))
    return x, y, meta


def ort_run(path: str, x: np.ndarray, params: list[float] | None = None) -> np.ndarray:
    """``x`` [C_in, L] through the file, blocks of N with an M-frame look-back, state carried."""
    return OrtEngine(path).run(x, params)


def op_types(path: str) -> set[str]:
    return {n.op_type for n in onnx.load(path).graph.node}


# every key of docs/model-file.md (tests/binding/test_modelfile.py checks that table)
REQUIRED_KEYS = list(modelfile.KEYS)

# Graph ops that are shape arithmetic, not audio compute: none may survive the export.
SHAPE_OPS = {"Shape", "Gather", "Constant", "ConstantOfShape", "Range", "Size", "Identity"}
