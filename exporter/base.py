"""What every exportable module tells the exporter.

A module that nnfx exports is an ordinary ``torch.nn.Module`` whose ``forward``
follows the model-file contract (docs/model-file.md):

- convolutional (look-back) models: ``forward(x)`` or ``forward(x, params)``
  with ``x`` of shape ``[1, C_in, M + N]`` returning ``[1, C_out, N]``, where
  ``M = receptive_field - 1``; every convolution is valid (unpadded) and
  residual paths are right-aligned crops;
- recurrent models: ``forward(x, [params,] *state)`` returning
  ``(y, *new_state)``, with ``M = 0``.

Zoo modules describe themselves with the attributes of ``ExportInfo``; a
user's module need not: the exporter measures what it can (receptive field
by impulse response) and asks for the rest as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ParamSpec:
    """One knob of a model, fed through the ``params`` input."""

    name: str
    minimum: float
    maximum: float
    default: float
    unit: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "min": self.minimum,
            "max": self.maximum,
            "default": self.default,
            "unit": self.unit,
        }


@dataclass
class ExportInfo:
    """Self-description of a zoo module (attribute ``nnfx_info`` on the module)."""

    in_channels: int
    out_channels: int
    receptive_field: int  # frames; 1 for purely recurrent models
    params: list[ParamSpec] = field(default_factory=list)
    state_shapes: list[tuple[int, ...]] = field(default_factory=list)  # recurrent state tensors
    architecture: dict[str, Any] = field(default_factory=dict)  # JSON for nnfx.architecture
    name: str = ""
    description: str = ""
