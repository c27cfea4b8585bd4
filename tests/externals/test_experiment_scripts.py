"""The scripts that reproduce docs/experiments.md still run (the experiments themselves take
about 45 minutes and are not part of the suite; their training steps are, in small, in
tests/train/test_train_loop.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from pd_models import knob_model, make_signal, write_wav
from repo import ROOT

SCRIPT = os.path.join(ROOT, "docs", "experiments", "play_in_pd.py")


def test_play_in_pd_compares_pd_with_the_binding(tmp_path) -> None:  # type: ignore[no-untyped-def]
    signal = write_wav(str(tmp_path / "signal.wav"), make_signal(9600))
    model = knob_model("wavenet")
    res = subprocess.run([sys.executable, SCRIPT, signal, f"{model}:drive=0.9,tone=0.2"],
                         capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "(drive=0.9, tone=0.2): Pd [nnfx~] vs binding max abs error" in res.stdout
    assert "PASS" in res.stdout


def test_run_script_is_valid_bash() -> None:
    script = os.path.join(ROOT, "docs", "experiments", "run.sh")
    res = subprocess.run(["bash", "-n", script], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
