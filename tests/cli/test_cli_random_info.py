"""``nnfx random`` and ``nnfx info`` as a user runs them: output, files, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
from cli_runner import nnfx_cli

from nnfx import modelfile
from nnfx.exporter.random_recipe import ACTIVATIONS, INITS, Recipe


def assert_one_line_error(res: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    err = res.stderr.strip()
    assert "Traceback" not in res.stderr and err.count("\n") == 0, res.stderr
    for needle in needles:
        assert needle in err, (needle, err)


@pytest.fixture(scope="module")
def stereo_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Recipe]:
    path = tmp_path_factory.mktemp("random") / "spread.onnx"
    res = nnfx_cli(
        "random",
        "--layers", "4",
        "--kernel", "3",
        "--channels", "6",
        "--growth", "3",
        "--activation", "gelu",
        "--init", "kaiming_normal",
        "--seed", "2024",
        "--bias",
        "--depthwise",
        "--out-channels", "2",
        "--in-gain", "-3",
        "--out-gain", "2.5",
        "--sample-rate", "44100",
        "--block", "128",
        "-o", str(path),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    recipe = Recipe(
        layers=4,
        kernel=3,
        channels=6,
        growth=3,
        activation="gelu",
        init="kaiming_normal",
        seed=2024,
        bias=1,
        depthwise=1,
        out_channels=2,
        in_gain_db=-3.0,
        out_gain_db=2.5,
    )
    return path, res.stdout, recipe


def test_random_prints_figures_and_writes_the_file(stereo_file: tuple[Path, str, Recipe]) -> None:
    path, out, recipe = stereo_file
    rf = recipe.receptive_field
    assert rf == 1 + 2 * (1 + 3 + 9 + 27)
    assert f"receptive field {rf} samples ({1000 * rf / 44100:.2f} ms" in out
    assert f"parameters {recipe.parameter_count}, {recipe.macs_per_sample} MACs/sample" in out
    model = onnx.load(str(path))
    meta = modelfile.metadata_of(model)
    assert meta["nnfx.sample_rate"] == "44100" and meta["nnfx.block_size"] == "128"
    assert meta["nnfx.lookback"] == str(rf - 1)
    assert Recipe.from_dict(json.loads(meta["nnfx.architecture"])["recipe"]) == recipe
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert shape == [1, 1, rf - 1 + 128]


def test_info_in_words(stereo_file: tuple[Path, str, Recipe]) -> None:
    path, _, recipe = stereo_file
    res = nnfx_cli("info", str(path))
    assert res.returncode == 0, res.stderr
    out = res.stdout
    rf = recipe.receptive_field
    assert f"receptive field {rf} frames ({1000 * rf / 44100:.3g} ms)" in out
    assert f"look-back {rf - 1} frames" in out
    assert "latency 0 frames" in out
    assert "channels: 1 in -> 2 out" in out
    assert f"{recipe.parameter_count} parameters, {recipe.macs_per_sample} MACs/sample" in out
    assert "sample rate 44100 Hz, block 128 frames" in out
    assert "knobs: none" in out
    assert "randomized TCN" in out and "kaiming_normal init, seed 2024, bias, depthwise" in out
    assert "gains -3.0 dB in, 2.5 dB out" in out


def test_info_json(stereo_file: tuple[Path, str, Recipe]) -> None:
    path, _, recipe = stereo_file
    res = nnfx_cli("info", str(path), "--json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["receptive_field"] == recipe.receptive_field
    assert info["receptive_field_ms"] == pytest.approx(1000 * recipe.receptive_field / 44100)
    assert info["lookback"] == recipe.lookback and info["latency"] == 0
    assert info["parameter_count"] == recipe.parameter_count
    assert info["macs_per_sample"] == recipe.macs_per_sample
    assert (info["in_channels"], info["out_channels"]) == (1, 2)
    assert info["params"] == [] and info["state"] == {}
    assert Recipe.from_dict(info["architecture"]["recipe"]) == recipe
    ref = info["reference"]
    assert ref["input"]["valid"] and ref["output"]["valid"]
    assert ref["input"]["frames"] == ref["output"]["frames"] == ref["length"]
    # every metadata key is reported; the two base64 blobs are summarised instead
    model = onnx.load(str(path))
    keys = {p.key for p in model.metadata_props}
    assert set(info["metadata"]) == keys - {"nnfx.reference_input", "nnfx.reference_output"}


def test_info_shows_knobs(tmp_path: Path) -> None:
    # a hand-made file with one knob and a recurrent state, to see both described in words
    path = tmp_path / "knobs.onnx"
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["audio_in"], ["audio_out"])],
        "g",
        [
            onnx.helper.make_tensor_value_info("audio_in", onnx.TensorProto.FLOAT, [1, 1, 64]),
            onnx.helper.make_tensor_value_info("params", onnx.TensorProto.FLOAT, [1, 1]),
            onnx.helper.make_tensor_value_info("state_in.0", onnx.TensorProto.FLOAT, [1, 1, 8]),
        ],
        [onnx.helper.make_tensor_value_info("audio_out", onnx.TensorProto.FLOAT, [1, 1, 64])],
    )
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    knob = {"name": "drive", "min": 0.0, "max": 10.0, "default": 5.0, "unit": "dB"}
    meta = modelfile.build_metadata(
        sample_rate=48000,
        block_size=64,
        lookback=0,
        latency=12,
        params=[knob],
        architecture={"kind": "lstm", "hidden": 8},
    )
    modelfile.set_metadata(model, meta)
    onnx.save(model, str(path))
    res = nnfx_cli("info", str(path))
    assert res.returncode == 0, res.stderr
    assert "drive: 0.0 .. 10.0 dB, default 5.0" in res.stdout
    assert "latency 12 frames (0.25 ms)" in res.stdout
    assert "state_in.0 [1, 1, 8]" in res.stdout
    assert 'architecture: lstm {"hidden": 8}' in res.stdout
    assert "reference: none" in res.stdout


def test_info_does_not_import_torch(stereo_file: tuple[Path, str, Recipe]) -> None:
    path = stereo_file[0]
    code = (
        "import sys, argparse\n"
        "from nnfx.cli import info\n"
        f"info.run(argparse.Namespace(file={str(path)!r}, json=True))\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_info_into_a_closed_pipe_is_quiet(stereo_file: tuple[Path, str, Recipe]) -> None:
    """`nnfx info FILE | head -1`: the reader leaves early; no traceback, exit status 141."""
    proc = subprocess.Popen([sys.executable, "-m", "nnfx", "info", str(stereo_file[0])],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the program has written anything (it is still importing)
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141, err
    assert "Traceback" not in err, err


# -------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "args,needles",
    [
        (["--layers", "0"], ["'layers'", "1-24"]),
        (["--layers", "25"], ["'layers'", "1-24"]),
        (["--kernel", "65"], ["'kernel'", "1-64"]),
        (["--channels", "0"], ["'channels'", "1-64"]),
        (["--growth", "5"], ["'growth'", "1-4"]),
        (["--seed", "16777216"], ["'seed'", "0-16777215"]),
        (["--in-channels", "3"], ["'in_channels'", "1-2"]),
        (["--out-channels", "0"], ["'out_channels'", "1-2"]),
        (["--in-gain", "61"], ["'in_gain_db'", "-60...60"]),
        (["--out-gain", "-70"], ["'out_gain_db'", "-60...60"]),
        (["--activation", "swish"], ["swish", *ACTIVATIONS]),
        (["--init", "he"], ["'he'", *INITS]),
        (["--block", "0"], ["--block 0", "1-65536"]),
        (["--block", "65537"], ["--block 65537", "1-65536"]),
        (["--sample-rate", "0"], ["--sample-rate 0"]),
        (["--layers", "24", "--kernel", "64", "--growth", "4"], ["receptive field", "exceeds"]),
        (["--layers", "three"], ["--layers", "invalid int"]),
    ],
)
def test_random_bad_input(args: list[str], needles: list[str], tmp_path: Path) -> None:
    out = tmp_path / "x.onnx"
    res = nnfx_cli("random", *args, "-o", str(out))
    assert_one_line_error(res, *needles)
    assert not out.exists()


def test_random_missing_output_directory(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    res = nnfx_cli("random", "-o", str(missing / "x.onnx"))
    assert_one_line_error(res, "output directory", str(missing), "does not exist")


def test_random_needs_an_output() -> None:
    assert_one_line_error(nnfx_cli("random"), "-o")


def test_info_bad_files(tmp_path: Path) -> None:
    assert_one_line_error(nnfx_cli("info", str(tmp_path / "nope.onnx")), "no such file")
    assert_one_line_error(nnfx_cli("info", str(tmp_path)), "is a directory")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\xff\xfe this is not protobuf \x00\x01" * 50)
    assert_one_line_error(nnfx_cli("info", str(garbage)), "is not an ONNX model")
    plain = tmp_path / "plain.onnx"  # a valid ONNX file without nnfx metadata
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["a"], ["b"])],
        "g",
        [onnx.helper.make_tensor_value_info("a", onnx.TensorProto.FLOAT, [1])],
        [onnx.helper.make_tensor_value_info("b", onnx.TensorProto.FLOAT, [1])],
    )
    onnx.save(onnx.helper.make_model(graph), str(plain))
    assert_one_line_error(nnfx_cli("info", str(plain)), "not an nnfx model file")
    broken = tmp_path / "broken.onnx"  # nnfx metadata with a malformed required key
    model = onnx.helper.make_model(graph)
    modelfile.set_metadata(model, {"nnfx.format_version": "1", "nnfx.sample_rate": "fast"})
    onnx.save(model, str(broken))
    assert_one_line_error(nnfx_cli("info", str(broken)), "nnfx.sample_rate", "'fast'")
