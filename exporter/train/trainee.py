"""How the training loop calls a module that follows the model-file contract.

A look-back (convolutional) module is called ``module(x[, params])`` with ``x``
``[B, C_in, M + L]`` and returns ``[B, C_out, L]``; a recurrent module is
called ``module(x[, params], *state)`` and returns ``(y, *new_state)``, its
state tensors shaped as ``nnfx_info.state_shapes`` with the batch axis (the
axis of size 1, PyTorch's ``[layers, batch, hidden]`` convention) widened to
B. ``params`` is ``[B, P]`` with the knob values as the file's ``params``
input will carry them (not normalised).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from nnfx.exporter.base import ExportInfo


@dataclass
class Trainee:
    """A module and what the loop needs to know to feed it."""

    module: nn.Module
    lookback: int  # M: input frames beyond the output frames (0 for recurrent modules)
    state_shapes: list[tuple[int, ...]]  # batch-1 shapes; empty for look-back modules
    n_params: int  # P, the number of knobs

    @property
    def recurrent(self) -> bool:
        return bool(self.state_shapes)

    @classmethod
    def of(cls, module: nn.Module) -> Trainee:
        info = getattr(module, "nnfx_info", None)
        if not isinstance(info, ExportInfo):
            raise TypeError(f"{type(module).__name__} has no nnfx_info (ExportInfo)")
        shapes = [tuple(int(d) for d in s) for s in info.state_shapes]
        lookback = 0 if shapes else info.receptive_field - 1
        return cls(module, lookback, shapes, len(info.params))

    def zero_state(self, batch: int, device: torch.device | str) -> list[torch.Tensor]:
        out = []
        for shape in self.state_shapes:
            s = list(shape)
            axis = 1 if len(s) > 1 and s[1] == 1 else s.index(1)
            s[axis] = batch
            out.append(torch.zeros(s, device=device))
        return out

    def __call__(
        self,
        x: torch.Tensor,
        params: torch.Tensor | None = None,
        state: list[torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        args: list[torch.Tensor] = [x]
        if self.n_params:
            if params is None:
                raise ValueError("this model has knobs: pass params [B, P]")
            args.append(params)
        if self.recurrent:
            state = state if state is not None else self.zero_state(x.shape[0], x.device)
            out = self.module(*args, *state)
            return out[0], list(out[1:])
        out = self.module(*args)
        return (out[0] if isinstance(out, tuple | list) else out), []

    def run_long(
        self, x: torch.Tensor, params: torch.Tensor | None = None, chunk: int = 1 << 16
    ) -> torch.Tensor:
        """Runs ``x`` ``[B, C, T]`` from silence (zero history/state), in chunks, no grad."""
        outs = []
        with torch.no_grad():
            if self.recurrent:
                state = self.zero_state(x.shape[0], x.device)
                for s in range(0, x.shape[-1], chunk):
                    y, state = self(x[..., s : s + chunk], params, state)
                    outs.append(y)
            else:
                m = self.lookback
                padded = torch.nn.functional.pad(x, (m, 0))
                for s in range(0, x.shape[-1], chunk):
                    e = min(s + chunk, x.shape[-1])
                    y, _ = self(padded[..., s : e + m], params)
                    outs.append(y)
        return torch.cat(outs, dim=-1)
