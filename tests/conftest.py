"""Shared fixtures of the suite. Tests live in rooms by subject (runtime/, host/, binding/,
cli/, export/, train/, externals/, boards/); the helpers they share live in tests/support/,
which pyproject.toml's ``pythonpath`` puts on sys.path for every room (no __init__.py
anywhere: test basenames are unique across rooms)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest
from cli_runner import nnfx_cli as run_nnfx_cli


@pytest.fixture(scope="session")
def nnfx_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs ``python -m nnfx ARGS`` in its own process: ``nnfx_cli("info", path, cwd=...)``
    (helpers outside test functions import cli_runner.nnfx_cli, the same function)."""
    return run_nnfx_cli
