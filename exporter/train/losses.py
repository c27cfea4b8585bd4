"""Losses and distances for training, each a small module with one signature.

Every module here is called as ``loss(output, target)`` with two tensors of
the same shape ``[batch, channels, frames]`` and returns a scalar (the mean
over the batch) when ``reduction="mean"``, one value per batch item, shape
``[batch]``, when ``reduction="none"``, or, for the ratio losses, the ratio
of the batch's summed error to its summed energy when ``reduction="pooled"``
(what training uses: a segment that happens to be silent cannot blow the
loss up). Channels and frames are summed inside each item. Target is the
second argument, as in PyTorch.

- ``PreEmphasis``: the filter applied to both signals before the ESR.
- ``ESRLoss``: error-to-signal ratio ``sum((t - o)^2) / sum(t^2)`` after
  pre-emphasis (Wright et al. 2019).
- ``DCLoss``: ``mean_t(t - o)^2 / mean_t(t^2)``, which catches an offset the
  pre-emphasised ESR cannot see.
- ``ESRDCLoss``: their sum, the training loss of ``nnfx train``.
- ``MultiResolutionSTFT``: spectral convergence plus log-magnitude distance
  averaged over several FFT sizes, used in the report.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from nnfx.exporter.train.aweight import a_weighting_fir

EPS = 1e-8
PRE_EMPHASIS = ("fir", "aweight", "none")


REDUCTIONS = ("mean", "none", "pooled")


def _ratio(num: torch.Tensor, den: torch.Tensor, reduction: str) -> torch.Tensor:
    """Reduces per-item ratios ``num / den`` (both ``[batch]``)."""
    if reduction == "pooled":
        return num.sum() / (den.sum() + EPS)
    return _reduce(num / (den + EPS), reduction)


def _reduce(values: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return values.mean()
    if reduction == "none":
        return values
    raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")


def _check(output: torch.Tensor, target: torch.Tensor) -> None:
    if output.shape != target.shape or output.dim() != 3:
        raise ValueError(
            f"output and target must both be [batch, channels, frames]; got "
            f"{tuple(output.shape)} and {tuple(target.shape)}"
        )


class PreEmphasis(nn.Module):
    """Filters ``[batch, channels, frames]`` with an FIR, keeping only valid frames.

    ``kind="fir"``: first-order high-pass ``1 - coef z^-1`` (default coef 0.85);
    the output is one frame shorter. ``kind="aweight"``: the A-weighting FIR of
    ``nnfx.exporter.train.aweight`` (301 taps); the output is 300 frames shorter.
    ``kind="none"``: identity.
    """

    def __init__(self, kind: str = "fir", coef: float = 0.85, sample_rate: int = 48000) -> None:
        super().__init__()
        if kind not in PRE_EMPHASIS:
            raise ValueError(f"pre-emphasis must be one of {', '.join(PRE_EMPHASIS)}; got {kind!r}")
        self.kind = kind
        if kind == "fir":
            taps = torch.tensor([-coef, 1.0])  # conv1d correlates: y[n] = x[n] - coef x[n-1]
        elif kind == "aweight":
            taps = torch.tensor(a_weighting_fir(sample_rate)[::-1].copy(), dtype=torch.float32)
        else:
            taps = torch.ones(1)
        self.register_buffer("taps", taps.float().view(1, 1, -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "none":
            return x
        b, c, t = x.shape
        if t < self.taps.shape[-1]:
            need = self.taps.shape[-1]
            raise ValueError(f"{self.kind} pre-emphasis needs at least {need} frames")
        return F.conv1d(x.reshape(b * c, 1, t), self.taps).reshape(b, c, -1)


class ESRLoss(nn.Module):
    """Error-to-signal ratio after pre-emphasis."""

    def __init__(
        self,
        pre_emphasis: str = "fir",
        coef: float = 0.85,
        sample_rate: int = 48000,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        self.pre = PreEmphasis(pre_emphasis, coef, sample_rate)
        self.reduction = reduction

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _check(output, target)
        o, t = self.pre(output), self.pre(target)
        err = (t - o).pow(2).sum(dim=(1, 2))
        energy = t.pow(2).sum(dim=(1, 2))
        return _ratio(err, energy, self.reduction)


class DCLoss(nn.Module):
    """Squared mean error over mean target power: ``sum_c mean_t(t - o)^2 / sum_c mean_t(t^2)``."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _check(output, target)
        dc = (target - output).mean(dim=2).pow(2).sum(dim=1)
        power = target.pow(2).mean(dim=2).sum(dim=1)
        return _ratio(dc, power, self.reduction)


class ESRDCLoss(nn.Module):
    """``ESRLoss + dc_weight * DCLoss``: the loss ``nnfx train`` minimises."""

    def __init__(
        self,
        pre_emphasis: str = "fir",
        coef: float = 0.85,
        sample_rate: int = 48000,
        dc_weight: float = 1.0,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        self.esr = ESRLoss(pre_emphasis, coef, sample_rate, reduction)
        self.dc = DCLoss(reduction)
        self.dc_weight = dc_weight

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.esr(output, target) + self.dc_weight * self.dc(output, target)


class MultiResolutionSTFT(nn.Module):
    """Mean over FFT sizes of spectral convergence + mean |log|O| - log|T||.

    For each FFT size n (hop n/4, Hann window): spectral convergence
    ``||T| - |O||_F / ||T||_F`` and log-magnitude distance
    ``mean(|log(|T|+eps) - log(|O|+eps)|)``, both over channels and frames of
    one item. 0 means identical magnitude spectrograms.
    """

    def __init__(
        self, fft_sizes: tuple[int, ...] = (256, 1024, 4096), reduction: str = "mean"
    ) -> None:
        super().__init__()
        self.fft_sizes = tuple(fft_sizes)
        self.reduction = reduction

    def _mag(self, x: torch.Tensor, n: int) -> torch.Tensor:
        b, c, t = x.shape
        window = torch.hann_window(n, device=x.device, dtype=x.dtype)
        spec = torch.stft(
            x.reshape(b * c, t), n, hop_length=n // 4, window=window, return_complex=True
        )
        return spec.abs().reshape(b, -1)

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _check(output, target)
        total = torch.zeros(output.shape[0], device=output.device, dtype=output.dtype)
        for n in self.fft_sizes:
            if output.shape[-1] < n:
                raise ValueError(f"MR-STFT needs at least {n} frames, got {output.shape[-1]}")
            mo, mt = self._mag(output, n), self._mag(target, n)
            sc = (mt - mo).norm(dim=1) / (mt.norm(dim=1) + EPS)
            logmag = (torch.log(mt + 1e-5) - torch.log(mo + 1e-5)).abs().mean(dim=1)
            total = total + sc + logmag
        return _reduce(total / len(self.fft_sizes), self.reduction)
