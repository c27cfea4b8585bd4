"""WaveNet for real-time amp and pedal models (Damskägg et al. 2019, Wright et al. 2020).

A 1x1 input convolution lifts the audio to ``C`` channels; then, per layer, a dilated
causal convolution (valid: no padding) gives ``2C`` channels for the gated activation
``tanh(a) * sigmoid(b)`` (or ``C`` for a plain activation), a 1x1 residual convolution is
added to the layer's input cropped on the left (right-aligned), and the layer's output is
kept; at the end, every layer's output, cropped to the final length, is concatenated and
mixed to the output channels by one 1x1 convolution (the "linear mixer"; a sum of
per-layer 1x1 skip convolutions is the same linear map, split by layer, so it needs no
separate option).
Optional knobs condition every layer through FiLM (exporter/film.py).

``forward(x)`` or ``forward(x, params)``: ``x`` is ``[1, C_in, M + N]``, the result is
``[1, C_out, N]`` with ``M = sum((kernel - 1) * dilation)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from nnfx.exporter.base import ExportInfo, ParamSpec
from nnfx.exporter.film import FiLM

# name -> (dilations, channels); kernel 3 for all (the published sizes)
PRESETS: dict[str, tuple[list[int], int]] = {
    "wavenet1": ([2**i for i in range(10)], 16),
    "wavenet2": ([2**i for i in range(9)] * 2, 8),
    "wavenet3": ([2**i for i in range(9)] * 2, 16),
}

ACTIVATIONS = ("gated", "tanh", "relu", "softsign")


class _Layer(nn.Module):
    def __init__(
        self, channels: int, kernel: int, dilation: int, gated: bool, residual: bool
    ) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, (2 if gated else 1) * channels, kernel, dilation=dilation)
        # the last layer feeds only the mixer: a residual there would be dead compute
        self.res = nn.Conv1d(channels, channels, 1) if residual else nn.Identity()


class WaveNet(nn.Module):
    def __init__(
        self,
        dilations: Sequence[int],
        channels: int = 16,
        kernel: int = 3,
        activation: str = "gated",
        in_channels: int = 1,
        out_channels: int = 1,
        params: Sequence[ParamSpec] = (),
        seed: int = 0,
        name: str = "wavenet",
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}"
            )
        if not dilations or any(d < 1 for d in dilations) or kernel < 1 or channels < 1:
            raise ValueError("WaveNet needs at least one layer, dilations >= 1, kernel >= 1")
        self.gated = activation == "gated"
        self.activation = activation
        self.channels = channels
        g_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        try:
            self.input = nn.Conv1d(in_channels, channels, 1)
            self.layers = nn.ModuleList(
                _Layer(channels, kernel, d, self.gated, i < len(dilations) - 1)
                for i, d in enumerate(dilations)
            )
            self.mix = nn.Conv1d(channels * len(dilations), out_channels, 1)
            width = (2 if self.gated else 1) * channels
            self.film: FiLM | None = (
                FiLM(params, [width] * len(dilations), seed=seed + 1) if params else None
            )
        finally:
            torch.random.set_rng_state(g_state)
        rf = 1 + sum((kernel - 1) * d for d in dilations)
        self.nnfx_info = ExportInfo(
            in_channels=in_channels,
            out_channels=out_channels,
            receptive_field=rf,
            params=list(params),
            architecture={
                "kind": "wavenet",
                "dilations": list(dilations),
                "channels": channels,
                "kernel": kernel,
                "activation": activation,
                "mix": "linear",
                "conditioning": "film" if params else "none",
                "seed": seed,
            },
            name=name,
            description=(
                f"WaveNet, {len(dilations)} layers, {channels} channels, kernel {kernel}, "
                f"{activation} activation, receptive field {rf} frames"
            ),
        )

    def _act(self, a: torch.Tensor) -> torch.Tensor:
        if self.gated:
            c = self.channels
            return torch.tanh(a[:, :c]) * torch.sigmoid(a[:, c:])
        if self.activation == "relu":
            return torch.relu(a)
        if self.activation == "softsign":
            return a / (1.0 + torch.abs(a))
        return torch.tanh(a)

    def forward(self, x: torch.Tensor, params: torch.Tensor | None = None) -> torch.Tensor:
        film: list[tuple[torch.Tensor, torch.Tensor]] = []
        film_mod = self.film
        if film_mod is not None:
            if params is None:
                raise ValueError("this WaveNet has knobs: call it with params [1, P]")
            film = film_mod(params)
        h = self.input(x)
        outs: list[torch.Tensor] = []
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            a = layer.conv(h)
            if film_mod is not None:
                scale, shift = film[i]
                a = a * scale + shift
            z = self._act(a)
            outs.append(z)
            if i < last:
                h = layer.res(z) + h[:, :, h.shape[-1] - z.shape[-1] :]
        n = outs[-1].shape[-1]
        return self.mix(torch.cat([o[:, :, o.shape[-1] - n :] for o in outs], dim=1))


def build(
    name: str,
    params: Sequence[ParamSpec] = (),
    seed: int = 0,
    in_channels: int = 1,
    out_channels: int = 1,
) -> WaveNet:
    """A preset by name (``wavenet1``, ``wavenet2``, ``wavenet3``), kernel 3, gated."""
    dilations, channels = PRESETS[name]
    return WaveNet(
        dilations,
        channels,
        3,
        "gated",
        in_channels,
        out_channels,
        params,
        seed,
        name,
    )
