"""``RandomTCN``: the randomized overdrive network of docs/random-networks.md as a torch module.

A chain of valid (unpadded) dilated Conv1d layers, each followed by the recipe's activation
except the last, with the optional input and output gains. Weights come from
``nnfx.exporter.random_weights`` so that the C runtime can rebuild the identical network from
the recipe stored in the file's metadata.

Every activation is written with modules that export to plain ONNX ops (opset 17):

=============  ==========================================================================
linear         nothing
leakyrelu      LeakyRelu(alpha=0.2)
tanh, sigmoid  Tanh, Sigmoid
relu           Relu
elu, selu      Elu(alpha=1), Selu
gelu           exact (erf) form: Div, Erf, Add, Mul, Mul
rrelu          PyTorch's evaluation form of RReLU, a LeakyRelu with slope (1/8 + 1/3)/2 = 11/48;
               written as LeakyReLU so the module never draws random slopes, even in train mode
softplus       Softplus (beta 1); PyTorch's threshold 20 (x returned above it) is kept: in
               float32 log1p(exp(x)) rounds to x for x > 17 anyway (tests/export/test_random_tcn.py)
softshrink     Shrink(lambd=0.5, bias=0.5)
sine           Sin
sine30         Mul(30), Sin
=============  ==========================================================================
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from nnfx.exporter.base import ExportInfo
from nnfx.exporter.random_recipe import ACTIVATIONS, Recipe
from nnfx.exporter.random_weights import gains, weights

RRELU_SLOPE = (1.0 / 8.0 + 1.0 / 3.0) / 2.0  # PyTorch's RReLU(lower=1/8, upper=1/3) in eval mode


class Sine(nn.Module):
    """sin(scale * x); the multiplication is left out at scale 1."""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = float(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.scale != 1.0:
            x = x * self.scale
        return torch.sin(x)

    def extra_repr(self) -> str:
        return f"scale={self.scale:g}"


class _ShrinkFunction(torch.autograd.Function):
    """softshrink whose ONNX form is the single op Shrink (the legacy exporter would otherwise
    write Greater/Less/Where/Sub/Add)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, lambd: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.lambd = lambd
        return torch.nn.functional.softshrink(x, lambd)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors
        return grad * (x.abs() > ctx.lambd).to(grad.dtype), None

    @staticmethod
    def symbolic(g: Any, x: Any, lambd: float) -> Any:
        return g.op("Shrink", x, lambd_f=lambd, bias_f=lambd)


class SoftShrink(nn.Module):
    """x - lambd above lambd, x + lambd below -lambd, 0 between; exported as ONNX Shrink."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = float(lambd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ShrinkFunction.apply(x, self.lambd)

    def extra_repr(self) -> str:
        return f"lambd={self.lambd:g}"


class Gain(nn.Module):
    """Multiply by a float32 constant (a buffer, so it becomes an initializer in ONNX)."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.register_buffer("value", torch.tensor(value, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.value


def make_activation(name: str) -> nn.Module:
    """The torch module for one of the recipe's 13 activation names."""
    table = {
        "linear": lambda: nn.Identity(),
        "leakyrelu": lambda: nn.LeakyReLU(0.2),
        "tanh": lambda: nn.Tanh(),
        "sigmoid": lambda: nn.Sigmoid(),
        "relu": lambda: nn.ReLU(),
        "elu": lambda: nn.ELU(alpha=1.0),
        "selu": lambda: nn.SELU(),
        "gelu": lambda: nn.GELU(approximate="none"),
        "rrelu": lambda: nn.LeakyReLU(RRELU_SLOPE),
        "softplus": lambda: nn.Softplus(beta=1.0, threshold=20.0),
        "softshrink": lambda: SoftShrink(0.5),
        "sine": lambda: Sine(1.0),
        "sine30": lambda: Sine(30.0),
    }
    if name not in table:
        raise ValueError(f"unknown activation {name!r} (allowed: {', '.join(ACTIVATIONS)})")
    return table[name]()


class RandomTCN(nn.Module):
    """The network of a ``Recipe``: ``forward(x [1, in_channels, M + N]) -> [1, out_channels, N]``.

    ``M = recipe.lookback``; any batch size and length >= M + 1 work.
    """

    def __init__(self, recipe: Recipe, *, name: str = "", description: str = "") -> None:
        super().__init__()
        recipe.validate()
        self.recipe = recipe
        g_in, g_out = gains(recipe)
        self.in_gain = Gain(float(g_in)) if g_in is not None else nn.Identity()
        self.out_gain = Gain(float(g_out)) if g_out is not None else nn.Identity()
        layers: list[nn.Module] = []
        shapes = recipe.layer_shapes()
        for shape, (w, b) in zip(shapes, weights(recipe), strict=True):
            conv = nn.Conv1d(
                shape.cin,
                shape.cout,
                shape.kernel,
                dilation=shape.dilation,
                groups=shape.groups,
                bias=b is not None,
            )
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(w))
                if b is not None:
                    conv.bias.copy_(torch.from_numpy(b))
            layers.append(conv)
            if shape.index < recipe.layers - 1 and recipe.activation != "linear":
                layers.append(make_activation(recipe.activation))
        self.body = nn.Sequential(*layers)
        self.nnfx_info = ExportInfo(
            in_channels=recipe.in_channels,
            out_channels=recipe.out_channels,
            receptive_field=recipe.receptive_field,
            architecture=recipe.architecture(),
            name=name or default_name(recipe),
            description=description or describe(recipe),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out_gain(self.body(self.in_gain(x)))


def default_name(recipe: Recipe) -> str:
    return f"random-{recipe.activation}-{recipe.init}-s{recipe.seed}"


def describe(recipe: Recipe) -> str:
    """One line: the recipe in words."""
    extras = [w for w, on in (("bias", recipe.bias), ("depthwise", recipe.depthwise)) if on]
    text = (
        f"randomized TCN: {recipe.layers} layers, kernel {recipe.kernel}, "
        f"{recipe.channels} channels, dilation growth {recipe.growth}, {recipe.activation}, "
        f"{recipe.init} init, seed {recipe.seed}, {recipe.in_channels} -> "
        f"{recipe.out_channels} channels"
    )
    if extras:
        text += ", " + ", ".join(extras)
    if recipe.in_gain_db or recipe.out_gain_db:
        text += f", gains {recipe.in_gain_db:+g} dB in / {recipe.out_gain_db:+g} dB out"
    return text


def build(recipe: Recipe | None = None, **keys: object) -> RandomTCN:
    """``RandomTCN`` from a recipe, or from recipe keys (``build(layers=4, init="dirac")``)."""
    if recipe is None:
        recipe = Recipe.from_dict(dict(keys))
    elif keys:
        raise TypeError("pass either a recipe or recipe keys, not both")
    return RandomTCN(recipe)
