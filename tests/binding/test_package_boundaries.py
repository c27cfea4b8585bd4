"""The package's boundaries: the runtime side imports neither PyTorch nor the exporter, and
no module imports another module's private (leading-underscore) names."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from repo import ROOT

CORE = ROOT / "python" / "nnfx"
SOURCES = [CORE, ROOT / "exporter", ROOT / "tests"]

# Runtime-side modules: what a host, `nnfx info`, `nnfx parity`, `nnfx bench FILE` and
# `nnfx deploy` import before they need anything heavy.
RUNTIME_MODULES = [
    "nnfx",
    "nnfx.binding",
    "nnfx.modelfile",
    "nnfx.modelinfo",
    "nnfx.engines",
    "nnfx.parity",
    "nnfx.bench",
    "nnfx.bench_targets",
    "nnfx.boards",
    "nnfx.testsignals",
    "nnfx.audio_io",
    "nnfx.cli",
    "nnfx.cli.info",
    "nnfx.cli.verify",
    "nnfx.cli.parity",
    "nnfx.cli.process",
    "nnfx.cli.bench",
    "nnfx.cli.deploy",
]

# python/nnfx modules outside cli/ that may import nnfx.exporter, inside the function that
# needs it: the benchmark's PyTorch columns and zoo targets, and the recipe figures of a random
# TCN file that does not state its MACs (random_recipe needs neither PyTorch nor numpy). The
# ``nnfx.export`` entry (``__init__``) imports it by name, on first use.
EXPORTER_IMPORTERS = {"bench.py", "bench_targets.py", "modelinfo.py"}


def _python_files() -> list[Path]:
    return sorted(p for root in SOURCES for p in root.rglob("*.py") if ".venv" not in p.parts)


def _imports_after(modules: list[str], forbidden: tuple[str, ...]) -> str:
    """stderr of a fresh interpreter that imports ``modules`` and then finds a module of
    ``forbidden`` (or below one) loaded; empty when none is."""
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules for f in {forbidden!r}\n"
        "             if m == f or m.startswith(f + '.'))\n"
        "assert not bad, bad\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return "" if res.returncode == 0 else res.stderr


def test_runtime_modules_import_neither_torch_nor_the_exporter() -> None:
    # onnx and onnxruntime are optional too (nnfx[parity]): imported where a file is read
    assert not _imports_after(RUNTIME_MODULES, ("torch", "onnx", "onnxruntime", "nnfx.exporter"))


def test_core_imports_the_exporter_only_where_allowed() -> None:
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        rel = path.relative_to(CORE).as_posix()
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n.startswith("nnfx.exporter") for n in names):
                lazy = node.col_offset > 0
                if not rel.startswith("cli/") and not (rel in EXPORTER_IMPORTERS and lazy):
                    offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, f"python/nnfx imports nnfx.exporter at: {offenders}"


def test_no_private_names_imported_across_modules() -> None:
    private = [
        f"{path.relative_to(ROOT).as_posix()}:{node.lineno}: from {node.module} import {alias.name}"
        for path in _python_files()
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nnfx")
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    assert not private, private
