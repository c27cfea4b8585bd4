"""Where the repository is, found once for every test module and helper."""

from __future__ import annotations

from pathlib import Path

# the folder holding pyproject.toml above this file
ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
RUNTIME = ROOT / "runtime_c"
