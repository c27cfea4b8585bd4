"""cffi (API mode) build of the nnfx binding: compiles runtime_c's sources into nnfx._nnfx."""

from __future__ import annotations

import glob
import os

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RUNTIME = os.path.join(ROOT, "runtime_c")

# The subset of nnfx.h the binding uses, in cffi's declaration syntax.
CDEF = """
const char *nnfx_version(void);
"""

ffibuilder = FFI()
ffibuilder.cdef(CDEF)
sources = sorted(glob.glob(os.path.join(RUNTIME, "src", "*.c")))
ffibuilder.set_source(
    "nnfx._nnfx",
    '#include "nnfx.h"\n',
    sources=[os.path.relpath(s, ROOT) for s in sources],
    include_dirs=[os.path.join("runtime_c", "include"), os.path.join("runtime_c", "src")],
    extra_compile_args=["-std=c99", "-O2"],
    libraries=["m"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
