"""`nnfx process IN.wav OUT.wav -m FILE.onnx`: run a sound file through a model."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from nnfx.errors import NnfxError

HELP = "run a sound file through a model file with the C runtime"

# Frames handed to the binding per step of the progress loop (the runtime itself is
# called with --block frames at a time inside each step).
_STEP = 1 << 16
# Files longer than this many seconds of audio show a progress bar on a terminal.
_PROGRESS_SECONDS = 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN.wav", help="sound file to process")
    parser.add_argument("output", metavar="OUT.wav", help="sound file to write")
    parser.add_argument("-m", "--model", required=True, metavar="FILE.onnx", help="model file")
    parser.add_argument(
        "--block",
        type=int,
        default=512,
        help="host block size: frames per runtime call, as an audio host would (default 512)",
    )
    parser.add_argument(
        "--mode",
        choices=("stream", "lookback"),
        default="stream",
        help="runtime mode (default stream: no latency)",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a knob before processing (repeatable)",
    )
    parser.add_argument(
        "--subtype",
        default=None,
        help="output sample format, e.g. FLOAT, PCM_24 (default: the input's)",
    )
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress", action="store_true", help="always show the progress bar (stderr)"
    )
    progress.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no notes")


def _warn(text: str) -> None:
    sys.stderr.write(f"nnfx process: warning: {text}\n")


def _note(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        sys.stderr.write(f"nnfx process: {text}\n")


def _parse_params(items: list[str]) -> list[tuple[str, float]]:
    out = []
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep or not name:
                raise ValueError
            out.append((name, float(value)))
        except ValueError as exc:
            raise NnfxError(f"--param wants NAME=VALUE with a number, not {item!r}") from exc
    return out


class _Progress:
    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.start = max(total, 1), enabled, time.monotonic()
        self.done = -1

    def update(self, done: int) -> None:
        if not self.enabled or done == self.done:
            return
        self.done = done
        frac = min(done / self.total, 1.0)
        bar = "#" * int(frac * 30)
        elapsed = time.monotonic() - self.start
        sys.stderr.write(f"\rprocessing [{bar:<30}] {frac * 100:5.1f}%  {elapsed:6.1f} s")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            self.update(self.total)
            sys.stderr.write("\n")


def run(args: argparse.Namespace) -> int:
    from nnfx import audio_io
    from nnfx.binding import load

    if not 1 <= args.block <= 65536:
        raise NnfxError(f"--block must be in 1..65536, not {args.block}")
    params = _parse_params(args.param)
    audio = audio_io.read(args.input)
    subtype = audio_io.output_subtype(args.output, args.subtype or audio.subtype)
    if args.subtype and subtype != args.subtype.upper():
        raise NnfxError(f"the output format cannot hold sample format {args.subtype!r}")
    first = load(args.model, mode=args.mode, max_block=args.block, sample_rate=audio.sample_rate)
    info = first.info
    plan = audio_io.plan_channels(audio.channels, info["in_channels"], info["out_channels"])
    models = [first] + [
        load(args.model, mode=args.mode, max_block=args.block, sample_rate=audio.sample_rate)
        for _ in plan.groups[1:]
    ]
    try:
        if plan.note:
            _note(args, plan.note)
        if info["sample_rate"] and abs(info["sample_rate"] - audio.sample_rate) > 1e-6:
            _warn(
                f"{args.input} is {audio.sample_rate} Hz but the model was made for "
                f"{info['sample_rate']:g} Hz; processing without resampling (it will sound "
                "different)"
            )
        report = audio_io.non_finite_report(audio.data)
        if report:
            _warn(f"{args.input} has {report}; they are processed as silence")
        for model in models:
            for name, value in params:
                used = model.set_param(name, value)
                if used != np.float32(value):
                    _warn(f"{name}={value:g} is out of range; using {used:g}")
        if info["latency"]:
            _note(args, f"{args.mode} mode adds {info['latency']} frames of latency")
        show = not args.quiet and (
            args.progress
            or (sys.stderr.isatty() and audio.frames > _PROGRESS_SECONDS * audio.sample_rate)
        )
        out = _process(models, plan.groups, audio.data, args.block, _Progress(audio.frames, show))
    finally:
        for model in models:
            model.close()
    peak = float(np.max(np.abs(out), initial=0.0))
    if subtype.startswith("PCM") and peak > 1.0:
        clipped = int(np.sum(np.abs(out) > 1.0))
        _warn(
            f"the output peaks at {peak:.2f} (> 1): {clipped} sample(s) clip in {subtype}; "
            "use --subtype FLOAT to keep them"
        )
    audio_io.write(args.output, out, audio.sample_rate, subtype)
    _note(
        args,
        f"wrote {args.output}: {out.shape[0]} ch, {out.shape[1]} frames, {audio.sample_rate} Hz",
    )
    return 0


def _process(
    models: list, groups: list[list[int]], data: np.ndarray, block: int, progress: _Progress
) -> np.ndarray:
    inputs = [np.ascontiguousarray(data[g]) for g in groups]
    outs = [np.empty((m.out_channels, data.shape[1]), np.float32) for m in models]
    frames = data.shape[1]
    step = max(block, _STEP // block * block)  # whole host blocks per step
    for start in range(0, frames, step):
        stop = min(start + step, frames)
        for model, x, y in zip(models, inputs, outs, strict=True):
            y[:, start:stop] = model.process(x[:, start:stop], block=block)
        progress.update(stop)
    progress.finish()
    return np.concatenate(outs, axis=0)
