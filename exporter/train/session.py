"""One ``nnfx train`` run: check the pairs, build the model, train, export, report.

``run(options)`` does it all and returns a summary dict; the command line
(``python/nnfx/cli/train.py``) only parses arguments into ``Options``.
"""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from nnfx.errors import NnfxError
from nnfx.exporter.base import ParamSpec
from nnfx.exporter.train import loop, models, pairs, report
from nnfx.exporter.train.trainee import Trainee


@dataclass
class Options:
    input: str
    output: str
    arch: str
    target: str | None = None
    preset: str | None = None
    knob: list[str] = field(default_factory=list)  # ["NAME=SPEC", SPEC, ...]
    val_input: str | None = None
    val_target: str | None = None
    test: list[str] = field(default_factory=list)  # DRY:WET pairs for the report only
    block_size: int = 64
    align: bool = True
    config: loop.TrainConfig = field(default_factory=loop.TrainConfig)
    threads: int | None = None
    quiet: bool = False


@dataclass
class KnobTarget:
    value: float
    path: str


def _value_in_name(knob: str, path: str) -> str | None:
    """The VALUE of a file named ``..._KNOB=VALUE.wav``, as written; None if it has none."""
    found = re.search(re.escape(knob) + r"=([-+0-9.eE]+?)(\.[A-Za-z0-9]+)?$", Path(path).name)
    return found.group(1) if found else None


def parse_test(spec: str, knob: str | None) -> tuple[str, str, tuple[float, ...]]:
    """``DRY:WET`` or ``DRY:WET:VALUE`` -> (dry, wet, knob values for a model with ``knob``).

    A knob-conditioned model needs the setting each test target was made at:
    ``:VALUE`` at the end, or a target named ``..._KNOB=VALUE.wav``.
    """
    parts = spec.split(":")
    if len(parts) < 2 or not all(parts[:2]):
        raise NnfxError(f"--test takes DRY.wav:WET.wav, got {spec!r}")
    value: str | None = None
    if len(parts) == 3 and re.fullmatch(r"[-+0-9.eE]+", parts[2]):
        value = parts[2]
    elif len(parts) != 2:
        raise NnfxError(f"--test takes DRY.wav:WET.wav[:VALUE], got {spec!r}")
    dry, wet = parts[0], parts[1]
    if knob is None:
        if value is not None:
            raise NnfxError(f"--test {spec}: this model has no knob, drop :{value}")
        return dry, wet, ()
    value = value if value is not None else _value_in_name(knob, wet)
    if value is None:
        raise NnfxError(f"--test {spec}: the model has the knob {knob}; give its setting as "
                        f"DRY.wav:WET.wav:VALUE or name the target ..._{knob}=VALUE.wav")
    try:
        return dry, wet, (float(value),)
    except ValueError:
        raise NnfxError(f"--test {spec}: {value!r} is not a number") from None


def parse_knob(items: list[str]) -> tuple[str, list[KnobTarget]]:
    """``["drive=0:a.wav", "0.5:b.wav", "c_drive=1.wav"]`` -> ("drive", targets).

    Each target is ``VALUE:FILE`` or a FILE whose name holds ``NAME=VALUE``
    (as ``nnfx dataset synth --knob-steps`` names them).
    """
    if not items or "=" not in items[0]:
        raise NnfxError("--knob takes NAME=VALUE:FILE [VALUE:FILE ...] (or files named "
                        "..._NAME=VALUE.wav)")
    name, first = items[0].split("=", 1)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise NnfxError(f"--knob: {name!r} is not a knob name (letters, digits, _)")
    targets = []
    for spec in [first, *items[1:]]:
        m = re.fullmatch(r"([-+0-9.eE]+):(.+)", spec)
        if m:
            value, path = m.group(1), m.group(2)
        else:
            value, path = _value_in_name(name, spec), spec
            if value is None:
                raise NnfxError(f"--knob {name}: {spec!r} is neither VALUE:FILE nor a file "
                                f"named ..._{name}=VALUE.wav")
        try:
            targets.append(KnobTarget(float(value), path))
        except ValueError:
            raise NnfxError(f"--knob {name}: {value!r} is not a number") from None
    values = [t.value for t in targets]
    if len(targets) < 2 or len(set(values)) != len(values):
        raise NnfxError(f"--knob {name}: give at least two targets at distinct values, got "
                        f"{values}")
    return name, targets


