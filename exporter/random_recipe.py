"""The recipe of a randomized TCN ("randomized overdrive"): keys, ranges, checks, JSON, figures.

The recipe is specified in docs/random-networks.md; this module is its Python form. It needs
neither PyTorch nor numpy, so the command line can check a recipe and print its figures before
anything heavy is imported.

Figures (all for one output frame):

- ``receptive_field`` R = 1 + sum_l (kernel - 1) * growth**l frames; ``lookback`` M = R - 1.
- ``parameter_count``: every weight element plus every bias element (a dirac bias counts too:
  it is a real, if zero, tensor of the model).
- ``macs_per_sample``: multiply-accumulates of the convolutions in stream mode,
  sum_l cout * cin_g * kernel. Bias additions, the gains and the activations are not counted.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from nnfx.errors import NnfxError

GENERATOR = "nnfx-splitmix64-irwinhall-1"
KIND = "random_tcn"
MAX_RECEPTIVE_FIELD = 1 << 22  # frames (87 s at 48 kHz), docs/random-networks.md

ACTIVATIONS: tuple[str, ...] = (
    "linear",
    "leakyrelu",
    "tanh",
    "sigmoid",
    "relu",
    "elu",
    "selu",
    "gelu",
    "rrelu",
    "softplus",
    "softshrink",
    "sine",
    "sine30",
)
INITS: tuple[str, ...] = (
    "normal",
    "uniform",
    "uniform1",
    "xavier_normal",
    "xavier_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "orthogonal",
    "dirac",
)

# key -> (minimum, maximum) for the numeric keys, inclusive.
INT_RANGES: dict[str, tuple[int, int]] = {
    "layers": (1, 24),
    "kernel": (1, 64),
    "channels": (1, 64),
    "growth": (1, 4),
    "bias": (0, 1),
    "depthwise": (0, 1),
    "in_channels": (1, 2),
    "out_channels": (1, 2),
    "seed": (0, (1 << 24) - 1),
}
FLOAT_RANGES: dict[str, tuple[float, float]] = {
    "in_gain_db": (-60.0, 60.0),
    "out_gain_db": (-60.0, 60.0),
}
CHOICES: dict[str, tuple[str, ...]] = {"activation": ACTIVATIONS, "init": INITS}


class RecipeError(NnfxError, ValueError):
    """A recipe key is missing, unknown, of the wrong type or out of range (one line)."""


@dataclass(frozen=True)
class Layer:
    """Shape of one convolution of the chain (docs/random-networks.md, "Layer shapes")."""

    index: int
    cin: int
    cout: int
    groups: int
    dilation: int
    kernel: int

    @property
    def cin_g(self) -> int:
        return self.cin // self.groups

    @property
    def fan_in(self) -> int:
        return self.cin_g * self.kernel

    @property
    def fan_out(self) -> int:
        return self.cout * self.kernel

    @property
    def weight_shape(self) -> tuple[int, int, int]:
        return (self.cout, self.cin_g, self.kernel)


@dataclass(frozen=True)
class Recipe:
    """Every key of the recipe table, with its default. Call ``validate()`` (done by
    ``from_json``/``from_dict`` and by the users of a recipe) before trusting the values."""

    layers: int = 6
    kernel: int = 3
    channels: int = 8
    growth: int = 2
    activation: str = "tanh"
    init: str = "normal"
    bias: int = 0
    depthwise: int = 0
    in_channels: int = 1
    out_channels: int = 1
    in_gain_db: float = 0.0
    out_gain_db: float = 0.0
    seed: int = 42

    # --- checks -----------------------------------------------------------------------------

    def validate(self) -> Recipe:
        """Raise ``RecipeError`` naming the first bad key and what it allows; return self."""
        for key, (lo, hi) in INT_RANGES.items():
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise RecipeError(f"recipe key '{key}' must be an integer {lo}-{hi}, got {value!r}")
            if not lo <= value <= hi:
                raise RecipeError(f"recipe key '{key}' = {value} is out of range {lo}-{hi}")
        for key, (flo, fhi) in FLOAT_RANGES.items():
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise RecipeError(f"recipe key '{key}' must be a number, got {value!r}")
            if not (math.isfinite(value) and flo <= value <= fhi):
                raise RecipeError(
                    f"recipe key '{key}' = {value} is out of range {flo:g}...{fhi:g} dB"
                )
        for key, allowed in CHOICES.items():
            value = getattr(self, key)
            if value not in allowed:
                raise RecipeError(
                    f"recipe key '{key}' = {value!r} is not one of: {', '.join(allowed)}"
                )
        rf = self.receptive_field
        if rf > MAX_RECEPTIVE_FIELD:
            raise RecipeError(
                f"receptive field {rf} frames exceeds {MAX_RECEPTIVE_FIELD} "
                f"(kernel {self.kernel}, growth {self.growth}, {self.layers} layers): "
                "use fewer layers, a smaller kernel or a smaller growth"
            )
        return self

    # --- JSON -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The recipe as the JSON object of ``nnfx.architecture["recipe"]`` (every key)."""
        d = asdict(self)
        d["in_gain_db"] = float(self.in_gain_db)
        d["out_gain_db"] = float(self.out_gain_db)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=False)

    @classmethod
    def from_dict(cls, data: Any) -> Recipe:
        """Build and validate a recipe; missing keys take their defaults, unknown keys are refused.

        ``bias`` and ``depthwise`` accept 0/1 or false/true; the gains accept integers.
        """
        if not isinstance(data, dict):
            raise RecipeError(f"a recipe must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RecipeError(
                f"unknown recipe key '{unknown[0]}' (keys: {', '.join(sorted(known))})"
            )
        values = dict(data)
        for key in ("bias", "depthwise"):
            if isinstance(values.get(key), bool):
                values[key] = int(values[key])
        for key in FLOAT_RANGES:
            v = values.get(key)
            if isinstance(v, int) and not isinstance(v, bool):
                values[key] = float(v)
        return cls(**values).validate()

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError) as exc:
            raise RecipeError(f"recipe is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    def architecture(self) -> dict[str, Any]:
        """The ``nnfx.architecture`` object of docs/random-networks.md."""
        return {"kind": KIND, "recipe": self.to_dict(), "generator": GENERATOR}

    # --- shapes and figures -----------------------------------------------------------------

    def layer_shapes(self) -> list[Layer]:
        out = []
        last = self.layers - 1
        for i in range(self.layers):
            cin = self.in_channels if i == 0 else self.channels
            cout = self.out_channels if i == last else self.channels
            groups = self.channels if (self.depthwise and 0 < i < last) else 1
            out.append(Layer(i, cin, cout, groups, self.growth**i, self.kernel))
        return out

    @property
    def receptive_field(self) -> int:
        return 1 + sum((self.kernel - 1) * self.growth**i for i in range(self.layers))

    @property
    def lookback(self) -> int:
        return self.receptive_field - 1

    @property
    def parameter_count(self) -> int:
        n = 0
        for layer in self.layer_shapes():
            n += layer.cout * layer.cin_g * layer.kernel
            if self.bias:
                n += layer.cout
        return n

    @property
    def macs_per_sample(self) -> int:
        return sum(s.cout * s.cin_g * s.kernel for s in self.layer_shapes())

    def receptive_field_ms(self, sample_rate: float) -> float:
        return 1000.0 * self.receptive_field / sample_rate

    def gain(self, which: str) -> float | None:
        """Linear gain 10**(db/20) in double (rounded to float32 by the users), None at 0 dB."""
        db = float(self.in_gain_db if which == "in" else self.out_gain_db)
        if db == 0.0:
            return None
        return math.pow(10.0, db / 20.0)
