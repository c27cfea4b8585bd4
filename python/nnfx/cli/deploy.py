"""``nnfx deploy bela|rpi FILE.onnx``: turn a model file into something that plays on a board.

* ``bela``: writes a complete Bela project folder (``--out DIR``): render.cpp, its config
  header, the runtime_c sources, the model and ``build_on_bela.sh`` with the flags Bela's make
  needs. ``--host HOST`` copies it over ssh to ``~/Bela/projects/NAME`` and builds and runs it
  with Bela's own Makefile.
* ``rpi``: copies nnfx-pedal's sources, the runtime and the model to ``--host HOST``, builds
  there (the Pi has a compiler and JACK's headers), installs binary, model, config and the
  systemd unit, and starts the service.

Before anything, the model is loaded with the C runtime, its channels are checked against the
board, and the load estimate of nnfx.boards is printed; an estimate above the board's budget
refuses the deployment unless ``--force``. ``--dry-run`` prints the commands only.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from nnfx import boards, runtime_sources
from nnfx.errors import NnfxError

HELP = "deploy a model to a Bela board (project folder) or a Raspberry Pi pedal (over ssh)"

# Flags for Bela's make (its Makefile takes CFLAGS/CPPFLAGS on the command line and adds them
# after its own): C99 for runtime_c; no -ffast-math (Bela's default), which would drop the
# runtime's non-finite-input checks and change the random-network generator's exact weights;
# no FMA contraction, as runtime_c/Makefile builds it.
BELA_CFLAGS = "-std=gnu99 -fno-fast-math -ffp-contract=off"
BELA_CPPFLAGS = "-fno-fast-math -ffp-contract=off"
SSH_OPTS = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=8"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("board", choices=["bela", "rpi"], help="target board")
    parser.add_argument("file", metavar="FILE.onnx", help="model file")
    parser.add_argument("--out", help="bela: project folder to write")
    parser.add_argument("--host", help="ssh destination (e.g. root@bela.local, pi@pedal.local)")
    parser.add_argument("--name", default="nnfx_pedal", help="bela: project name on the board")
    parser.add_argument(
        "--target", choices=["rpi4", "rpi5"], default="rpi4", help="rpi: model of Pi (estimate)"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    parser.add_argument("--force", action="store_true", help="deploy even when over budget")


# ------------------------------------------------------------------------------ checks


def _source_root() -> Path:
    root = Path(__file__).resolve().parents[3]
    if not (root / "runtime_c" / "src").is_dir() or not (root / "boards").is_dir():
        raise NnfxError(
            f"runtime_c and boards sources not found next to the nnfx package ({root}): "
            "run nnfx deploy from a source checkout (pip install -e .)"
        )
    return root


def _check_model(path: str, board: str, force: bool) -> dict:
    from nnfx.binding import load
    from nnfx.modelinfo import describe

    info = describe(path)
    try:
        load(path).close()  # the C runtime must accept the file as it is
    except Exception as exc:  # the binding raises its own error types
        raise NnfxError(f"{path}: the C runtime refuses it: {exc}") from None
    problem = boards.channel_problem(info, board)
    if problem:
        raise NnfxError(problem)
    text = boards.estimate_text(info, board)
    print(f"load on {board}: {text}")
    frac = boards.load_fraction(info, board)
    if frac is not None and frac > 1.0:
        if not force:
            raise NnfxError(
                f"the estimated load on {board} is {100 * frac:.0f} % of its budget: choose a "
                "smaller model, or pass --force to deploy anyway"
            )
        print(f"warning: deploying to {board} although the estimate exceeds its budget (--force)")
    return info


def _check_ssh(host: str) -> None:
    for tool in ("ssh", "scp"):
        if shutil.which(tool) is None:
            raise NnfxError(f"{tool} not found: install an OpenSSH client (apt-get install "
                            "openssh-client)")
    proc = subprocess.run(["ssh", *SSH_OPTS, host, "true"], capture_output=True, text=True,
                          timeout=60)
    if proc.returncode != 0:
        why = (proc.stderr.strip().splitlines() or ["no answer"])[-1]
        raise NnfxError(f"cannot reach {host} over ssh ({why}): check the address, the network "
                        "and that your key is authorised (ssh-copy-id)")


def _run_all(commands: list[list[str]], dry_run: bool) -> None:
    for cmd in commands:
        print(("" if dry_run else "+ ") + " ".join(shlex.quote(c) for c in cmd))
        if dry_run:
            continue
        proc = subprocess.run(cmd)
        if proc.returncode != 0:
            raise NnfxError(f"'{cmd[0]} ...' failed with exit status {proc.returncode}")


# ------------------------------------------------------------------------------ bela


def _bela_config(info: dict, model_name: str) -> str:
    cin = int(info.get("in_channels") or 1)
    return (
        "/* Written by nnfx deploy bela; see nnfx_bela_config.h.in for every setting. */\n"
        f'#define NNFX_BELA_MODEL_FILE "{model_name}"\n'
        f"#define NNFX_BELA_AUDIO_IN {cin}\n"
        "#define NNFX_BELA_AUDIO_OUT 2\n"
        '#include "nnfx_bela_config.h.in"\n'
    )


def _bela_make_args(name: str) -> str:
    return (f"PROJECT={name} CFLAGS={shlex.quote(BELA_CFLAGS)} "
            f"CPPFLAGS={shlex.quote(BELA_CPPFLAGS)}")


def write_bela_project(root: Path, model: str, info: dict, out: Path, name: str) -> list[Path]:
    """Writes the project folder; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(dst: str, data: bytes) -> None:
        (out / dst).write_bytes(data)
        written.append(out / dst)

    bela = root / "boards" / "bela"
    put("render.cpp", (bela / "render.cpp").read_bytes())
    put("nnfx_bela_config.h.in", (bela / "nnfx_bela_config.h").read_bytes())
    put("nnfx_bela_config.h", _bela_config(info, "model.onnx").encode())
    put("model.onnx", Path(model).read_bytes())
    rt = root / "runtime_c"
    # flat, as Bela's make wants it: runtime_c's names are unique and include by bare name
    for src in runtime_sources.headers(rt) + runtime_sources.sources(rt):
        put(src.name, src.read_bytes())
    script = (
        "#!/bin/sh\n"
        "# Build and run this project with Bela's own Makefile (on the board, from anywhere).\n"
        "# Bela's make compiles every .c/.cpp of the project folder; these flags keep runtime_c\n"
        "# C99, without -ffast-math and without FMA contraction (see nnfx deploy's help).\n"
        f"exec make -C \"${{BELA_HOME:-$HOME/Bela}}\" {_bela_make_args(name)} \"${{@:-run}}\"\n"
    )
    put("build_on_bela.sh", script.encode())
    os.chmod(out / "build_on_bela.sh", 0o755)
    return written