def _say(opts: Options, text: str) -> None:
    if not opts.quiet:
        print(text, flush=True)


def _load(opts: Options) -> tuple[list[loop.Clip], list[ParamSpec], int]:
    if opts.knob and opts.target:
        raise NnfxError("give either --target or --knob, not both")
    if not opts.knob and not opts.target:
        raise NnfxError("give --target WET.wav (or --knob NAME=VALUE:FILE ...)")
    kw = {"align": opts.align}
    if not opts.knob:
        pair = pairs.load_pair(opts.input, str(opts.target), **kw)
        for note in pair.notes:
            _say(opts, f"note: {note}")
        return [loop.Clip(pair.dry, pair.wet)], [], pair.sample_rate
    name, targets = parse_knob(opts.knob)
    clips, rate = [], 0
    for t in targets:
        pair = pairs.load_pair(opts.input, t.path, **kw)
        for note in pair.notes:
            _say(opts, f"note: {note}")
        if rate and pair.sample_rate != rate:
            raise NnfxError(f"{t.path} is {pair.sample_rate} Hz but the other targets {rate} Hz")
        rate = pair.sample_rate
        clips.append(loop.Clip(pair.dry, pair.wet, (t.value,)))
    values = [t.value for t in targets]
    lo, hi = min(values), max(values)
    default = min(values, key=lambda v: abs(v - (lo + hi) / 2))
    return clips, [ParamSpec(name, lo, hi, default)], rate


