"""The boards nnfx deploys to, and an ESTIMATE of the load a model puts on each.

The load is ``MACs per sample x sample rate / budget``, where the budget is a sustained
FP32 multiply-accumulate rate derived on paper for how runtime_c is built for the board
(plain C99, ``-O3``, ``-ffp-contract=off``, no ``-ffast-math``: every MAC is a separate
multiply and add, and GCC may not reassociate float sums). It is not a measurement: the
figures below are derived from the cores' published pipelines and say so. Memory traffic,
the host layer (gains, mix, DC blocker: a few operations per sample) and the OS are covered
only by the usable fraction of a core.

Derivations (one audio thread, one core):

* ``bela`` - BeagleBone Black / PocketBeagle class, TI AM335x, ARM Cortex-A8 at 1 GHz.
  GCC does not auto-vectorise FP32 onto NEON without ``-ffast-math`` (NEON on ARMv7 is not
  IEEE-conformant: it flushes denormals), so the loops run on the Cortex-A8's VFPv3 unit,
  which the Cortex-A8 TRM describes as "VFP-lite": not pipelined, about 9-10 cycles per
  single-precision VMUL or VADD. A MAC (multiply then add) is about 20 cycles: 50 M MAC/s.
  Bela's Xenomai audio thread can use most of the core; we keep 80 % (Bela's IDE warns
  well before 100 %, and the PRU/ALSA handling and the Linux side need the rest):
  budget 40 M MAC/s at 44.1 kHz.
* ``rpi4`` - Raspberry Pi 4, Broadcom BCM2711, Cortex-A72 at 1.5 GHz (1.8 GHz on boards
  from 2020). The A72 issues two FP/ASIMD operations per cycle (two 128-bit pipes, ARM's
  Cortex-A72 software optimisation guide). Without fused or reassociated sums the runtime's
  inner loops sustain about one multiply and one add per cycle: 1 MAC/cycle = 1.5 G MAC/s.
  We keep 70 % for the JACK process callback (the other cores run Linux and JACK's own
  threads, but memory bandwidth is shared): budget 1.05 G MAC/s.
* ``rpi5`` - Raspberry Pi 5, Broadcom BCM2712, Cortex-A76 at 2.4 GHz. Two 128-bit FP/ASIMD
  pipes as the A72 but shorter latencies; same 1 MAC/cycle assumption: 2.4 G MAC/s, 70 %:
  budget 1.68 G MAC/s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Board:
    name: str
    cpu: str
    macs_per_second: float  # sustained FP32 MAC/s of one core for runtime_c (estimate)
    usable_fraction: float  # share of that core the audio thread may take
    sample_rate: float | None  # the board's fixed audio rate (None: the model's rate)
    audio_in: int  # largest channel counts the board's audio path offers
    audio_out: int

    @property
    def budget(self) -> float:
        return self.macs_per_second * self.usable_fraction


BOARDS: dict[str, Board] = {
    "bela": Board("bela", "Cortex-A8 @ 1 GHz (VFP-lite scalar)", 50e6, 0.8, 44100.0, 2, 2),
    "rpi4": Board("rpi4", "Cortex-A72 @ 1.5 GHz", 1.5e9, 0.7, None, 8, 8),
    "rpi5": Board("rpi5", "Cortex-A76 @ 2.4 GHz", 2.4e9, 0.7, None, 8, 8),
}


def load_fraction(info: dict[str, Any], board: str) -> float | None:
    """Estimated share of the board's budget the model needs (1.0 = all of it), or None
    when the file does not state its MACs per sample."""
    b = BOARDS[board]
    macs = info.get("macs_per_sample")
    if macs is None:
        return None
    rate = b.sample_rate or float(info["sample_rate"])
    return float(macs) * rate / b.budget


def channel_problem(info: dict[str, Any], board: str) -> str | None:
    """One line saying why the model's channels do not fit the board, or None."""
    b = BOARDS[board]
    cin, cout = info.get("in_channels") or 1, info.get("out_channels") or 1
    if cin > b.audio_in or cout > b.audio_out:
        return (
            f"the model has {cin} input and {cout} output channels; {board} offers "
            f"{b.audio_in} in and {b.audio_out} out: export a model with at most that many"
        )
    return None


def estimate_text(info: dict[str, Any], board: str) -> str:
    """One line for ``nnfx info --target`` and ``nnfx deploy``."""
    b = BOARDS[board]
    frac = load_fraction(info, board)
    if frac is None:
        return "no estimate (the file does not state nnfx.macs_per_sample)"
    rate = b.sample_rate or float(info["sample_rate"])
    need = float(info["macs_per_sample"]) * rate
    verdict = "fits" if frac <= 1.0 else "EXCEEDS the board"
    return (
        f"estimate {100.0 * frac:.3g} % of the budget ({need / 1e6:.3g} M MAC/s needed at "
        f"{rate:g} Hz, budget {b.budget / 1e6:.4g} M MAC/s on {b.cpu}): {verdict}"
    )


def _estimator(board: str) -> Any:
    return lambda info: estimate_text(info, board)


# name -> fn(info) -> str, merged into nnfx.cli.info.TARGET_ESTIMATES.
ESTIMATES = {name: _estimator(name) for name in BOARDS}
