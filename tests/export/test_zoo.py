"""The model zoo and ``nnfx zoo``: every preset builds, small ones export and match ONNX
Runtime, the long one reaches over a second, and command-line errors are one line, exit 2.

Tolerance 1e-5 absolute between ONNX Runtime and PyTorch (summation order only; see
tests/export/test_export.py).
"""

from __future__ import annotations

import json

import export_util as eu
import numpy as np
import pytest

from nnfx.cli import main
from nnfx.exporter import zoo

TOL = 1e-5


def test_names_and_builds() -> None:
    names = zoo.names()
    for required in (
        "wavenet1",
        "wavenet2",
        "wavenet3",
        "lstm16",
        "lstm32",
        "lstm64",
        "gru32",
        "overdrive",
        "longtail",
        "stereo-spread",
    ):
        assert required in names
    for name in names:
        m = zoo.build(name)
        info = m.nnfx_info
        assert info.name == name
        assert info.architecture["kind"] in ("wavenet", "lstm", "gru", "random_tcn")
    assert zoo.build("longtail").nnfx_info.receptive_field >= 48000  # over one second
    assert zoo.build("stereo-spread").nnfx_info.out_channels == 2
    assert [p.name for p in zoo.build("lstm32-knobs").nnfx_info.params] == ["drive", "tone"]


def test_unknown_name() -> None:
    with pytest.raises(Exception, match="unknown zoo model 'nope'.*overdrive"):
        zoo.build("nope")


@pytest.mark.parametrize("name", ["overdrive", "stereo-spread", "gru16", "lstm32-knobs"])
def test_cli_exports_and_matches(tmp_path, capsys, name) -> None:
    path = str(tmp_path / f"{name}.onnx")
    assert main(["zoo", name, "-o", path, "--block", "128", "--sample-rate", "44100"]) == 0
    assert "reference check" in capsys.readouterr().out
    x, y_ref, meta = eu.reference(path)
    assert meta["nnfx.name"] == name
    assert meta["nnfx.block_size"] == "128" and meta["nnfx.sample_rate"] == "44100"
    assert np.max(np.abs(eu.ort_run(path, x) - y_ref)) < TOL
    arch = json.loads(meta["nnfx.architecture"])
    if arch["kind"] == "random_tcn":
        assert arch["recipe"]["seed"] == zoo.build(name).recipe.seed


def test_longtail_exports(tmp_path) -> None:
    path = str(tmp_path / "longtail.onnx")
    assert main(["zoo", "longtail", "-o", path, "--block", "8192"]) == 0
    x, y_ref, meta = eu.reference(path)
    assert int(meta["nnfx.receptive_field"]) == 65535
    assert x.shape[1] == 48000  # the reference is capped at one second
    assert np.max(np.abs(eu.ort_run(path, x) - y_ref)) < TOL


def test_list(capsys) -> None:
    assert main(["zoo", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in zoo.names())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["zoo", "nope", "-o", "{tmp}/x.onnx"], "unknown zoo model 'nope'"),
        (["zoo", "overdrive", "-o", "{tmp}/missing/x.onnx"], "does not exist"),
        (["zoo", "overdrive", "-o", "{tmp}/x.onnx", "--block", "0"], "block size"),
        (["zoo", "overdrive", "-o", "{tmp}/x.onnx", "--block", "65537"], "block size"),
        (["zoo", "overdrive", "-o", "{tmp}/x.onnx", "--sample-rate", "5"], "sample rate"),
        (["zoo", "overdrive"], "-o FILE.onnx"),
        (["zoo"], "preset name"),
    ],
)
def test_cli_errors(tmp_path, capsys, argv, message) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_error_in_a_real_process(tmp_path, nnfx_cli) -> None:
    r = nnfx_cli("zoo", "overdrive", "--block", "x", "-o", "a.onnx", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
