"""The vector kernels (runtime_c/src/kernels*.c) against double-precision references, built by
every compiler nnfx supports: gcc and clang (the AVX2 path and the portable path in one run),
sanitized, and cross-built for 32-bit ARM (NEON flags) and aarch64, run under qemu-user."""

from __future__ import annotations

import os
import subprocess

import pytest

from nnfx import runtime_sources

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RT = os.path.join(ROOT, "runtime_c")
# the kernels folder of the runtime's source list alone
SOURCES = ["tests/test_kernels.c"] + [
    str(p) for p in runtime_sources.sources() if p.parent.name == "kernels"
]
FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off"] + [
    f"-I{d}" for d in runtime_sources.include_dirs()
]
SAN = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]

BUILDS = {
    "gcc": (["gcc", "-O2"], []),
    "clang": (["clang", "-O2"], []),
    "gcc-asan": (["gcc", *SAN], []),
    "clang-asan": (["clang", *SAN], []),
    "armhf": (
        ["arm-linux-gnueabihf-gcc", "-O2", "-mfpu=neon", "-mfloat-abi=hard", "-static"],
        ["qemu-arm"],
    ),
    "aarch64": (["aarch64-linux-gnu-gcc", "-O2", "-static"], ["qemu-aarch64"]),
}


@pytest.mark.parametrize("build", list(BUILDS))
def test_kernels(build: str, tmp_path: object) -> None:
    cc, runner = BUILDS[build]
    exe = os.path.join(str(tmp_path), f"test_kernels_{build}")
    subprocess.run([*cc, *FLAGS, *SOURCES, "-lm", "-o", exe], cwd=RT, check=True)
    out = subprocess.run([*runner, exe], capture_output=True, text=True, timeout=300)
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
