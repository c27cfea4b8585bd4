"""The Python binding of runtime_c: load a model file and process numpy audio with it.

    >>> import nnfx
    >>> with nnfx.load("fx.onnx") as model:          # stream mode, up to 4096 frames a call
    ...     y = model.process(x)                      # x: [channels, frames] or 1-D (mono)

Every call into the runtime goes through cffi in API mode, which releases the
GIL, so several models can process on several threads at once. One ``Model``
is used by one thread at a time (the runtime's rule); a lock in each ``Model``
enforces it. Failures raise ``nnfx.ModelError`` with the runtime's message.
"""

from __future__ import annotations

import math
import os
import threading
from typing import Any

import numpy as np

from nnfx.errors import ModelError

__all__ = ["Model", "load", "load_bytes", "runtime_version"]

MODES = ("stream", "lookback")
# Largest frame count passed to one C call (its `frames` argument is an int).
_MAX_FRAMES_PER_CALL = 1 << 24


def _lib() -> tuple[Any, Any]:
    try:
        from nnfx._nnfx import ffi, lib
    except ImportError as exc:  # not built, or built from an incomplete runtime_c
        raise ModelError(
            f"the nnfx C runtime binding is not available ({exc}); "
            "rebuild it with `pip install -e . --no-build-isolation`"
        ) from exc
    return ffi, lib


def runtime_version() -> str:
    """Version string of the compiled C runtime."""
    ffi, lib = _lib()
    return ffi.string(lib.nnfx_version()).decode()


def _text(ffi: Any, ptr: Any) -> str:
    return "" if ptr == ffi.NULL else ffi.string(ptr).decode("utf-8", "replace")


def _raise(ffi: Any, lib: Any, code: int, err: Any, what: str) -> None:
    message = _text(ffi, err.message) if err is not None else ""
    if not message:
        message = _text(ffi, lib.nnfx_result_string(code))
    exc = ModelError(f"{what}: {message}" if what else message)
    exc.code = int(code)  # type: ignore[attr-defined]
    raise exc


def _config(ffi: Any, lib: Any, mode: str, max_block: int, sample_rate: float | None) -> Any:
    if mode not in MODES:
        raise ModelError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if isinstance(max_block, bool) or not isinstance(max_block, (int, np.integer)):
        raise ModelError(f"max_block must be an integer, not {max_block!r}")
    if not 1 <= int(max_block) <= 1 << 20:
        raise ModelError(f"max_block must be in 1..{1 << 20}, not {max_block}")
    cfg = ffi.new("nnfx_config *", lib.nnfx_config_init())
    cfg.mode = lib.NNFX_MODE_LOOKBACK if mode == "lookback" else lib.NNFX_MODE_STREAM
    cfg.max_block = int(max_block)
    if sample_rate is not None:
        sr = float(sample_rate)
        if not (math.isfinite(sr) and sr > 0):
            raise ModelError(f"sample_rate must be a positive number of Hz, not {sample_rate!r}")
        cfg.host_sample_rate = sr
    return cfg


def load(
    path: str | os.PathLike[str],
    mode: str = "stream",
    max_block: int = 4096,
    sample_rate: float | None = None,
) -> Model:
    """Load and plan a model file. ``mode`` is ``"stream"`` or ``"lookback"``;
    ``max_block`` is the most frames the caller passes to one C call (larger
    ``process`` calls are split); ``sample_rate`` is the host's rate, for info."""
    ffi, lib = _lib()
    cfg = _config(ffi, lib, mode, max_block, sample_rate)
    out = ffi.new("nnfx_model **")
    err = ffi.new("nnfx_error *")
    fs_path = os.fsencode(os.fspath(path))
    if b"\0" in fs_path:
        raise ModelError(f"invalid path {os.fspath(path)!r}")
    code = lib.nnfx_model_load_file(fs_path, cfg, out, err)
    if code != lib.NNFX_OK:
        _raise(ffi, lib, code, err, "")
    return Model(out[0], os.fspath(path))


