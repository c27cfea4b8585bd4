"""RandomTCN: receptive field by measurement, activations, ONNX export and ONNX Runtime parity."""

from __future__ import annotations

import copy
import io
import json
import math
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from nnfx import modelfile, testsignals
from nnfx.exporter.random_recipe import ACTIVATIONS, INITS, Recipe
from nnfx.exporter.random_tcn import RRELU_SLOPE, RandomTCN, build, make_activation
from nnfx.exporter.random_weights import weights


def to_onnx(module: torch.nn.Module, x: torch.Tensor) -> bytes:
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy-exporter deprecation notice
        torch.onnx.export(
            module,
            (x,),
            f,
            input_names=["audio_in"],
            output_names=["audio_out"],
            opset_version=17,
            dynamo=False,
        )
    return f.getvalue()


def run_ort(data: bytes, x: np.ndarray) -> np.ndarray:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    return sess.run(None, {"audio_in": x})[0]


def noise(channels: int, frames: int, seed: int, amplitude: float = 0.5) -> torch.Tensor:
    return torch.from_numpy(testsignals.noise_channels(channels, frames, seed, amplitude)[None])


def measured_support(module: torch.nn.Module, channels: int, rf_hint: int) -> tuple[int, int]:
    """(first, last) input-time offsets, relative to a perturbed input sample, of the outputs
    that change when that one sample changes. Run in float64 so that no change is lost."""
    m64 = copy.deepcopy(module).double().eval()
    length = 3 * rf_hint + 16
    p = rf_hint + 5  # the perturbed frame: every output that could see it is in range
    rng = np.random.default_rng(1)
    x = torch.from_numpy(0.5 * rng.standard_normal((1, channels, length)))
    x2 = x.clone()
    x2[0, 0, p] += 0.25
    with torch.no_grad():
        y, y2 = m64(x), m64(x2)
    lookback = length - y.shape[-1]
    changed = torch.nonzero((y - y2).abs().amax(dim=(0, 1)) > 0).flatten()
    times = changed + lookback  # output index i is the output at input frame i + lookback
    return int(times.min()) - p, int(times.max()) - p


# ----------------------------------------------------------------------- receptive field


@pytest.mark.parametrize("growth", [1, 2, 3, 4])
@pytest.mark.parametrize("kernel", [1, 2, 3, 5])
def test_receptive_field_equals_measured_support(growth: int, kernel: int) -> None:
    # The original plugin over-counted its look-back by k(d-1)+1 frames when growth > 1:
    # here the look-back (graph input minus output length) must equal the measured support - 1.
    recipe = Recipe(layers=3, kernel=kernel, channels=3, growth=growth, init="normal", seed=growth)
    module = RandomTCN(recipe).eval()
    rf = recipe.receptive_field
    first, last = measured_support(module, 1, rf)
    assert first == 0  # causal, no latency: the output at the perturbed frame changes
    assert last - first + 1 == rf
    assert recipe.lookback == last - first
    assert module.nnfx_info.receptive_field == rf
    with torch.no_grad():
        y = module(torch.zeros(1, 1, recipe.lookback + 10))
    assert y.shape == (1, 1, 10)  # M + N frames in, exactly N out


# -------------------------------------------------------------------------- activations


def _reference_activation(name: str, x: np.ndarray) -> np.ndarray:
    """Each activation from its definition in docs/random-networks.md, in float64."""
    erf = np.vectorize(math.erf)
    selu_a, selu_l = 1.6732632423543772, 1.0507009873554805
    table = {
        "linear": lambda v: v,
        "leakyrelu": lambda v: np.where(v >= 0, v, 0.2 * v),
        "tanh": np.tanh,
        "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
        "relu": lambda v: np.maximum(v, 0),
        "elu": lambda v: np.where(v > 0, v, np.expm1(v)),
        "selu": lambda v: selu_l * np.where(v > 0, v, selu_a * np.expm1(v)),
        "gelu": lambda v: 0.5 * v * (1 + erf(v / math.sqrt(2))),
        "rrelu": lambda v: np.where(v >= 0, v, (1 / 8 + 1 / 3) / 2 * v),
        "softplus": lambda v: np.where(v > 20, v, np.log1p(np.exp(np.minimum(v, 20)))),
        "softshrink": lambda v: np.where(v > 0.5, v - 0.5, np.where(v < -0.5, v + 0.5, 0.0)),
        "sine": np.sin,
        "sine30": lambda v: np.sin(30 * v),
    }
    return table[name](x)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_its_definition(name: str) -> None:
    x = np.linspace(-4, 4, 801)
    got = make_activation(name)(torch.from_numpy(x)).numpy()
    # float64 throughout; 1e-12 covers libm differences between torch's kernels and numpy's
    assert np.allclose(got, _reference_activation(name, x), rtol=0, atol=1e-12)


