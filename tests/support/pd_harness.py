"""Helpers for the tests that drive real Pure Data in batch mode (tests/externals/test_pd_*.py).

- ``build_external()`` builds ``externals/pd/nnfx~.pd_linux`` once per process; ``make()``
  runs any target (a file lock keeps parallel pytest workers from building at once).
- ``Canvas`` writes Pd patch files (objects, messages, subpatches, connections).
- ``run_pd(patch, ...)`` runs ``pd -nogui -noaudio -batch -noprefs -stderr`` on a patch and
  returns Pd's exit code and console text (post() and errors go to stderr).

Pd 0.53 is the reference: sound goes in and out through tables ([soundfiler] read/write,
``-bytes 4`` = float32 files) rather than writesf~, and patches end with ``;pd quit``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

import numpy as np
from repo import ROOT

PD_DIR = os.path.join(ROOT, "externals", "pd")
EXTERNAL = os.path.join(PD_DIR, "nnfx~.pd_linux")
SAMPLE_RATE = 48000

_built = False


def make(*args: str, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    """``make -j2 -C externals/pd ARGS``, one at a time across pytest workers (every build
    shares externals/pd/build/); fails the test with make's output when make fails."""
    lock = os.path.join(tempfile.gettempdir(), "nnfx-pd-build.lock")
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            proc = subprocess.run(["make", "-j2", "-C", PD_DIR, *args], capture_output=True,
                                  text=True, timeout=timeout)
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    if proc.returncode != 0:
        raise AssertionError(
            f"make -C externals/pd {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr}"
        )
    return proc


def build_external() -> str:
    """``make -C externals/pd`` (incremental) once per process; returns the external's path."""
    global _built
    if not (_built and os.path.exists(EXTERNAL)):
        make()
        _built = True
    return EXTERNAL


def esc(text: str) -> str:
    """Escape text for a Pd message box (semicolons, commas, dollars)."""
    return text.replace("$", "\\$").replace(",", " \\,").replace(";", " \\;")


@dataclass
class Canvas:
    """A Pd canvas: ``obj``/``msg`` return the object index used by ``connect``."""

    name: str = ""
    lines: list[str] = field(default_factory=list)
    count: int = 0

    def _add(self, line: str) -> int:
        self.lines.append(line)
        self.count += 1
        return self.count - 1

    def obj(self, text: str) -> int:
        y = 10 + 25 * self.count
        return self._add(f"#X obj 10 {y} {text};")

    def msg(self, text: str) -> int:
        y = 10 + 25 * self.count
        return self._add(f"#X msg 10 {y} {esc(text)};")

    def sub(self, child: Canvas) -> int:
        """Embed ``child`` as [pd NAME]; returns its index in this canvas."""
        self.lines.append(f"#N canvas 0 50 450 300 {child.name} 0;")
        self.lines.extend(child.lines)
        y = 10 + 25 * self.count
        return self._add(f"#X restore 10 {y} pd {child.name};")

    def connect(self, a: int, outlet: int, b: int, inlet: int) -> None:
        self.lines.append(f"#X connect {a} {outlet} {b} {inlet};")

    def chain(self, *indices: int) -> None:
        """Connect outlet 0 of each object to inlet 0 of the next."""
        for a, b in zip(indices, indices[1:], strict=False):
            self.connect(a, 0, b, 0)

    def text(self) -> str:
        return "#N canvas 0 50 800 600 12;\n" + "\n".join(self.lines) + "\n"


def effect_subpatch(name: str, model: str, block: str) -> Canvas:
    """[inlet~] -> [nnfx~ model] -> [outlet~] in a subpatch with [block~ block]."""
    sub = Canvas(name)
    i = sub.obj("inlet~")
    fx = sub.obj(f"nnfx~ {model}")
    o = sub.obj("outlet~")
    sub.chain(i, fx, o)
    sub.obj(f"block~ {block}")
    return sub


def run_dsp_then_quit(c: Canvas, ms: float) -> None:
    """Adds to ``c``: DSP on at load, Pd quits ``ms`` milliseconds later."""
    lb = c.obj("loadbang")
    dsp = c.msg("; pd dsp 1")
    c.chain(lb, dsp)
    d = c.obj(f"delay {ms:g}")
    q = c.msg("; pd quit")
    c.chain(lb, d, q)


@dataclass
class PdResult:
    returncode: int
    console: str  # everything Pd printed (stderr), post() and errors

    def errors(self) -> list[str]:
        return [ln for ln in self.console.splitlines() if "error" in ln.lower()]


