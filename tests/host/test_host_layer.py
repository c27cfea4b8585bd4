"""The host layer (runtime_c/include/nnfx_host.h) through its C test program,
runtime_c/tests/test_host.c, compiled here from the runtime's sources.

Three builds: gcc -O2 (the plain build: checks values, continuity, smoothing, DC block,
threads, zero allocations in nnfx_host_process with libc's malloc/free wrapped by the linker),
clang with AddressSanitizer + UndefinedBehaviorSanitizer (any finding, leak included, fails),
and clang with ThreadSanitizer (the control/worker/audio hand-over must be race-free).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from runtime_build import INCLUDES, SANITIZER_MARKS, STRICT, c_test_source, compile_c_program

from nnfx import runtime_sources

SOURCES = {p.name: p for p in runtime_sources.sources()}


def _build(out: Path, cc: str, opt: str, sanitize: bool = False, extra: tuple[str, ...] = ()
           ) -> Path:
    return compile_c_program(c_test_source("test_host"), out, cc=cc, opt=opt, sanitize=sanitize,
                             wrap_alloc=True, extra=extra)


@pytest.fixture(scope="module")
def knob_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A zoo model with drive/tone knobs (FiLM), for the param checks of test_host.c."""
    import nnfx
    from nnfx.exporter import zoo

    path = tmp_path_factory.mktemp("knobs") / "wavenet1-knobs.onnx"
    module = zoo.build("wavenet1-knobs")
    nnfx.export(module, path, block_size=64, sample_rate=48000)
    return path


def _run(exe: Path, tmp: Path, knobs: Path) -> str:
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:exitcode=99"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    env["TSAN_OPTIONS"] = "halt_on_error=1:exitcode=66"
    proc = subprocess.run(
        [str(exe), str(tmp), str(knobs)], capture_output=True, text=True, timeout=600, env=env
    )
    text = proc.stdout + proc.stderr
    for mark in SANITIZER_MARKS:
        assert mark not in text, f"sanitizer report:\n{text[-6000:]}"
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert proc.returncode == 0 and not failed, "\n".join(failed) or text[-6000:]
    assert "PASSED: 0 failure(s)" in proc.stdout
    return proc.stdout


@pytest.mark.parametrize(
    ("cc", "opt", "sanitize", "extra"),
    [("gcc", "-O2", False, ()), ("clang", "-O1", True, ()),
     ("clang", "-O1", False, ("-fsanitize=thread",))],
    ids=["gcc-O2", "clang-asan-ubsan", "clang-tsan"],
)
def test_host_layer_c(
    tmp_path: Path, knob_model: Path, cc: str, opt: str, sanitize: bool, extra: tuple[str, ...]
) -> None:
    out = _run(_build(tmp_path / "test_host", cc, opt, sanitize, extra), tmp_path, knob_model)
    # The checks that matter most, named so a silently shortened program would be caught.
    for phrase in (
        "no malloc/free in 400 process calls",
        "audio thread made 0 allocations",
        "retired models freed by poll",
        "swap: max step",
        "bypass on/off: max step",
        "dcblock 1: DC removed",
        "ingain change is smoothed",
        "host output equals the model alone",
        "saved file equals nnfx_random_build",
        "verify of a designed network passes",
        "subnormal input: 0 subnormal output samples",
        "knob values reach the model",
        "knobs set before any audio apply at once",
        "knobs set while playing glide",
        "model_info right after loading B, before the swap",
        "normalized 0.5 gives the middle",
        "after swapping back to A",
        "recipe with true and an unknown key read",
    ):
        assert phrase in out, phrase


def test_host_sources_build_clean_for_arm() -> None:
    """The host layer cross-compiles (Bela armv7 NEON hard-float, Raspberry Pi aarch64) with
    the strict warning set: no x86-only code, and the atomics header works there."""
    names = ["host.c", "host_events.c", "host_messages.c", "host_query.c", "host_recipe.c",
             "host_worker.c", "host_thread.c", "random_net.c", "random_build.c"]
    for cc, flags in (
        ("arm-linux-gnueabihf-gcc",
         ["-march=armv7-a", "-mtune=cortex-a8", "-mfpu=neon", "-mfloat-abi=hard"]),
        ("aarch64-linux-gnu-gcc", []),
    ):
        for name in names:
            cmd = [cc, *STRICT, "-O2", *flags, *INCLUDES, "-c",
                   str(SOURCES[name]), "-o", os.devnull]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            assert proc.returncode == 0, f"{cc} {name}:\n{proc.stderr[-3000:]}"
