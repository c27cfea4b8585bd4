"""The vector kernels (runtime_c/src/kernels/) against double-precision references, built by
every compiler nnfx supports: gcc and clang (the AVX2 path and the portable path in one run),
sanitized, and cross-built for 32-bit ARM (NEON flags) and aarch64, run under qemu-user."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from runtime_build import c_test_source, compile_c_program

from nnfx import runtime_sources

# the kernels folder of the runtime's source list alone
KERNELS = [p for p in runtime_sources.sources() if p.parent.name == "kernels"]
NEON = ["-mfpu=neon", "-mfloat-abi=hard"]

# name: (compile_c_program arguments, the program's runner)
BUILDS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "gcc": ({"cc": "gcc"}, []),
    "clang": ({"cc": "clang"}, []),
    "gcc-asan": ({"cc": "gcc", "opt": "-O1", "sanitize": True}, []),
    "clang-asan": ({"cc": "clang", "opt": "-O1", "sanitize": True}, []),
    "armhf": ({"cc": "arm-linux-gnueabihf-gcc", "extra": NEON, "static": True}, ["qemu-arm"]),
    "aarch64": ({"cc": "aarch64-linux-gnu-gcc", "static": True}, ["qemu-aarch64"]),
}


@pytest.mark.parametrize("build", list(BUILDS))
def test_kernels(build: str, tmp_path: Path) -> None:
    how, runner = BUILDS[build]
    exe = compile_c_program(c_test_source("test_kernels"), tmp_path / f"test_kernels_{build}",
                            sources=KERNELS, **how)
    out = subprocess.run([*runner, str(exe)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "test_kernels: ok" in out.stdout
    # both paths ran: the vector path first (avx2 when the CPU has it; neon on both ARM
    # builds, which the compilers target with NEON), then the portable one
    assert out.stdout.count("conv 2700 cases") == 2, out.stdout
    if build in ("armhf", "aarch64"):
        assert "neon: conv 2700 cases" in out.stdout, out.stdout
        # the NEON matvec and tanh/sigmoid through the dispatch, then called directly (same
        # bounds as the other paths, checked inside the program), and the dispatch gave
        # exactly the direct kernels' results
        assert "neon: tanh worst" in out.stdout, out.stdout
        assert "neon: matvec 45 shapes" in out.stdout, out.stdout
        assert "neon-direct: tanh worst" in out.stdout, out.stdout
        assert "neon-direct: matvec 45 shapes" in out.stdout, out.stdout
        assert "neon: dispatch checked against the direct kernels" in out.stdout, out.stdout
    else:
        assert "neon" not in out.stdout, out.stdout
