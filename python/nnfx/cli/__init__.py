"""The ``nnfx`` command line: one module per subcommand in this package.

Each subcommand module defines ``HELP`` (one line), ``add_arguments(parser)``
and ``run(args) -> int``. Modules import heavy libraries (torch, onnxruntime)
inside ``run`` so that ``nnfx --help`` and the runtime-only commands start fast.
A problem the user can fix raises ``NnfxError``; it is printed as one line and
the command exits with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from nnfx.errors import NnfxError

# Subcommand name -> module (in nnfx.cli). Order is the order of `nnfx --help`.
COMMANDS: dict[str, str] = {
    "demo": "demo",
    "random": "random_cmd",
    "zoo": "zoo",
    "info": "info",
    "process": "process",
    "verify": "verify",
    "parity": "parity",
    "bench": "bench",
    "deploy": "deploy",
    "train": "train",
    "dataset": "dataset",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every nnfx error
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nnfx", description="Neural audio effects from PyTorch to the stage.")
    from nnfx import __version__

    parser.add_argument("--version", action="version", version=f"nnfx {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(f"nnfx.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"nnfx.cli.{module_name}":
                continue  # subcommand not part of this build
            raise
        # help strings are %-formatted by argparse (a percent sign is written %%), descriptions not
        sp = sub.add_parser(name, help=module.HELP, description=module.HELP.replace("%%", "%"))
        module.add_arguments(sp)
        sp.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except NnfxError as exc:
        sys.stderr.write(f"nnfx {args.command}: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("nnfx: interrupted\n")
        return 130
    except BrokenPipeError:
        # the reader went away (`nnfx info FILE | head`): stop quietly, as other tools do;
        # stdout is pointed at /dev/null so the interpreter's final flush cannot fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
