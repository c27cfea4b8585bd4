"""FiLM conditioning: knobs -> a small MLP -> a per-channel scale and shift for each layer.

``FiLM(params, channels)`` maps the ``params`` input ``[1, P]`` (the knobs, in their own
units) to one ``(scale, shift)`` pair per conditioned layer, each shaped ``[1, C_l, 1]`` so
that it broadcasts over time: ``h * scale + shift``. Knobs are first mapped from
``[min, max]`` to ``[-1, 1]``. The network runs once per block on the knobs only, so it
adds nothing to the per-sample cost.

The last layer starts small (deviation ``init_scale``) around the identity (scale 1,
shift 0): an untrained model with knobs sounds like the same model without them at the
knobs' defaults only approximately, but every knob audibly moves it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from nnfx.exporter.base import ParamSpec


class FiLM(nn.Module):
    def __init__(
        self,
        params: Sequence[ParamSpec],
        channels: Sequence[int],
        hidden: int = 16,
        init_scale: float = 0.3,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if not params:
            raise ValueError("FiLM needs at least one knob")
        self.specs = list(params)
        self.channels = [int(c) for c in channels]
        lo = torch.tensor([p.minimum for p in params], dtype=torch.float32)
        hi = torch.tensor([p.maximum for p in params], dtype=torch.float32)
        span = torch.where(hi > lo, hi - lo, torch.ones_like(hi))
        self.register_buffer("offset", lo)
        self.register_buffer("scale", 2.0 / span)
        g = torch.Generator().manual_seed(seed)
        self.hidden = nn.Linear(len(params), hidden)
        self.out = nn.Linear(hidden, 2 * sum(self.channels))
        with torch.no_grad():
            for lin in (self.hidden, self.out):
                bound = 1.0 / float(lin.in_features) ** 0.5
                lin.weight.copy_((torch.rand(lin.weight.shape, generator=g) * 2 - 1) * bound)
                lin.bias.copy_((torch.rand(lin.bias.shape, generator=g) * 2 - 1) * bound)
            self.out.weight.mul_(init_scale / bound)
            self.out.bias.zero_()

    def forward(self, params: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        z = (params - self.offset) * self.scale - 1.0
        h = self.out(torch.tanh(self.hidden(z)))  # [1, 2 * sum(C)]
        pairs: list[tuple[torch.Tensor, torch.Tensor]] = []
        start = 0
        for c in self.channels:
            scale = 1.0 + h[:, start : start + c].unsqueeze(-1)
            shift = h[:, start + c : start + 2 * c].unsqueeze(-1)
            pairs.append((scale, shift))
            start += 2 * c
        return pairs


def default_knobs(names: Sequence[str] = ("drive", "tone")) -> list[ParamSpec]:
    """Knobs 0..1 with default 0.5, one per name: what the zoo's conditioned presets use."""
    return [ParamSpec(n, 0.0, 1.0, 0.5, "") for n in names]
