"""Training loop, knob conditioning and `nnfx train` end to end on tiny models.

Tiny zoo modules train for a few dozen steps on synthetic data; each test checks that
the loss falls (mean of the last steps well below the first ones) and, end to end, that
the file passes the exporter's engine checks and the report is written.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from nnfx.cli import main
from nnfx.errors import NnfxError
from nnfx.exporter.base import ParamSpec
from nnfx.exporter.recurrent import RecurrentAmp
from nnfx.exporter.train import dataset, loop, models, session, signals
from nnfx.exporter.train.trainee import Trainee
from nnfx.exporter.wavenet import WaveNet

SR = 48000


@pytest.fixture(scope="module")
def material() -> np.ndarray:
    return signals.training_material(4.0, SR, seed=3)


@pytest.fixture(autouse=True)
def one_thread():  # type: ignore[no-untyped-def]
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # the CI machine has 2 cores shared with other jobs
    yield
    torch.set_num_threads(before)


def fell(result: loop.TrainResult, factor: float) -> bool:
    """The best validation loss is below ``factor`` times the untrained model's.

    Validation (the whole held-out tail, run from silence) rather than single training
    steps, whose losses swing with the material drawn into a batch of 2-4 segments.
    """
    return result.best_val_loss < factor * result.initial_val_loss


def test_wavenet_learns_distortion(material: np.ndarray) -> None:
    wet = dataset.render("distortion", material, SR)
    net = WaveNet([1, 2, 4, 8], channels=4, activation="gated")
    cfg = loop.TrainConfig(epochs=100, max_steps=40, batch_size=4, segment=1024, lr=1e-2,
                           progress=False)
    r = loop.train(Trainee.of(net), [loop.Clip(material, wet)], cfg)
    assert r.steps == 40 and r.stopped_because == "step limit (40)"
    # 40 Adam steps take an untrained gated WaveNet to under half its initial loss
    assert fell(r, 0.5), (r.initial_val_loss, r.history)


def test_gru_learns_highpass_with_truncated_backprop(material: np.ndarray) -> None:
    wet = dataset.render("highpass440", material, SR)
    net = RecurrentAmp("gru", hidden=8)
    cfg = loop.TrainConfig(epochs=100, max_steps=30, batch_size=4, sequence=2048, tbptt=512,
                           warmup=256, lr=1e-2, progress=False)
    r = loop.train(Trainee.of(net), [loop.Clip(material, wet)], cfg)
    assert r.steps == 30
    assert fell(r, 0.7), (r.initial_val_loss, r.history)


@pytest.mark.parametrize("arch", ["wavenet", "gru"])
def test_knob_conditioned_training_runs_per_setting(material: np.ndarray, arch: str) -> None:
    knob = [ParamSpec("drive", 10.0, 30.0, 20.0, "dB")]
    clips = [loop.Clip(material, dataset.render("distortion", material, SR, v), (v,))
             for v in (10.0, 30.0)]
    if arch == "wavenet":
        net = WaveNet([1, 2, 4, 8], channels=4, params=knob)
        cfg = loop.TrainConfig(max_steps=40, batch_size=4, segment=1024, lr=1e-2,
                               progress=False)
    else:
        net = RecurrentAmp("gru", hidden=8, params=knob)
        cfg = loop.TrainConfig(max_steps=12, batch_size=3, sequence=1024, tbptt=512,
                               warmup=128, lr=1e-2, progress=False)
    trainee = Trainee.of(net)
    r = loop.train(trainee, clips, cfg)
    assert fell(r, 0.8), (r.initial_val_loss, r.history)
    # the knob reaches the model: the two settings give different outputs
    x = torch.from_numpy(material[:4096]).view(1, 1, -1)
    a = trainee.run_long(x, torch.tensor([[10.0]]))
    b = trainee.run_long(x, torch.tensor([[30.0]]))
    assert float((a - b).abs().max()) > 1e-4


def test_batched_recurrent_knobs_equal_one_item_at_a_time() -> None:
    knob = [ParamSpec("k", 0.0, 1.0, 0.5)]
    trainee = Trainee.of(RecurrentAmp("lstm", hidden=4, params=knob))
    x = torch.randn(3, 1, 64)
    p = torch.tensor([[0.0], [0.5], [1.0]])
    y, state = trainee(x, p)
    for b in range(3):
        yb, sb = trainee(x[b : b + 1], p[b : b + 1], trainee.zero_state(1, "cpu"))
        # the same maths per item; only float32 summation order can differ
        assert torch.allclose(y[b : b + 1], yb, atol=1e-6)
        assert torch.allclose(state[0][:, b : b + 1], sb[0], atol=1e-6)


def test_time_limit_and_early_stopping(material: np.ndarray) -> None:
    wet = dataset.render("highpass440", material, SR)
    clips = [loop.Clip(material, wet)]
    net = WaveNet([1, 2], channels=2)
    cfg = loop.TrainConfig(time_limit=0.0, batch_size=2, segment=512, progress=False)
    r = loop.train(Trainee.of(net), clips, cfg)
    assert r.stopped_because.startswith("time limit") and len(r.history) == 1
    # learning rate 0: nothing improves after the first epoch, so patience 2 stops at epoch 3
    cfg = loop.TrainConfig(lr=0.0, patience=2, steps_per_epoch=2, batch_size=2, segment=512,
                           progress=False)
    r = loop.train(Trainee.of(WaveNet([1, 2], channels=2)), clips, cfg)
    assert r.stopped_because.startswith("early stopping") and len(r.history) == 3


def test_bad_settings_are_one_line_errors(material: np.ndarray) -> None:
    if not torch.cuda.is_available():
        with pytest.raises(NnfxError, match="no CUDA device"):
            loop.pick_device("cuda")
    with pytest.raises(NnfxError, match="too short"):
        loop.train(Trainee.of(WaveNet([1], channels=2)), [loop.Clip(material[:100],
                   material[:100])], loop.TrainConfig(segment=512, progress=False))
    with pytest.raises(NnfxError, match="unknown --preset"):
        models.build("lstm", "wavenet1")
    with pytest.raises(NnfxError, match="two targets"):
        session.parse_knob(["drive=1:a.wav"])
    name, targets = session.parse_knob(["drive=1:a.wav", "x/train_wet_drive=2.5.wav"])
    assert name == "drive" and [(t.value, t.path) for t in targets] == [
        (1.0, "a.wav"), (2.5, "x/train_wet_drive=2.5.wav")]


@pytest.fixture(scope="module")
def pair_dir(tmp_path_factory):  # type: ignore[no-untyped-def]
    material = signals.training_material(1.5, SR, seed=4)  # short: CLI runs take few steps
    d = tmp_path_factory.mktemp("pair")
    sf.write(d / "dry.wav", material, SR, subtype="FLOAT")
    sf.write(d / "wet.wav", dataset.render("distortion", material, SR), SR, subtype="FLOAT")
    sf.write(d / "wet44.wav", material, 44100, subtype="FLOAT")
    for v in (10.0, 30.0):
        sf.write(d / f"wet_drive={v:g}.wav", dataset.render("distortion", material, SR, v), SR,
                 subtype="FLOAT")
    return d


def test_nnfx_train_end_to_end(pair_dir, capsys) -> None:  # type: ignore[no-untyped-def]
    out = pair_dir / "m.onnx"
    rc = main(["train", "--input", str(pair_dir / "dry.wav"), "--target",
               str(pair_dir / "wet.wav"), "--arch", "gru", "--preset", "gru16", "-o", str(out),
               "--epochs", "2", "--batch-size", "4", "--sequence", "1024", "--tbptt", "1024",
               "--lr", "1e-2", "--threads", "1", "--block", "32"])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert out.is_file() and "onnxruntime max error" in text
    rep = json.loads((pair_dir / "m.report.json").read_text())
    assert (pair_dir / "m.report.png").stat().st_size > 10000
    val = rep["evaluation"][0]
    assert val["name"] == "validation" and np.isfinite(val["esr"]) and val["mrstft"] > 0
    assert rep["epochs"] == 2 and rep["steps"] > 0
    # the validation loss fell over training
    assert min(e["val_loss"] for e in rep["history"]) < rep["initial_val_loss"]
    import nnfx

    model = nnfx.load(str(out))  # the C runtime accepts the file and checks its reference
    assert model.verify() <= float(model.metadata("nnfx.reference_tolerance"))


def test_nnfx_train_with_a_knob(pair_dir, capsys) -> None:  # type: ignore[no-untyped-def]
    out = pair_dir / "k.onnx"
    rc = main(["train", "--input", str(pair_dir / "dry.wav"), "--knob",
               f"drive={pair_dir / 'wet_drive=10.wav'}", str(pair_dir / "wet_drive=30.wav"),
               "--arch", "tcn", "-o", str(out), "--epochs", "1", "--batch-size", "4",
               "--segment", "1024", "--threads", "1", "--quiet",
               # held-out targets: the setting from the file name, and given as :VALUE
               "--test", f"{pair_dir / 'dry.wav'}:{pair_dir / 'wet_drive=30.wav'}",
               f"{pair_dir / 'dry.wav'}:{pair_dir / 'wet.wav'}:24"])
    assert rc == 0, capsys.readouterr()
    import nnfx

    model = nnfx.load(str(out))
    assert [p["name"] for p in model.params] == ["drive"]
    rep = json.loads((pair_dir / "k.report.json").read_text())
    names = [e["name"] for e in rep["evaluation"]]
    assert names == ["validation (drive=10)", "validation (drive=30)",
                     "test wet_drive=30.wav", "test wet.wav"]
    # the same material and setting as the drive=30 validation half, so the same model output
    # gives a comparable, finite figure; a knob not passed would have raised instead
    assert all(np.isfinite(e["esr"]) for e in rep["evaluation"])


def test_test_pairs_name_the_knob_setting() -> None:
    assert session.parse_test("a.wav:b.wav", None) == ("a.wav", "b.wav", ())
    assert session.parse_test("a.wav:x/b_drive=15.wav", "drive") == (
        "a.wav", "x/b_drive=15.wav", (15.0,))
    assert session.parse_test("a.wav:b.wav:-3.5", "drive") == ("a.wav", "b.wav", (-3.5,))
    with pytest.raises(NnfxError, match="give its setting"):
        session.parse_test("a.wav:b.wav", "drive")
    with pytest.raises(NnfxError, match="has no knob"):
        session.parse_test("a.wav:b.wav:3", None)
    with pytest.raises(NnfxError, match="DRY.wav:WET.wav"):
        session.parse_test("a.wav", None)


@pytest.mark.parametrize("args, message", [
    (["--target", "{d}/nope.wav"], "no such file"),
    (["--target", "{d}/wet44.wav"], "48000 Hz but"),
    (["--target", "{d}/wet.wav", "--knob", "drive={d}/wet_drive=10.wav",
      "{d}/wet_drive=30.wav"], "not both"),
    (["--target", "{d}/wet.wav", "--epochs", "0"], "--epochs must be positive"),
    (["--target", "{d}/wet.wav", "--test", "{d}/dry.wav:{d}/missing.wav"], "missing.wav does not"),
])
def test_nnfx_train_errors(pair_dir, capsys, args, message) -> None:  # type: ignore[no-untyped-def]
    argv = ["train", "--input", str(pair_dir / "dry.wav"), "--arch", "lstm", "-o",
            str(pair_dir / "e.onnx")] + [a.format(d=pair_dir) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.strip().count("\n") == 0


def test_preset_help_lists_every_preset_default_first() -> None:
    from nnfx.cli.train import PRESET_HELP

    groups = [g.split("(")[0].strip(" ,") for g in PRESET_HELP.split(":", 1)[1].split("|")]
    assert [[n.strip() for n in g.split(",")] for g in groups] == [
        list(models.PRESETS[a]) for a in ("wavenet", "lstm", "gru", "tcn")]


def test_ctrl_c_stops_training_and_keeps_the_best_model(pair_dir) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C (SIGINT) during training ends training only: the run validates, exports the best
    model so far and writes its report, and exits 0."""
    import signal
    import subprocess
    import sys

    out = pair_dir / "int.onnx"
    proc = subprocess.Popen(
        [sys.executable, "-m", "nnfx", "train", "--input", str(pair_dir / "dry.wav"), "--target",
         str(pair_dir / "wet.wav"), "--arch", "tcn", "-o", str(out), "--epochs", "100000",
         "--patience", "100000", "--batch-size", "2", "--segment", "512", "--threads", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # one line per epoch when stderr is not a terminal
        if line.startswith("epoch 2:"):
            break
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stdout + stderr
    assert "stopped: interrupted (Ctrl-C)" in stdout, stdout
    assert "interrupted: finishing the step" in stderr
    rep = json.loads((pair_dir / "int.report.json").read_text())
    # the signal follows the "epoch 2:" line, so at least two epochs were validated
    assert rep["stopped_because"] == "interrupted (Ctrl-C)" and rep["epochs"] >= 2
    import nnfx

    assert nnfx.load(str(out)).verify() <= 1e-4
