"""nnfx~ in real Pure Data gives the samples of the Python binding (nnfx.load(...).process).

Each test renders a float32 sound file through [nnfx~] in `pd -batch` (input and output in
tables, [soundfiler] reads and writes float32) and compares it with nnfx.load(...).process
on the same input.

Tolerance: 1e-6 absolute. Pd keeps samples as float32 in tables and soundfiler writes
float32, and the object and the binding run the same C code, so the model output itself is
identical; the host layer's dry/wet mix computes dry + mix * (wet - dry), which at mix = 1
can round the wet sample by an ulp or two (|y| < 4 here, so < 1e-6). The first 10 ms after
the first model arrives are a crossfade from the dry signal; every input starts with
silence longer than that and than the models' receptive fields, so the comparison covers
the whole file.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from pd_harness import Canvas, effect_subpatch, render_chain, render_patch, run_pd
from pd_models import (
    BIASED,
    MONO,
    STEREO,
    knob_model,
    make_signal,
    random_model,
    read_wav,
    write_wav,
)

import nnfx

TOL = 1e-6  # see module docstring
LEAD = 4096  # silent frames before the signal
FRAMES = 12000  # 0.25 s of test signal


def _reference(model: str, x: np.ndarray, mode: str = "stream") -> np.ndarray:
    with nnfx.load(model, mode=mode) as m:
        y = m.process(x)
    return np.atleast_2d(y)


@pytest.mark.parametrize("block", [1, 64, 1024, 4096])
def test_block_sizes_match_binding(tmp_path, block):
    model = random_model(**MONO)
    x = make_signal(FRAMES, lead=LEAD)
    y, console = render_chain(str(tmp_path), model, x, block=block)
    ref = _reference(model, x)
    assert y.shape == ref.shape
    err = float(np.max(np.abs(y - ref)))
    assert err <= TOL, f"block~ {block}: max abs error {err:.3g} (console: {console})"
    assert float(np.max(np.abs(ref[:, LEAD:]))) > 0.05, "the model must not be silent"
    assert "error" not in console.lower(), console


def test_stereo_model_and_lookback_mode(tmp_path):
    """2-in/2-out model: one signal inlet and outlet per channel; look-back mode also
    matches the binding's look-back mode (which has the same latency)."""
    model = random_model(**STEREO)
    x = make_signal(FRAMES, channels=2, lead=LEAD)
    for mode in ("stream", "lookback"):
        sub = tmp_path / mode
        sub.mkdir()
        y, console = render_chain(str(sub), model, x, block=64, flags=f"-mode {mode}", outs=2)
        ref = _reference(model, x, mode=mode)
        err = float(np.max(np.abs(y - ref)))
        assert err <= TOL, f"{mode}: max abs error {err:.3g}\n{console}"


def test_biased_network_with_dcblock_off(tmp_path):
    """A biased random network (DC blocker on by default) equals the binding once the
    DC blocker is switched off by message."""
    model = random_model(**BIASED)
    x = make_signal(FRAMES, lead=LEAD)
    y, console = render_chain(str(tmp_path), model, x, block=64, before=["fx dcblock 0"])
    ref = _reference(model, x)
    # the silent lead-in lets the state converge; compare after it (see module docstring)
    err = float(np.max(np.abs(y[:, LEAD:] - ref[:, LEAD:])))
    assert err <= TOL, f"max abs error {err:.3g}\n{console}"
    assert abs(float(np.mean(ref[:, LEAD:]))) > 1e-3, "this model is meant to carry DC"


@pytest.mark.parametrize("kind", ["wavenet", "lstm"])
def test_knob_messages_match_the_binding(tmp_path, kind):
    """[param NAME VALUE] reaches the model: a knob-conditioned model (FiLM WaveNet, LSTM with
    knobs per frame) with both knobs moved off their defaults gives the binding's samples at
    those settings. The messages arrive before DSP starts, so the host layer applies them at
    once (no glide). Pd runs the model on silence for 50 ms before the signal starts and the
    binding does not; the silent lead-in is longer than the WaveNet's receptive field and lets
    the LSTM's state settle to its silence value, so the comparison starts after it."""
    model = knob_model(kind)
    x = make_signal(FRAMES, lead=LEAD)
    settings = {"drive": 0.9, "tone": 0.15}
    y, console = render_chain(str(tmp_path), model, x, block=64,
                               before=[f"fx param {k} {v}" for k, v in settings.items()])
    assert "error" not in console.lower(), console
    with nnfx.load(model) as m:
        for k, v in settings.items():
            m.set_param(k, v)
        ref = np.atleast_2d(m.process(x))
    default = _reference(model, x)
    err = float(np.max(np.abs(y[:, LEAD:] - ref[:, LEAD:])))
    assert err <= TOL, f"{kind}: max abs error {err:.3g}\n{console}"
    moved = float(np.max(np.abs(ref[:, LEAD:] - default[:, LEAD:])))
    assert moved > 1e-2, f"{kind}: the knobs hardly change the output ({moved:.3g})"


def test_reblocked_subpatch_with_inlet_outlet(tmp_path):
    """[inlet~] -> [nnfx~] -> [outlet~] in a [block~ 1024] subpatch of a 64-frame patch: the
    object sees 1024-frame blocks; Pd's reblocking delays the signal by 1024 - 64 frames."""
    model = random_model(**MONO)
    x = make_signal(FRAMES, lead=LEAD)
    n = x.shape[1]
    sub = effect_subpatch("reblock", model, "1024")
    dut = Canvas("dut")
    start = dut.obj("r start")
    play = dut.obj("tabplay~ in0")
    rec = dut.obj("tabwrite~ out0")
    rb = dut.sub(sub)
    dut.connect(start, 0, play, 0)
    dut.connect(start, 0, rec, 0)
    dut.chain(play, rb, rec)
    tmp = str(tmp_path)
    inputs = {"in0": write_wav(os.path.join(tmp, "in0.wav"), x)}
    outputs = {"out0": (os.path.join(tmp, "out0.wav"), n)}
    res = run_pd(render_patch(dut, inputs, outputs, n / 48000.0), tmp)
    assert res.returncode == 0, res.console
    y = read_wav(outputs["out0"][0])
    ref = _reference(model, x)
    delay = 1024 - 64
    err = float(np.max(np.abs(y[:, delay:] - ref[:, : n - delay])))
    assert err <= TOL, f"max abs error {err:.3g} at a delay of {delay} frames\n{res.console}"


