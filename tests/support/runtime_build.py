"""Compiling C programs against runtime_c for the tests: the one place that knows the
compiler command (strict warnings, the runtime's sources and include folders from
runtime_c/sources.mk through nnfx.runtime_sources, sanitizers, the allocation wrappers), and
running such a program with the sanitizers' reports turned into test failures.

Every build site of the suite (the engine's nnfx_run, the reader's test program, the hostile
files' loader, the host layer's test program, the random-network tool, the vector kernels)
calls :func:`compile_c_program`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from repo import RUNTIME

from nnfx import runtime_sources

# The runtime is always compiled as runtime_c/Makefile compiles it: C99, every warning an
# error, and no fused multiply-add contraction (random_net.c needs bit-identical results).
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off"]
INCLUDES = [f"-I{d}" for d in runtime_sources.include_dirs()]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
# Linker wrappers for libc's allocator, so a test program can count allocations.
WRAP_ALLOC = ["-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free"]
# Sanitizer findings that must never appear in a run's output.
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehavior",
                   "ThreadSanitizer")


def compile_c_program(
    main: Path,
    out: Path,
    *,
    cc: str = "gcc",
    sources: str | Sequence[Path] = "NNFX_SOURCES",
    opt: str = "-O2",
    sanitize: bool = False,
    wrap_alloc: bool = False,
    static: bool = False,
    extra: Sequence[str] = (),
) -> Path:
    """Compile ``main`` with runtime sources into the program ``out`` and return its path.

    ``sources`` names a list of runtime_c/sources.mk (``"NNFX_SOURCES"``: the whole runtime;
    ``"NNFX_READER_SOURCES"``: the reader alone) or gives the files. ``sanitize`` adds
    AddressSanitizer + UndefinedBehaviorSanitizer (any finding aborts), ``wrap_alloc`` the
    libc allocation wrappers, ``static`` a static link (cross builds run under qemu-user
    without a target sysroot); ``extra`` goes in after the other flags (defines, -march...).
    """
    if isinstance(sources, str):
        files = [str(p) for p in runtime_sources.sources(which=sources)]
    else:
        files = [str(p) for p in sources]
    flags = [*STRICT, opt, "-g", *INCLUDES, *(SANITIZE if sanitize else []), *extra]
    if static:
        flags.append("-static")
    cmd = [cc, *flags, str(main), *files, *(WRAP_ALLOC if wrap_alloc else []),
           "-o", str(out), "-lm", "-pthread"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"compile failed: {' '.join(cmd)}\n{proc.stderr[-4000:]}")
    return out


def c_test_source(name: str) -> Path:
    """A C program of runtime_c/tests/ (``name`` without .c)."""
    return RUNTIME / "tests" / f"{name}.c"


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


def assert_no_sanitizer_report(text: str, what: str) -> None:
    """No sanitizer finding in a program's output."""
    for mark in SANITIZER_MARKS:
        assert mark not in text, f"{what}: sanitizer report:\n{text[-6000:]}"


def assert_clean(proc: subprocess.CompletedProcess[str], what: str) -> None:
    """Exit status 0 and no sanitizer report in the output."""
    text = proc.stdout + proc.stderr
    assert_no_sanitizer_report(text, what)
    assert proc.returncode == 0, f"{what}: exit {proc.returncode}\n{text[-6000:]}"
