"""``nnfx zoo NAME -o FILE.onnx``: export a preset of the model zoo; ``--list`` names them."""

from __future__ import annotations

import argparse
import os

from nnfx.errors import NnfxError

HELP = "export a model-zoo preset (WaveNet, LSTM/GRU, named random networks) to a model file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="preset name (see --list)")
    parser.add_argument("-o", "--output", help="model file to write (.onnx)")
    parser.add_argument("--list", action="store_true", help="list the presets and exit")
    parser.add_argument("--block", type=int, default=None, help="block size N (default: preset's)")
    parser.add_argument("--sample-rate", type=int, default=48000, help="sample rate in Hz")


def run(args: argparse.Namespace) -> int:
    # the preset table imports torch; keep it inside run so `nnfx --help` stays fast
    from nnfx.exporter import zoo

    if args.list:
        width = max(len(n) for n in zoo.names())
        for name in zoo.names():
            print(f"{name:<{width}}  {zoo.get(name).summary}")
        return 0
    if not args.name:
        raise NnfxError("give a preset name (nnfx zoo --list shows them)")
    if not args.output:
        raise NnfxError("give the output file with -o FILE.onnx")
    preset = zoo.get(args.name)
    block = args.block if args.block is not None else preset.block_size
    if not (1 <= block <= 65536):
        raise NnfxError(f"block size must be in 1..65536, got {block}")
    if not (1000 <= args.sample_rate <= 768000):
        raise NnfxError(f"sample rate must be in 1000..768000 Hz, got {args.sample_rate}")
    directory = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(directory):
        raise NnfxError(f"output directory {directory} does not exist")
    from nnfx.exporter.export_onnx import export

    report = export(
        zoo.build(preset.name), args.output, block_size=block, sample_rate=args.sample_rate
    )
    print(report.summary())
    return 0
