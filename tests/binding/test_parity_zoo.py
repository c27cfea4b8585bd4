"""The whole zoo through the binding: PyTorch vs ONNX Runtime vs C stream vs C look-back.

Every model is exported with ``nnfx.export`` and then run on a test signal
(noise bursts and a sine, a little longer than the largest block size) by:

- PyTorch: the module on the whole signal at once, from silence (zero look-back
  history, zero recurrent state): the ground truth;
- ONNX Runtime: the exported look-back graph block by block at the file's N;
- the C runtime through the binding, stream and look-back mode, at host block
  sizes 1, 16, 64, 97 (odd: blocks straddle N) and 4096 (more than the signal
  minus the first call, so one call spans many graph blocks).

Tolerance. Each engine computes in float32 with its own summation order, so
each differs from the exact result by about the float32 rounding error of the
network, and two engines differ by up to about twice that. The test measures
that error for each model and signal: PyTorch in float32 against the same
module in float64 (``floor``). The bound is ``max(1e-5, 4 * floor)``: 1e-5
covers the typical small network whose outputs are O(1) (a few dozen float32
products per output frame, rounding well below 1e-6, with room for libm and
numpy/ORT activations differing by a few ulp); ``4 * floor`` is twice the
two-engine bound and only exceeds 1e-5 for networks that amplify rounding,
e.g. sin(30x) after unnormalised weights, whose derivative multiplies each
layer's rounding by up to 30. To keep that from hiding anything, the floor
itself must stay below 1e-4 of the output's peak (a network noisier than that
is not a meaningful parity subject and the test says so), whereas a real fault
(a lost tap, a frame of history, a knob or state not carried) gives errors of
the order of the signal.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch

import nnfx
from nnfx import testsignals
from nnfx.engines import CEngine, OrtEngine
from nnfx.exporter import export_onnx, random_tcn, recurrent, wavenet, zoo
from nnfx.exporter.base import ParamSpec
from nnfx.exporter.film import default_knobs
from nnfx.exporter.random_recipe import ACTIVATIONS, INITS

# One torch thread: the networks are small, and OpenMP workers spinning on a loaded 2-core
# machine (CI runs two pytest workers) cost far more than they save.
torch.set_num_threads(1)

BLOCKS = (1, 16, 64, 97, 4096)
SR = 48000
ABS_TOL = 1e-5
FLOOR_FACTOR = 4.0
MAX_FLOOR_RELATIVE = 1e-4
LOOKBACK_BUDGET = 3e8  # multiply-accumulates per look-back run at host blocks below N


@dataclass
class Case:
    name: str
    build: Callable[[], torch.nn.Module]
    block_size: int = 64
    # knob values for the test signal: None for the defaults, "off-default" for 80% of
    # each knob's range
    knobs: list[float] | str | None = None
    export_kwargs: dict[str, object] = field(default_factory=dict)
    length: int = 4500  # frames of test signal (at least M + 3 N are used)


def _tcn(**keys: object) -> Callable[[], torch.nn.Module]:
    base: dict[str, object] = dict(layers=3, kernel=3, channels=4, growth=2, seed=7)
    base.update(keys)
    return lambda: random_tcn.build(**base)


CASES: list[Case] = []
for i, act in enumerate(ACTIVATIONS):
    for j, init in enumerate(INITS):
        # softshrink (lambda 0.5) silences an O(1) signal after a layer or two: +12 dB in
        # keeps something to compare
        gain = 12.0 if act == "softshrink" else 0.0
        CASES.append(
            Case(
                f"tcn-{act}-{init}",
                _tcn(
                    activation=act,
                    init=init,
                    bias=(i + j) % 2,
                    seed=100 + 9 * i + j,
                    in_gain_db=gain,
                ),
                block_size=(16, 64, 97)[(i + j) % 3],
            )
        )
CASES += [
    Case("tcn-depthwise", _tcn(layers=4, channels=6, depthwise=1, bias=1, init="xavier_uniform")),
    Case("tcn-depthwise-nobias", _tcn(layers=5, channels=3, depthwise=1, activation="elu")),
    Case("tcn-stereo", _tcn(in_channels=2, out_channels=2, init="kaiming_uniform", bias=1)),
    Case("tcn-mono-to-stereo", _tcn(in_channels=1, out_channels=2, init="xavier_normal")),
    Case("tcn-stereo-to-mono", _tcn(in_channels=2, out_channels=1, activation="gelu")),
    Case("tcn-gains", _tcn(in_gain_db=12.0, out_gain_db=-6.0, init="uniform1")),
    Case("tcn-one-layer", _tcn(layers=1, kernel=5, bias=1, init="uniform1")),
    Case("tcn-kernel1", _tcn(kernel=1, channels=5, init="orthogonal")),
    Case("tcn-long", _tcn(layers=7, kernel=5, growth=2, init="xavier_uniform"), block_size=128),
    Case("tcn-growth3", _tcn(layers=5, kernel=3, growth=3, init="kaiming_normal")),
    Case("tcn-growth4", _tcn(layers=4, kernel=4, growth=4, init="xavier_normal", bias=1)),
    Case("tcn-block1", _tcn(init="xavier_uniform", bias=1), block_size=1),
]
KNOBS = default_knobs(("drive", "tone"))
# Every preset of the zoo (WaveNet1-3, LSTM/GRU sizes, knob variants, named random TCNs),
# with the knobs (where a preset has them) away from their defaults.
for preset in zoo.PRESETS.values():
    CASES.append(
        Case(
            f"zoo-{preset.name}",
            preset.make,
            block_size=preset.block_size,
            knobs="off-default",
            length=2300,  # (or M + 3 N when longer): WaveNets are costly in look-back mode
        )
    )
CASES += [
    Case(
        "wavenet-small-film",
        lambda: wavenet.WaveNet([1, 2, 4, 8], 6, 3, "gated", params=KNOBS, seed=3),
        knobs=[0.9, 0.15],
    ),
    Case(
        "wavenet-small-stereo-tanh",
        lambda: wavenet.WaveNet([1, 3, 9], 5, 2, "tanh", in_channels=2, out_channels=2, seed=4),
    ),
]
CASES += [
    Case(
        "lstm8-knobs",
        lambda: recurrent.RecurrentAmp("lstm", 8, 1, params=KNOBS, seed=5),
        knobs=[0.1, 0.8],
    ),
    Case(
        "gru12x3-noskip-knob",
        lambda: recurrent.RecurrentAmp(
            "gru", 12, 3, skip=False, params=[ParamSpec("gain", -1.0, 1.0, 0.0)], seed=6
        ),
        knobs=[-0.7],
        block_size=16,
    ),
    Case(
        "lstm4x2-stereo",
        lambda: recurrent.RecurrentAmp("lstm", 4, 2, in_channels=2, out_channels=2, seed=8),
    ),
]


def _signal(channels: int, length: int, seed: int) -> np.ndarray:
    """Noise bursts over a sine, peak about 0.8, different on each channel."""
    env = np.exp(-((np.arange(length) % 1500) / 300.0))
    noise = testsignals.noise_channels(channels, length, seed, amplitude=0.5)
    x = np.stack([env * noise[c] + testsignals.sine(length, 110 + 55 * c, SR, amplitude=0.3)
                  for c in range(channels)])
    return x.astype(np.float32)


def _torch_run(module: torch.nn.Module, x: np.ndarray, lookback: int, knobs, dtype) -> np.ndarray:
    """The module on the whole signal from silence, in ``dtype``."""
    info = module.nnfx_info  # type: ignore[attr-defined]
    xt = torch.from_numpy(x).to(dtype)[None]
    xt = torch.nn.functional.pad(xt, (lookback, 0))
    args: list[torch.Tensor] = []
    if info.params:
        args.append(torch.tensor([knobs], dtype=dtype))
    args += [torch.zeros(s, dtype=dtype) for s in info.state_shapes]
    with torch.no_grad():
        out = module(xt, *args)
    y = out[0] if isinstance(out, tuple) else out
    return y[0].to(torch.float64).numpy()


def _frames(info: dict, mode: str, block: int, length: int) -> int:
    """Frames of the signal to run. Look-back mode runs the whole exported graph (M + N
    frames) once per host call when the host block is smaller than N (that way it adds no
    latency), so at block 1 a WaveNet costs a full graph run per frame. There the run is cut
    to a prefix that keeps the cost near LOOKBACK_BUDGET (at least three host blocks); the
    larger host blocks still cross every block boundary of the whole signal."""
    n, m = info["block_size"], info["lookback"]
    if mode != "lookback" or block >= n:
        return length
    per_frame = (m + n) * max(info["macs_per_sample"], 1.0) / block
    return min(length, max(int(LOOKBACK_BUDGET / per_frame), 3 * block))


def _err(a: np.ndarray, b: np.ndarray) -> float:
    d = np.abs(a.astype(np.float64) - b.astype(np.float64))
    return float("inf") if not np.all(np.isfinite(d)) else float(d.max())


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("zoo")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_zoo_parity(case: Case, outdir) -> None:
    torch.manual_seed(0)
    module = case.build().eval()
    path = os.path.join(outdir, f"{case.name}.onnx")
    # the exporter's own check runs ONNX Runtime only here: the C runtime is checked below
    # at every block size, which is more than its pre-write check does
    engines = {"onnxruntime": export_onnx.ENGINES["onnxruntime"]}
    report = nnfx.export(
        module,
        path,
        block_size=case.block_size,
        sample_rate=SR,
        engines=engines,
        **case.export_kwargs,  # type: ignore[arg-type]
    )
    info = module.nnfx_info  # type: ignore[attr-defined]
    defaults = [p.default for p in info.params]
    if case.knobs == "off-default":
        knobs = [p.minimum + 0.8 * (p.maximum - p.minimum) for p in info.params]
    else:
        knobs = defaults if case.knobs is None else list(case.knobs)  # type: ignore[arg-type]
    if case.knobs is not None and info.params:
        assert knobs != defaults
    length = max(case.length, report.lookback + 3 * case.block_size)
    x = _signal(info.in_channels, length, seed=len(case.name))

    truth = _torch_run(module, x, report.lookback, knobs, torch.float32)
    exact = _torch_run(copy.deepcopy(module).double(), x, report.lookback, knobs, torch.float64)
    peak = float(np.max(np.abs(exact)))
    assert peak > 1e-3, f"{case.name}: the output is (nearly) silent, nothing to compare"
    floor = _err(truth, exact)
    assert floor <= MAX_FLOOR_RELATIVE * max(1.0, peak), (
        f"{case.name}: float32 rounding alone moves the output by {floor:.3g} "
        f"(peak {peak:.3g}); choose a better-conditioned configuration"
    )
    tol = max(ABS_TOL, FLOOR_FACTOR * floor)

    with open(path, "rb") as f:
        data = f.read()
    results: dict[str, float] = {}
    ort = OrtEngine(data)
    assert ort.meta.block_size == case.block_size and ort.meta.lookback == report.lookback
    results[f"ort@N={case.block_size}"] = _err(ort.run(x, knobs), truth)
    for mode in ("stream", "lookback"):
        for block in BLOCKS:
            engine = CEngine(data, mode, block)
            try:
                assert engine.model.info["lookback"] == report.lookback
                frames = _frames(engine.model.info, mode, block, length)
                key = f"c-{mode}@{block}" + (f"[:{frames}]" if frames < length else "")
                results[key] = _err(engine.run(x[:, :frames], knobs), truth[:, :frames])
                if mode == "stream" and block == max(BLOCKS):  # the file's self-check
                    verify_err = engine.model.verify(check=False)
                    if not verify_err <= report.tolerance:
                        results[f"verify-{mode}"] = verify_err
            finally:
                engine.close()
    bad = {k: v for k, v in results.items() if not v <= tol}
    summary = ", ".join(f"{k} {v:.2e}" for k, v in results.items())
    assert not bad, (
        f"{case.name}: above tolerance {tol:.2e} (float32 floor {floor:.2e}, peak {peak:.3g}): "
        f"{bad}; all: {summary}"
    )


def test_export_checks_the_c_runtime(outdir) -> None:
    """nnfx.export's pre-write check runs the C runtime (stream and look-back) by default."""
    module = random_tcn.build(layers=2, kernel=3, channels=3, activation="sigmoid", bias=1)
    report = nnfx.export(module, os.path.join(outdir, "check.onnx"), block_size=32, sample_rate=SR)
    assert {"onnxruntime", "nnfx-c-stream", "nnfx-c-lookback"} <= set(report.errors)
    # sigmoid(0) = 0.5 and biases: the start from silence is not zero in any layer, which
    # only a runtime that primes its per-layer history like the look-back window passes
    assert max(report.errors.values()) <= report.tolerance
