"""Measure what a module does with time: its look-back, its receptive field, its causality.

The exporter trusts nothing a module says about itself. For a look-back (convolutional)
module it measures:

- the *shape look-back* ``M``: input frames minus output frames (valid convolutions turn
  ``M + N`` frames into ``N``), checked to be the same for two input lengths;
- the *receptive field* by perturbation: run the module on a noise input, change one
  input frame, and see which output frames change. A changed output frame before the
  perturbed one means the module looks into the future; changed frames further back
  than the window allows mean its memory is longer than its look-back; changes that
  reach the end of the window however long it is made mean the memory is unbounded.

For a recurrent module only causality is checked (its memory is the state).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from nnfx.errors import NnfxError

MAX_PROBE_FRAMES = 1 << 21  # longest window tried before a receptive field counts as unbounded


class ExportError(NnfxError):
    """The module cannot be exported as it is; the message says why."""


@dataclass
class Measurement:
    lookback: int  # M by shape (input minus output frames); 0 for recurrent modules
    receptive_field: int | None  # measured support + 1, None when not measurable (recurrent)


Runner = Callable[[torch.Tensor], torch.Tensor]


def _run(run: Runner, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        y = run(x)
    if not isinstance(y, torch.Tensor) or y.dim() != 3 or y.shape[0] != 1:
        shape = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise ExportError(f"the module must return audio shaped [1, C_out, N], got {shape}")
    if not torch.isfinite(y).all():
        raise ExportError("the module's output holds NaN or infinity for a plain noise input")
    return y


def _noise(channels: int, frames: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 0.5 * (2.0 * torch.rand((1, channels, frames), generator=g) - 1.0)


def shape_lookback(run: Runner, channels: int, hint: int | None = None) -> int:
    """Input frames minus output frames, the same for two lengths; grows the input as needed."""
    length = max(64, (hint or 0) + 64)
    last_error: Exception | None = None
    while length <= MAX_PROBE_FRAMES:
        try:
            y1 = _run(run, _noise(channels, length, 1))
        except ExportError:
            raise
        except TypeError as exc:  # wrong call signature: no length will fix that
            raise ExportError(
                f"calling the module failed: {exc} (a module with knobs needs params=[ParamSpec"
                f"...], a recurrent one state_shapes=[...])"
            ) from exc
        except Exception as exc:  # too short for its valid convolutions: try longer
            last_error = exc
            length *= 4
            continue
        y2 = _run(run, _noise(channels, length + 37, 2))
        m1, m2 = length - y1.shape[-1], length + 37 - y2.shape[-1]
        if m1 != m2:
            raise ExportError(
                f"output length is not input length minus a fixed look-back "
                f"({length} frames in -> {y1.shape[-1]} out, "
                f"{length + 37} in -> {y2.shape[-1]} out)"
            )
        if m1 < 0:
            raise ExportError(
                f"the module returns more frames ({y1.shape[-1]}) than it gets ({length})"
            )
        return m1
    raise ExportError(
        f"the module fails for every input length up to {MAX_PROBE_FRAMES} frames: {last_error}"
    )


def _changed(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Output frames (indices) where any channel differs."""
    return torch.nonzero((a != b).any(dim=1)[0]).flatten()


def _gradient_support(
    run: Runner, channels: int, length: int, lookback: int, p: int
) -> tuple[int, int] | None:
    """(oldest lag the last output frame depends on, latest input frame after ``p`` that the
    output at ``p`` depends on, 0 if none), from input gradients; None if not differentiable.

    A perturbation can miss the oldest taps of a deep network: their contribution falls below
    the output's rounding. A gradient is a product along the one path that reaches the
    oldest frame, with nothing added to it, so it stays non-zero (in float64) exactly where
    the output depends on the input.
    """
    try:
        x = _noise(channels, length, 30).requires_grad_(True)
        with torch.enable_grad():
            y = run(x)
            last = torch.autograd.grad(y[0, :, -1].sum(), x, retain_graph=True)[0]
            mid = torch.autograd.grad(y[0, :, p - lookback].sum(), x)[0]
    except Exception:
        return None
    used = torch.nonzero((last[0] != 0).any(dim=0)).flatten()
    lag = (length - 1 - int(used.min())) if used.numel() else 0
    after = torch.nonzero((mid[0, :, p + 1 :] != 0).any(dim=0)).flatten()
    future = int(after.max()) + 1 if after.numel() else 0
    return lag, future


