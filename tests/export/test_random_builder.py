"""The C random-network builder (runtime_c/src/random_net.c, random_build.c) against the Python
generator (nnfx.exporter.random_weights) and the Python exporter (nnfx.exporter.random_tcn).

The C side is driven through runtime_c/tests/random_tool.c (compiled here from the sources with
-ffp-contract=off, as the spec requires): `weights` dumps every layer's float32 weights and
biases, `build` writes the complete model file, `check` validates a recipe.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import numpy as np
import pytest
from runtime_build import c_test_source, compile_c_program

from nnfx import modelfile
from nnfx.exporter.random_recipe import ACTIVATIONS, INITS, Recipe
from nnfx.exporter.random_weights import gains, weights


def _recipes() -> list[Recipe]:
    """24 seeded recipes: every activation and every init at least twice, depthwise, bias,
    stereo in/out and gains mixed in; small sizes so the test stays fast."""
    rng = random.Random(20261122)
    out = []
    for i in range(24):
        out.append(
            Recipe(
                layers=rng.randint(1, 5),
                kernel=rng.randint(1, 6),
                channels=rng.randint(1, 9),
                growth=rng.randint(1, 4),
                activation=ACTIVATIONS[i % len(ACTIVATIONS)],
                init=INITS[i % len(INITS)],
                bias=i % 2,
                depthwise=(i // 2) % 2,
                in_channels=1 + (i // 3) % 2,
                out_channels=1 + (i // 5) % 2,
                in_gain_db=[0.0, 6.0, -12.5, 3.25][i % 4],
                out_gain_db=[0.0, -6.0, 0.0, 9.5][(i // 4) % 4],
                seed=rng.randint(0, (1 << 24) - 1),
            ).validate()
        )
    return out


RECIPES = _recipes()


def _args(recipe: Recipe) -> list[str]:
    args: list[str] = []
    for key, value in recipe.to_dict().items():
        args += [key, repr(value) if isinstance(value, float) else str(value)]
    return args


@pytest.fixture(scope="module")
def tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("random_tool") / "random_tool"
    return compile_c_program(c_test_source("random_tool"), out)


def test_recipes_cover_every_activation_and_init() -> None:
    assert {r.activation for r in RECIPES} == set(ACTIVATIONS)
    assert {r.init for r in RECIPES} == set(INITS)
    assert any(r.depthwise and r.layers > 2 for r in RECIPES)
    assert any(r.bias for r in RECIPES) and any(r.in_channels == 2 for r in RECIPES)
    assert any(r.out_channels == 2 for r in RECIPES)


@pytest.mark.parametrize("index", range(len(RECIPES)))
def test_weights_bit_identical(tool: Path, tmp_path: Path, index: int) -> None:
    recipe = RECIPES[index]
    out = tmp_path / "w.f32"
    subprocess.run([str(tool), "weights", str(out), *_args(recipe)], check=True)
    c = np.fromfile(out, dtype=np.float32)
    py = np.concatenate([a.ravel() for pair in weights(recipe) for a in pair if a is not None])
    assert c.shape == py.shape
    # Bit identity (compared as integers, so -0.0 vs 0.0 or NaN would show): the spec's promise.
    assert np.array_equal(c.view(np.uint32), py.view(np.uint32)), recipe


@pytest.mark.parametrize("index", range(0, len(RECIPES), 3))
def test_built_file_initializers_and_metadata(tool: Path, tmp_path: Path, index: int) -> None:
    import onnx
    from onnx import numpy_helper

    recipe = RECIPES[index]
    path = tmp_path / "c.onnx"
    subprocess.run([str(tool), "build", str(path), "128", "48000", *_args(recipe)], check=True)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for layer, (w, b) in enumerate(weights(recipe)):
        assert np.array_equal(inits[f"conv{layer}.weight"].view(np.uint32), w.view(np.uint32))
        if b is not None:
            assert np.array_equal(inits[f"conv{layer}.bias"].view(np.uint32), b.view(np.uint32))
    g_in, g_out = gains(recipe)
    if g_in is not None:
        assert inits["in_gain"] == g_in
    if g_out is not None:
        assert inits["out_gain"] == g_out
    meta = modelfile.metadata_of(model)
    arch = json.loads(meta["nnfx.architecture"])
    assert arch["kind"] == "random_tcn" and arch["generator"] == "nnfx-splitmix64-irwinhall-1"
    assert Recipe.from_dict(arch["recipe"]) == recipe
    assert int(meta["nnfx.receptive_field"]) == recipe.receptive_field
    assert int(meta["nnfx.lookback"]) == recipe.lookback
    assert int(meta["nnfx.macs_per_sample"]) == recipe.macs_per_sample
    assert int(meta["nnfx.parameter_count"]) == recipe.parameter_count
    assert int(meta["nnfx.block_size"]) == 128


@pytest.mark.parametrize("index", range(len(RECIPES)))
def test_c_built_model_sounds_like_python_export(tool: Path, tmp_path: Path, index: int) -> None:
    """The C-built file and the file nnfx.export writes from RandomTCN, both through the
    runtime, on the same noise."""
    import nnfx
    from nnfx.exporter.random_tcn import build

    recipe = RECIPES[index]
    c_path, py_path = tmp_path / "c.onnx", tmp_path / "py.onnx"
    subprocess.run([str(tool), "build", str(c_path), "64", "48000", *_args(recipe)], check=True)
    nnfx.export(build(recipe), py_path, block_size=64, sample_rate=48000)
    x = np.random.default_rng(index).uniform(-1, 1, (recipe.in_channels, 3000))
    x = x.astype(np.float32)
    with nnfx.load(c_path) as mc, nnfx.load(py_path) as mp:
        yc, yp = mc.process(x), mp.process(x)
    assert yc.shape == yp.shape == (recipe.out_channels, 3000)
    assert np.all(np.isfinite(yc))
    # Identical weights and the same ops; the only freedom is how each file spells a few
    # constant products (e.g. whether the exporter folded a gain), which moves results by a
    # few float32 ulps per layer: 1e-5 relative to the output's peak covers that.
    peak = max(1.0, float(np.max(np.abs(yp))))
    err = float(np.max(np.abs(yc - yp)))
    assert err <= 1e-5 * peak, f"{recipe}: max abs error {err} (peak {peak})"


@pytest.mark.parametrize("index", range(1, len(RECIPES), 3))
def test_embedded_reference_matches_pytorch(tool: Path, tmp_path: Path, index: int) -> None:
    """The C builder embeds what the C runtime computes for a reference input; PyTorch's
    RandomTCN (an independent engine) gives the same on that input, within the file's own
    tolerance, and the runtime's verify accepts the file."""
    import onnx
    import torch

    import nnfx
    from nnfx.exporter.random_tcn import build

    recipe = RECIPES[index]
    path = tmp_path / "c.onnx"
    subprocess.run([str(tool), "build", str(path), "64", "48000", *_args(recipe)], check=True)
    meta = modelfile.metadata_of(onnx.load(str(path)))
    length = int(meta["nnfx.reference_length"])
    x = modelfile.decode_floats(meta["nnfx.reference_input"])
    y = modelfile.decode_floats(meta["nnfx.reference_output"])
    x = x.reshape(recipe.in_channels, length)
    y = y.reshape(recipe.out_channels, length)
    padded = np.concatenate([np.zeros((recipe.in_channels, recipe.lookback), np.float32), x], 1)
    with torch.no_grad():
        ref = build(recipe)(torch.from_numpy(padded)[None]).numpy()[0]
    tol = float(meta["nnfx.reference_tolerance"])
    # The file's tolerance is 1e-4 x max(1, peak): float32 engines with different
    # accumulation orders (PyTorch's conv vs the C kernels) stay far inside it.
    assert float(np.max(np.abs(ref - y))) <= tol
    with nnfx.load(path) as m:
        assert m.verify() <= tol


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["layers", "0"], "layers = 0 is out of range 1-24"),
        (["kernel", "65"], "kernel = 65 is out of range 1-64"),
        (["activation", "swish"], "not one of: linear, leakyrelu"),
        (["init", "he"], "not one of: normal, uniform"),
        (["seed", "16777216"], "seed = 1.67772e+07 is out of range 0-16777215"),
        (["in_gain_db", "61"], "in_gain_db = 61 is out of range -60...60 dB"),
        (["layers", "24", "kernel", "64", "growth", "4"], "receptive field"),
        (["bogus", "1"], "unknown key 'bogus'"),
    ],
)
def test_bad_recipes_refused(tool: Path, args: list[str], fragment: str) -> None:
    proc = subprocess.run([str(tool), "check", *args], capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr


def test_figures_match_python(tool: Path) -> None:
    for recipe in RECIPES[:8]:
        proc = subprocess.run(
            [str(tool), "check", *_args(recipe)], capture_output=True, text=True, check=True
        )
        assert proc.stdout.split() == [
            "rf", str(recipe.receptive_field), "params", str(recipe.parameter_count),
            "macs", str(recipe.macs_per_sample),
        ]
