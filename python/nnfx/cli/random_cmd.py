"""``nnfx random``: design a randomized overdrive network from a recipe and write its model file."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from nnfx.errors import NnfxError
from nnfx.exporter.random_recipe import ACTIVATIONS, INITS  # plain Python: no torch, no numpy

if TYPE_CHECKING:
    from nnfx.exporter.random_recipe import Recipe

HELP = "design a randomized overdrive network (random TCN) and write its model file"

_ACTIVATIONS = ", ".join(ACTIVATIONS)
_INITS = ", ".join(INITS)
BLOCK_RANGE = (1, 65536)
SAMPLE_RATE_RANGE = (1000, 768000)  # what nnfx.export accepts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # Defaults are the recipe's (docs/random-networks.md); ranges are checked by the recipe so
    # that every bad value gets the same one-line message naming the key and its range.
    parser.add_argument("--layers", type=int, default=6, help="convolutions, 1-24 (default 6)")
    parser.add_argument("--kernel", type=int, default=3, help="kernel size, 1-64 (default 3)")
    parser.add_argument("--channels", type=int, default=8, help="channels, 1-64 (default 8)")
    parser.add_argument(
        "--growth", type=int, default=2, help="dilation growth: layer l has growth**l, 1-4 (2)"
    )
    parser.add_argument("--activation", default="tanh", help=f"one of {_ACTIVATIONS} (tanh)")
    parser.add_argument("--init", default="normal", help=f"one of {_INITS} (normal)")
    parser.add_argument("--seed", type=int, default=42, help="seed, 0-16777215 (default 42)")
    parser.add_argument("--bias", action="store_true", help="convolutions have a bias")
    parser.add_argument(
        "--depthwise", action="store_true", help="middle layers use groups = channels"
    )
    parser.add_argument("--in-channels", type=int, default=1, help="input channels, 1-2 (1)")
    parser.add_argument("--out-channels", type=int, default=1, help="output channels, 1-2 (1)")
    parser.add_argument(
        "--in-gain", type=float, default=0.0, metavar="DB", help="input gain, -60..60 dB (0)"
    )
    parser.add_argument(
        "--out-gain", type=float, default=0.0, metavar="DB", help="output gain, -60..60 dB (0)"
    )
    parser.add_argument(
        "--sample-rate", type=int, default=48000, metavar="SR", help="sample rate in Hz (48000)"
    )
    parser.add_argument(
        "--block", type=int, default=64, metavar="N", help="block size N, 1-65536 (default 64)"
    )
    parser.add_argument("--name", default=None, help="name shown by hosts (default from recipe)")
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE.onnx", help="model file to write"
    )


def recipe_from_args(args: argparse.Namespace) -> Recipe:
    from nnfx.exporter.random_recipe import Recipe

    return Recipe(
        layers=args.layers,
        kernel=args.kernel,
        channels=args.channels,
        growth=args.growth,
        activation=args.activation,
        init=args.init,
        bias=int(args.bias),
        depthwise=int(args.depthwise),
        in_channels=args.in_channels,
        out_channels=args.out_channels,
        in_gain_db=float(args.in_gain),
        out_gain_db=float(args.out_gain),
        seed=args.seed,
    ).validate()


def _check_output(path: str, block: int, sample_rate: int) -> None:
    lo, hi = BLOCK_RANGE
    if not lo <= block <= hi:
        raise NnfxError(f"--block {block} is out of range {lo}-{hi}")
    lo, hi = SAMPLE_RATE_RANGE
    if not lo <= sample_rate <= hi:
        raise NnfxError(f"--sample-rate {sample_rate} is out of range {lo}-{hi} Hz")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise NnfxError(f"output directory {directory} does not exist")
    if os.path.isdir(path):
        raise NnfxError(f"output {path} is a directory, expected a file name such as model.onnx")


def run(args: argparse.Namespace) -> int:
    recipe = recipe_from_args(args)  # checks every key before anything heavy is imported
    _check_output(args.output, args.block, args.sample_rate)
    rf = recipe.receptive_field
    print(
        f"receptive field {rf} samples ({recipe.receptive_field_ms(args.sample_rate):.2f} ms "
        f"at {args.sample_rate} Hz), look-back {recipe.lookback} samples"
    )
    print(f"parameters {recipe.parameter_count}, {recipe.macs_per_sample} MACs/sample")

    import nnfx
    from nnfx.exporter.random_tcn import RandomTCN

    module = RandomTCN(recipe)
    try:
        report = nnfx.export(
            module,
            args.output,
            block_size=args.block,
            sample_rate=args.sample_rate,
            name=args.name,
        )
    except NnfxError as exc:
        hint = ""
        if recipe.activation == "sine30" and "does not match" in str(exc):
            hint = (
                " (sine30 multiplies float32 rounding by about 30 in every layer, so beyond 3 "
                "or 4 layers the network is chaotic and no two float32 engines agree: use "
                "fewer layers, a lower --in-gain, or --init uniform)"
            )
        raise NnfxError(f"{exc}{hint}") from None
    print(report.summary())
    return 0
