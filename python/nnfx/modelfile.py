"""The model file's ``nnfx.*`` metadata: every key once, and how to read, write and decode it.

docs/model-file.md defines the file; this module is its Python form and the one place in
Python that spells a metadata key. Values are strings (JSON where noted); the reference
signals are base64 of little-endian float32 (``encode_floats`` / ``decode_floats``).

Needs numpy only: ``read_file`` imports the ``onnx`` package when called, and the
functions that take a ``ModelProto`` only touch its ``metadata_props``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnfx.errors import NnfxError

FORMAT_VERSION = 1  # the file format version this package writes (nnfx.format_version)
DEFAULT_TOLERANCE = 1e-4  # nnfx.reference_tolerance when a file does not state one


class Key:
    """The metadata keys, as written in ``metadata_props`` (meanings in ``KEYS``)."""

    FORMAT_VERSION = "nnfx.format_version"
    SAMPLE_RATE = "nnfx.sample_rate"
    BLOCK_SIZE = "nnfx.block_size"
    LOOKBACK = "nnfx.lookback"
    RECEPTIVE_FIELD = "nnfx.receptive_field"
    IN_CHANNELS = "nnfx.in_channels"
    OUT_CHANNELS = "nnfx.out_channels"
    LATENCY = "nnfx.latency"
    PARAMS = "nnfx.params"
    ARCHITECTURE = "nnfx.architecture"
    NAME = "nnfx.name"
    DESCRIPTION = "nnfx.description"
    PARAMETER_COUNT = "nnfx.parameter_count"
    MACS_PER_SAMPLE = "nnfx.macs_per_sample"
    EXPORTER = "nnfx.exporter"
    REFERENCE_INPUT = "nnfx.reference_input"
    REFERENCE_PARAMS = "nnfx.reference_params"
    REFERENCE_OUTPUT = "nnfx.reference_output"
    REFERENCE_LENGTH = "nnfx.reference_length"
    REFERENCE_TOLERANCE = "nnfx.reference_tolerance"


# key -> meaning, in the order of docs/model-file.md (and of the files nnfx writes)
KEYS: dict[str, str] = {
    Key.FORMAT_VERSION: "required; integer, currently 1; a runtime refuses newer versions",
    Key.SAMPLE_RATE: "required; sample rate in Hz the model was made for",
    Key.BLOCK_SIZE: "required; N, the frames of audio_out per graph run",
    Key.LOOKBACK: "required; M, the frames of look-back before the block in audio_in",
    Key.RECEPTIVE_FIELD: "M + 1, in frames",
    Key.IN_CHANNELS: "C_in (must match the graph)",
    Key.OUT_CHANNELS: "C_out (must match the graph)",
    Key.LATENCY: "frames of latency inherent in the model (0 for causal models)",
    Key.PARAMS: 'JSON list, one {"name", "min", "max", "default", "unit"} per knob of params',
    Key.ARCHITECTURE: 'JSON object {"kind": ...}: random_tcn (with its recipe), wavenet, ...',
    Key.NAME: "short name shown by hosts",
    Key.DESCRIPTION: "free text",
    Key.PARAMETER_COUNT: "number of trained or random weights",
    Key.MACS_PER_SAMPLE: "multiply-accumulates per output frame when streaming",
    Key.EXPORTER: "'nnfx <version>', or another producer",
    Key.REFERENCE_INPUT: "base64 little-endian float32 [C_in, L]: a deterministic input",
    Key.REFERENCE_PARAMS: "JSON list of the knob values used for the reference",
    Key.REFERENCE_OUTPUT: "base64 little-endian float32 [C_out, L]: PyTorch's output, from silence",
    Key.REFERENCE_LENGTH: "L, frames of the reference",
    Key.REFERENCE_TOLERANCE: "max abs error a host accepts when verifying (default 1e-4)",
}
REQUIRED_KEYS = (Key.FORMAT_VERSION, Key.SAMPLE_RATE, Key.BLOCK_SIZE, Key.LOOKBACK)
FLOAT_KEYS = (Key.REFERENCE_INPUT, Key.REFERENCE_OUTPUT)  # base64 float32, not text


# ---------------------------------------------------------------------------- float codec


class NotBase64(ValueError):
    """Metadata text that should be base64 and is not."""


def encode_floats(a: np.ndarray) -> str:
    """Base64 of ``a`` as little-endian float32, row-major (``[channels, frames]``)."""
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")


def decode_floats(text: str, channels: int | None = None) -> np.ndarray:
    """float32 from ``encode_floats`` text: 1-D, or ``[channels, frames]`` when ``channels``
    is given. ``NotBase64`` when the text is not base64, ``ValueError`` when its bytes are
    not a whole number of float32 (of frames)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NotBase64("not base64") from exc
    if channels is None:
        if len(raw) % 4:
            raise ValueError(f"{len(raw)} bytes is not a whole number of float32")
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if len(raw) % (4 * channels):
        raise ValueError(f"{len(raw)} bytes is not {channels} channels of float32")
    return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(channels, -1)


