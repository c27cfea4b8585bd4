"""``nnfx train``: emulate an effect from a dry/wet pair of recordings and write its model file."""

from __future__ import annotations

import argparse

from nnfx.errors import NnfxError

HELP = "train a model (WaveNet, LSTM, GRU, TCN) to emulate an effect from dry/wet recordings"

ARCHS = ("wavenet", "lstm", "gru", "tcn")
# kept in step with nnfx.exporter.train.models.PRESETS by a test (importing it here would
# load torch for `--help`)
PRESET_HELP = ("model per arch, the first is the default: wavenet-small, wavenet1, wavenet2, "
               "wavenet3 | lstm32, lstm16, lstm64, lstm32x2 | gru32, gru16 | tcn, tcn-delay, "
               "tcn-deep (see docs/experiments.md)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, metavar="DRY.wav", help="clean recording")
    parser.add_argument("--target", metavar="WET.wav", help="the same take through the effect")
    parser.add_argument("--arch", required=True, choices=ARCHS, help="model family")
    parser.add_argument("--preset", help=PRESET_HELP)
    parser.add_argument(
        "--knob", nargs="+", metavar="NAME=VALUE:FILE",
        help="knob-conditioned training instead of --target: NAME=VALUE:FILE VALUE:FILE ... "
        "(targets recorded at several settings of one control; files named ..._NAME=VALUE.wav "
        "may be given without VALUE:)",
    )
    parser.add_argument("-o", "--output", required=True, metavar="FILE.onnx")
    parser.add_argument("--epochs", type=int, default=200,
                        help="most epochs (200); Ctrl-C also ends training, and the best model "
                        "so far is exported")
    parser.add_argument("--time-limit", type=float, metavar="SECONDS",
                        help="stop training after this many seconds (wall clock)")
    parser.add_argument("--cpu-time-limit", type=float, metavar="SECONDS",
                        help="stop training after this many CPU seconds of this process "
                        "(comparable on a shared machine)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's)")
    parser.add_argument("--lr", type=float,
                        help="Adam learning rate (default: wavenet 1e-2, tcn 2e-3, lstm/gru 5e-3)")
    parser.add_argument("--batch-size", type=int,
                        help="segments or sequences per step (default: wavenet/tcn 8, "
                        "lstm/gru 16)")
    parser.add_argument("--segment", type=int, default=4096,
                        help="output frames per training segment, look-back models (4096)")
    parser.add_argument("--sequence", type=int, default=16384,
                        help="frames per recurrent training sequence (16384)")
    parser.add_argument("--tbptt", type=int, default=2048,
                        help="frames per truncated back-propagation step (2048)")
    parser.add_argument("--patience", type=int, default=12,
                        help="epochs without validation improvement before stopping (12)")
    parser.add_argument("--val-fraction", type=float, default=0.15,
                        help="tail of each pair held out for validation (0.15)")
    parser.add_argument("--val-input", metavar="DRY.wav", help="explicit validation pair: dry")
    parser.add_argument("--val-target", metavar="WET.wav", help="explicit validation pair: wet")
    parser.add_argument("--test", nargs="+", default=[], metavar="DRY.wav:WET.wav[:VALUE]",
                        help="extra held-out pairs evaluated in the report (with --knob: the "
                        "knob's setting as :VALUE or in the target's name, ..._NAME=VALUE.wav)")
    parser.add_argument("--pre-emphasis", default="fir", choices=("fir", "aweight", "none"),
                        help="loss pre-emphasis: fir = 1 - 0.85 z^-1 (default), aweight = "
                        "A-weighting FIR")
    parser.add_argument("--no-align", action="store_true",
                        help="do not correct a delay between input and target")
    parser.add_argument("--block", type=int, default=64, metavar="N",
                        help="block size N of the model file (64)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def _positive(name: str, value: float | None) -> None:
    if value is not None and value <= 0:
        raise NnfxError(f"{name} must be positive, got {value:g}")


def run(args: argparse.Namespace) -> int:
    for name in ("epochs", "time_limit", "cpu_time_limit", "lr", "batch_size", "segment",
                 "sequence", "tbptt", "patience", "threads", "block"):
        _positive("--" + name.replace("_", "-"), getattr(args, name))
    from nnfx.exporter.train import loop, models, session

    cfg = loop.TrainConfig(
        epochs=args.epochs, time_limit=args.time_limit, cpu_time_limit=args.cpu_time_limit,
        lr=args.lr or models.DEFAULT_LR[args.arch],
        batch_size=args.batch_size or models.DEFAULT_BATCH[args.arch],
        segment=args.segment, sequence=args.sequence, tbptt=args.tbptt,
        val_fraction=args.val_fraction, patience=args.patience,
        pre_emphasis=args.pre_emphasis, device=args.device, seed=args.seed,
    )
    opts = session.Options(
        input=args.input, target=args.target, output=args.output, arch=args.arch,
        preset=args.preset, knob=args.knob or [], val_input=args.val_input,
        val_target=args.val_target, test=args.test, block_size=args.block,
        align=not args.no_align, config=cfg, threads=args.threads, quiet=args.quiet,
    )
    session.run(opts)
    return 0
