"""The model zoo: named presets, ``build(name) -> nn.Module`` and ``names()``.

Every preset is untrained and deterministic (fixed seeds): WaveNet1-3 at the published
sizes, LSTM/GRU amps of a few sizes, conditioned variants with ``drive``/``tone`` knobs,
and named randomized TCNs (docs/random-networks.md) built from a recipe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from nnfx.errors import NnfxError
from nnfx.exporter import recurrent, wavenet
from nnfx.exporter.film import default_knobs
from nnfx.exporter.random_recipe import Recipe


def _random(recipe: Recipe, name: str, description: str) -> Callable[[], nn.Module]:
    def make() -> nn.Module:
        from nnfx.exporter.random_tcn import RandomTCN

        return RandomTCN(recipe, name=name, description=description)

    return make


# The randomized overdrive the demo designs; the other random presets vary it.
OVERDRIVE = Recipe(
    layers=6,
    kernel=3,
    channels=8,
    growth=2,
    activation="tanh",
    init="xavier_normal",
    in_gain_db=12.0,
    out_gain_db=-6.0,
    seed=42,
)
LONGTAIL = Recipe(
    layers=15,
    kernel=3,
    channels=4,
    growth=2,
    activation="tanh",
    init="xavier_normal",
    out_gain_db=12.0,
    seed=7,
)  # receptive field 65535 frames: 1.37 s at 48 kHz
STEREO = Recipe(
    layers=5,
    kernel=5,
    channels=8,
    growth=3,
    activation="tanh",
    init="xavier_uniform",
    in_channels=1,
    out_channels=2,
    out_gain_db=6.0,
    seed=3,
)


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    make: Callable[[], nn.Module]
    block_size: int = 64  # a sensible default N for this preset


def _presets() -> dict[str, Preset]:
    p: dict[str, Preset] = {}
    for name in wavenet.PRESETS:
        dil, ch = wavenet.PRESETS[name]
        p[name] = Preset(
            name,
            f"WaveNet, {len(dil)} layers, {ch} channels, kernel 3, gated, linear mixer",
            lambda n=name: wavenet.build(n),
        )
    p["wavenet1-knobs"] = Preset(
        "wavenet1-knobs",
        "WaveNet1 with drive/tone knobs (FiLM on every layer)",
        lambda: wavenet.build("wavenet1", default_knobs()),
    )
    for name, (cell, hidden, layers) in recurrent.PRESETS.items():
        p[name] = Preset(
            name,
            f"{cell.upper()}, {layers} layer(s) of {hidden} units, linear head, input skip",
            lambda n=name: recurrent.build(n),
        )
    p["lstm32-knobs"] = Preset(
        "lstm32-knobs",
        "LSTM32 with drive/tone knobs (concatenated to every frame)",
        lambda: recurrent.build("lstm32", default_knobs()),
    )
    p["overdrive"] = Preset(
        "overdrive",
        "randomized TCN overdrive: 6 tanh layers, kernel 3, 8 channels, growth 2",
        _random(OVERDRIVE, "overdrive", "randomized overdrive (random TCN, tanh)"),
    )
    p["longtail"] = Preset(
        "longtail",
        "randomized TCN with a 1.37 s receptive field: 15 layers, kernel 3, growth 2",
        _random(LONGTAIL, "longtail", "randomized TCN with a receptive field over one second"),
        block_size=4096,
    )
    p["stereo-spread"] = Preset(
        "stereo-spread",
        "randomized TCN, mono in, stereo out: 5 layers, kernel 5, growth 3",
        _random(STEREO, "stereo-spread", "randomized TCN, mono to stereo spatial spread"),
    )
    return p


PRESETS = _presets()


def names() -> list[str]:
    return list(PRESETS)


def get(name: str) -> Preset:
    key = name.lower()
    if key not in PRESETS:
        raise NnfxError(f"unknown zoo model {name!r} (known: {', '.join(PRESETS)})")
    return PRESETS[key]


def build(name: str) -> nn.Module:
    """A fresh module for a preset name (raises NnfxError naming the known ones)."""
    preset = get(name)
    module = preset.make()
    info = getattr(module, "nnfx_info", None)
    if info is not None:
        info.name = preset.name
    return module