# -------------------------------------------------------------------------------- reading


def read_bytes(path_or_bytes: str | os.PathLike[str] | bytes) -> bytes:
    """The bytes of a model file (given as a path, or already as bytes); NnfxError if unreadable."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        return bytes(path_or_bytes)
    try:
        with open(path_or_bytes, "rb") as f:
            return f.read()
    except OSError as exc:
        raise NnfxError(f"cannot read {os.fspath(path_or_bytes)}: {exc.strerror}") from exc


def metadata_of(model: Any) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX ``ModelProto`` as a dict."""
    return {p.key: p.value for p in model.metadata_props}


def read_file(path: str) -> tuple[dict[str, str], Any]:
    """(metadata, ``onnx.ModelProto``) of the file at ``path``; NnfxError, one line, for
    anything that is not an nnfx model file. Imports ``onnx``."""
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
    meta = metadata_of(model)
    if Key.FORMAT_VERSION not in meta:
        raise NnfxError(f"{path} is not an nnfx model file (no {Key.FORMAT_VERSION} metadata)")
    return meta, model


@dataclass
class FileMeta:
    """What a host needs from a file's metadata, typed; channels come from the graph."""

    block_size: int
    lookback: int
    in_channels: int
    out_channels: int
    sample_rate: float
    params: list[dict[str, Any]] = field(default_factory=list)
    reference_input: np.ndarray | None = None  # [C_in, L]
    reference_output: np.ndarray | None = None  # [C_out, L]
    reference_params: list[float] | None = None
    reference_tolerance: float = DEFAULT_TOLERANCE
    name: str = ""

    def default_params(self) -> list[float]:
        return [float(p["default"]) for p in self.params]


def _required_int(meta: Mapping[str, str], key: str) -> int:
    if key not in meta:
        raise NnfxError(f"the file has no {key} metadata (is it an nnfx model file?)")
    try:
        return int(meta[key])
    except ValueError as exc:
        raise NnfxError(f"metadata {key} is not an integer: {meta[key]!r}") from exc


def _floats(meta: Mapping[str, str], key: str, channels: int) -> np.ndarray | None:
    if key not in meta:
        return None
    try:
        return decode_floats(meta[key], channels)
    except NotBase64 as exc:
        raise NnfxError(f"metadata {key} is not valid base64") from exc
    except ValueError as exc:
        raise NnfxError(f"metadata {key}: {exc}") from exc


# float32's largest finite magnitude, rounded down as the C runtime's check has it
FLOAT32_LIMIT = 3e38


def check_params(params: Any) -> list[dict[str, Any]]:
    """The knob list of nnfx.params, checked as the C runtime checks it: each entry a string
    "name" (unique), finite float32 "min" <= "default" <= "max", an optional string "unit".
    NnfxError naming the entry otherwise."""
    if not isinstance(params, list):
        raise NnfxError(f"metadata {Key.PARAMS} is not a JSON list")
    seen: dict[str, int] = {}
    for i, p in enumerate(params):
        numbers = [p.get(k) for k in ("min", "default", "max")] if isinstance(p, dict) else []
        if (not isinstance(p, dict) or not isinstance(p.get("name"), str)
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                           for v in numbers)
                or not isinstance(p.get("unit", ""), str)):
            raise NnfxError(f'metadata {Key.PARAMS} entry {i}: needs string "name", numbers '
                            '"min", "max", "default" (and string "unit")')
        name = p["name"]
        lo, default, hi = (float(v) for v in numbers)
        if not all(abs(v) <= FLOAT32_LIMIT for v in (lo, default, hi)):
            raise NnfxError(f"metadata {Key.PARAMS} entry {i} ('{name}'): min, max and default "
                            "must be finite float32 values (|x| <= 3e38)")
        if not lo <= default <= hi:
            raise NnfxError(f"metadata {Key.PARAMS} entry {i} ('{name}'): need min <= default "
                            f"<= max (min {lo:g}, default {default:g}, max {hi:g})")
        if name in seen:
            raise NnfxError(f"metadata {Key.PARAMS} entries {seen[name]} and {i} have the same "
                            f"name '{name}': knob names must be unique")
        seen[name] = i
    return params


