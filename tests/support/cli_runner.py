"""Running the ``nnfx`` command line as a user does: a separate Python process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def nnfx_cli(
    *args: str, timeout: float = 600, cwd: str | Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m nnfx ARGS`` with this interpreter; stdout and stderr captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "nnfx", *args], capture_output=True, text=True, timeout=timeout,
        cwd=cwd,
    )