def deploy_bela(args: argparse.Namespace) -> int:
    if not args.out and not args.host:
        raise NnfxError("give --out DIR (project folder to write) and/or --host HOST")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", args.name):
        raise NnfxError(f"--name {args.name!r}: use letters, digits, '_' and '-' only")
    root = _source_root()
    info = _check_model(args.file, "bela", args.force)
    if int(info["sample_rate"]) != 44100:
        print(f"warning: the model was made for {info['sample_rate']} Hz and Bela runs at "
              "44100 Hz: it will sound different (re-export it with --sample-rate 44100)")
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="nnfx-bela-"))
    if out.exists() and not out.is_dir():
        raise NnfxError(f"--out {out} exists and is not a folder")
    if args.host and not args.dry_run:
        _check_ssh(args.host)  # before writing anything
    if args.dry_run:
        print(f"would write the Bela project to {out}/ (render.cpp, nnfx_bela_config.h, "
              "runtime_c sources, model.onnx, build_on_bela.sh)")
    else:
        files = write_bela_project(root, args.file, info, out, args.name)
        print(f"wrote {len(files)} files to {out}/")
    if args.host:
        remote = f"Bela/projects/{args.name}"
        _run_all([
            ["ssh", *SSH_OPTS, args.host, f"mkdir -p {remote}"],
            ["scp", "-r", "-q", *SSH_OPTS, f"{out}/.", f"{args.host}:{remote}/"],
            ["ssh", "-t", *SSH_OPTS, args.host, f"make -C Bela {_bela_make_args(args.name)} run"],
        ], args.dry_run)
    else:
        print(f"copy {out}/ to ~/Bela/projects/{args.name}/ on the board and run "
              f"./build_on_bela.sh there (or pass --host)")
    return 0


# ------------------------------------------------------------------------------ rpi


def _stage_rpi(root: Path, model: str, stage: Path) -> None:
    for sub in ("include", "src"):
        shutil.copytree(root / "runtime_c" / sub, stage / "runtime_c" / sub)
    shutil.copy2(root / "runtime_c" / "sources.mk", stage / "runtime_c" / "sources.mk")
    rpi = stage / "boards" / "rpi"
    rpi.mkdir(parents=True)
    for f in (root / "boards" / "rpi").iterdir():
        if f.is_file():
            shutil.copy2(f, rpi / f.name)
    shutil.copy2(model, stage / "model.onnx")


def deploy_rpi(args: argparse.Namespace) -> int:
    if not args.host:
        raise NnfxError("give --host HOST (the Pi's ssh destination, e.g. pi@pedal.local)")
    root = _source_root()
    _check_model(args.file, args.target, args.force)
    install = (
        "cd nnfx-pedal-src/boards/rpi && make && sudo make install && "
        "sudo install -D -m 644 ../../model.onnx /usr/local/share/nnfx-pedal/model.onnx && "
        "sudo systemctl daemon-reload && sudo systemctl enable nnfx-pedal && "
        "sudo systemctl restart nnfx-pedal"
    )
    stage = Path(tempfile.mkdtemp(prefix="nnfx-rpi-"))
    try:
        if args.dry_run:
            print(f"would stage runtime_c, boards/rpi and the model in {stage}/")
        else:
            _stage_rpi(root, args.file, stage)
            _check_ssh(args.host)
        _run_all([
            ["ssh", *SSH_OPTS, args.host, "rm -rf nnfx-pedal-src && mkdir -p nnfx-pedal-src"],
            ["scp", "-r", "-q", *SSH_OPTS, f"{stage}/.", f"{args.host}:nnfx-pedal-src/"],
            ["ssh", *SSH_OPTS, args.host, install],
        ], args.dry_run)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return 0


def run(args: argparse.Namespace) -> int:
    if not os.path.isfile(args.file):
        raise NnfxError(f"{args.file}: no such file")
    return deploy_bela(args) if args.board == "bela" else deploy_rpi(args)