def _check_output(path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(directory):
        raise NnfxError(f"output directory {directory} does not exist")
    if not path.endswith(".onnx"):
        raise NnfxError(f"-o {path}: the model file name must end in .onnx")


def _evaluate(trainee: Trainee, name: str, clip: loop.Clip, sr: int) -> report.Figures:
    x = torch.from_numpy(np.ascontiguousarray(clip.dry)).view(1, 1, -1)
    p = torch.tensor([clip.knobs]) if clip.knobs else None
    out = trainee.run_long(x, p).view(-1).numpy()
    return report.figures(name, clip.dry, clip.wet, out, sr)


def _command_line() -> str:
    """The ``nnfx ...`` command that is running, or "" when called from other Python code."""
    if sys.argv and Path(sys.argv[0]).name in ("nnfx", "__main__.py"):
        return " ".join(["nnfx", *sys.argv[1:]])
    return ""


def run(opts: Options) -> dict[str, object]:
    """Trains, exports and reports; returns the summary written to the report JSON."""
    _check_output(opts.output)
    if opts.threads:
        torch.set_num_threads(opts.threads)
    cfg = opts.config
    loop.pick_device(cfg.device)
    clips, knobs, sr = _load(opts)
    cfg.sample_rate = sr
    val_clips = None
    if opts.val_input or opts.val_target:
        if not (opts.val_input and opts.val_target):
            raise NnfxError("--val-input and --val-target go together")
        if knobs:
            raise NnfxError("--val-input/--val-target cannot be used with --knob (each knob "
                            "target is split in time instead)")
        vp = pairs.load_pair(opts.val_input, opts.val_target, align=opts.align)
        if vp.sample_rate != sr:
            raise NnfxError(f"validation pair is {vp.sample_rate} Hz, training pair {sr} Hz")
        val_clips = [loop.Clip(vp.dry, vp.wet)]
    # checked before training, so a typo here does not cost a training run
    tests = [parse_test(spec, knobs[0].name if knobs else None) for spec in opts.test]
    for d, w, _ in tests:
        for path in (d, w):
            if not os.path.isfile(path):
                raise NnfxError(f"--test: {path} does not exist")
    module = models.build(opts.arch, opts.preset, knobs, seed=cfg.seed)
    trainee = Trainee.of(module)
    info = module.nnfx_info
    frames = sum(len(c.dry) for c in clips)
    _say(opts, f"training {info.name} ({opts.arch}): {sum(p.numel() for p in module.parameters())}"
               f" parameters, receptive field {info.receptive_field} frames; "
               f"{len(clips)} pair(s), {frames / sr:.1f} s at {sr} Hz on {cfg.device}"
               + (f"; knob {knobs[0].name} {knobs[0].minimum:g}..{knobs[0].maximum:g}"
                  if knobs else ""))
    cfg.progress = not opts.quiet
    result = loop.train(trainee, clips, cfg, val_clips)
    _say(opts, f"stopped: {result.stopped_because} after {result.steps} steps, "
               f"{result.seconds:.0f} s ({result.cpu_seconds:.0f} CPU s); "
               f"best epoch {result.best_epoch} "
               f"(validation ESR+DC {result.best_val_loss:.4f})")
    module = module.cpu().eval()
    trainee = Trainee.of(module)
    import nnfx

    t0 = time.monotonic()
    desc = f"trained by nnfx train on {Path(opts.target or opts.input).name}"
    exported = nnfx.export(module, opts.output, block_size=opts.block_size, sample_rate=sr,
                           name=Path(opts.output).stem, description=desc)
    _say(opts, exported.summary())
    export_seconds = time.monotonic() - t0
    if val_clips is None:
        _, val_clips = loop.split(clips, cfg.val_fraction)
    sets = [_evaluate(trainee, "validation" + (f" ({knobs[0].name}={c.knobs[0]:g})"
                                               if knobs else ""), c, sr)
            for c in val_clips]
    for d, w, values in tests:
        tp = pairs.load_pair(d, w, align=opts.align)
        sets.append(_evaluate(trainee, f"test {Path(w).name}",
                              loop.Clip(tp.dry, tp.wet, values), sr))
    summary: dict[str, object] = {
        "model": opts.output,
        "arch": opts.arch,
        "preset": info.name,
        "knobs": [k.as_json() for k in knobs],
        "sample_rate": sr,
        "training_seconds_of_audio": frames / sr,
        "device": cfg.device,
        "torch_threads": torch.get_num_threads(),
        "steps": result.steps,
        "epochs": len(result.history),
        "best_epoch": result.best_epoch,
        "initial_val_loss": result.initial_val_loss,
        "best_val_loss": result.best_val_loss,
        "stopped_because": result.stopped_because,
        "train_seconds": result.seconds,
        "train_cpu_seconds": result.cpu_seconds,
        "export_seconds": export_seconds,
        "parameter_count": exported.parameter_count,
        "macs_per_sample": exported.macs_per_sample,
        "receptive_field": exported.receptive_field,
        "export_errors": exported.errors,
        "first_step_losses": result.first_losses,
        "last_step_losses": result.last_losses,
        "history": [vars(e) for e in result.history],
        "command": _command_line(),
    }
    json_path, png_path = report.write(opts.output, summary, sets, sr,
                                       f"{info.name} trained on {Path(opts.input).name}")
    for s in sets:
        _say(opts, f"{s.name}: ESR {s.esr:.3g} (pre-emphasised 1-0.85/z: "
                   f"{s.esr_pre_emphasis:.3g}), "
                   f"MR-STFT {s.mrstft:.3f}, spectrum within {s.spectrum_max_db:.2f} dB "
                   f"({s.seconds:.1f} s)")
    _say(opts, f"report: {json_path} and {png_path}")
    summary["evaluation"] = [s.as_json() for s in sets]
    return summary
