"""Plays trained model files in real Pure Data through [nnfx~] and compares with the binding.

    python docs/experiments/play_in_pd.py SIGNAL.wav MODEL.onnx[:NAME=VALUE,...] ...

For each model: SIGNAL (its first second, mono) after 4096 frames of silence goes through
``[tabplay~] -> [nnfx~ MODEL] -> [tabwrite~]`` in ``pd -batch`` at [block~ 64] (knobs sent as
``param NAME VALUE`` messages before DSP starts), and the result is compared with
``nnfx.load(MODEL).process`` on the same input with the same knob values, after the silent
lead-in (Pd runs the model on 50 ms of silence before the signal, the binding does not; a
recurrent model's state needs the lead-in to settle to the same silence value).

Prints one line per model and exits 1 if any differs by more than 1e-6 (float32 tables and
the host layer's dry/wet formula; see tests/externals/test_pd_parity.py). Uses the Pd harness of the
test suite (tests/support/pd_harness.py), which builds externals/pd/nnfx~ if needed.
"""

from __future__ import annotations

import os
import sys
import tempfile

import numpy as np
import soundfile as sf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

from pd_harness import render_chain  # noqa: E402

import nnfx  # noqa: E402

LEAD = 4096
TOL = 1e-6


def _parse(spec: str) -> tuple[str, dict[str, float]]:
    path, _, knobs = spec.partition(":")
    values = {}
    for item in filter(None, knobs.split(",")):
        name, _, value = item.partition("=")
        values[name] = float(value)
    return path, values


def play(model: str, knobs: dict[str, float], x: np.ndarray, workdir: str) -> float:
    before = [f"fx param {k} {v}" for k, v in knobs.items()]
    y, console = render_chain(workdir, os.path.abspath(model), x, block=64, before=before)
    if "error" in console.lower():
        raise SystemExit(f"{model}: Pd reported an error:\n{console}")
    with nnfx.load(model) as m:
        for k, v in knobs.items():
            m.set_param(k, v)
        ref = np.atleast_2d(m.process(x))
    return float(np.max(np.abs(y[:, LEAD:] - ref[:, LEAD:])))


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    signal, sr = sf.read(argv[0], dtype="float32", always_2d=True)
    if sr != 48000:
        raise SystemExit(f"{argv[0]}: {sr} Hz; the Pd harness runs at 48000 Hz")
    x = np.concatenate([np.zeros(LEAD, np.float32), signal[:sr, 0]]).reshape(1, -1)
    worst = 0.0
    for spec in argv[1:]:
        model, knobs = _parse(spec)
        with tempfile.TemporaryDirectory() as tmp:
            err = play(model, knobs, x, tmp)
        worst = max(worst, err)
        setting = ", ".join(f"{k}={v:g}" for k, v in knobs.items()) or "default knobs"
        print(f"{model} ({setting}): Pd [nnfx~] vs binding max abs error {err:.3g}"
              f" -> {'PASS' if err <= TOL else 'FAIL'}")
    return 0 if worst <= TOL else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
