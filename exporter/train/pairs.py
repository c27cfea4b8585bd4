"""Reading and checking a dry/wet pair before training (numpy and soundfile only).

``check_pair`` refuses, with one clear line, anything that would train a bad
model: different sample rates, very different lengths, silent or clipped
files, NaN/Inf samples, multichannel files whose channel counts differ. It
trims a small length difference and corrects a capture delay found by
cross-correlation, saying what it did in ``Pair.notes``.

Delay policy: a lag of at most ``tolerance_ms`` (default 1 ms) between input
and target is taken as part of the effect (a filter's group delay) and left
alone; a lag up to ``max_align_ms`` (default 100 ms) is a capture offset and
is corrected by trimming; a longer lag is refused with the measured delay
(pass ``align=False`` - ``--no-align`` - for effects whose delay is the point,
such as a delay pedal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnfx.errors import NnfxError

SILENCE_PEAK = 1e-4  # -80 dBFS: below this a file carries no usable signal
CLIP_LEVEL = 0.999  # samples at or above this magnitude count as full scale
CLIP_FRACTION = 1e-3  # more than 0.1 % flat-topped full-scale samples: clipped
MAX_TRIM_FRACTION = 0.05  # trim up to 5 % length difference; refuse beyond


class PairError(NnfxError):
    """A dry/wet pair that cannot be trained on; the message says why."""


@dataclass
class Pair:
    """A checked mono pair: ``dry`` and ``wet`` float32 of equal length."""

    dry: np.ndarray
    wet: np.ndarray
    sample_rate: int
    delay: int = 0  # frames the target lagged the input by (before correction)
    notes: list[str] = field(default_factory=list)


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Reads a sound file as float32 ``[channels, frames]``; one-line error if it cannot."""
    import soundfile as sf

    p = Path(path)
    if not p.is_file():
        raise PairError(f"{p}: no such file")
    try:
        data, rate = sf.read(str(p), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises several types for unreadable files
        raise PairError(f"{p}: cannot read as audio ({exc})") from None
    if data.shape[0] == 0:
        raise PairError(f"{p}: file holds no samples")
    return np.ascontiguousarray(data.T), int(rate)


def check_signal(x: np.ndarray, name: str) -> None:
    """Refuses NaN/Inf, silence and clipping in one signal ``[channels, frames]`` or 1-D."""
    bad = np.flatnonzero(~np.isfinite(x.reshape(-1)))
    if bad.size:
        frame = int(bad[0] % x.shape[-1])
        raise PairError(f"{name}: {bad.size} non-finite samples (NaN/Inf), first at frame {frame}")
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak < SILENCE_PEAK:
        raise PairError(f"{name}: silent (peak {peak:.2e}, below -80 dBFS)")
    flat = np.abs(x) >= CLIP_LEVEL
    flat_run = flat[..., 1:] & flat[..., :-1]  # two full-scale samples in a row: a flat top
    count = int(flat_run.sum())
    if count > CLIP_FRACTION * x.size:
        raise PairError(
            f"{name}: clipped ({count} flat-topped samples at full scale, "
            f"{100.0 * count / x.size:.2f} %); record it again at a lower level"
        )


def measure_delay(dry: np.ndarray, wet: np.ndarray, max_lag: int) -> int:
    """Lag in frames (positive: ``wet`` is late) maximising the cross-correlation.

    Uses at most the first 30 s of each, by FFT; ``max_lag`` bounds the search.
    """
    n = min(len(dry), len(wet), 30 * 48000)
    a = dry[:n].astype(np.float64) - dry[:n].mean()
    b = wet[:n].astype(np.float64) - wet[:n].mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    corr = np.fft.irfft(np.conj(np.fft.rfft(a, size)) * np.fft.rfft(b, size), size)
    lags = np.concatenate([corr[: max_lag + 1], corr[size - max_lag :]])
    lag_values = np.concatenate([np.arange(max_lag + 1), np.arange(-max_lag, 0)])
    return int(lag_values[int(np.argmax(np.abs(lags)))])


def check_pair(
    dry: np.ndarray,
    dry_rate: int,
    wet: np.ndarray,
    wet_rate: int,
    *,
    dry_name: str = "input",
    wet_name: str = "target",
    align: bool = True,
    tolerance_ms: float = 1.0,
    max_align_ms: float = 100.0,
) -> Pair:
    """Checks one pair (``[channels, frames]`` arrays) and returns it mono, aligned, trimmed."""
    notes: list[str] = []
    if dry_rate != wet_rate:
        raise PairError(
            f"{dry_name} is {dry_rate} Hz but {wet_name} is {wet_rate} Hz; resample one to match"
        )
    if dry.shape[0] != wet.shape[0]:
        raise PairError(
            f"{dry_name} has {dry.shape[0]} channels but {wet_name} has {wet.shape[0]}"
        )
    if dry.shape[0] != 1:
        raise PairError(f"{dry_name} and {wet_name} have {dry.shape[0]} channels; nnfx train "
                        "takes mono recordings (split or mix them down first)")
    check_signal(dry, dry_name)
    check_signal(wet, wet_name)
    x, y = dry[0], wet[0]
    if len(x) != len(y):
        longer = max(len(x), len(y))
        if abs(len(x) - len(y)) > MAX_TRIM_FRACTION * longer:
            raise PairError(
                f"{dry_name} has {len(x)} frames but {wet_name} has {len(y)}: lengths differ by "
                f"more than {100 * MAX_TRIM_FRACTION:.0f} %, not the same take?"
            )
        n = min(len(x), len(y))
        notes.append(f"lengths differ ({len(x)} vs {len(y)} frames): trimmed both to {n}")
        x, y = x[:n], y[:n]
    delay = 0
    if align:
        max_lag = int(round(max(max_align_ms * 4, 1000.0) * dry_rate / 1000.0))
        max_lag = min(max_lag, len(x) // 2)
        delay = measure_delay(x, y, max_lag)
        ms = 1000.0 * delay / dry_rate
        if abs(ms) > max_align_ms:
            raise PairError(
                f"{wet_name} is {'late' if delay > 0 else 'early'} by {abs(delay)} frames "
                f"({abs(ms):.1f} ms) against {dry_name}, more than the {max_align_ms:g} ms "
                "that can be corrected; align the capture, or pass --no-align if the delay "
                "is part of the effect"
            )
        if abs(ms) > tolerance_ms:
            if delay > 0:
                x, y = x[:-delay], y[delay:]
            else:
                x, y = x[-delay:], y[:delay]
            notes.append(
                f"{wet_name} was {'late' if delay > 0 else 'early'} by {abs(delay)} frames "
                f"({abs(ms):.2f} ms): aligned by trimming"
            )
    return Pair(np.ascontiguousarray(x), np.ascontiguousarray(y), dry_rate, delay, notes)


def load_pair(dry_path: str | Path, wet_path: str | Path, **kwargs: object) -> Pair:
    """Reads and checks a pair of files (see ``check_pair`` for the keywords)."""
    dry, dry_rate = read_audio(dry_path)
    wet, wet_rate = read_audio(wet_path)
    return check_pair(
        dry, dry_rate, wet, wet_rate, dry_name=str(dry_path), wet_name=str(wet_path),
        **kwargs,  # type: ignore[arg-type]
    )
