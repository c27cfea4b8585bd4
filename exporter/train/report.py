"""The report written next to a trained model: figures (JSON, text) and a comparison picture.

Figures for each evaluation set (the validation material, and any held-out
test pairs): plain ESR (no pre-emphasis); ESR with the first-order
pre-emphasis 1 - 0.85 z^-1 (whatever the training used); the
multi-resolution STFT distance; and the spectrum check: the largest
difference, in dB, between target and model in the long-term average
spectrum over 1/3-octave bands from 50 Hz to 16 kHz (bands more than 60 dB
below the target's loudest band are left out: their level is noise).
The picture (matplotlib, Agg) shows for the first set: a 20 ms waveform
detail around the loudest moment (clean, target, model), the spectrograms of
target and model, and the three average spectra.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from nnfx.exporter.train.losses import ESRLoss, MultiResolutionSTFT


@dataclass
class Figures:
    name: str
    seconds: float
    esr: float  # plain, no pre-emphasis
    esr_pre_emphasis: float  # with the default first-order 1 - 0.85 z^-1
    mrstft: float
    spectrum_max_db: float  # largest 1/3-octave band difference, target vs model
    dry: np.ndarray | None = None
    wet: np.ndarray | None = None
    out: np.ndarray | None = None

    def as_json(self) -> dict[str, object]:
        d = asdict(self)
        for k in ("dry", "wet", "out"):
            d.pop(k)
        return d


def third_octave_levels(x: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """(band centre Hz, mean power in dB) over 1/3-octave bands 50 Hz .. 16 kHz (Welch, 8192)."""
    n = 8192
    if len(x) < n:
        x = np.pad(x, (0, n - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, n)[:: n // 2]
    power = (np.abs(np.fft.rfft(frames * np.hanning(n), axis=1)) ** 2).mean(axis=0)
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    centres = 1000.0 * 2.0 ** (np.arange(-13, 15) / 3.0)
    centres = centres[(centres >= 50.0) & (centres <= min(16000.0, sr / 2.0 / 1.13))]
    levels = []
    for c in centres:
        band = (freqs >= c / 2 ** (1 / 6)) & (freqs < c * 2 ** (1 / 6))
        levels.append(10.0 * np.log10(power[band].mean() + 1e-20))
    return centres, np.asarray(levels)


def spectrum_difference(wet: np.ndarray, out: np.ndarray, sr: int) -> float:
    _, lw = third_octave_levels(wet, sr)
    _, lo = third_octave_levels(out, sr)
    keep = lw > lw.max() - 60.0
    return float(np.max(np.abs(lw[keep] - lo[keep])))


def figures(name: str, dry: np.ndarray, wet: np.ndarray, out: np.ndarray, sr: int
            ) -> Figures:
    o = torch.from_numpy(np.ascontiguousarray(out, dtype=np.float32)).view(1, 1, -1)
    t = torch.from_numpy(np.ascontiguousarray(wet, dtype=np.float32)).view(1, 1, -1)
    with torch.no_grad():
        esr = float(ESRLoss("none")(o, t))
        esr_pre = float(ESRLoss("fir")(o, t))
        mr = float(MultiResolutionSTFT()(o, t)) if len(wet) >= 4096 else float("nan")
    return Figures(name, len(wet) / sr, esr, esr_pre, mr, spectrum_difference(wet, out, sr),
                   dry, wet, out)


def plot(path: str | Path, f: Figures, sr: int, title: str) -> None:
    """The comparison picture for one set of figures (needs the signals kept in ``f``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert f.dry is not None and f.wet is not None and f.out is not None
    fig, axes = plt.subplots(4, 1, figsize=(10, 13))
    fig.suptitle(f"{title}\n{f.name}: ESR {f.esr:.3g}, MR-STFT {f.mrstft:.3f}, "
                 f"spectrum within {f.spectrum_max_db:.2f} dB")
    centre = int(np.argmax(np.abs(f.wet)))
    half = int(0.01 * sr)
    lo, hi = max(0, centre - half), min(len(f.wet), centre + half)
    t_ms = 1000.0 * np.arange(lo, hi) / sr
    ax = axes[0]
    ax.plot(t_ms, f.dry[lo:hi], label="clean (input)", color="0.6", lw=1)
    ax.plot(t_ms, f.wet[lo:hi], label="target", color="C0", lw=1.5)
    ax.plot(t_ms, f.out[lo:hi], label="model", color="C3", lw=1, ls="--")
    ax.set_xlabel("time (ms)")
    ax.set_title("waveform detail around the loudest moment")
    ax.legend(loc="upper right")
    for ax, sig, label in ((axes[1], f.wet, "target"), (axes[2], f.out, "model")):
        with np.errstate(divide="ignore"):  # digital silence has -inf dB; drawn as the floor
            ax.specgram(sig, NFFT=2048, Fs=sr, noverlap=1536, cmap="magma", vmin=-140,
                        vmax=-20)
        ax.set_ylim(0, min(sr / 2, 16000))
        ax.set_ylabel("Hz")
        ax.set_title(f"spectrogram: {label}")
    ax = axes[3]
    for sig, label, color in ((f.dry, "clean", "0.6"), (f.wet, "target", "C0"),
                              (f.out, "model", "C3")):
        c, lv = third_octave_levels(sig, sr)
        ax.semilogx(c, lv, label=label, color=color, ls="--" if label == "model" else "-")
    ax.set_xlabel("Hz")
    ax.set_ylabel("dB")
    ax.set_title("average spectrum (1/3 octave)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(str(path), dpi=80)
    plt.close(fig)


def write(model_path: str | Path, summary: dict[str, object], sets: list[Figures], sr: int,
          title: str) -> tuple[Path, Path]:
    """Writes ``MODEL.report.json`` and ``MODEL.report.png`` next to the model."""
    base = Path(model_path)
    json_path = base.with_name(base.stem + ".report.json")
    png_path = base.with_name(base.stem + ".report.png")
    data = dict(summary)
    data["evaluation"] = [s.as_json() for s in sets]
    json_path.write_text(json.dumps(data, indent=2, default=float) + "\n")
    plot(png_path, sets[0], sr, title)
    return json_path, png_path
