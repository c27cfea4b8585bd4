"""Builds of the Pd external: ARM cross builds for Bela (armv7 hard-float NEON) and the
Raspberry Pi (arm64), the deken package and `make install`."""

from __future__ import annotations

import os
import struct
import subprocess
import zipfile

import pytest
from pd_harness import PD_DIR, make
from repo import ROOT

EM_ARM, EM_AARCH64, EM_X86_64 = 40, 183, 62
EF_ARM_ABI_FLOAT_HARD = 0x400


def _elf(path: str) -> tuple[int, int, int]:
    """(ELF class 1=32-bit/2=64-bit, e_machine, e_flags) of a little-endian ELF file."""
    with open(path, "rb") as f:
        head = f.read(64)
    assert head[:4] == b"\x7fELF", f"{path} is not an ELF file"
    cls = head[4]
    machine = struct.unpack_from("<H", head, 18)[0]
    flags = struct.unpack_from("<I", head, 48 if cls == 2 else 36)[0]
    return cls, machine, flags


def _make(*targets: str, **variables: str) -> None:
    make(*targets, *(f"{k}={v}" for k, v in variables.items()))


def test_deken_package_holds_every_architecture():
    _make("deken")
    deken = os.path.join(PD_DIR, "build", "deken")
    name = "nnfx[v0.1.0](Linux-amd64-32)(Linux-armv7-32)(Linux-arm64-32).dek"
    dek = os.path.join(deken, name)
    assert os.path.exists(dek), os.listdir(deken)
    with zipfile.ZipFile(dek) as z:
        names = set(z.namelist())
    for member in ("nnfx/nnfx~.l_amd64", "nnfx/nnfx~.l_arm", "nnfx/nnfx~.l_arm64",
                   "nnfx/nnfx~-help.pd", "nnfx/README.md"):
        assert member in names, f"{member} missing from {sorted(names)}"
    assert any(n.startswith("nnfx/models/") and n.endswith(".onnx") for n in names), names
    folder = os.path.join(deken, "nnfx")
    cls, machine, _ = _elf(os.path.join(folder, "nnfx~.l_amd64"))
    assert (cls, machine) == (2, EM_X86_64)
    cls, machine, flags = _elf(os.path.join(folder, "nnfx~.l_arm"))
    assert (cls, machine) == (1, EM_ARM)
    assert flags & EF_ARM_ABI_FLOAT_HARD, f"armv7 build is not hard-float (e_flags {flags:#x})"
    attrs = subprocess.run(["readelf", "-A", os.path.join(folder, "nnfx~.l_arm")],
                           capture_output=True, text=True).stdout
    assert "NEON" in attrs and "v7" in attrs, attrs
    cls, machine, _ = _elf(os.path.join(folder, "nnfx~.l_arm64"))
    assert (cls, machine) == (2, EM_AARCH64)
    for ext in ("l_amd64", "l_arm", "l_arm64"):
        syms = subprocess.run(["nm", "-D", "--defined-only", os.path.join(folder, f"nnfx~.{ext}")],
                              capture_output=True, text=True).stdout.split()
        exported = sorted(s for s in syms if s.startswith("nnfx"))
        # only the setup routine: the runtime inside stays private to each external
        assert exported == ["nnfx_tilde_setup"], (ext, exported)
    with open(dek + ".sha256") as f:
        assert name in f.read()


def test_install_puts_the_library_folder_in_place(tmp_path):
    _make("install", PDLIBDIR=str(tmp_path))
    lib = tmp_path / "nnfx"
    for member in ("nnfx~.pd_linux", "nnfx~-help.pd", "README.md"):
        assert (lib / member).is_file(), sorted(os.listdir(lib))
    assert any(p.suffix == ".onnx" for p in (lib / "models").iterdir())


@pytest.mark.parametrize("cc", ["gcc", "clang"])
@pytest.mark.parametrize("floatsize", [32, 64])
def test_adapter_compiles_without_warnings(tmp_path, cc, floatsize):
    """nnfx~.c with gcc and clang, -Wall -Wextra -Werror, for 32-bit and 64-bit Pd
    (PD_FLOATSIZE 64: t_sample is double and the object converts through float buffers)."""
    cmd = [cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-DPD",
           f"-DPD_FLOATSIZE={floatsize}", "-I/usr/include/pd",
           "-I", os.path.join(ROOT, "runtime_c", "include"),
           "-c", os.path.join(PD_DIR, "nnfx~.c"), "-o", str(tmp_path / "nnfx.o")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