def load_bytes(
    data: bytes | bytearray | memoryview,
    mode: str = "stream",
    max_block: int = 4096,
    sample_rate: float | None = None,
    name: str = "<memory>",
) -> Model:
    """Like ``load``, from the bytes of a model file."""
    ffi, lib = _lib()
    cfg = _config(ffi, lib, mode, max_block, sample_rate)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ModelError(f"load_bytes needs bytes, not {type(data).__name__}")
    buf = ffi.from_buffer(data)
    out = ffi.new("nnfx_model **")
    err = ffi.new("nnfx_error *")
    code = lib.nnfx_model_load_memory(buf, len(buf), cfg, out, err)
    if code != lib.NNFX_OK:
        _raise(ffi, lib, code, err, "")
    return Model(out[0], name)


class Model:
    """A loaded model. Create with ``nnfx.load`` or ``nnfx.binding.load_bytes``."""

    def __init__(self, handle: Any, source: str) -> None:
        self._ffi, self._lib = _lib()
        self._handle = handle
        self._lock = threading.Lock()
        self.source = source
        info = self._ffi.new("nnfx_info *")
        code = self._lib.nnfx_model_info(handle, info)
        if code != self._lib.NNFX_OK:
            self._lib.nnfx_model_free(handle)
            self._handle = None
            _raise(self._ffi, self._lib, code, None, "nnfx_model_info")
        self.in_channels = int(info.in_channels)
        self.out_channels = int(info.out_channels)
        self._info = self._read_info(info)

    # ----------------------------------------------------------------- lifecycle
    def close(self) -> None:
        """Free the C model (idempotent). Waits for a running ``process`` call."""
        with self._lock:
            if self._handle is not None:
                self._lib.nnfx_model_free(self._handle)
                self._handle = None

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __enter__(self) -> Model:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None:
            self._lib.nnfx_model_free(handle)
            self._handle = None

    def __repr__(self) -> str:
        state = "closed" if self.closed else self._info["mode"]
        return (
            f"<nnfx.Model {self.source!r} {self.in_channels}->{self.out_channels} ch, "
            f"{self._info['sample_rate']:g} Hz, {state}>"
        )

    def _h(self) -> Any:
        if self._handle is None:
            raise ModelError(f"model {self.source!r} is closed")
        return self._handle

    # ------------------------------------------------------------------- audio
    def process(
        self, x: Any, out: np.ndarray | None = None, block: int | None = None
    ) -> np.ndarray:
        """Process audio: ``x`` is ``[in_channels, frames]`` (or 1-D when the model is
        mono in), any number of frames; returns float32 ``[out_channels, frames]``.
        History and state carry over from the previous call. ``out`` (float32,
        C-contiguous, ``[out_channels, frames]``) may be given, and may be ``x``
        itself when the channel counts match (in-place processing). ``block``
        splits the call into runtime calls of that many frames, as a host with
        that block size would make them (default: one call per ``max_block``)."""
        xa = self._input(x)
        frames = xa.shape[1]
        y = self._output(xa, out)
        block_size = 0
        if block is not None:
            if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1:
                raise ModelError(f"block must be a positive integer, not {block!r}")
            block_size = int(block)
        if frames == 0:
            return y
        # C calls of at most _MAX_FRAMES_PER_CALL frames (a whole number of host blocks);
        # with a host block size, one nnfx_model_process_blocks call makes that host's calls.
        step = _MAX_FRAMES_PER_CALL
        if block_size:
            step = max(block_size, step // block_size * block_size)
        ffi, lib = self._ffi, self._lib
        in_rows = [ffi.from_buffer("float[]", r) for r in xa]
        out_rows = [ffi.from_buffer("float[]", r, True) for r in y]
        ins = ffi.new("float *[]", len(in_rows))
        outs = ffi.new("float *[]", len(out_rows))
        ok = lib.NNFX_OK
        with self._lock:
            handle = self._h()
            for start in range(0, frames, step):
                for c, row in enumerate(in_rows):
                    ins[c] = row + start
                for c, row in enumerate(out_rows):
                    outs[c] = row + start
                n = min(step, frames - start)
                if block_size and block_size < n:
                    code = lib.nnfx_model_process_blocks(handle, ins, outs, n, block_size)
                else:
                    code = lib.nnfx_model_process(handle, ins, outs, n)
                if code != ok:
                    _raise(ffi, lib, code, None, f"process (frames {start}..)")
        return y

    def _output(self, xa: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        frames = xa.shape[1]
        if out is None:
            return np.empty((self.out_channels, frames), dtype=np.float32)
        if (
            not isinstance(out, np.ndarray)
            or out.dtype != np.float32
            or out.shape != (self.out_channels, frames)
            or not out.flags.c_contiguous
            or not out.flags.writeable
        ):
            raise ModelError(
                f"out must be a writable C-contiguous float32 array of shape "
                f"({self.out_channels}, {frames})"
            )
        if np.shares_memory(xa, out) and not _same_rows(xa, out):
            raise ModelError("out overlaps the input other than exactly (in place)")
        return out

    def _input(self, x: Any) -> np.ndarray:
        try:
            xa = np.asarray(x)
        except Exception as exc:  # noqa: BLE001 - anything numpy cannot read
            raise ModelError(f"audio must be a numeric array: {exc}") from exc
        if xa.dtype.kind not in "fiub":
            raise ModelError(f"audio must be numeric, not {xa.dtype}")
        if xa.ndim == 1:
            if self.in_channels != 1:
                raise ModelError(
                    f"a 1-D signal is mono, but the model takes {self.in_channels} channels: "
                    f"pass an array of shape ({self.in_channels}, frames)"
                )
            xa = xa.reshape(1, -1)
        elif xa.ndim != 2:
            raise ModelError(f"audio must be [channels, frames] or 1-D, not {xa.ndim}-D {xa.shape}")
        if xa.shape[0] != self.in_channels:
            raise ModelError(
                f"the model takes {self.in_channels} input channel(s), got {xa.shape[0]} "
                f"(array shape {xa.shape}; audio is [channels, frames])"
            )
        if xa.dtype != np.float32 or not xa.flags.c_contiguous:
            xa = np.ascontiguousarray(xa, dtype=np.float32)
        return xa

    def reset(self) -> None:
        """Clear all history and recurrent state, as at load."""
        with self._lock:
            self._lib.nnfx_model_reset(self._h())

    # ------------------------------------------------------------------ knobs
    def _index(self, name_or_index: str | int) -> int:
        count = self._info["param_count"]
        if isinstance(name_or_index, str):
            idx = int(self._lib.nnfx_model_param_index(self._h(), name_or_index.encode()))
            if idx < 0:
                names = ", ".join(p["name"] for p in self.params) or "none"
                raise ModelError(f"no parameter named {name_or_index!r} (parameters: {names})")
            return idx
        if isinstance(name_or_index, bool) or not isinstance(name_or_index, (int, np.integer)):
            raise ModelError(f"a parameter is named by str or int, not {name_or_index!r}")
        if not 0 <= int(name_or_index) < count:
            raise ModelError(
                f"parameter index {name_or_index} out of range (the model has {count})"
            )
        return int(name_or_index)

    def set_param(self, name_or_index: str | int, value: float) -> float:
        """Set a knob (clamped to its range by the runtime); returns the value now in use.

        Mid-stream, the new value applies from the next frame on, and history already
        computed stays (as in any host). Before the first ``process`` after a load or
        ``reset``, the runtime starts from silence *with this knob value*, as PyTorch and
        the look-back graph do."""
        idx = self._index(name_or_index)
        try:
            v = float(value)
        except (TypeError, ValueError) as exc:
            raise ModelError(f"parameter value must be a number, not {value!r}") from exc
        if not math.isfinite(v):
            raise ModelError(f"parameter value must be finite, not {value!r}")
        with self._lock:
            code = self._lib.nnfx_model_set_param(self._h(), idx, v)
            if code != self._lib.NNFX_OK:
                _raise(self._ffi, self._lib, code, None, f"set_param({name_or_index!r})")
            return float(self._lib.nnfx_model_get_param(self._handle, idx))

    def get_param(self, name_or_index: str | int) -> float:
        idx = self._index(name_or_index)
        return float(self._lib.nnfx_model_get_param(self._h(), idx))

    @property
    def params(self) -> list[dict[str, Any]]:
        """The knobs: ``index, name, unit, min, max, default, value`` each."""
        ffi, lib = self._ffi, self._lib
        handle = self._h()
        pinfo = ffi.new("nnfx_param_info *")
        result = []
        for i in range(int(lib.nnfx_model_param_count(handle))):
            code = lib.nnfx_model_param_info(handle, i, pinfo)
            if code != lib.NNFX_OK:
                _raise(ffi, lib, code, None, f"param_info({i})")
            result.append(
                {
                    "index": i,
                    "name": _text(ffi, pinfo.name),
                    "unit": _text(ffi, pinfo.unit),
                    "min": float(pinfo.min_value),
                    "max": float(pinfo.max_value),
                    "default": float(pinfo.default_value),
                    "value": float(lib.nnfx_model_get_param(handle, i)),
                }
            )
        return result

    # ------------------------------------------------------------ description
    def _read_info(self, info: Any) -> dict[str, Any]:
        ffi = self._ffi
        return {
            "in_channels": int(info.in_channels),
            "out_channels": int(info.out_channels),
            "sample_rate": float(info.sample_rate),
            "block_size": int(info.block_size),
            "lookback": int(info.lookback),
            "receptive_field": int(info.receptive_field),
            "latency": int(info.latency),
            "max_block": int(info.max_block),
            "mode": "lookback" if info.mode == self._lib.NNFX_MODE_LOOKBACK else "stream",
            "param_count": int(info.param_count),
            "state_count": int(info.state_count),
            "macs_per_sample": float(info.macs_per_sample),
            "weight_bytes": int(info.weight_bytes),
            "memory_bytes": int(info.memory_bytes),
            "name": _text(ffi, info.name),
            "architecture": _text(ffi, info.architecture),
        }

    @property
    def info(self) -> dict[str, Any]:
        """``nnfx_info`` as a dict (a copy: changing it changes nothing)."""
        self._h()
        return dict(self._info)

    def metadata(self, key: str) -> str | None:
        """The raw metadata value for ``key`` (e.g. ``"nnfx.sample_rate"``), or None."""
        if not isinstance(key, str):
            raise ModelError(f"metadata key must be a str, not {key!r}")
        return _text_or_none(
            self._ffi, self._lib.nnfx_model_metadata(self._h(), key.encode("utf-8"))
        )

    def verify(self, check: bool = True) -> float:
        """Run the embedded reference through the model (from reset; resets it after)
        and return the max abs error against the embedded output. With ``check``,
        an error above the file's tolerance raises ``ModelError`` whose
        ``mismatch`` attribute is True and ``max_abs_error`` holds the error."""
        ffi, lib = self._ffi, self._lib
        value = ffi.new("double *")
        err = ffi.new("nnfx_error *")
        with self._lock:
            code = lib.nnfx_model_verify(self._h(), value, err)
        if code == lib.NNFX_ERR_MISMATCH and not check:
            return float(value[0])
        if code != lib.NNFX_OK:
            try:
                _raise(ffi, lib, code, err, "verify")
            except ModelError as exc:
                exc.max_abs_error = float(value[0])  # type: ignore[attr-defined]
                exc.mismatch = code == lib.NNFX_ERR_MISMATCH  # type: ignore[attr-defined]
                raise
        return float(value[0])


def _text_or_none(ffi: Any, ptr: Any) -> str | None:
    return None if ptr == ffi.NULL else ffi.string(ptr).decode("utf-8", "replace")


def _same_rows(a: np.ndarray, b: np.ndarray) -> bool:
    """True when every row of a starts where the same row of b does (exact aliasing)."""
    if a.shape != b.shape:
        return False
    return all(a[i].ctypes.data == b[i].ctypes.data for i in range(a.shape[0]))
