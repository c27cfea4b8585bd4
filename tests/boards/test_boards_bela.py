"""The Bela pedal project (boards/bela/render.cpp) through the CI driver, built for x86 and
cross-built with Bela's flags for ARMv7 (run under qemu-arm): same sound as the Python
binding, no allocation in render(), click-free debounced bypass, knobs, on-board recipes.

Tolerances: the x86 driver and the Python binding run the same C code, but the driver is built
with -O3 and the binding with its own flags, and the host layer adds gains of exactly 1 and a
mix of exactly 1, so they agree to float rounding: 2e-5 absolute on signals peaking near 1
(a few ulp per layer, accumulated over up to 10 layers). qemu emulates the ARM FPU exactly, but
the ARM build has another libm (tanhf/expf may differ by 1 ulp), flushes denormals (the host
layer sets FZ) and GCC schedules sums differently at -O3 -mtune=cortex-a8: the same 2e-5 bound.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from boards_util import (
    BELA_CI,
    assert_matches,
    guitarish,
    make,
    need,
    python_output,
    random_model,
    run,
    zoo_model,
)

RATE = 44100
TOL = 2e-5  # see the module docstring
FRAMES = 11025  # 0.25 s: qemu is slow, and this covers the receptive fields used here
ARM_FLAGS = "-march=armv7-a -mtune=cortex-a8 -mfpu=neon -mfloat-abi=hard"
RECIPE = (
    "layers 4 kernel 3 channels 6 growth 2 activation tanh init xavier_normal seed 11 in 1 out 1"
)


def _build(root: Path, name: str, arm: bool, defs: str = "") -> Path:
    build = root / name
    args = [f"BUILD={build}", f"RT_BUILD={root / ('rt-arm' if arm else 'rt-x86')}", f"DEFS={defs}"]
    if arm:
        need("arm-linux-gnueabihf-gcc", "arm-linux-gnueabihf-g++", "qemu-arm")
        args += ["CC=arm-linux-gnueabihf-gcc", "CXX=arm-linux-gnueabihf-g++", "STATIC=-static",
                 f"ARCH_FLAGS={ARM_FLAGS}"]
    make(BELA_CI, *args, f"{build}/driver")
    return build / "driver"


@pytest.fixture(scope="module")
def drivers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    root = tmp_path_factory.mktemp("bela-build")
    x86 = _build(root, "x86", arm=False)
    arm = _build(root, "arm", arm=True)
    return {"x86": [str(x86)], "arm": ["qemu-arm", str(arm)]}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bela-models")
    names = ("overdrive", "lstm16", "wavenet1")
    return {name: zoo_model(name, d / f"{name}.onnx", RATE) for name in names}


def _drive(
    cmd: list[str], tmp: Path, x: np.ndarray, *extra: str, script: str = ""
) -> tuple[np.ndarray, str]:
    inp, out = tmp / "in.f32", tmp / "out.f32"
    x.astype(np.float32).tofile(inp)
    args = [*cmd, str(inp), str(out), *extra]
    if script:
        (tmp / "script.txt").write_text(script)
        args += ["--script", str(tmp / "script.txt")]
    proc = run(args, timeout=600)
    y = np.fromfile(out, dtype=np.float32).reshape(2, -1)
    return y, proc.stdout


def _count(text: str, key: str) -> int:
    for line in text.splitlines():
        if line.startswith(key + " "):
            return int(line.split()[1])
    raise AssertionError(f"driver printed no {key!r}:\n{text}")


@pytest.mark.parametrize("target", ["x86", "arm"])
@pytest.mark.parametrize("name", ["overdrive", "lstm16", "wavenet1"])
def test_zoo_model_matches_python(drivers, models, tmp_path, target, name):
    x = guitarish(FRAMES)
    want = python_output(models[name], x[None, :])[0]
    y, text = _drive(drivers[target], tmp_path, x, "--model", str(models[name]))
    assert _count(text, "render_calls") == FRAMES // 16 + (FRAMES % 16 > 0)
    assert _count(text, "render_allocations") == 0, text
    assert _count(text, "render_frees") == 0, text
    assert np.max(np.abs(want)) > 0.01  # the model does produce sound
    for ch in range(2):  # a mono model output feeds both board outputs
        assert_matches(y[ch], want, x, TOL, f"{target} {name} out {ch}")


def test_arm_matches_x86_planar(drivers, models, tmp_path):
    """Non-interleaved buffers (Bela's other layout) give the same output as interleaved."""
    x = guitarish(4096)
    y1, _ = _drive(drivers["arm"], tmp_path, x, "--model", str(models["overdrive"]))
    y2, _ = _drive(drivers["arm"], tmp_path, x, "--model", str(models["overdrive"]), "--planar")
    y3, _ = _drive(drivers["x86"], tmp_path, x, "--model", str(models["overdrive"]))
    assert np.array_equal(y1, y2)
    assert float(np.max(np.abs(y1 - y3))) <= TOL


def test_allocation_count_detects_allocations(drivers, models, tmp_path):
    """The counter is live: one allocation per block inside the counted window is seen."""
    for target in ("x86", "arm"):
        _, text = _drive(drivers[target], tmp_path, guitarish(1600), "--model",
                         str(models["overdrive"]), "--probe-alloc")
        assert _count(text, "render_allocations") == _count(text, "render_calls") == 100


def test_recipe_built_on_board_matches_python(tmp_path_factory, tmp_path):
    """A randomized network designed in setup() by the host layer's C builder sounds as the
    Python generator's network through the binding, on x86 and on ARM."""
    root = tmp_path_factory.mktemp("bela-recipe")
    defs = f'-DNNFX_BELA_RECIPE="\\"{RECIPE}\\""'
    keys = dict(layers=4, kernel=3, channels=6, growth=2, activation="tanh",
                init="xavier_normal", seed=11)
    model = random_model(root / "py.onnx", RATE, **keys)
    x = guitarish(FRAMES)
    want = python_output(model, x[None, :])[0]
    for arm in (False, True):
        exe = _build(root, "arm" if arm else "x86", arm=arm, defs=defs)
        cmd = ["qemu-arm", str(exe)] if arm else [str(exe)]
        y, text = _drive(cmd, tmp_path, x)
        assert _count(text, "render_allocations") == 0
        assert_matches(y[0], want, x, TOL, f"{'arm' if arm else 'x86'} recipe network")


def test_footswitch_bypass_is_debounced_and_click_free(drivers, models, tmp_path):
    x = guitarish(FRAMES)
    wet, _ = _drive(drivers["arm"], tmp_path, x, "--model", str(models["overdrive"]))
    # A bounce (shorter than the 20 ms debounce) at 1000, a real press at 3000 (bypass on),
    # another at 7000 (bypass off).
    script = "1000 foot 1\n1100 foot 0\n1150 foot 1\n1200 foot 0\n" \
             "3000 foot 1\n4500 foot 0\n7000 foot 1\n8500 foot 0\n"
    y, text = _drive(drivers["arm"], tmp_path, x, "--model", str(models["overdrive"]),
                     script=script)
    assert _count(text, "render_allocations") == 0
    debounce = int(0.020 * RATE)
    fade = int(0.010 * RATE)
    # The press counts debounce frames after it starts; render() passes it on for the block
    # that contains that frame, and the host layer starts the crossfade at that block's start.
    on, off = (3000 + debounce) // 16 * 16, (7000 + debounce) // 16 * 16
    # The bounce changed nothing; before the press the output is the wet signal.
    assert np.array_equal(y[0, :on], wet[0, :on])
    # Fully bypassed: exactly the dry input.
    seg = slice(on + fade + 32, off)
    assert np.array_equal(y[0, seg], x[seg])
    # Back on: the wet signal again once the crossfade is over.
    assert float(np.max(np.abs(y[0, off + fade + 32:] - wet[0, off + fade + 32:]))) <= TOL
    # No discontinuity larger than the signals' own around the switches.
    own = max(float(np.max(np.abs(np.diff(wet[0])))), float(np.max(np.abs(np.diff(x)))))
    for t in (on, off):
        jump = float(np.max(np.abs(np.diff(y[0, t - 64:t + fade + 64]))))
        assert jump <= own * 1.001, f"step {jump:.3g} at {t} > signal's own {own:.3g}"
    # The LED follows the bypass (lit while the effect is on).
    leds = [tuple(map(int, ln.split()[1:])) for ln in text.splitlines() if ln.startswith("led ")]
    assert leds[0] == (0, 1)
    assert any(v == 0 and on <= f < on + 16 for f, v in leds), leds
    assert any(v == 1 and off <= f < off + 16 for f, v in leds), leds


def test_knobs_set_output_level_and_mix(drivers, models, tmp_path):
    n = 2 * RATE  # x86 only: long enough for the smoothers to settle twice
    x = guitarish(n)
    wet, _ = _drive(drivers["x86"], tmp_path, x, "--model", str(models["overdrive"]))
    # Output level knob to 0.25 of -24..+24 dB = -12 dB at frame 1000; mix knob to 0 at 45000.
    y, _ = _drive(drivers["x86"], tmp_path, x, "--model", str(models["overdrive"]),
                  script="1000 knob 1 0.25\n45000 knob 2 0\n")
    settle = int(0.2 * RATE)  # 20 ms smoothing: 10 time constants
    g = 10 ** (-12 / 20)
    assert np.max(np.abs(wet[0, 1000 + settle:44960])) > 0.05  # there is signal to compare
    seg = slice(1000 + settle, 44960)  # knobs act from the start of the block holding FRAME
    # After smoothing: within 1e-4 relative of the exact gain (exp(-10) residual of the ramp).
    assert np.allclose(y[0, seg], g * wet[0, seg], atol=1e-4 * np.max(np.abs(wet)))
    seg = slice(45000 + settle, n)
    assert np.allclose(y[0, seg], x[seg], atol=1e-4)
