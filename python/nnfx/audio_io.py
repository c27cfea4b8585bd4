"""Sound files in and out of nnfx: reading, writing, and fitting channels to a model."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from nnfx.errors import NnfxError


@dataclass
class Audio:
    data: np.ndarray  # float32 [channels, frames], C-contiguous
    sample_rate: int
    subtype: str  # soundfile subtype of the source, e.g. "PCM_16", "FLOAT"

    @property
    def channels(self) -> int:
        return int(self.data.shape[0])

    @property
    def frames(self) -> int:
        return int(self.data.shape[1])


def read(path: str | os.PathLike[str]) -> Audio:
    import soundfile as sf

    if not os.path.isfile(path):
        raise NnfxError(f"no such file: {os.fspath(path)}")
    try:
        with sf.SoundFile(os.fspath(path)) as f:
            data = f.read(dtype="float32", always_2d=True)
            sr, subtype = int(f.samplerate), str(f.subtype)
    except (RuntimeError, sf.LibsndfileError, ValueError) as exc:
        raise NnfxError(f"cannot read {os.fspath(path)} as audio: {exc}") from exc
    return Audio(np.ascontiguousarray(data.T), sr, subtype)


def output_subtype(path: str | os.PathLike[str], wanted: str) -> str:
    """``wanted`` if the output file's format can hold it, else the format's default."""
    import soundfile as sf

    ext = os.path.splitext(os.fspath(path))[1].lstrip(".").upper()
    formats = sf.available_formats()
    if ext not in formats:
        raise NnfxError(
            f"unknown output format {ext or '(no extension)'!r}; use one of "
            + ", ".join(sorted(f.lower() for f in formats))
        )
    if sf.check_format(ext, wanted):
        return wanted
    return str(sf.default_subtype(ext))


def write(path: str | os.PathLike[str], data: np.ndarray, sample_rate: int, subtype: str) -> None:
    import soundfile as sf

    directory = os.path.dirname(os.path.abspath(os.fspath(path)))
    if not os.path.isdir(directory):
        raise NnfxError(f"the output directory does not exist: {directory}")
    try:
        sf.write(os.fspath(path), data.T, sample_rate, subtype=subtype)
    except (RuntimeError, sf.LibsndfileError, ValueError, TypeError) as exc:
        raise NnfxError(f"cannot write {os.fspath(path)}: {exc}") from exc


def non_finite_report(data: np.ndarray) -> str | None:
    """None when every sample is finite, else a sentence saying how many and where."""
    bad = ~np.isfinite(data)
    count = int(bad.sum())
    if not count:
        return None
    ch, frame = np.argwhere(bad)[np.argmin(np.argwhere(bad)[:, 1])]
    return f"{count} non-finite sample(s) (NaN/Inf), the first at frame {frame} of channel {ch}"


@dataclass
class ChannelPlan:
    """How a file's channels feed a model: ``groups`` is a list of model runs, each a
    list of file channels forming that run's input (repeated to duplicate)."""

    groups: list[list[int]]
    note: str  # "" when the file matches the model


def plan_channels(file_channels: int, model_in: int, model_out: int) -> ChannelPlan:
    """Fit a file's channels to a model's inputs, or refuse with a clear message."""
    if file_channels == model_in:
        return ChannelPlan([list(range(file_channels))], "")
    if model_in == 1 and model_out == 1:
        return ChannelPlan(
            [[c] for c in range(file_channels)],
            f"mono model on a {file_channels}-channel file: processing each channel separately",
        )
    if file_channels == 1:
        return ChannelPlan(
            [[0] * model_in],
            f"{model_in}-channel model on a mono file: the file's channel feeds every input",
        )
    raise NnfxError(
        f"the model takes {model_in} channel(s) in and gives {model_out} out; a "
        f"{file_channels}-channel file does not fit (give a mono or {model_in}-channel file)"
    )
