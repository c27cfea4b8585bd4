"""Helpers for the board tests: tool checks with one clear line, builds, qemu runs, models."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
from cli_runner import nnfx_cli
from repo import ROOT

from nnfx import testsignals

BELA_CI = ROOT / "boards" / "bela" / "ci"
RPI = ROOT / "boards" / "rpi"

# What to install when a tool is missing (Debian package names).
TOOLS = {
    "arm-linux-gnueabihf-gcc": "gcc-arm-linux-gnueabihf",
    "arm-linux-gnueabihf-g++": "g++-arm-linux-gnueabihf",
    "aarch64-linux-gnu-gcc": "gcc-aarch64-linux-gnu",
    "qemu-arm": "qemu-user",
    "qemu-aarch64": "qemu-user",
    "make": "make",
    "jackd": "jackd2",
    "jack_lsp": "jackd2",
    "jack_connect": "jackd2",
}


def need(*tools: str) -> None:
    """Fail (never skip) with one line naming the package to install."""
    for tool in tools:
        if shutil.which(tool) is None:
            raise AssertionError(
                f"{tool} not found: install it (apt-get install {TOOLS.get(tool, tool)})"
            )


def make(directory: Path, *args: str, timeout: float = 600) -> None:
    need("make")
    proc = subprocess.run(
        ["make", "-s", "-j2", "-C", str(directory), *args],
        capture_output=True, text=True, timeout=timeout,
    )
    if proc.returncode != 0:
        raise AssertionError(f"make {' '.join(args)} failed:\n{proc.stdout[-3000:]}"
                             f"{proc.stderr[-3000:]}")


def run(
    cmd: list[str], timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}: exit {proc.returncode}\n{proc.stdout[-2000:]}"
                             f"{proc.stderr[-2000:]}")
    return proc


def zoo_model(name: str, path: Path, sample_rate: int = 44100, block: int = 16) -> Path:
    """Export a zoo preset with the nnfx command line."""
    proc = nnfx_cli("zoo", name, "-o", str(path), "--block", str(block),
                    "--sample-rate", str(sample_rate))
    assert proc.returncode == 0, proc.stderr
    return path


def random_model(path: Path, sample_rate: int, **keys: object) -> Path:
    """A randomized TCN exported by the Python exporter (weights from the Python generator)."""
    import nnfx
    from nnfx.exporter.random_recipe import Recipe
    from nnfx.exporter.random_tcn import RandomTCN

    recipe = Recipe.from_dict(dict(keys)).validate()
    nnfx.export(RandomTCN(recipe), str(path), block_size=64, sample_rate=sample_rate)
    return path


def guitarish(frames: int, rate: float = 44100.0) -> np.ndarray:
    """The bundled guitar phrase (nnfx.testsignals.guitar) at ``rate``, ``frames`` long
    (repeated when longer than the phrase), peak 0.8."""
    x = np.resize(testsignals.guitar(int(rate)), frames)
    return (0.8 * x / np.max(np.abs(x))).astype(np.float32)


def python_output(model: Path, x: np.ndarray) -> np.ndarray:
    """The Python binding's output [channels, frames] for input [channels, frames]."""
    import nnfx

    m = nnfx.load(str(model))
    try:
        return np.asarray(m.process(x), dtype=np.float32)
    finally:
        m.close()


# The host layer fades a newly loaded model in from the dry signal over crossfade_ms (10 ms:
# 441 frames at 44.1 kHz, 480 at 48 kHz); comparisons start after it.
FADE_IN = 512


def assert_matches(y: np.ndarray, want: np.ndarray, dry: np.ndarray, tol: float, what: str) -> None:
    """y equals want (within tol) after the load fade; during the fade it lies between the dry
    and the wet signal (a crossfade, within tol)."""
    err = float(np.max(np.abs(y[FADE_IN:] - want[FADE_IN:])))
    assert err <= tol, f"{what}: max abs error {err:.3g} > {tol}"
    lo = np.minimum(dry[:FADE_IN], want[:FADE_IN]) - tol
    hi = np.maximum(dry[:FADE_IN], want[:FADE_IN]) + tol
    inside = (y[:FADE_IN] >= lo) & (y[:FADE_IN] <= hi)
    assert inside.all(), f"{what}: the load fade leaves the dry..wet range at {np.argmin(inside)}"