def receptive_field(
    run: Runner,
    channels: int,
    lookback: int,
    trials: int = 2,
    grad_run: Runner | None = None,
) -> int:
    """Measured receptive field of a look-back module whose shape look-back is ``lookback``.

    Output frame ``j`` ends at input frame ``t = j + lookback``. A perturbation at input
    frame ``p`` may change outputs with ``0 <= t - p <= lookback`` only. ``grad_run`` (default
    ``run``) is used for the gradient probe: ideally a float64 copy of the module.
    """
    after = max(lookback + 65, 256)  # > M + 1: a bounded response cannot reach the end
    while True:
        before = 64
        p = lookback + before
        length = p + after
        support = 0
        reaches_end = False
        for trial in range(trials):
            x = _noise(channels, length, 10 + trial)
            y = _run(run, x)
            x2 = x.clone()
            x2[0, :, p] += 0.25 * (1.0 + trial)
            changed = _changed(y, _run(run, x2))
            if changed.numel() == 0:
                continue
            t = changed + lookback
            if int(t.min()) < p:
                raise ExportError(
                    f"the module is not causal: changing input frame {p} changed output at "
                    f"frame {int(t.min())}, {p - int(t.min())} frames earlier (its output depends "
                    f"on future input)"
                )
            lag = int(t.max()) - p
            support = max(support, lag + 1)
            if int(t.max()) >= length - 1:
                reaches_end = True
        grad = _gradient_support(grad_run or run, channels, length, lookback, p)
        if grad is not None:
            lag, future = grad
            if future > 0:
                raise ExportError(
                    f"the module is not causal: its output at frame {p} depends on input "
                    f"{future} frames later (its output depends on future input)"
                )
            support = max(support, lag + 1)
            if lag >= length - 1:
                reaches_end = True
        if not reaches_end:
            return max(support, 1)
        if p + 4 * after > MAX_PROBE_FRAMES:
            raise ExportError(
                f"the receptive field cannot be established: a change at one input frame still "
                f"changes the output {support - 1} frames later, at the end of a {length}-frame "
                f"window (the module seems to have unbounded memory, e.g. a recursive filter; "
                f"export it as a recurrent model with state)"
            )
        after *= 4


def check_causal_recurrent(
    run_seq: Callable[[torch.Tensor], torch.Tensor], channels: int, frames: int = 256
) -> None:
    """A recurrent module (run from zero state over a whole signal) must be causal."""
    x = _noise(channels, frames, 20)
    with torch.no_grad():
        y = run_seq(x)
        x2 = x.clone()
        p = frames // 2
        x2[0, :, p] += 0.5
        y2 = run_seq(x2)
    if y.shape[-1] != frames:
        raise ExportError(
            f"a recurrent module must return as many frames as it gets ({frames} in, "
            f"{y.shape[-1]} out)"
        )
    changed = _changed(y, y2)
    if changed.numel() and int(changed.min()) < p:
        raise ExportError(
            f"the module is not causal: changing input frame {p} changed output frame "
            f"{int(changed.min())} (its output depends on future input)"
        )


def first_channels(module: torch.nn.Module) -> int | None:
    """Input channels of the first Conv1d / LSTM / GRU / Linear found in the module, if any."""
    for m in module.modules():
        if isinstance(m, torch.nn.Conv1d):
            return int(m.in_channels)
        if isinstance(m, torch.nn.LSTM | torch.nn.GRU | torch.nn.RNN):
            return int(m.input_size)
    return None


def as_list(x: Sequence | None) -> list:
    return list(x) if x is not None else []
