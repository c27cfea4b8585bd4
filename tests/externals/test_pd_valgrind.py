"""valgrind (memcheck) finds no leak and no invalid access from nnfx~ over 100 `open`
cycles in real Pd with DSP running, the object deleted at the end."""

from __future__ import annotations

import os
import re
import shutil

from pd_harness import Canvas, run_pd
from pd_models import MONO, STEREO, random_model

CYCLES = 100


def test_no_leak_over_100_open_cycles(tmp_path):
    assert shutil.which("valgrind"), "valgrind is not installed (.ci/setup installs it)"
    tmp = str(tmp_path)
    a, b = random_model(**MONO), random_model(**{**STEREO, "in_channels": 1})
    # subpatch [pd box] holds the object; `clear` deletes it (its free routine runs)
    box = Canvas("box")
    fx = box.obj(f"nnfx~ {a} -out 2")
    osc = box.obj("osc~ 220")
    box.connect(osc, 0, fx, 0)
    r_ctl = box.obj("r fx")
    box.connect(r_ctl, 0, fx, 0)
    route = box.obj("route loaded")
    box.connect(fx, 2, route, 0)
    to_bang = box.obj("t b")
    s_loaded = box.obj("s loaded")
    box.chain(route, to_bang, s_loaded)

    c = Canvas()
    c.sub(box)
    lb = c.obj("loadbang")
    dsp = c.msg("; pd dsp 1")
    c.chain(lb, dsp)
    # every `loaded` triggers the next open, alternating the two files, CYCLES times
    r_loaded = c.obj("r loaded")
    cnt = c.obj("f")
    inc = c.obj("+ 1")
    c.chain(r_loaded, cnt, inc)
    c.connect(inc, 0, cnt, 1)
    mod = c.obj(f"moses {CYCLES + 1}")  # the creation load counts as the first
    c.connect(inc, 0, mod, 0)
    parity = c.obj("mod 2")
    sel = c.obj("sel 0 1")
    c.chain(mod, parity, sel)
    open_a = c.msg(f"; fx open {a}")
    open_b = c.msg(f"; fx open {b}")
    c.connect(sel, 0, open_a, 0)
    c.connect(sel, 1, open_b, 0)
    # [delay]s take the deletion and the quit out of the object's own outlet call
    finish = c.obj("t b b")
    c.connect(mod, 1, finish, 0)
    d_clear = c.obj("delay 10")
    clear = c.msg("; pd dsp 0; pd-box clear")
    d = c.obj("delay 100")
    q = c.msg("; pd quit")
    c.connect(finish, 1, d_clear, 0)
    c.chain(d_clear, clear)
    c.connect(finish, 0, d, 0)
    c.chain(d, q)
    mark_p = c.obj("print CYCLES")
    c.connect(finish, 1, mark_p, 0)

    log = os.path.join(tmp, "valgrind.log")
    wrapper = ["valgrind", "--tool=memcheck", "--leak-check=full",
               "--show-leak-kinds=definite,indirect", f"--log-file={log}",
               "--num-callers=30"]
    # Paced by the clock, not -batch: valgrind runs one thread at a time, and a batch-mode
    # Pd spinning through ticks would starve the loader thread (minutes instead of seconds).
    res = run_pd(c, tmp, wrapper=wrapper, timeout=600, batch=False)
    with open(log) as f:
        report = f.read()
    assert res.returncode == 0, res.console + report[-4000:]
    assert "CYCLES: bang" in res.console, f"the 100 cycles did not finish\n{res.console}"
    # valgrind reports Pd's own allocations too; only records that involve nnfx count
    records = re.split(r"\n==\d+== \n", report)
    ours = [r for r in records
            if ("definitely lost" in r or "indirectly lost" in r or "Invalid" in r
                or "uninitialised" in r)
            and re.search(r"nnfx|runtime_c|/rt/", r)]
    assert not ours, "\n\n".join(ours)[:8000]
    assert "ERROR SUMMARY" in report, report[-2000:]
