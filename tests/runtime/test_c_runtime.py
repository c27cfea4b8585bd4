"""The engine's C tests (runtime_c/tests/test_engine.c): zero allocation while processing,
flush-to-zero and no subnormal state, NaN/Inf recovery, stream/look-back agreement at block
sizes 1, 16, 64, 97, 4096. Built by runtime_c's Makefile (normal and with AddressSanitizer +
UndefinedBehaviorSanitizer), run on two randomized networks built in C and on PyTorch exports
(gated WaveNet block, LSTM and GRU with state pairs)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import engine_models as em
import pytest

SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    d = tmp_path_factory.mktemp("engine_models")
    paths = []
    for name in ("gated", "lstm", "gru", "shape"):
        p = d / f"{name}.onnx"
        em.export(em.make(name), p, fold=name != "shape", reference=False)
        paths.append(str(p))
    return paths


def _make(target: str, build: Path, cc: str = "gcc") -> None:
    proc = subprocess.run(
        ["make", "-C", str(em.RUNTIME), target, f"BUILD={build}", f"CC={cc}"],
        capture_output=True, text=True, timeout=900,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "all engine checks passed" in out, out[-4000:]
    for mark in SANITIZER_MARKS:
        assert mark not in out, out[-4000:]


def _run(exe: Path, args: list[str]) -> str:
    proc = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "all engine checks passed" in out, out[-4000:]
    for mark in SANITIZER_MARKS:
        assert mark not in out, out[-4000:]
    return out


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_engine_c_tests(tmp_path: Path, exported: list[str], cc: str):
    build = tmp_path / cc
    _make("test", build, cc)  # builds and runs on the C-built random networks
    _run(build / "tests" / "test_engine", exported)


def test_engine_c_tests_sanitized(tmp_path: Path, exported: list[str]):
    build = tmp_path / "asan"
    _make("asan", build)
    _run(Path(f"{build}-asan") / "tests" / "test_engine", exported)