def parse_metadata(meta: Mapping[str, str], in_channels: int, out_channels: int) -> FileMeta:
    """FileMeta from a metadata map; NnfxError for a missing or malformed value."""
    try:
        params = json.loads(meta.get(Key.PARAMS, "[]") or "[]")
        ref_params = (
            [float(v) for v in json.loads(meta[Key.REFERENCE_PARAMS])]
            if Key.REFERENCE_PARAMS in meta
            else None
        )
        tol = float(meta.get(Key.REFERENCE_TOLERANCE, repr(DEFAULT_TOLERANCE)))
        sample_rate = float(meta.get(Key.SAMPLE_RATE, "0"))
    except (ValueError, TypeError) as exc:
        raise NnfxError(f"malformed nnfx metadata: {exc}") from exc
    check_params(params)
    fm = FileMeta(
        block_size=_required_int(meta, Key.BLOCK_SIZE),
        lookback=_required_int(meta, Key.LOOKBACK),
        in_channels=in_channels,
        out_channels=out_channels,
        sample_rate=sample_rate,
        params=params,
        reference_input=_floats(meta, Key.REFERENCE_INPUT, in_channels),
        reference_output=_floats(meta, Key.REFERENCE_OUTPUT, out_channels),
        reference_params=ref_params,
        reference_tolerance=tol,
        name=meta.get(Key.NAME, ""),
    )
    if fm.block_size < 1 or fm.lookback < 0:
        raise NnfxError(f"bad block size {fm.block_size} or look-back {fm.lookback} in metadata")
    if (fm.reference_input is None) != (fm.reference_output is None) or (
        fm.reference_input is not None
        and fm.reference_output is not None
        and fm.reference_input.shape[1] != fm.reference_output.shape[1]
    ):
        raise NnfxError("the embedded reference input and output do not match in length")
    return fm


# -------------------------------------------------------------------------------- writing


def build_metadata(
    *,
    sample_rate: int,
    block_size: int,
    lookback: int,
    receptive_field: int | None = None,
    in_channels: int | None = None,
    out_channels: int | None = None,
    latency: int | None = None,
    params: Sequence[Mapping[str, Any]] | None = None,
    architecture: Mapping[str, Any] | None = None,
    name: str | None = None,
    description: str | None = None,
    parameter_count: int | None = None,
    macs_per_sample: int | None = None,
    exporter: str | None = None,
    reference_input: np.ndarray | None = None,
    reference_params: Sequence[float] | None = None,
    reference_output: np.ndarray | None = None,
    reference_tolerance: float | str | None = None,
    format_version: int = FORMAT_VERSION,
) -> dict[str, str]:
    """The metadata map of a model file, in the order of docs/model-file.md; a key whose
    argument is None is left out. ``nnfx.reference_length`` is the reference's frames."""
    values: list[tuple[str, Any]] = [
        (Key.FORMAT_VERSION, format_version),
        (Key.SAMPLE_RATE, sample_rate),
        (Key.BLOCK_SIZE, block_size),
        (Key.LOOKBACK, lookback),
        (Key.RECEPTIVE_FIELD, receptive_field),
        (Key.IN_CHANNELS, in_channels),
        (Key.OUT_CHANNELS, out_channels),
        (Key.LATENCY, latency),
        (Key.PARAMS, None if params is None else json.dumps(list(params))),
        (
            Key.ARCHITECTURE,
            None if architecture is None else json.dumps(architecture, sort_keys=True),
        ),
        (Key.NAME, name),
        (Key.DESCRIPTION, description),
        (Key.PARAMETER_COUNT, parameter_count),
        (Key.MACS_PER_SAMPLE, macs_per_sample),
        (Key.EXPORTER, exporter),
        (Key.REFERENCE_INPUT, None if reference_input is None else encode_floats(reference_input)),
        (
            Key.REFERENCE_PARAMS,
            None if reference_params is None else json.dumps(list(reference_params)),
        ),
        (
            Key.REFERENCE_OUTPUT,
            None if reference_output is None else encode_floats(reference_output),
        ),
        (
            Key.REFERENCE_LENGTH,
            None if reference_input is None else np.asarray(reference_input).shape[-1],
        ),
        (
            Key.REFERENCE_TOLERANCE,
            reference_tolerance
            if reference_tolerance is None or isinstance(reference_tolerance, str)
            else repr(float(reference_tolerance)),
        ),
    ]
    return {k: str(v) for k, v in values if v is not None}


def set_metadata(model: Any, meta: Mapping[str, str], *, replace: bool = False) -> None:
    """Write ``meta`` into an ONNX ``ModelProto``'s ``metadata_props``: a key already there
    gets its new value in place, others are appended; ``replace`` clears the old ones first."""
    if replace:
        del model.metadata_props[:]
    entries = {p.key: p for p in model.metadata_props}
    for key, value in meta.items():
        if key in entries:
            entries[key].value = value
        else:
            entries[key] = model.metadata_props.add(key=key, value=value)