def run_pd(
    patch: Canvas | str,
    workdir: str,
    *,
    name: str = "test.pd",
    timeout: float = 120.0,
    extra: list[str] | None = None,
    wrapper: list[str] | None = None,
    path: str = PD_DIR,
    batch: bool = True,
    sample_rate: int = SAMPLE_RATE,
    env: dict[str, str] | None = None,
) -> PdResult:
    """Write the patch into ``workdir`` and run Pd (48 kHz by default): in batch mode (as fast as it
    can), or with ``batch=False`` paced by the clock (-noaudio still runs DSP)."""
    build_external()
    text = patch.text() if isinstance(patch, Canvas) else patch
    file = os.path.join(workdir, name)
    with open(file, "w") as f:
        f.write(text)
    pd = shutil.which("pd")
    if pd is None:
        raise AssertionError("Pure Data (pd) is not installed; .ci/setup installs puredata-core")
    cmd = list(wrapper or []) + [pd, "-nogui", "-noaudio"] + (["-batch"] if batch else [])
    cmd += ["-noprefs", "-stderr"]
    cmd += ["-r", str(sample_rate), "-path", path] + list(extra or []) + ["-open", file]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=workdir,
                          env=None if env is None else {**os.environ, **env})
    return PdResult(proc.returncode, proc.stdout + proc.stderr)


def render_patch(
    dut: Canvas,
    inputs: dict[str, str],
    outputs: dict[str, tuple[str, int]],
    seconds: float,
    *,
    before: list[str] | None = None,
    go: str | None = None,
) -> Canvas:
    """A patch around a device under test ``dut`` (a subpatch that plays and records its
    tables when it receives ``start``).

    On load: read the input tables, send the ``before`` messages (to Pd receivers, e.g.
    "fx1 dcblock 0"), switch DSP on. Then, on load or when [r GO] fires if ``go`` is given:
    50 ms later send ``start``; ``seconds`` + 150 ms later write the output tables as
    float32 files and quit.

    inputs: table -> mono sound file (the table is resized to it);
    outputs: table -> (mono float32 sound file to write, table size in frames).
    """
    c = Canvas()
    for table in inputs:
        c.obj(f"table {table}")
    for table, (_, size) in outputs.items():
        c.obj(f"table {table} {size}")
    lb = c.obj("loadbang")
    t_load = c.obj("t b b b")
    c.connect(lb, 0, t_load, 0)
    sf_in = c.obj("soundfiler")
    for table, path in inputs.items():
        r = c.msg(f"read -resize {path} {table}")
        c.connect(t_load, 2, r, 0)
        c.connect(r, 0, sf_in, 0)
    if before:
        m = c.msg("; " + "; ".join(before))
        c.connect(t_load, 1, m, 0)
    dsp = c.msg("; pd dsp 1")
    c.connect(t_load, 0, dsp, 0)
    src = c.obj(f"r {go}") if go else lb
    t_go = c.obj("t b b")
    c.connect(src, 0, t_go, 0)
    d_start = c.obj("delay 50")
    s_start = c.obj("s start")
    c.connect(t_go, 1, d_start, 0)
    c.connect(d_start, 0, s_start, 0)
    d_end = c.obj(f"delay {50 + 1000.0 * seconds + 100:.3f}")
    c.connect(t_go, 0, d_end, 0)
    sf_out = c.obj("soundfiler")
    t_end = c.obj("t b b")
    c.connect(d_end, 0, t_end, 0)
    for table, (path, _) in outputs.items():
        w = c.msg(f"write -bytes 4 {path} {table}")
        c.connect(t_end, 1, w, 0)
        c.connect(w, 0, sf_out, 0)
    quit_msg = c.msg("; pd dsp 0; pd quit")
    c.connect(t_end, 0, quit_msg, 0)
    c.sub(dut)
    return c


def render_chain(tmp: str, model: str, x: np.ndarray, *, block: int | None, flags: str = "",
                 outs: int = 1, before: list[str] | None = None) -> tuple[np.ndarray, str]:
    """tabplay~ -> [nnfx~ model flags] -> tabwrite~, inside a subpatch with [block~ block], for
    x [channels, frames] (one table per channel); ``before`` messages go out before DSP starts
    (the object listens on [r fx]). Returns the output [outs, frames] and Pd's console text."""
    from pd_models import read_wav, write_wav

    dut = Canvas("dut")
    start = dut.obj("r start")
    plays = [dut.obj(f"tabplay~ in{c}") for c in range(x.shape[0])]
    fx = dut.obj(f"nnfx~ {model} {flags}".strip())
    ctl = dut.obj("r fx")
    dut.connect(ctl, 0, fx, 0)
    recs = [dut.obj(f"tabwrite~ out{c}") for c in range(outs)]
    for c, p in enumerate(plays):
        dut.connect(start, 0, p, 0)
        dut.connect(p, 0, fx, c)
    for c, r in enumerate(recs):
        dut.connect(start, 0, r, 0)
        dut.connect(fx, c, r, 0)
    if block:
        dut.obj(f"block~ {block}")
    n = x.shape[1]
    inputs = {f"in{c}": write_wav(os.path.join(tmp, f"in{c}.wav"), x[c : c + 1]) for c in
              range(x.shape[0])}
    outputs = {f"out{c}": (os.path.join(tmp, f"out{c}.wav"), n) for c in range(outs)}
    res = run_pd(render_patch(dut, inputs, outputs, n / 48000.0, before=before), tmp)
    assert res.returncode == 0, res.console
    y = np.concatenate([read_wav(outputs[f"out{c}"][0]) for c in range(outs)])
    return y, res.console
