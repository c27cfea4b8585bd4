"""`nnfx bench --quick` on a tiny model file: the output has every section and every figure is
a positive, finite number. No timing is asserted (the machine is shared and noisy)."""

from __future__ import annotations

import json
import math
import subprocess

import pytest
from cli_runner import nnfx_cli
from repo import ROOT


def _nnfx(*args: str) -> subprocess.CompletedProcess[str]:
    return nnfx_cli(*args, cwd=ROOT)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("bench") / "tiny.onnx")
    out = _nnfx("random", "--layers", "2", "--channels", "2", "--block", "16", "-o", path)
    assert out.returncode == 0, out.stderr
    return path


def _positive(x: object) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def test_bench_json(tiny: str) -> None:
    out = _nnfx("bench", tiny, "--quick", "--json", "--blocks", "16,64")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert _positive(data["machine"]["peak_gmacs"])
    assert "GHz" in data["machine"]["peak_derivation"]
    (model,) = data["models"]
    for engine in ("c-stream", "c-lookback", "ort"):
        for block in ("16", "64"):
            t = model["timings"][engine][block]
            assert _positive(t["rtf"]) and _positive(t["core_percent"]), (engine, block, t)
            assert t["rtf_min"] <= t["rtf"] <= t["rtf_max"]
    assert set(model["skipped"]) == {"torch", "torchscript"}  # a file has no source module
    assert _positive(model["info"]["macs_per_sample"])
    assert _positive(model["info"]["memory_bytes"]) and _positive(model["lookback_memory_bytes"])
    assert _positive(model["load_ms"]["median"])
    assert all(_positive(v) for v in model["gmacs_c_stream"].values())
    assert model["verify_error"] is not None and model["verify_error"] <= model["verify_tolerance"]
    assert any(t["target"].startswith("load time") for t in data["targets"])


def test_bench_text(tiny: str) -> None:
    out = _nnfx("bench", tiny, "--quick", "--engines", "c-stream,ort")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for needle in (
        "peak FP32 multiply-add rate",
        "MACs/sample",
        "C stream",
        "ORT (graph N=16)",
        "% peak",
        "targets",
    ):
        assert needle in text, needle


def test_bench_errors(tmp_path: object) -> None:
    out = _nnfx("bench", "/nonexistent.onnx")
    assert out.returncode == 2 and "no such file" in out.stderr
    out = _nnfx("bench")
    assert out.returncode == 2 and "either a model file or --zoo" in out.stderr
    out = _nnfx("bench", "--zoo", "--blocks", "0")
    assert out.returncode == 2 and "--blocks" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
