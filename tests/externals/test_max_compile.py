"""The Max adapter compiles cleanly (gcc and clang, -Wall -Wextra -Werror) against
externals/max/ci/max_sdk_decls.h, the minimal declaration header that stands in for the Max
SDK on Linux. This checks the adapter's C and its use of the documented Max API
signatures; it cannot link or run without Max."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from repo import ROOT

MAX_DIR = os.path.join(ROOT, "externals", "max")


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_max_adapter_compiles_against_declarations(tmp_path, cc):
    assert shutil.which(cc), f"{cc} is not installed"
    cmd = [cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow",
           "-Wstrict-prototypes", "-Wmissing-prototypes", "-DNNFX_MAX_SDK_DECLS",
           "-I", MAX_DIR, "-I", os.path.join(ROOT, "runtime_c", "include"),
           "-c", os.path.join(MAX_DIR, "nnfx~.c"), "-o", str(tmp_path / "nnfx_max.o")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    nm = subprocess.run(["nm", "--defined-only", str(tmp_path / "nnfx_max.o")],
                        capture_output=True, text=True).stdout
    exported = sorted(ln.split()[-1] for ln in nm.splitlines() if " T " in ln)
    assert exported == ["ext_main"], exported


def test_declaration_header_is_no_stand_in_for_the_sdk(tmp_path):
    """The declarations only declare: the Max API calls stay undefined in the object (it
    cannot link without Max), and without NNFX_MAX_SDK_DECLS the adapter asks for the SDK's
    own headers."""
    obj = str(tmp_path / "nnfx_max.o")
    base = ["gcc", "-std=c99", "-I", MAX_DIR, "-I", os.path.join(ROOT, "runtime_c", "include"),
            "-c", os.path.join(MAX_DIR, "nnfx~.c"), "-o", obj]
    proc = subprocess.run([*base, "-DNNFX_MAX_SDK_DECLS"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    nm = subprocess.run(["nm", "--undefined-only", obj], capture_output=True, text=True).stdout
    undefined = {ln.split()[-1] for ln in nm.splitlines() if ln.strip()}
    for call in ("class_new", "class_register", "object_alloc", "dsp_add64", "gensym"):
        assert call in undefined, f"{call} is defined by the declarations header"
    proc = subprocess.run(base, capture_output=True, text=True)
    assert proc.returncode != 0 and "ext.h" in proc.stderr, proc.stderr
