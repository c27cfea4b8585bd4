"""`nnfx verify FILE.onnx`: run the embedded reference through the C runtime."""

from __future__ import annotations

import argparse
import os

from nnfx.errors import ModelError, NnfxError
from nnfx.modelfile import DEFAULT_TOLERANCE, Key

HELP = "check a model file against its embedded reference with the C runtime"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="FILE.onnx", help="model file")
    parser.add_argument(
        "--mode",
        choices=("stream", "lookback", "both"),
        default="both",
        help="runtime mode(s) to check (default: both)",
    )


def run(args: argparse.Namespace) -> int:
    from nnfx.binding import load

    if not os.path.isfile(args.model):
        raise NnfxError(f"no such file: {args.model}")
    modes = ("stream", "lookback") if args.mode == "both" else (args.mode,)
    status = 0
    for mode in modes:
        with load(args.model, mode=mode) as model:
            if model.metadata(Key.REFERENCE_INPUT) is None:
                raise NnfxError(f"{args.model} has no embedded reference ({Key.REFERENCE_INPUT})")
            tol = model.metadata(Key.REFERENCE_TOLERANCE) or repr(DEFAULT_TOLERANCE)
            try:
                err = model.verify(check=True)
                verdict = "ok"
            except ModelError as exc:
                err = getattr(exc, "max_abs_error", None)
                if not getattr(exc, "mismatch", False) or err is None:
                    raise
                verdict = "MISMATCH"
                status = 1
            print(f"{mode:<8} max abs error {err:.3e} (tolerance {float(tol):.1e}): {verdict}")
    return status