def test_two_instances_with_different_models(tmp_path):
    """Two objects in one patch, each with its own model and channel count, do not
    interfere: each equals its own model in the binding."""
    mono, stereo = random_model(**MONO), random_model(**STEREO)
    x = make_signal(FRAMES, channels=2, lead=LEAD)
    n = x.shape[1]
    dut = Canvas("dut")
    start = dut.obj("r start")
    p0, p1 = dut.obj("tabplay~ in0"), dut.obj("tabplay~ in1")
    a = dut.obj(f"nnfx~ {mono}")
    b = dut.obj(f"nnfx~ {stereo}")
    recs = [dut.obj(f"tabwrite~ {t}") for t in ("a0", "b0", "b1")]
    for obj in (p0, p1, *recs):
        dut.connect(start, 0, obj, 0)
    dut.connect(p0, 0, a, 0)
    dut.connect(p0, 0, b, 0)
    dut.connect(p1, 0, b, 1)
    dut.connect(a, 0, recs[0], 0)
    dut.connect(b, 0, recs[1], 0)
    dut.connect(b, 1, recs[2], 0)
    tmp = str(tmp_path)
    inputs = {f"in{c}": write_wav(os.path.join(tmp, f"in{c}.wav"), x[c : c + 1]) for c in (0, 1)}
    outputs = {t: (os.path.join(tmp, f"{t}.wav"), n) for t in ("a0", "b0", "b1")}
    res = run_pd(render_patch(dut, inputs, outputs, n / 48000.0), tmp)
    assert res.returncode == 0, res.console
    ya = read_wav(outputs["a0"][0])
    yb = np.concatenate([read_wav(outputs[t][0]) for t in ("b0", "b1")])
    err_a = float(np.max(np.abs(ya - _reference(mono, x[:1]))))
    err_b = float(np.max(np.abs(yb - _reference(stereo, x))))
    assert err_a <= TOL and err_b <= TOL, f"errors {err_a:.3g} {err_b:.3g}\n{res.console}"


def test_open_while_dsp_runs(tmp_path):
    """`open` during playback: the output is model A until the swap, then (after the 10 ms
    crossfade) model B run from silence-free reset state at the swap block, i.e.
    B.process(x[swap:]); the swap lands on a block boundary after the message."""
    a, b = random_model(**MONO), random_model(**BIASED)
    frames = 96000  # 2 s, so that the load (real time, worker thread) lands inside it
    x = make_signal(frames, lead=LEAD, seed=3)
    n = x.shape[1]
    open_at = LEAD + 9600  # frames: 0.2 s after the signal starts
    dut = Canvas("dut")
    start = dut.obj("r start")
    play = dut.obj("tabplay~ in0")
    fx = dut.obj(f"nnfx~ {a}")
    rec = dut.obj("tabwrite~ out0")
    dly = dut.obj(f"delay {1000.0 * open_at / 48000.0:.6f}")
    msg = dut.msg(f"open {b}, dcblock 0")
    for obj in (play, rec, dly):
        dut.connect(start, 0, obj, 0)
    dut.chain(play, fx, rec)
    dut.chain(dly, msg, fx)
    tmp = str(tmp_path)
    inputs = {"in0": write_wav(os.path.join(tmp, "in0.wav"), x)}
    outputs = {"out0": (os.path.join(tmp, "out0.wav"), n)}
    res = run_pd(render_patch(dut, inputs, outputs, n / 48000.0), tmp, timeout=300)
    assert res.returncode == 0, res.console
    y = read_wav(outputs["out0"][0])[0]
    ya = _reference(a, x)[0]
    differs = np.flatnonzero(np.abs(y - ya) > TOL)
    assert differs.size, f"the model never changed\n{res.console}"
    first = int(differs[0])
    assert first >= open_at, f"output changed at {first}, before `open` at {open_at}"
    assert first < n - 4800, f"the swap came too late to check ({first} of {n})"
    fade = 480 + 64  # 10 ms at 48 kHz, plus a block of slack for where the fade ends
    found = []
    for swap in (first - first % 64, first - first % 64 - 64):
        with nnfx.load(b) as mb:
            yb = mb.process(x[:, swap:])[0]
        err = float(np.max(np.abs(y[swap + fade :] - yb[fade:])))
        found.append((swap, err))
        if err <= TOL:
            break
    assert found[-1][1] <= TOL, f"after the swap the output is not model B: {found}"


def test_bypass_message_passes_the_input(tmp_path):
    """`bypass 1` (sent before the signal starts; its 10 ms crossfade ends in the silent
    lead-in) gives the input back: dry + 1 * (wet-mix - dry) within the same ulp bound."""
    model = random_model(**MONO)
    x = make_signal(FRAMES, lead=LEAD)
    y, console = render_chain(str(tmp_path), model, x, block=64, before=["fx bypass 1"])
    err = float(np.max(np.abs(y - x)))
    assert err <= TOL, f"max abs error {err:.3g}\n{console}"
    assert float(np.max(np.abs(_reference(model, x) - x))) > 0.05, "the model must change x"
