"""Recurrent amp models: LSTM or GRU, a linear head and an optional input skip.

The shape used by Wright et al. 2019, GuitarML and AIDA-X: per frame, the audio (and the
knobs, mapped to [-1, 1] and concatenated to every frame) goes through 1-3 recurrent layers
of 4-128 units; a linear layer maps the last layer's output to the output channels; with
``skip`` the input is added (``out = head(rnn(x)) + x``, in == out channels).

``forward(x, [params,] h[, c])`` with ``x`` ``[1, C_in, N]`` returns ``(y, h', [c'])``:
``y`` is ``[1, C_out, N]``, states are ``[layers, 1, hidden]`` (``state_in.0`` is ``h``,
``state_in.1`` is ``c`` for an LSTM). Look-back is 0: the state carries the memory.
The model file has batch 1; training calls the same forward with a batch B in place of
the 1 (``x`` ``[B, C_in, N]``, ``params`` ``[B, P]``, states ``[layers, B, hidden]``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from nnfx.exporter.base import ExportInfo, ParamSpec

CELLS = ("lstm", "gru")


class RecurrentAmp(nn.Module):
    def __init__(
        self,
        cell: str = "lstm",
        hidden: int = 32,
        layers: int = 1,
        in_channels: int = 1,
        out_channels: int = 1,
        skip: bool = True,
        params: Sequence[ParamSpec] = (),
        seed: int = 0,
        name: str = "",
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
        if not (1 <= layers <= 3):
            raise ValueError(f"layers must be 1..3, got {layers}")
        if not (4 <= hidden <= 128):
            raise ValueError(f"hidden must be 4..128, got {hidden}")
        if skip and in_channels != out_channels:
            raise ValueError("the input skip needs as many output channels as input channels")
        self.cell = cell
        self.skip = skip
        self.n_params = len(params)
        self.hidden_size = hidden
        self.num_layers = layers
        specs = list(params)
        lo = torch.tensor([p.minimum for p in specs], dtype=torch.float32)
        hi = torch.tensor([p.maximum for p in specs], dtype=torch.float32)
        span = torch.where(hi > lo, hi - lo, torch.ones_like(hi))
        self.register_buffer("knob_offset", lo.reshape(1, 1, -1))
        self.register_buffer("knob_scale", (2.0 / span).reshape(1, 1, -1))
        g_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        try:
            rnn_cls = nn.LSTM if cell == "lstm" else nn.GRU
            self.rnn = rnn_cls(in_channels + len(specs), hidden, layers)
            self.head = nn.Linear(hidden, out_channels)
        finally:
            torch.random.set_rng_state(g_state)
        shapes = [(layers, 1, hidden)] * (2 if cell == "lstm" else 1)
        self.nnfx_info = ExportInfo(
            in_channels=in_channels,
            out_channels=out_channels,
            receptive_field=1,
            params=specs,
            state_shapes=shapes,
            architecture={
                "kind": cell,
                "hidden": hidden,
                "layers": layers,
                "skip": skip,
                "knobs": "concat" if specs else "none",
                "seed": seed,
            },
            name=name or f"{cell}{hidden}",
            description=(
                f"{cell.upper()}, {layers} layer(s) of {hidden} units, linear head"
                + (", input skip" if skip else "")
            ),
        )

    def forward(self, x: torch.Tensor, *args: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if self.n_params:
            params, state = args[0], args[1:]
        else:
            params, state = None, args
        seq = x.permute(2, 0, 1)  # [N, B, C_in]
        if params is not None:
            # params [B, P] -> [1, B, P] -> every frame; B is 1 in a model file, any in training
            knobs = (params.unsqueeze(0) - self.knob_offset) * self.knob_scale - 1.0
            seq = torch.cat([seq, knobs.expand(seq.shape[0], seq.shape[1], self.n_params)], dim=2)
        if self.cell == "lstm":
            out, (h, c) = self.rnn(seq, (state[0], state[1]))
            new_state: tuple[torch.Tensor, ...] = (h, c)
        else:
            out, h = self.rnn(seq, state[0])
            new_state = (h,)
        y = self.head(out).permute(1, 2, 0)  # [1, C_out, N]
        if self.skip:
            y = y + x
        return (y, *new_state)


# name -> (cell, hidden, layers)
PRESETS: dict[str, tuple[str, int, int]] = {
    "lstm16": ("lstm", 16, 1),
    "lstm32": ("lstm", 32, 1),
    "lstm64": ("lstm", 64, 1),
    "lstm32x2": ("lstm", 32, 2),
    "gru16": ("gru", 16, 1),
    "gru32": ("gru", 32, 1),
}


def build(name: str, params: Sequence[ParamSpec] = (), seed: int = 0) -> RecurrentAmp:
    cell, hidden, layers = PRESETS[name]
    return RecurrentAmp(cell, hidden, layers, params=params, seed=seed, name=name)