def test_all_thirteen_activations_are_reachable_and_distinct() -> None:
    # The original plugin left two activations unreachable. Each name must build a different
    # network function: same recipe, same input, pairwise different outputs.
    x = noise(1, 200, seed=3, amplitude=2.0)
    outs = {}
    for name in ACTIVATIONS:
        module = build(layers=3, kernel=3, channels=4, activation=name, init="normal", seed=9)
        acts = [type(m).__name__ for m in module.body if not isinstance(m, torch.nn.Conv1d)]
        assert len(acts) == (0 if name == "linear" else 2)
        with torch.no_grad():
            outs[name] = module(x).numpy()
    for a in ACTIVATIONS:
        for b in ACTIVATIONS:
            if a < b:
                assert np.abs(outs[a] - outs[b]).max() > 1e-3, (a, b)


EXPECTED_OPS = {
    "linear": set(),
    "leakyrelu": {"LeakyRelu"},
    "tanh": {"Tanh"},
    "sigmoid": {"Sigmoid"},
    "relu": {"Relu"},
    "elu": {"Elu"},
    "selu": {"Selu"},
    "gelu": {"Div", "Erf", "Add", "Mul"},
    "rrelu": {"LeakyRelu"},
    "softplus": {"Softplus"},
    "softshrink": {"Shrink"},
    "sine": {"Sin"},
    "sine30": {"Mul", "Sin"},
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_export_to_plain_onnx_ops(name: str) -> None:
    module = build(layers=2, kernel=2, channels=2, activation=name).eval()
    model = onnx.load_from_string(to_onnx(module, torch.zeros(1, 1, 8)))
    ops = {n.op_type for n in model.graph.node} - {"Conv", "Constant"}
    assert ops == EXPECTED_OPS[name]
    attrs = {
        (n.op_type, a.name): onnx.helper.get_attribute_value(a)
        for n in model.graph.node
        for a in n.attribute
    }
    if name == "rrelu":
        assert attrs[("LeakyRelu", "alpha")] == np.float32(RRELU_SLOPE) == np.float32(11 / 48)
    if name == "leakyrelu":
        assert attrs[("LeakyRelu", "alpha")] == np.float32(0.2)
    if name == "softshrink":
        assert attrs[("Shrink", "lambd")] == 0.5 and attrs[("Shrink", "bias")] == 0.5


def test_softplus_threshold_agrees_with_onnx_softplus() -> None:
    # PyTorch returns x above 20; ONNX Softplus has no threshold. In float32 log1p(exp(x))
    # already rounds to x from x = 14.56 on, so both must agree everywhere, even where exp(x)
    # overflows float32.
    x = np.concatenate([np.linspace(-120, 120, 24001), [500.0, 1e4, 3e38, -3e38]])
    x = x.astype(np.float32)[None, None, :]
    sp = torch.nn.Softplus()
    data = to_onnx(sp, torch.from_numpy(x))
    assert [n.op_type for n in onnx.load_from_string(data).graph.node] == ["Softplus"]
    got = run_ort(data, x)
    want = sp(torch.from_numpy(x)).numpy()
    exact = np.logaddexp(0.0, x.astype(np.float64)).astype(np.float32)
    assert np.isfinite(got).all()
    # Below 20 two libms' exp/log1p may differ by a couple of float32 ulps; the outputs there
    # are at most 20 (ulp 1.9e-6), so 4e-6 absolute is 2 ulps at the top of the range.
    assert np.abs(got - want).max() <= 4e-6 and np.abs(got - exact).max() <= 4e-6
    above = x > 20
    assert np.array_equal(got[above], x[above]) and np.array_equal(want[above], x[above])


# ----------------------------------------------------------------- ONNX Runtime, every pair


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_init_matches_onnxruntime(activation: str) -> None:
    for n, init in enumerate(INITS):
        recipe = Recipe(
            layers=3,
            kernel=3,
            channels=4,
            growth=2,
            activation=activation,
            init=init,
            bias=1,
            seed=100 + n,
        )
        module = RandomTCN(recipe).eval()
        x = noise(1, recipe.lookback + 128, seed=n)
        data = to_onnx(module, x)
        got = run_ort(data, x.numpy())
        with torch.no_grad():
            want = module(x).numpy()
            exact = copy.deepcopy(module).double()(x.double()).numpy()
        assert got.shape == want.shape == (1, 1, 128)
        if activation != "sine30":
            # Outputs stay below ~25; the engines differ only in the order of the float32
            # sums inside Conv (a few ulps, ulp(16) = 1.9e-6): 1e-5 is ~5 ulps at the peak.
            assert np.abs(got - want).max() <= 1e-5, (init, np.abs(got - want).max())
        else:
            # sin(30x) turns a 1-ulp difference in x into 30 ulps, layer after layer, so the
            # two float32 engines differ by up to ~1e-3 here. What must hold: ONNX Runtime is
            # as close to the exact (float64) network as PyTorch's float32 itself is (within
            # 4x, measured up to 2.1x), plus 1e-5. A wrong op (sin x, a lost factor 30)
            # misses by O(1).
            ort_err = np.abs(got - exact).max()
            torch_err = np.abs(want - exact).max()
            assert ort_err <= 4 * torch_err + 1e-5, (init, ort_err, torch_err)


# ------------------------------------------------------------------------ variants and info


def test_stereo_in_and_out() -> None:
    recipe = Recipe(layers=3, kernel=3, channels=4, in_channels=2, out_channels=2, bias=1)
    module = RandomTCN(recipe).eval()
    x = noise(2, recipe.lookback + 64, seed=5)
    with torch.no_grad():
        y = module(x)
        x_right = x.clone()
        x_right[0, 1] += 0.1
        y_right = module(x_right)
    assert y.shape == (1, 2, 64)
    assert not torch.allclose(y[0, 0], y[0, 1])  # two different output channels
    assert (y_right - y).abs().amax(dim=2).min() > 0  # the right input reaches both outputs
    got = run_ort(to_onnx(module, x), x.numpy())
    assert np.abs(got - y.numpy()).max() <= 1e-5  # same reason as the activation matrix


def test_mono_to_stereo_spreads() -> None:
    module = build(layers=2, kernel=3, channels=3, out_channels=2).eval()
    with torch.no_grad():
        y = module(noise(1, 100, seed=8))
    assert y.shape[1] == 2 and not torch.allclose(y[0, 0], y[0, 1])


def test_depthwise_middle_layers() -> None:
    recipe = Recipe(layers=4, kernel=3, channels=6, depthwise=1, bias=1, growth=2)
    module = RandomTCN(recipe).eval()
    convs = [m for m in module.body if isinstance(m, torch.nn.Conv1d)]
    assert [c.groups for c in convs] == [1, 6, 6, 1]
    assert [tuple(c.weight.shape) for c in convs] == [(6, 1, 3), (6, 1, 3), (6, 1, 3), (1, 6, 3)]
    assert [c.dilation[0] for c in convs] == [1, 2, 4, 8]
    assert sum(p.numel() for p in module.parameters()) == recipe.parameter_count
    x = noise(1, recipe.lookback + 64, seed=6)
    with torch.no_grad():
        want = module(x).numpy()
    assert np.abs(run_ort(to_onnx(module, x), x.numpy()) - want).max() <= 1e-5


def test_bias_weights_come_from_the_generator() -> None:
    recipe = Recipe(layers=3, kernel=2, channels=5, bias=1, init="kaiming_uniform", seed=4)
    module = RandomTCN(recipe)
    convs = [m for m in module.body if isinstance(m, torch.nn.Conv1d)]
    for conv, (w, b) in zip(convs, weights(recipe), strict=True):
        assert np.array_equal(conv.weight.detach().numpy(), w)
        assert b is not None and np.array_equal(conv.bias.detach().numpy(), b)
        assert np.any(b != 0)
    no_bias = RandomTCN(Recipe(layers=3, kernel=2, channels=5, bias=0, seed=4))
    assert all(m.bias is None for m in no_bias.body if isinstance(m, torch.nn.Conv1d))


def test_gains_scale_a_linear_network() -> None:
    base = dict(layers=3, kernel=3, channels=3, activation="linear", init="xavier_uniform")
    plain = build(**base).eval()
    loud = build(**base, in_gain_db=6.0, out_gain_db=-20.0).eval()
    g = float(np.float32(10 ** (6 / 20))) * float(np.float32(0.1))
    x = noise(1, 64, seed=2)
    with torch.no_grad():
        a, b = plain(x), loud(x)
    # linear network: b = g * a up to float32 rounding of the intermediate products
    assert torch.allclose(b, g * a, rtol=1e-5, atol=1e-6)
    ops = [n.op_type for n in onnx.load_from_string(to_onnx(loud, x)).graph.node]
    assert ops.count("Mul") == 2 and "Mul" not in [
        n.op_type for n in onnx.load_from_string(to_onnx(plain, x)).graph.node
    ]  # a 0 dB gain is left out


def test_nnfx_info_describes_the_recipe() -> None:
    recipe = Recipe(layers=5, kernel=4, growth=3, activation="elu", init="orthogonal", seed=321)
    info = RandomTCN(recipe).nnfx_info
    assert (info.in_channels, info.out_channels) == (1, 1)
    assert info.receptive_field == recipe.receptive_field == 1 + 3 * (1 + 3 + 9 + 27 + 81)
    arch = json.loads(json.dumps(info.architecture))
    assert arch["kind"] == "random_tcn" and arch["generator"] == "nnfx-splitmix64-irwinhall-1"
    assert sorted(arch["recipe"]) == sorted(recipe.to_dict())
    rebuilt = RandomTCN(Recipe.from_dict(arch["recipe"]))
    for p, q in zip(rebuilt.parameters(), RandomTCN(recipe).parameters(), strict=True):
        assert torch.equal(p, q)


def test_nnfx_export_writes_the_recipe() -> None:
    import tempfile

    import nnfx

    recipe = Recipe(
        layers=4,
        kernel=3,
        channels=4,
        activation="selu",
        init="uniform1",
        bias=1,
        depthwise=1,
        out_channels=2,
        in_gain_db=3.0,
        seed=77,
    )
    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/r.onnx"
        report = nnfx.export(
            RandomTCN(recipe), path, block_size=32, sample_rate=48000, reference_seconds=0.05
        )
        model = onnx.load(path)
    meta = modelfile.metadata_of(model)
    assert report.lookback == recipe.lookback == int(meta["nnfx.lookback"])
    assert report.receptive_field == recipe.receptive_field
    assert report.receptive_field == recipe.receptive_field
    assert report.measured_receptive_field == recipe.receptive_field
    assert int(meta["nnfx.parameter_count"]) == recipe.parameter_count
    assert int(meta["nnfx.macs_per_sample"]) == recipe.macs_per_sample
    arch = json.loads(meta["nnfx.architecture"])
    assert arch["kind"] == "random_tcn"
    assert Recipe.from_dict(arch["recipe"]) == recipe


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_c_runtime_runs_every_activation(activation: str, tmp_path: Path) -> None:
    # The exported file through the C runtime (stream mode, from silence) against PyTorch on
    # the same signal with zero history: every activation's ONNX form must be understood.
    import nnfx

    n = ACTIVATIONS.index(activation)
    recipe = Recipe(
        layers=3,
        kernel=3,
        channels=4,
        activation=activation,
        init=INITS[n % len(INITS)],
        bias=1,
        depthwise=n % 2,
        out_channels=1 + n % 2,
        seed=500 + n,
    )
    module = RandomTCN(recipe).eval()
    path = tmp_path / "r.onnx"
    nnfx.export(module, path, block_size=32, sample_rate=48000, reference_seconds=0.02)
    x = noise(1, 1000, seed=n)[0].numpy()
    got = nnfx.load(str(path)).process(x)
    padded = torch.cat([torch.zeros(1, 1, recipe.lookback), torch.from_numpy(x)[None]], dim=2)
    with torch.no_grad():
        want = module(padded)[0].numpy()
        exact = copy.deepcopy(module).double()(padded.double())[0].numpy()
    assert got.shape == want.shape == (recipe.out_channels, 1000)
    if activation != "sine30":
        # float32 engines with different summation orders: a few ulps of outputs below ~25
        assert np.abs(got - want).max() <= 1e-5
    else:
        # see test_every_init_matches_onnxruntime: as close to exact as PyTorch's float32
        assert np.abs(got - exact).max() <= 4 * np.abs(want - exact).max() + 1e-5
