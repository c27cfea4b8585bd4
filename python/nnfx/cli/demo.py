"""``nnfx demo [--out DIR]``: design a randomized overdrive, export it, play the bundled audio
through it with the C runtime and write the results and a picture of input vs output."""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from nnfx.errors import NnfxError

HELP = "design a randomized overdrive, export it, run the bundled audio through it, plot it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    parser.add_argument("--block", type=int, default=64, help="block size N of the file")
    parser.add_argument("--seed", type=int, default=None, help="recipe seed (default: 42)")


def _db(x: float) -> str:
    return f"{20.0 * np.log10(x):+.1f} dBFS" if x > 0 else "-inf dBFS"


def _process(path: str, x: np.ndarray) -> tuple[np.ndarray, str]:
    """Run ``x`` [C, L] through the file: the C runtime, else ONNX Runtime (said so)."""
    import nnfx

    try:
        model = nnfx.load(path)
    except (NnfxError, AttributeError, ImportError, OSError) as exc:
        from nnfx.engines import OrtEngine

        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return OrtEngine(path).run(x), f"ONNX Runtime (C runtime unavailable: {reason})"
    with model:
        err = model.verify()  # the file's own reference, run by the C runtime
        y = np.asarray(model.process(x))
    return y, f"C runtime (stream mode; self-check max error {err:.2g})"


def _spectrum(x: np.ndarray, sr: int, size: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Average magnitude spectrum in dB over Hann-windowed frames (first channel)."""
    sig = x[0].astype(np.float64)
    win = np.hanning(size)
    frames = [sig[i : i + size] * win for i in range(0, max(1, len(sig) - size), size // 2)]
    frames = [f for f in frames if len(f) == size] or [np.resize(sig, size) * win]
    mag = np.mean([np.abs(np.fft.rfft(f)) for f in frames], axis=0)
    return np.fft.rfftfreq(size, 1.0 / sr), 20.0 * np.log10(mag / (np.sum(win) / 2) + 1e-12)


def _plot(path: str, items: list[tuple[str, np.ndarray, np.ndarray]], sr: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(items), 2, figsize=(12, 3.6 * len(items)), squeeze=False)
    for row, (name, x, y) in enumerate(items):
        span = slice(0, min(x.shape[1], sr // 5))
        t = np.arange(x.shape[1])[span] / sr
        ax = axes[row][0]
        ax.plot(t, x[0, span], lw=0.7, label="input")
        for c in range(y.shape[0]):
            ax.plot(t, y[c, span], lw=0.7, alpha=0.8, label=f"output ch{c}")
        ax.set_title(f"{name}: waveform (first 0.2 s)")
        ax.set_xlabel("seconds")
        ax.legend(loc="upper right", fontsize=8)
        ax = axes[row][1]
        f, sx = _spectrum(x, sr)
        ax.semilogx(f[1:], sx[1:], lw=0.8, label="input")
        f, sy = _spectrum(y, sr)
        ax.semilogx(f[1:], sy[1:], lw=0.8, label="output")
        ax.set_title(f"{name}: average spectrum")
        ax.set_xlabel("Hz")
        ax.set_ylabel("dB")
        ax.set_xlim(20, sr / 2)
        ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    out = os.path.abspath(args.out)
    parent = os.path.dirname(out)
    if not os.path.isdir(parent):
        raise NnfxError(f"parent folder {parent} of --out does not exist")
    if not (1 <= args.block <= 65536):
        raise NnfxError(f"block size must be in 1..65536, got {args.block}")
    os.makedirs(out, exist_ok=True)

    import dataclasses

    from nnfx import audio_io, testsignals
    from nnfx.exporter import zoo
    from nnfx.exporter.export_onnx import export
    from nnfx.exporter.random_tcn import RandomTCN

    recipe = zoo.OVERDRIVE
    if args.seed is not None:
        recipe = dataclasses.replace(recipe, seed=args.seed)
        recipe.validate()
    sr = testsignals.SAMPLE_RATE
    print(
        f"1. designed a randomized overdrive: {recipe.layers} layers, kernel {recipe.kernel}, "
        f"{recipe.channels} channels, growth {recipe.growth}, {recipe.activation}, "
        f"{recipe.init} init, seed {recipe.seed}"
    )
    model_path = os.path.join(out, "overdrive.onnx")
    t0 = time.perf_counter()
    report = export(
        RandomTCN(recipe, name="overdrive"), model_path, block_size=args.block, sample_rate=sr
    )
    print(
        f"2. exported {model_path} in {time.perf_counter() - t0:.1f} s: receptive field "
        f"{report.receptive_field} frames ({1000.0 * report.receptive_field / sr:.2f} ms), "
        f"{report.parameter_count} parameters, {report.macs_per_sample} MACs/sample, "
        f"ONNX Runtime vs PyTorch max error {report.errors.get('onnxruntime', float('nan')):.2g}"
    )
    items = []
    for i, name in enumerate(("guitar", "drums")):
        src = testsignals.bundled_path(name)
        audio = audio_io.read(src)
        t0 = time.perf_counter()
        y, engine = _process(model_path, audio.data)
        took = time.perf_counter() - t0
        dst = os.path.join(out, f"{name}-overdrive.wav")
        audio_io.write(dst, np.clip(y, -1.0, 1.0), sr, "PCM_16")
        seconds = audio.frames / sr
        print(
            f"{3 + i}. {name}: {seconds:.1f} s through {engine} in {took:.3f} s "
            f"({seconds / max(took, 1e-9):.0f}x real time); peak in "
            f"{_db(float(np.max(np.abs(audio.data))))}, out {_db(float(np.max(np.abs(y))))} "
            f"-> {dst}"
        )
        items.append((name, audio.data, y))
    png = os.path.join(out, "demo.png")
    _plot(png, items, sr)
    print(f"5. wrote {png} (input vs output waveform and spectrum)")
    return 0
