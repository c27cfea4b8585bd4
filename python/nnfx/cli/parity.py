"""`nnfx parity FILE.onnx`: ONNX Runtime vs C stream vs C look-back, table of errors."""

from __future__ import annotations

import argparse
import json
import os

from nnfx.errors import NnfxError
from nnfx.modelfile import Key

HELP = "compare ONNX Runtime with the C runtime (stream, look-back) on one model file"


def _blocks(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.replace(",", " ").split()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"block sizes must be integers: {text!r}") from exc
    if not values or any(not 1 <= v <= 65536 for v in values):
        raise argparse.ArgumentTypeError(f"block sizes must be in 1..65536: {text!r}")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="FILE.onnx", help="model file")
    parser.add_argument(
        "--blocks",
        type=_blocks,
        default=None,
        metavar="N,N,...",
        help="host block sizes for the C engines (default: 1,16,64,97,4096)",
    )
    parser.add_argument(
        "--seconds", type=float, default=2.0, help="length of the noise and music signals"
    )
    parser.add_argument(
        "--signals",
        default=None,
        metavar="NAME,...",
        help="subset of: reference, noise, music (default: all)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=None,
        help=f"max abs error allowed (default: the file's {Key.REFERENCE_TOLERANCE})",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def run(args: argparse.Namespace) -> int:
    from nnfx.parity import DEFAULT_BLOCKS, format_table, rows_as_json, run_parity

    if not os.path.isfile(args.model):
        raise NnfxError(f"no such file: {args.model}")
    if not 0 < args.seconds <= 600:
        raise NnfxError(f"--seconds must be in (0, 600], not {args.seconds}")
    if args.tolerance is not None and not args.tolerance >= 0:
        raise NnfxError(f"--tolerance must be >= 0, not {args.tolerance}")
    names = None if args.signals is None else [s for s in args.signals.split(",") if s]
    meta, rows = run_parity(
        args.model,
        blocks=args.blocks or DEFAULT_BLOCKS,
        seconds=args.seconds,
        tolerance=args.tolerance,
        signal_names=names,
    )
    if args.json:
        print(json.dumps(rows_as_json(meta, rows), indent=1))
    else:
        print(format_table(meta, rows))
    return 0 if all(r.ok for r in rows) else 1
