"""The C runtime's source list (runtime_c/sources.mk), for Python build sites.

runtime_c/sources.mk is the one list of runtime_c's sources and include folders; make reads
it directly, and the binding's build (python/build_binding.py), ``nnfx deploy`` and the tests
read it here. This module imports nothing from nnfx, so the build can load it by path before
the package exists.
"""

from __future__ import annotations

from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[2] / "runtime_c"


def read_lists(runtime: Path = RUNTIME) -> dict[str, list[str]]:
    """Every ``NAME = words`` assignment of sources.mk (backslash continuations joined)."""
    text = (runtime / "sources.mk").read_text().replace("\\\n", " ")
    lists: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        if "=" not in line:
            continue
        name, _, value = line.partition("=")
        lists[name.strip().rstrip(":+?")] = value.split()
    return lists


def sources(runtime: Path = RUNTIME, which: str = "NNFX_SOURCES") -> list[Path]:
    """The C files of a list (NNFX_SOURCES: the whole runtime; NNFX_READER_SOURCES: the
    reader alone), as absolute paths."""
    return [runtime / p for p in read_lists(runtime)[which]]


def include_dirs(runtime: Path = RUNTIME) -> list[Path]:
    """The folders holding the runtime's headers (include/ and every src folder)."""
    return [runtime / p for p in read_lists(runtime)["NNFX_INCLUDE_DIRS"]]


def headers(runtime: Path = RUNTIME) -> list[Path]:
    """Every header of those folders (what a flat copy of the runtime needs besides sources)."""
    return sorted(h for d in include_dirs(runtime) for h in d.glob("*.h"))
