"""Compiling the reader's C test programs for pytest (tests/test_onnx_reader.py and
tests/test_hostile_files.py).

The programs are compiled straight from runtime_c's sources with the strict warning set,
under gcc or clang, with AddressSanitizer + UndefinedBehaviorSanitizer and
``-fno-sanitize-recover=all`` (any finding aborts with a non-zero exit).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "runtime_c"
SRC = RUNTIME / "src"

# The reader, writer and graph checks with what they need, without the engine.
READER_SOURCES = [
    "alloc.c", "error.c", "onnx_names.c", "onnx_reader.c", "onnx_validate.c", "onnx_writer.c",
    "version.c",
]
WARNINGS = ["-std=c99", "-Wall", "-Wextra", "-Werror"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
# Sanitizer findings that must never appear in a run's output.
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehavior")


def has_full_loader() -> bool:
    """True when runtime_c defines nnfx_model_load_memory (the engine's full loader)."""
    pattern = re.compile(r"^nnfx_result\s+nnfx_model_load_memory\s*\(", re.M)
    return any(pattern.search(p.read_text(errors="replace")) for p in SRC.glob("*.c"))


def build(
    main: Path, out: Path, *, cc: str = "gcc", sanitize: bool = True, full: bool = False,
    opt: str = "-O1", static: bool = False,
) -> Path:
    """Compile a test program; full=True links every runtime_c source (the whole library)."""
    if full:
        sources = sorted(str(p) for p in SRC.glob("*.c"))
    else:
        sources = [str(SRC / s) for s in READER_SOURCES]
    flags = WARNINGS + [opt, "-g", f"-I{RUNTIME / 'include'}", f"-I{SRC}"]
    if sanitize:
        flags += SANITIZE
    if full:
        flags.append("-DNNFX_HAVE_MODEL_LOAD")
    if static:  # for cross builds run under qemu-user without a target sysroot
        flags.append("-static")
    cmd = [cc, *flags, str(main), *sources, "-o", str(out), "-lm", "-lpthread"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"compile failed: {' '.join(cmd)}\n{proc.stderr[-4000:]}")
    return out


def run(
    exe: Path, *args: str, timeout: float = 300, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a test program with leak detection on; output captured as text."""
    env = dict(os.environ)
    env.update(env_extra or {})
    # Full malloc stacks in leak reports: they name the function that lost the memory.
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:exitcode=99:fast_unwind_on_malloc=0"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, errors="replace", timeout=timeout,
        env=env,
    )


def assert_clean(proc: subprocess.CompletedProcess[str], what: str) -> None:
    """Exit status 0 and no sanitizer report in the output."""
    text = proc.stdout + proc.stderr
    for mark in SANITIZER_MARKS:
        assert mark not in text, f"{what}: sanitizer report:\n{text[-6000:]}"
    assert proc.returncode == 0, f"{what}: exit {proc.returncode}\n{text[-6000:]}"
