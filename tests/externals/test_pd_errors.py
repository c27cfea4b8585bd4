"""Bad input to nnfx~ in real Pd: one clear error line naming the object, Pd keeps running,
the object keeps passing its input through, the help patch opens without errors."""

from __future__ import annotations

import os
import re

import numpy as np
from pd_harness import PD_DIR, Canvas, effect_subpatch, render_patch, run_dsp_then_quit, run_pd
from pd_models import MONO, STEREO, make_signal, random_model, read_wav, write_wav


def _error_lines(console: str) -> list[str]:
    """Pd's error lines (pd_error prints "error: ..." on stderr)."""
    return [ln for ln in console.splitlines() if ln.startswith("error:")]


def _one_error(console: str, *needles: str) -> str:
    """The single error line that contains every needle."""
    hits = [ln for ln in _error_lines(console) if all(n in ln for n in needles)]
    assert len(hits) == 1, f"expected one error line with {needles}, got {hits}\n{console}"
    assert "nnfx~" in hits[0], hits[0]
    return hits[0]


def test_missing_and_broken_files_leave_a_dry_object(tmp_path):
    """Creation with a missing file, a garbage file and a truncated model: each prints one
    error naming the problem, and each object passes the signal through unchanged."""
    tmp = str(tmp_path)
    good = random_model(**MONO)
    with open(good, "rb") as f:
        data = f.read()
    with open(os.path.join(tmp, "garbage.onnx"), "wb") as f:
        f.write(b"\x08\x07this is not an onnx file at all" * 20)
    with open(os.path.join(tmp, "truncated.onnx"), "wb") as f:
        f.write(data[: len(data) // 2])
    x = make_signal(4800, lead=0)
    n = x.shape[1]
    dut = Canvas("dut")
    start = dut.obj("r start")
    play = dut.obj("tabplay~ in0")
    dut.connect(start, 0, play, 0)
    outputs = {}
    for k, name in enumerate(["nosuchmodel", "garbage", "truncated.onnx"]):
        fx = dut.obj(f"nnfx~ {name}")
        rec = dut.obj(f"tabwrite~ out{k}")
        dut.connect(start, 0, rec, 0)
        dut.chain(play, fx, rec)
        outputs[f"out{k}"] = (os.path.join(tmp, f"out{k}.wav"), n)
    inputs = {"in0": write_wav(os.path.join(tmp, "in0.wav"), x)}
    res = run_pd(render_patch(dut, inputs, outputs, n / 48000.0), tmp)
    assert res.returncode == 0, res.console
    line = _one_error(res.console, "nosuchmodel", "not found")
    assert tmp in line, f"the patch folder must be listed among the searched paths: {line}"
    _one_error(res.console, "garbage.onnx")
    _one_error(res.console, "truncated.onnx")
    for k in range(3):
        y = read_wav(outputs[f"out{k}"][0])
        # dry pass-through copies samples: exact
        assert np.array_equal(y, x), f"object {k} did not pass its input through"


def test_unknown_messages_bad_values_and_wrong_channels(tmp_path):
    """Each bad message gives one error naming it and what is allowed; afterwards the object
    still answers `info` and Pd reaches the end of the patch."""
    tmp = str(tmp_path)
    stereo = random_model(**STEREO)
    mono = random_model(**MONO)
    c = Canvas()
    lb = c.obj("loadbang")
    fx = c.obj(f"nnfx~ {mono} -in 3 -out 3")
    pr = c.obj("print CTL")
    c.connect(fx, 3, pr, 0)  # three signal outlets, then the control outlet
    msgs = [
        "frobnicate 1",
        "mix 3",
        "layers 99",
        "activation wobble",
        "param nosuchknob 1",
        f"open {stereo}",
        "open nosuchfile",
        "info",
    ]
    t = c.obj("t " + " ".join(["b"] * len(msgs)))
    c.connect(lb, 0, t, 0)
    # trigger fires right to left: the messages in order
    for k, text in enumerate(msgs):
        m = c.msg(text)
        c.connect(t, len(msgs) - 1 - k, m, 0)
        c.connect(m, 0, fx, 0)
    # the refused `open` is reported by the loader thread: end the patch when it arrives
    route = c.obj("route error")
    c.connect(fx, 3, route, 0)
    to_bang = c.obj("t b")
    end = c.obj("delay 100")
    c.chain(route, to_bang, end)
    alive = c.msg("alive")
    mark = c.obj("print MARK")
    q = c.msg("; pd quit")
    c.chain(end, alive, mark)
    c.connect(end, 0, q, 0)
    res = run_pd(c, tmp)
    assert res.returncode == 0, res.console
    assert "MARK: alive" in res.console, res.console
    _one_error(res.console, "frobnicate")
    _one_error(res.console, "mix", "3")
    _one_error(res.console, "layers", "99")
    line = _one_error(res.console, "wobble")
    assert "tanh" in line, f"the allowed activations should be listed: {line}"
    _one_error(res.console, "param", "no knobs")
    _one_error(res.console, "2 input", "3 inputs")
    _one_error(res.console, "nosuchfile", "not found")
    assert len(_error_lines(res.console)) == 7, res.console
    # errors found by the loader thread also go out of the control outlet
    assert "CTL: error" in res.console, res.console
    # the object still works and still has the mono model: info answers on the outlet
    assert re.search(r"CTL: channels 1 1", res.console), res.console


def test_bad_creation_flags(tmp_path):
    c = Canvas()
    c.obj("nnfx~ -in 0 -out 2")
    c.obj("nnfx~ -mode sideways")
    c.obj("nnfx~ -bogus")
    lb = c.obj("loadbang")
    q = c.msg("; pd quit")
    c.chain(lb, q)
    res = run_pd(c, str(tmp_path))
    assert res.returncode == 0, res.console
    _one_error(res.console, "-in", "1..64")
    _one_error(res.console, "-mode", "stream or lookback")
    _one_error(res.console, "-bogus")
    assert "couldn't create" not in res.console, res.console


def test_help_patch_opens_without_errors(tmp_path):
    """The help patch (with its bundled model and designer) loads, and quits cleanly."""
    quitter = Canvas()
    lb = quitter.obj("loadbang")
    d = quitter.obj("delay 3000")
    q = quitter.msg("; pd quit")
    quitter.chain(lb, d, q)
    help_patch = os.path.join(PD_DIR, "nnfx~-help.pd")
    res = run_pd(quitter, str(tmp_path), extra=["-open", help_patch])
    assert res.returncode == 0, res.console
    assert not _error_lines(res.console), res.console
    assert "couldn't create" not in res.console, res.console
    assert "nnfx~" in res.console and "loaded" in res.console, res.console


def test_sample_rate_mismatch_warns_once_per_model(tmp_path):
    """A 48 kHz model in a 44.1 kHz Pd: one warning naming both rates, not one per block."""
    model = random_model(**MONO)
    c = Canvas()
    fx = c.obj(f"nnfx~ {model}")
    osc = c.obj("osc~ 100")
    c.connect(osc, 0, fx, 0)
    run_dsp_then_quit(c, 2000)
    res = run_pd(c, str(tmp_path), sample_rate=44100)
    assert res.returncode == 0, res.console
    warnings = [ln for ln in res.console.splitlines() if "warning" in ln]
    assert len(warnings) == 1, res.console
    assert "48000" in warnings[0] and "44100" in warnings[0], warnings[0]
    assert not _error_lines(res.console), res.console


def test_upsampled_subpatch_tells_the_host_its_rate(tmp_path):
    """In a [block~ 64 1 2] subpatch the object runs at 96 kHz: _dsp passes the rate to the
    host layer, which warns once that the 48 kHz model was made for another rate."""
    model = random_model(**MONO)
    c = Canvas()
    osc = c.obj("osc~ 100")
    up = c.sub(effect_subpatch("up", model, "64 1 2"))
    c.chain(osc, up)
    run_dsp_then_quit(c, 1000)
    res = run_pd(c, str(tmp_path))
    assert res.returncode == 0, res.console
    warnings = [ln for ln in res.console.splitlines() if "warning" in ln]
    assert len(warnings) == 1, res.console
    assert "48000" in warnings[0] and "96000" in warnings[0], warnings[0]
    assert not _error_lines(res.console), res.console
