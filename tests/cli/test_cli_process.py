"""`nnfx process`, `nnfx verify` and `nnfx parity` on small hand-built model files.

Expected audio is computed in float64 numpy (tests/support/binding_models.py). Files are
written as 32-bit float WAV, so the file round trip is exact and the tolerance
is the binding's: 1e-5 max abs error for O(1) outputs of two small float32
convolutions (rounding is below 1e-6; see tests/binding/test_binding.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

import binding_models as bm
import numpy as np
import pytest
import soundfile as sf

from nnfx import modelfile, testsignals
from nnfx.cli import main

TOL = 1e-5
SR = 48000


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    d = tmp_path_factory.mktemp("cli")
    mono = bm.make_tiny(seed=11)
    stereo = bm.make_tiny(seed=12, in_channels=2, out_channels=2)
    mono_to_stereo = bm.make_tiny(seed=13, in_channels=1, out_channels=2)
    paths: dict[str, object] = {"dir": d, "mono": mono, "stereo": stereo, "m2s": mono_to_stereo}
    for name in ("mono", "stereo", "m2s"):
        p = d / f"{name}.onnx"
        p.write_bytes(bm.to_onnx_bytes(paths[name]))  # type: ignore[arg-type]
        paths[f"{name}.onnx"] = str(p)
    x = np.random.default_rng(5).uniform(-0.8, 0.8, (2, 5000)).astype(np.float32)
    paths["x"] = x
    for ch in (1, 2, 3):
        p = d / f"in{ch}.wav"
        sf.write(p, np.resize(x, (ch, 5000)).T, SR, subtype="FLOAT")
        paths[f"in{ch}.wav"] = str(p)
    return paths


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors (bad option values) exit 2
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _read(path: str) -> np.ndarray:
    data, sr = sf.read(path, dtype="float32", always_2d=True)
    assert sr == SR
    return data.T


def test_process_mono(files, tmp_path, capsys) -> None:
    out = str(tmp_path / "out.wav")
    code, _, err = _run(["process", files["in1.wav"], out, "-m", files["mono.onnx"]], capsys)
    assert code == 0, err
    y = _read(out)
    assert sf.info(out).subtype == "FLOAT"
    x = np.resize(files["x"], (1, 5000))
    assert y.shape == (1, 5000)
    assert np.max(np.abs(y - files["mono"].reference(x))) < TOL


@pytest.mark.parametrize("block,mode", [(1, "stream"), (97, "stream"), (97, "lookback")])
def test_process_block_and_mode(files, tmp_path, capsys, block: int, mode: str) -> None:
    out = str(tmp_path / "out.wav")
    argv = ["process", files["in1.wav"], out, "-m", files["mono.onnx"]]
    code, _, err = _run(argv + ["--block", str(block), "--mode", mode], capsys)
    assert code == 0, err
    y = _read(out)
    expected = files["mono"].reference(np.resize(files["x"], (1, 5000)))
    # look-back mode at a host block other than N buffers: the output is late by the
    # latency it reports (stderr); compare after removing it
    lat = 0
    if "latency" in err:
        lat = int(err.split("adds ")[1].split(" frames")[0])
    assert np.max(np.abs(y[:, lat:] - expected[:, : 5000 - lat])) < TOL


def test_mono_model_on_stereo_file_runs_each_channel(files, tmp_path, capsys) -> None:
    out = str(tmp_path / "out.wav")
    code, _, err = _run(["process", files["in2.wav"], out, "-m", files["mono.onnx"]], capsys)
    assert code == 0 and "each channel separately" in err
    y = _read(out)
    x = files["x"]
    for c in range(2):
        assert np.max(np.abs(y[c] - files["mono"].reference(x[c : c + 1])[0])) < TOL


def test_stereo_model_on_mono_file_duplicates(files, tmp_path, capsys) -> None:
    out = str(tmp_path / "out.wav")
    code, _, err = _run(["process", files["in1.wav"], out, "-m", files["stereo.onnx"]], capsys)
    assert code == 0 and "mono file" in err
    x1 = np.resize(files["x"], (1, 5000))
    expected = files["stereo"].reference(np.concatenate([x1, x1]))
    assert np.max(np.abs(_read(out) - expected)) < TOL


def test_mono_to_stereo_model(files, tmp_path, capsys) -> None:
    out = str(tmp_path / "out.wav")
    code, _, _ = _run(["process", files["in1.wav"], out, "-m", files["m2s.onnx"]], capsys)
    assert code == 0
    y = _read(out)
    assert y.shape == (2, 5000)
    assert np.max(np.abs(y - files["m2s"].reference(np.resize(files["x"], (1, 5000))))) < TOL


def test_knob_from_the_command_line(files, tmp_path, capsys) -> None:
    out = str(tmp_path / "out.wav")
    argv = ["process", files["in1.wav"], out, "-m", files["mono.onnx"], "--param", "gain=0.5"]
    code, _, err = _run(argv, capsys)
    assert code == 0, err
    x = np.resize(files["x"], (1, 5000))
    assert np.max(np.abs(_read(out) - files["mono"].reference(x, gain=0.5))) < TOL


def _one_line_error(code: int, err: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in err


def test_process_user_errors(files, tmp_path, capsys) -> None:
    out = str(tmp_path / "out.wav")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x07garbage")
    cases = [
        ([files["in3.wav"], out, "-m", files["stereo.onnx"]], "3-channel"),
        ([files["in2.wav"], out, "-m", files["m2s.onnx"]], "does not fit"),
        ([files["in1.wav"], out, "-m", str(tmp_path / "none.onnx")], "none.onnx"),
        ([files["in1.wav"], out, "-m", str(junk)], ""),
        ([str(tmp_path / "none.wav"), out, "-m", files["mono.onnx"]], "none.wav"),
        ([files["mono.onnx"], out, "-m", files["mono.onnx"]], "cannot read"),
        ([files["in1.wav"], str(tmp_path / "no" / "o.wav"), "-m", files["mono.onnx"]], "dir"),
        ([files["in1.wav"], out, "-m", files["mono.onnx"], "--block", "0"], "--block"),
        ([files["in1.wav"], out, "-m", files["mono.onnx"], "--param", "drive=1"], "drive"),
        ([files["in1.wav"], out, "-m", files["mono.onnx"], "--param", "gain"], "NAME=VALUE"),
        ([files["in1.wav"], str(tmp_path / "o.xyz"), "-m", files["mono.onnx"]], "format"),
    ]
    for argv, needle in cases:
        code, _, err = _run(["process", *argv], capsys)
        _one_line_error(code, err)
        assert needle in err, (argv, err)


def test_process_warnings(files, tmp_path, capsys) -> None:
    d = tmp_path
    x = np.resize(files["x"], (1, 5000)).copy()
    sf.write(d / "sr.wav", x.T, 44100, subtype="FLOAT")
    code, _, err = _run(
        ["process", str(d / "sr.wav"), str(d / "o.wav"), "-m", files["mono.onnx"]], capsys
    )
    assert code == 0 and "44100 Hz" in err and "48000 Hz" in err
    bad = x.copy()
    bad[0, 100] = np.nan
    sf.write(d / "nan.wav", bad.T, SR, subtype="FLOAT")
    code, _, err = _run(
        ["process", str(d / "nan.wav"), str(d / "o.wav"), "-m", files["mono.onnx"]], capsys
    )
    assert code == 0 and "non-finite" in err and "frame 100" in err
    assert np.all(np.isfinite(_read(str(d / "o.wav"))))
    # loud output into a 16-bit file warns about clipping
    sf.write(d / "pcm.wav", x.T, SR, subtype="PCM_16")
    code, _, err = _run(
        [
            "process",
            str(d / "pcm.wav"),
            str(d / "o.wav"),
            "-m",
            files["mono.onnx"],
            "--param",
            "gain=2",
        ],
        capsys,
    )
    peak = np.max(np.abs(files["mono"].reference(x, gain=2.0)))
    assert code == 0 and (("clip" in err) == (peak > 1.0))
    assert sf.info(str(d / "o.wav")).subtype == "PCM_16"


def test_progress_bar(files, tmp_path, capsys) -> None:
    out = str(tmp_path / "o.wav")
    argv = ["process", files["in1.wav"], out, "-m", files["mono.onnx"]]
    code, _, err = _run(argv + ["--progress"], capsys)
    assert code == 0 and "100.0%" in err
    code, _, err = _run(argv + ["--quiet"], capsys)
    assert code == 0 and err == ""


# -------------------------------------------------------------------- verify / parity


@pytest.fixture(scope="module")
def wrong_reference(files) -> str:
    mono = bm.make_tiny(seed=11)
    ref = mono.reference(testsignals.reference(480)).astype(np.float32)
    ref[0, 50] += 0.05
    mono.meta_overrides = {"nnfx.reference_output": modelfile.encode_floats(ref)}
    p = files["dir"] / "wrong.onnx"
    p.write_bytes(bm.to_onnx_bytes(mono))
    return str(p)


def test_verify(files, wrong_reference, capsys) -> None:
    code, out, _ = _run(["verify", files["stereo.onnx"]], capsys)
    assert code == 0
    assert out.count(": ok") == 2 and "stream" in out and "lookback" in out
    code, out, _ = _run(["verify", wrong_reference, "--mode", "stream"], capsys)
    assert code == 1 and "MISMATCH" in out and "5.000e-02" in out
    code, _, err = _run(["verify", str(files["dir"] / "absent.onnx")], capsys)
    _one_line_error(code, err)


def test_parity_passes_and_reports_every_block(files, capsys) -> None:
    argv = ["parity", files["stereo.onnx"], "--seconds", "0.2", "--blocks", "1,16,97"]
    code, out, err = _run(argv, capsys)
    assert code == 0, out + err
    assert "PASS" in out and "fixed N=16" in out
    for pair in (
        "ort vs pytorch",
        "c-stream vs ort",
        "c-lookback vs ort",
        "c-stream vs c-lookback",
    ):
        assert pair in out
    code, out, _ = _run(argv + ["--json", "--signals", "reference,noise"], capsys)
    result = json.loads(out)
    assert code == 0 and result["pass"] is True
    blocks = {r["block"] for r in result["rows"]}
    assert blocks == {1, 16, 97}
    assert {r["signal"] for r in result["rows"]} == {"reference", "noise"}
    assert max(r["max_abs_error"] for r in result["rows"]) < TOL


def test_parity_fails_on_a_wrong_reference(wrong_reference, capsys) -> None:
    code, out, _ = _run(["parity", wrong_reference, "--seconds", "0.1", "--blocks", "16"], capsys)
    assert code == 1 and "FAIL" in out
    assert "5.000e-02" in out


def test_parity_user_errors(files, tmp_path, capsys) -> None:
    for argv in (
        ["parity", str(tmp_path / "x.onnx")],
        ["parity", files["mono.onnx"], "--blocks", "0"],
        ["parity", files["mono.onnx"], "--signals", "speech"],
        ["parity", files["in1.wav"]],
    ):
        code, _, err = _run(argv, capsys)
        _one_line_error(code, err)


def test_entry_point_runs_as_a_program(files, tmp_path, nnfx_cli) -> None:
    out = str(tmp_path / "o.wav")
    proc = nnfx_cli("process", files["in1.wav"], out, "-m", files["mono.onnx"], timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert _read(out).shape == (1, 5000)
    proc = nnfx_cli("process", files["in3.wav"], out, "-m", files["stereo.onnx"], timeout=120)
    _one_line_error(proc.returncode, proc.stderr)


def test_parity_and_process_do_not_need_torch(files, tmp_path) -> None:
    # the runtime side (a Pd or board user's machine) has no PyTorch: these commands
    # must not import it
    script = (
        "import sys\n"
        "from nnfx.cli import main\n"
        f"a = main(['parity', {files['mono.onnx']!r}, '--seconds', '0.05', '--blocks', '16'])\n"
        f"b = main(['process', {files['in1.wav']!r}, {str(tmp_path / 'o.wav')!r}, '-m', "
        f"{files['mono.onnx']!r}, '-q'])\n"
        f"c = main(['verify', {files['mono.onnx']!r}])\n"
        "print(a, b, c, 'torch' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "0 0 0 False"
