"""`nnfx deploy bela|rpi` and `nnfx info --target`: the written Bela project is complete (it
builds with the CI stand-in and plays the model), dry runs print the commands, and bad cases
(unreachable host, too many channels, over budget) give one clear line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from boards_util import BELA_CI, assert_matches, guitarish, python_output, run, zoo_model
from cli_runner import nnfx_cli

RATE = 44100


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("deploy-models")
    out = {name: zoo_model(name, d / f"{name}.onnx", RATE) for name in ("overdrive", "wavenet3")}
    import torch

    import nnfx

    torch.manual_seed(0)
    nnfx.export(torch.nn.Conv1d(3, 3, 1), str(d / "three.onnx"), block_size=16,
                sample_rate=RATE)
    out["three"] = d / "three.onnx"
    return out


def test_info_target_estimates(models):
    proc = nnfx_cli("info", str(models["overdrive"]), "--target", "bela", "--target", "rpi5")
    assert proc.returncode == 0, proc.stderr
    lines = {ln.split(":")[0].strip(): ln for ln in proc.stdout.splitlines() if "load on" in ln}
    # overdrive: 816 MACs/sample x 44100 Hz = 36.0 M MAC/s; bela budget 40 M MAC/s -> 90 %.
    assert "90 %" in lines["load on bela"] and "fits" in lines["load on bela"]
    assert "36 M MAC/s" in lines["load on rpi5"]
    heavy = nnfx_cli("info", str(models["wavenet3"]), "--target", "bela")
    assert "EXCEEDS" in heavy.stdout


def test_bela_project_builds_and_plays(models, tmp_path):
    out = tmp_path / "proj"
    proc = nnfx_cli("deploy", "bela", str(models["overdrive"]), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    for name in ("render.cpp", "nnfx_bela_config.h", "model.onnx", "nnfx.h", "nnfx_host.h",
                 "build_on_bela.sh"):
        assert (out / name).is_file(), name
    assert "-fno-fast-math" in (out / "build_on_bela.sh").read_text()
    # Build the folder as it is (every .c and .cpp, as Bela's make does) with the CI driver.
    objs = []
    for c in sorted(out.glob("*.c")):
        o = tmp_path / (c.stem + ".o")
        run(["cc", "-std=gnu99", "-O2", "-fno-fast-math", "-ffp-contract=off", "-c", str(c),
             "-o", str(o)])
        objs.append(str(o))
    exe = tmp_path / "driver"
    run(["c++", "-std=c++11", "-O2", "-ffp-contract=off", "-DNNFX_BELA_CI", f"-I{BELA_CI}",
         f"-I{out}", str(out / "render.cpp"), str(BELA_CI / "driver.cpp"), *objs, "-o",
         str(exe), "-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free", "-lm",
         "-lpthread"])
    x = guitarish(6000)
    x.tofile(tmp_path / "in.f32")
    # The driver runs in the project folder, as Bela does, so setup() finds model.onnx.
    proc = subprocess.run([str(exe), str(tmp_path / "in.f32"), str(tmp_path / "out.f32")],
                          cwd=out, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "render_allocations 0" in proc.stdout
    y = np.fromfile(tmp_path / "out.f32", dtype=np.float32).reshape(2, -1)
    want = python_output(models["overdrive"], x[None, :])[0]
    # Same C code, -O2 here vs the binding's flags: float rounding only.
    assert_matches(y[0], want, x, 2e-5, "deployed project")


def test_dry_runs_print_commands(models, tmp_path):
    out = tmp_path / "never"
    proc = nnfx_cli("deploy", "bela", str(models["overdrive"]), "--out", str(out), "--host",
                    "root@bela.local", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert not out.exists()
    assert "scp" in proc.stdout and "make -C Bela PROJECT=nnfx_pedal" in proc.stdout
    proc = nnfx_cli("deploy", "rpi", str(models["overdrive"]), "--host", "pi@pedal.local",
                    "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "systemctl enable nnfx-pedal" in proc.stdout and "make install" in proc.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["bela", "three", "--out", "{tmp}/p"], "3 input and 3 output channels"),
        (["bela", "wavenet3", "--out", "{tmp}/p"], "--force"),
        (["bela", "overdrive", "--out", "{tmp}/p", "--host", "root@nnfx-test.invalid"],
         "cannot reach root@nnfx-test.invalid"),
        (["rpi", "overdrive", "--host", "pi@nnfx-test.invalid"], "cannot reach"),
        (["rpi", "overdrive"], "give --host"),
        (["bela", "missing", "--out", "{tmp}/p"], "no such file"),
    ],
)
def test_refusals_are_one_line(models, tmp_path, args, words):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    args[1] = str(models.get(args[1], tmp_path / "missing.onnx"))
    proc = nnfx_cli("deploy", *args)
    errors = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert len(errors) == 1 and words in errors[0], proc.stderr
    assert not (tmp_path / "p").exists()  # nothing written when refused


def test_force_deploys_over_budget(models, tmp_path):
    proc = nnfx_cli("deploy", "bela", str(models["wavenet3"]), "--out", str(tmp_path / "p"),
                    "--force")
    assert proc.returncode == 0, proc.stderr
    assert "EXCEEDS" in proc.stdout and "warning" in proc.stdout
    assert (tmp_path / "p" / "model.onnx").read_bytes() == models["wavenet3"].read_bytes()
