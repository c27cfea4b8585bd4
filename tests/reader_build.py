"""Compiling the reader's C test programs for pytest (tests/test_onnx_reader.py and
tests/test_hostile_files.py).

Programs that need only the reader are compiled straight from its sources; programs that
need the whole library (the full loader) are built through runtime_c/Makefile. Both use the
strict warning set, gcc or clang, AddressSanitizer + UndefinedBehaviorSanitizer and
``-fno-sanitize-recover=all`` (any finding aborts with a non-zero exit).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from nnfx import runtime_sources

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "runtime_c"

WARNINGS = ["-std=c99", "-Wall", "-Wextra", "-Werror"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
# Sanitizer findings that must never appear in a run's output.
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehavior")


def has_full_loader() -> bool:
    """True when runtime_c defines nnfx_model_load_memory (the engine's full loader)."""
    pattern = re.compile(r"^nnfx_result\s+nnfx_model_load_memory\s*\(", re.M)
    return any(pattern.search(p.read_text(errors="replace")) for p in runtime_sources.sources())


def build(
    main: Path, out: Path, *, cc: str = "gcc", sanitize: bool = True, full: bool = False,
    opt: str = "-O1", static: bool = False,
) -> Path:
    """Compile a test program. full=True links it against the whole library, built by
    runtime_c/Makefile's own rules (its `$(BUILD)/reader/%` target) into a directory next to
    `out`, so per-file flags of the library are the Makefile's; the program's path is returned.
    """
    if full:
        return _build_with_make(main, out, cc=cc, sanitize=sanitize, opt=opt)
    # the reader, writer and graph checks with what they need, without the engine
    sources = [str(p) for p in runtime_sources.sources(which="NNFX_READER_SOURCES")]
    flags = WARNINGS + [opt, "-g"] + [f"-I{d}" for d in runtime_sources.include_dirs()]
    if sanitize:
        flags += SANITIZE
    if static:  # for cross builds run under qemu-user without a target sysroot
        flags.append("-static")
    cmd = [cc, *flags, str(main), *sources, "-o", str(out), "-lm", "-lpthread"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"compile failed: {' '.join(cmd)}\n{proc.stderr[-4000:]}")
    return out


def _build_with_make(main: Path, out: Path, *, cc: str, sanitize: bool, opt: str) -> Path:
    build_dir = out.parent / f"build-{cc}"
    flags = [opt, "-g"] + (SANITIZE if sanitize else [])
    target = build_dir / "reader" / main.stem
    cmd = ["make", "-s", "-C", str(RUNTIME), "-j2", f"CC={cc}", f"BUILD={build_dir}",
           f"OPT={' '.join(flags)}", str(target)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"build failed: {' '.join(cmd)}\n{proc.stderr[-4000:]}")
    return target


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
