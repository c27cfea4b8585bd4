"""``--arch``/``--preset`` -> a zoo module to train (the zoo's classes, unchanged).

- ``wavenet``: the zoo presets ``wavenet1..3`` plus ``wavenet-small`` (10 layers,
  dilations 1..512, 8 channels, gated), knobs through FiLM.
- ``lstm``/``gru``: the recurrent presets (``lstm16`` ... ``gru32``), knobs
  concatenated to every frame, input skip on.
- ``tcn``: a residual TCN: the zoo's WaveNet class with a plain ``tanh``
  activation and no gate (dilated valid convolutions, 1x1 residuals, linear
  mixer). ``tcn`` has kernel 3, dilations 1..512 and 8 channels.
  ``tcn-delay``, for delay effects, has three layers of kernel 16 at dilations
  1, 16 and 256 and 16 channels: receptive field 4096 frames (85 ms at
  48 kHz), and every lag up to it is one tap per layer (its base-16 digits),
  so an echo at any lag is reached through at most three weights in a row
  (docs/experiments.md, "Delay"). ``tcn-deep`` (kernel 3, dilations 1..2048,
  16 channels, receptive field 8191) is the first delay attempt, kept for
  comparison: it did not learn a 50 ms echo.

The randomized TCN of the zoo is not offered: its file records the recipe and
seed from which any host may rebuild its weights, which trained weights would
contradict.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from nnfx.errors import NnfxError
from nnfx.exporter.base import ParamSpec

ARCHS = ("wavenet", "lstm", "gru", "tcn")

# arch -> preset -> description; the first preset of each arch is its default.
PRESETS: dict[str, dict[str, str]] = {
    "wavenet": {
        "wavenet-small": "10 layers, dilations 1..512, 8 channels, gated",
        "wavenet1": "10 layers, dilations 1..512, 16 channels, gated",
        "wavenet2": "18 layers, dilations 1..256 twice, 8 channels, gated",
        "wavenet3": "18 layers, dilations 1..256 twice, 16 channels, gated",
    },
    "lstm": {
        "lstm32": "LSTM, 1 layer of 32 units",
        "lstm16": "LSTM, 1 layer of 16 units",
        "lstm64": "LSTM, 1 layer of 64 units",
        "lstm32x2": "LSTM, 2 layers of 32 units",
    },
    "gru": {
        "gru32": "GRU, 1 layer of 32 units",
        "gru16": "GRU, 1 layer of 16 units",
    },
    "tcn": {
        "tcn": "residual TCN, dilations 1..512, 8 channels, tanh",
        "tcn-delay": "residual TCN, kernel 16, dilations 1, 16, 256, 16 channels, tanh",
        "tcn-deep": "residual TCN, dilations 1..2048, 16 channels, tanh",
    },
}


# Adam learning rate and batch size per arch when the command line gives none. Measured on
# the experiments of docs/experiments.md: the gated WaveNets trained 4-90x better (validation
# ESR, same CPU time) at 1e-2 with 8 segments of 4096 frames than at 5e-3 with 16 of 8192 (more,
# smaller steps); the tanh TCNs were unstable at 5e-3 and train at 2e-3; the recurrent models
# were trained at 5e-3 with 16 sequences.
DEFAULT_LR: dict[str, float] = {"wavenet": 1e-2, "tcn": 2e-3, "lstm": 5e-3, "gru": 5e-3}
DEFAULT_BATCH: dict[str, int] = {"wavenet": 8, "tcn": 8, "lstm": 16, "gru": 16}


def default_preset(arch: str) -> str:
    return next(iter(PRESETS[arch]))


def build(arch: str, preset: str | None = None, knobs: Sequence[ParamSpec] = (),
          seed: int = 0) -> nn.Module:
    """A freshly initialised module of ``arch``/``preset`` with ``knobs``."""
    if arch not in ARCHS:
        raise NnfxError(f"unknown --arch {arch!r}; choose one of {', '.join(ARCHS)}")
    name = preset or default_preset(arch)
    if name not in PRESETS[arch]:
        raise NnfxError(
            f"unknown --preset {name!r} for --arch {arch}; choose one of "
            f"{', '.join(PRESETS[arch])}"
        )
    knobs = list(knobs)
    if arch in ("lstm", "gru"):
        from nnfx.exporter import recurrent

        return recurrent.build(name, params=knobs, seed=seed)
    from nnfx.exporter import wavenet

    if name in wavenet.PRESETS:
        return wavenet.build(name, params=knobs, seed=seed)
    dilations, channels, activation, kernel = {
        "wavenet-small": ([2**i for i in range(10)], 8, "gated", 3),
        "tcn": ([2**i for i in range(10)], 8, "tanh", 3),
        "tcn-deep": ([2**i for i in range(12)], 16, "tanh", 3),
        "tcn-delay": ([1, 16, 256], 16, "tanh", 16),
    }[name]
    return wavenet.WaveNet(dilations, channels, kernel, activation, params=knobs, seed=seed,
                           name=name)
