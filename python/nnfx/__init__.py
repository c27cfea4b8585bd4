"""nnfx: neural audio effects from PyTorch to Pure Data, Max, Bela and Raspberry Pi.

The runtime side (``load``, ``Model``) needs only numpy and the compiled
binding; exporting (``export``, ``export_torchscript``) imports PyTorch on
first use.
"""

from __future__ import annotations

from typing import Any

from nnfx.errors import ModelError, NnfxError

__version__ = "0.1.0"
__all__ = ["ModelError", "NnfxError", "load", "export", "export_torchscript", "__version__"]

_LAZY = {
    "load": ("nnfx.binding", "load"),
    "Model": ("nnfx.binding", "Model"),
    "export": ("nnfx.exporter.export_onnx", "export"),
    "export_torchscript": ("nnfx.exporter.torchscript", "export_torchscript"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module_name, attr = _LAZY[name]
        return getattr(importlib.import_module(module_name), attr)
    raise AttributeError(f"module 'nnfx' has no attribute {name!r}")
