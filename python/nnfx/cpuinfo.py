"""The core's peak FP32 multiply-add rate, derived from what the CPU reports.

peak = clock x FP32 lanes per vector x vector multiply-add units per core, every factor read
from /proc/cpuinfo and sysfs or stated as an assumption; ``Peak.derivation`` says which.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field

_SYSFS_MAX = "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"


@dataclass
class Peak:
    model: str
    clock_hz: float
    clock_source: str
    lanes: int
    lanes_source: str
    fma_units: int
    fma_source: str
    notes: list[str] = field(default_factory=list)

    @property
    def macs_per_second(self) -> float:
        return self.clock_hz * self.lanes * self.fma_units

    def derivation(self) -> str:
        return (
            f"peak FP32 multiply-add rate of one core of {self.model}: "
            f"{self.clock_hz / 1e9:.3f} GHz ({self.clock_source}) x {self.lanes} FP32 lanes "
            f"({self.lanes_source}) x {self.fma_units} multiply-add unit(s) ({self.fma_source}) "
            f"= {self.macs_per_second / 1e9:.1f} GMAC/s"
        )


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _first_block(text: str) -> dict[str, str]:
    """Key/value pairs of the first processor block of /proc/cpuinfo."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if out:
                break
            continue
        key, sep, value = line.partition(":")
        if sep:
            out.setdefault(key.strip().lower(), value.strip())
    return out


def peak(cpuinfo_text: str | None = None, sysfs_max_khz: str | None = None) -> Peak:
    """Derive the peak of one core; the arguments replace the files (for tests)."""
    info = _first_block(_read("/proc/cpuinfo") if cpuinfo_text is None else cpuinfo_text)
    flags = set((info.get("flags") or info.get("features") or "").split())
    model = info.get("model name") or info.get("hardware") or platform.processor() or "unknown"
    notes: list[str] = []

    # clock: the highest frequency the kernel reports, else the current one
    khz = _read(_SYSFS_MAX) if sysfs_max_khz is None else sysfs_max_khz
    if khz.strip().isdigit() and int(khz) > 0:
        clock, clock_src = int(khz) * 1e3, f"sysfs {os.path.basename(_SYSFS_MAX)}"
    elif info.get("cpu mhz"):
        clock, clock_src = float(info["cpu mhz"]) * 1e6, "/proc/cpuinfo 'cpu MHz'"
        notes.append(
            "no cpufreq in sysfs (a VM?): the clock is /proc/cpuinfo's figure, which may be "
            "below the boost clock, so the fraction of peak may read high"
        )
    else:
        clock, clock_src = 1.0e9, "unknown: assumed 1 GHz"
        notes.append("the CPU reports no clock: 1 GHz assumed, the fraction of peak is a guess")

    vendor = info.get("vendor_id", "")
    family = int(info.get("cpu family", "0") or 0)
    if "avx512f" in flags and vendor == "AuthenticAMD" and family == 0x19:
        lanes, lanes_src = 8, "AVX-512 flag, but AMD family 19h (Zen 4) runs it on 256-bit units"
    elif "avx512f" in flags:
        lanes, lanes_src = 16, "avx512f in flags"
    elif "avx" in flags:
        lanes, lanes_src = 8, "avx/avx2 in flags"
    elif "sse" in flags or "sse2" in flags:
        lanes, lanes_src = 4, "SSE in flags"
    elif "asimd" in flags or "neon" in flags:
        lanes, lanes_src = 4, "NEON (asimd/neon) in features"
    else:
        lanes, lanes_src = 1, "no SIMD flag found"

    if "fma" in flags:
        fma, fma_src = 2, "fma in flags; assumed 2 FMA ports, as on x86 cores since Haswell/Zen 2"
    elif "asimd" in flags:
        fma, fma_src = 2, "aarch64 NEON; assumed 2 FMA pipes (Cortex-A72/A76 class)"
    elif "vfpv4" in flags or "neon" in flags:
        fma, fma_src = 1, "32-bit ARM NEON; assumed 1 multiply-add pipe (Cortex-A8/A53 class)"
    else:
        fma, fma_src = 1, "no fma flag: one multiply and one add port, 1 multiply-add per cycle"
    return Peak(model, clock, clock_src, lanes, lanes_src, fma, fma_src, notes)
