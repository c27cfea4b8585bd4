"""nnfx~ built with AddressSanitizer and UndefinedBehaviorSanitizer (`make sanitize`) runs
the parity, `open`-during-DSP, error and designer patches in real Pd without a single
sanitizer report. Pd itself is not instrumented: libasan and libubsan are preloaded.

The patches are those of test_pd_parity, test_pd_errors and test_pd_designer (their
assertions run too); only the Pd invocation changes, to load the sanitized build."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pd_harness
import pytest
import test_pd_designer
import test_pd_errors
import test_pd_parity


def _build() -> str:
    triplet = subprocess.run(["cc", "-dumpmachine"], capture_output=True, text=True).stdout.strip()
    pd_harness.make("sanitize")
    folder = os.path.join(pd_harness.PD_DIR, "build", f"{triplet}-sanitize")
    assert os.path.exists(os.path.join(folder, "nnfx~.pd_linux")), os.listdir(folder)
    return folder


def _runtime(lib: str) -> str:
    path = subprocess.run(["gcc", f"-print-file-name={lib}"], capture_output=True,
                          text=True).stdout.strip()
    assert os.path.isabs(path), f"gcc does not know {lib}"
    return path


@pytest.fixture
def sanitized(monkeypatch):
    folder = _build()
    env = {
        "LD_PRELOAD": f"{_runtime('libasan.so')}:{_runtime('libubsan.so')}",
        # Pd does not free everything at exit; leaks are valgrind's job (test_pd_valgrind)
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0",
        "UBSAN_OPTIONS": "print_stacktrace=1",
    }

    def run_pd(*args: Any, **kwargs: Any) -> pd_harness.PdResult:
        kwargs.update(path=folder, env=env)
        res = pd_harness.run_pd(*args, **kwargs)
        assert "ASan runtime does not come first" not in res.console, res.console
        for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
            assert marker not in res.console, res.console[-6000:]
        assert "nnfx~" in res.console, "the sanitized external did not load\n" + res.console
        return res

    for module in (test_pd_parity, test_pd_errors, test_pd_designer):
        monkeypatch.setattr(module, "run_pd", run_pd)
    return folder


def test_parity_and_open_under_sanitizers(sanitized, tmp_path):
    for block in (1, 64):
        sub = tmp_path / f"b{block}"
        sub.mkdir()
        test_pd_parity.test_block_sizes_match_binding(sub, block)
    (tmp_path / "two").mkdir()
    test_pd_parity.test_two_instances_with_different_models(tmp_path / "two")
    (tmp_path / "open").mkdir()
    test_pd_parity.test_open_while_dsp_runs(tmp_path / "open")


def test_errors_under_sanitizers(sanitized, tmp_path):
    (tmp_path / "files").mkdir()
    test_pd_errors.test_missing_and_broken_files_leave_a_dry_object(tmp_path / "files")
    (tmp_path / "msgs").mkdir()
    test_pd_errors.test_unknown_messages_bad_values_and_wrong_channels(tmp_path / "msgs")


def test_designer_under_sanitizers(sanitized, tmp_path):
    test_pd_designer.test_designer_matches_python_for_20_recipes(tmp_path)
