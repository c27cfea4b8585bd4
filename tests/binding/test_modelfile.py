"""nnfx.modelfile: the key table against docs/model-file.md, the float codec, and metadata
built, written into an ONNX model and parsed back."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import onnx
import pytest
from repo import ROOT

from nnfx import modelfile
from nnfx.errors import NnfxError
from nnfx.modelfile import Key


def test_key_table_is_the_documented_one() -> None:
    rows = [
        line
        for line in (ROOT / "docs" / "model-file.md").read_text().splitlines()
        if line.startswith("| `nnfx.")
    ]
    documented = [k for row in rows for k in re.findall(r"`(nnfx\.[a-z_]+)`", row.split("|")[1])]
    assert list(modelfile.KEYS) == documented
    assert {v for k, v in vars(Key).items() if k.isupper()} == set(documented)
    required = [r.split("|")[1].strip(" `") for r in rows if "*required*" in r]
    assert list(modelfile.REQUIRED_KEYS) == required


def test_floats_round_trip_bit_exact() -> None:
    a = np.random.default_rng(0).standard_normal((2, 37)).astype(np.float32)
    a[0, 0], a[1, 1] = np.float32(1e-40), -0.0  # a subnormal and a negative zero survive
    text = modelfile.encode_floats(a)
    assert text.isascii()
    b = modelfile.decode_floats(text, 2)
    assert b.dtype == np.float32 and b.shape == (2, 37)
    assert a.tobytes() == b.tobytes()
    assert modelfile.decode_floats(text).shape == (74,)


def test_floats_refused() -> None:
    with pytest.raises(modelfile.NotBase64):
        modelfile.decode_floats("not base64!")
    six_bytes = modelfile.encode_floats(np.zeros(3, np.float32))[:8]  # "AAAAAAAA": 6 bytes
    with pytest.raises(ValueError, match="6 bytes is not a whole number of float32"):
        modelfile.decode_floats(six_bytes)
    three = modelfile.encode_floats(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="12 bytes is not 2 channels of float32"):
        modelfile.decode_floats(three, 2)


def _model() -> onnx.ModelProto:
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["audio_in"], ["audio_out"])],
        "g",
        [onnx.helper.make_tensor_value_info("audio_in", onnx.TensorProto.FLOAT, [1, 1, 8])],
        [onnx.helper.make_tensor_value_info("audio_out", onnx.TensorProto.FLOAT, [1, 1, 8])],
    )
    return onnx.helper.make_model(graph)


def test_build_write_parse() -> None:
    x = np.linspace(-1, 1, 40, dtype=np.float32).reshape(1, 40)
    knob = {"name": "drive", "min": 0.0, "max": 1.0, "default": 0.25, "unit": ""}
    meta = modelfile.build_metadata(
        sample_rate=44100,
        block_size=8,
        lookback=0,
        receptive_field=1,
        params=[knob],
        architecture={"kind": "custom", "class": "Id"},
        name="id",
        reference_input=x,
        reference_params=[0.25],
        reference_output=2 * x,
        reference_tolerance=1e-5,
    )
    assert list(meta) == [k for k in modelfile.KEYS if k in meta]  # documented order
    assert meta[Key.FORMAT_VERSION] == str(modelfile.FORMAT_VERSION)
    assert meta[Key.REFERENCE_LENGTH] == "40" and meta[Key.REFERENCE_TOLERANCE] == "1e-05"
    assert meta[Key.ARCHITECTURE] == '{"class": "Id", "kind": "custom"}'
    assert Key.IN_CHANNELS not in meta and Key.DESCRIPTION not in meta  # None: left out
    model = _model()
    modelfile.set_metadata(model, meta)
    read = modelfile.metadata_of(onnx.load_from_string(model.SerializeToString()))
    assert read == meta
    fm = modelfile.parse_metadata(read, 1, 1)
    assert (fm.block_size, fm.lookback, fm.sample_rate, fm.name) == (8, 0, 44100.0, "id")
    assert fm.default_params() == [0.25] and fm.reference_params == [0.25]
    assert fm.reference_tolerance == 1e-5
    assert fm.reference_input is not None and fm.reference_output is not None
    assert np.array_equal(fm.reference_output, 2 * x)


def test_set_metadata_updates_in_place_or_replaces() -> None:
    model = _model()
    modelfile.set_metadata(model, {Key.NAME: "a", Key.LATENCY: "0"})
    modelfile.set_metadata(model, {Key.NAME: "b", Key.DESCRIPTION: "d"})
    assert [(p.key, p.value) for p in model.metadata_props] == [
        (Key.NAME, "b"),
        (Key.LATENCY, "0"),
        (Key.DESCRIPTION, "d"),
    ]
    modelfile.set_metadata(model, {Key.NAME: "c"}, replace=True)
    assert modelfile.metadata_of(model) == {Key.NAME: "c"}


@pytest.mark.parametrize(
    "change, message",
    [
        ({Key.BLOCK_SIZE: None}, "no nnfx.block_size metadata"),
        ({Key.LOOKBACK: "x"}, "nnfx.lookback is not an integer"),
        ({Key.PARAMS: "{}"}, "nnfx.params is not a JSON list"),
        ({Key.REFERENCE_INPUT: "@@"}, "nnfx.reference_input is not valid base64"),
        ({Key.REFERENCE_OUTPUT: None}, "do not match in length"),
    ],
)
def test_parse_refuses(change: dict[str, str | None], message: str) -> None:
    x = np.zeros((1, 4), np.float32)
    meta = modelfile.build_metadata(
        sample_rate=48000, block_size=4, lookback=2, reference_input=x, reference_output=x
    )
    for k, v in change.items():
        if v is None:
            del meta[k]
        else:
            meta[k] = v
    with pytest.raises(NnfxError, match=re.escape(message)):
        modelfile.parse_metadata(meta, 1, 1)


def test_read_file_refuses_what_is_not_nnfx(tmp_path: Path) -> None:
    plain = tmp_path / "plain.onnx"
    onnx.save(_model(), str(plain))
    with pytest.raises(NnfxError, match="not an nnfx model file"):
        modelfile.read_file(str(plain))
    with pytest.raises(NnfxError, match="no such file"):
        modelfile.read_file(str(tmp_path / "missing.onnx"))
