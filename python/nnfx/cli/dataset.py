"""``nnfx dataset synth``: synthesized training and test pairs through a reference effect."""

from __future__ import annotations

import argparse

HELP = "make training data: synthesized sources through a reference effect (no downloads)"

EFFECTS = ("highpass440", "distortion", "fuzz", "delay", "chorus")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="dataset_command", metavar="ACTION")
    synth = sub.add_parser("synth", help="write DIR/train_{dry,wet}.wav, test pairs, manifest")
    synth.add_argument("--out", required=True, metavar="DIR", help="directory to write")
    synth.add_argument("--effect", default="highpass440", choices=EFFECTS)
    synth.add_argument("--seconds", type=float, default=60.0,
                       help="seconds of training material (60)")
    synth.add_argument("--test-seconds", type=float, default=10.0,
                       help="seconds of held-out speech-like + music-like material (10)")
    synth.add_argument("--sample-rate", type=int, default=48000)
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--knob-steps", type=int, default=0, metavar="K",
                       help="also write targets at K settings of the effect's control (2..16)")


def run(args: argparse.Namespace) -> int:
    from nnfx.errors import NnfxError

    if getattr(args, "dataset_command", None) != "synth":
        raise NnfxError("say what to make: nnfx dataset synth --out DIR [--effect NAME]")
    if not 8000 <= args.sample_rate <= 192000:
        raise NnfxError(f"--sample-rate must be 8000..192000 Hz, got {args.sample_rate}")
    if not 1.0 <= args.test_seconds <= 600.0:
        raise NnfxError(f"--test-seconds must be 1..600, got {args.test_seconds:g}")
    from nnfx.exporter.train import dataset

    m = dataset.synthesize(args.out, effect_name=args.effect, seconds=args.seconds,
                           test_seconds=args.test_seconds, sample_rate=args.sample_rate,
                           seed=args.seed, knob_steps=args.knob_steps)
    knob = m["knob"]
    assert isinstance(knob, dict)
    print(f"{args.out}: {m['effect']} ({m['description']}), {args.seconds:g} s training + "
          f"{args.test_seconds:g} s test at {args.sample_rate} Hz, seed {args.seed}")
    files = m["files"]
    assert isinstance(files, dict)
    print("  files: " + ", ".join(sorted(files.values())))
    if knob["values"]:
        print(f"  knob {knob['name']}: " + ", ".join(f"{v:g}" for v in knob["values"]))
    return 0
