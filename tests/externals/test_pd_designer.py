"""The live random-network designer in real Pd matches the Python exporter.

For 20 recipes drawn at random (fixed seed), a [nnfx~] object gets `random KEY VALUE ...`,
the host layer's C builder makes the network off the audio thread, the object plays a
sound file through it and `save`s it. Checked against Python:

- the saved file's weights are bit-identical to nnfx.exporter.random_weights (the spec's
  generator in numpy), and its recorded recipe is the one sent;
- the object's output equals nnfx.load(F).process(x), where F is the file that
  nnfx.export writes for RandomTCN(recipe) (the PyTorch module), to 1e-6: both run the
  same C engine on bit-identical weights; the bound covers the host layer's dry/wet
  formula (an ulp or two at mix 1; outputs are below 4 in magnitude).
"""

from __future__ import annotations

import json
import os

import numpy as np
import onnx
from onnx import numpy_helper
from pd_harness import Canvas, render_patch, run_pd
from pd_models import make_signal, random_model, read_wav, write_wav

import nnfx
from nnfx import modelfile
from nnfx.exporter.random_recipe import ACTIVATIONS, INITS, Recipe
from nnfx.exporter.random_weights import weights

TOL = 1e-6  # see module docstring
COUNT = 20
LEAD = 2048  # silent lead-in, longer than every receptive field below (state convergence)


def _recipes() -> list[Recipe]:
    rng = np.random.default_rng(20261122)
    out: list[Recipe] = []
    while len(out) < COUNT:
        act = ACTIVATIONS[len(out) % len(ACTIVATIONS)]  # every activation at least once
        init = INITS[len(out) % len(INITS)]  # every init at least twice
        layers = int(rng.integers(1, 6))
        if act == "sine30":
            layers = min(layers, 2)  # chaotic beyond that: no two float32 engines agree
        r = Recipe(
            layers=layers,
            kernel=int(rng.integers(1, 6)),
            channels=int(rng.integers(1, 9)),
            growth=int(rng.integers(1, 4)),
            activation=act,
            init=init,
            bias=int(rng.integers(0, 2)),
            depthwise=int(rng.integers(0, 2)),
            in_channels=int(rng.integers(1, 3)),
            out_channels=int(rng.integers(1, 3)),
            in_gain_db=float(rng.integers(-12, 13)) / 2,
            out_gain_db=float(rng.integers(-12, 13)) / 2,
            seed=int(rng.integers(0, 1 << 24)),
        ).validate()
        if r.receptive_field < LEAD // 2:
            out.append(r)
    return out


def _message(r: Recipe) -> str:
    d = r.to_dict()
    keys = ["layers", "kernel", "channels", "growth", "activation", "init", "bias",
            "depthwise", "seed", "in_gain_db", "out_gain_db"]
    parts = [f"{k} {d[k]}" for k in keys]
    parts += [f"in {r.in_channels}", f"out {r.out_channels}"]
    return "random " + " ".join(parts)


def test_designer_matches_python_for_20_recipes(tmp_path):
    tmp = str(tmp_path)
    recipes = _recipes()
    x = make_signal(4800, channels=2, lead=LEAD, seed=9)
    n = x.shape[1]
    dut = Canvas("dut")
    start = dut.obj("r start")
    plays = [dut.obj(f"tabplay~ in{c}") for c in (0, 1)]
    for p in plays:
        dut.connect(start, 0, p, 0)
    # loads are counted; when all 20 networks are built, [s go] starts the recording
    count_r = dut.obj("r nloaded")
    count_f = dut.obj("f")
    count_add = dut.obj("+ 1")
    count_sel = dut.obj(f"sel {COUNT}")
    count_go = dut.obj("s go")
    dut.chain(count_r, count_f, count_add, count_sel, count_go)
    dut.connect(count_add, 0, count_f, 1)
    outputs: dict[str, tuple[str, int]] = {}
    before = []
    for k, r in enumerate(recipes):
        fx = dut.obj(f"nnfx~ -in {r.in_channels} -out {r.out_channels}")
        ctl = dut.obj(f"r fx{k}")
        dut.connect(ctl, 0, fx, 0)
        for c in range(r.in_channels):
            dut.connect(plays[c], 0, fx, c)
        for c in range(r.out_channels):
            table = f"o{k}_{c}"
            rec = dut.obj(f"tabwrite~ {table}")
            dut.connect(start, 0, rec, 0)
            dut.connect(fx, c, rec, 0)
            outputs[table] = (os.path.join(tmp, f"{table}.wav"), n)
        route = dut.obj("route loaded")
        dut.connect(fx, r.out_channels, route, 0)
        to_bang = dut.obj("t b b")
        dut.connect(route, 0, to_bang, 0)
        save = dut.msg(f"save {tmp}/saved{k}.onnx")
        dut.connect(to_bang, 1, save, 0)
        dut.connect(save, 0, fx, 0)
        count = dut.obj("s nloaded")
        dut.connect(to_bang, 0, count, 0)
        before += [f"fx{k} dcblock 0", f"fx{k} {_message(r)}"]
    inputs = {f"in{c}": write_wav(os.path.join(tmp, f"in{c}.wav"), x[c : c + 1]) for c in (0, 1)}
    res = run_pd(render_patch(dut, inputs, outputs, n / 48000.0, before=before, go="go"), tmp,
                 timeout=300)
    assert res.returncode == 0, res.console
    assert "error" not in res.console.lower(), res.console

    failures = []
    for k, r in enumerate(recipes):
        saved = os.path.join(tmp, f"saved{k}.onnx")
        model = onnx.load(saved)
        meta = modelfile.metadata_of(model)
        arch = json.loads(meta["nnfx.architecture"])
        if Recipe.from_dict(arch["recipe"]) != r:
            failures.append(f"{k}: recorded recipe {arch['recipe']} != {r.to_dict()}")
        inits = [numpy_helper.to_array(t) for t in model.graph.initializer]
        for layer, (w, b) in enumerate(weights(r)):
            for name, want in (("weight", w), ("bias", b)):
                if want is None:
                    continue
                if not any(a.shape == want.shape and a.tobytes() == want.tobytes()
                           for a in inits):
                    failures.append(f"{k}: layer {layer} {name} differs from the Python generator")
        exported = random_model(**r.to_dict())  # nnfx.export of RandomTCN(r), cached
        with nnfx.load(exported) as m:
            ref = np.atleast_2d(m.process(x[: r.in_channels]))
        y = np.concatenate([read_wav(outputs[f"o{k}_{c}"][0]) for c in range(r.out_channels)])
        err = float(np.max(np.abs(y[:, LEAD:] - ref[:, LEAD:])))
        if not err <= TOL:
            failures.append(f"{k}: {_message(r)}: max abs error {err:.3g}")
    assert not failures, "\n".join(failures)
