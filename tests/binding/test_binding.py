"""The Python binding of runtime_c (nnfx.load / nnfx.Model) on small hand-built files.

The models come from tests/support/binding_models.py (onnx.helper, no exporter), and
their expected output is computed in float64 numpy. Unless said otherwise,
values are compared with a max abs tolerance of 1e-5: the models' outputs are
O(1) and each output sample is a float32 sum of at most 3 x 4 products per
layer over two layers, so float32 rounding (eps 6e-8) stays below 1e-6; 1e-5
leaves room for a different summation order and for tanh/expf differing by a
few ulp between libm and numpy, while any real error (a wrong tap, a lost
frame of history, a wrong knob) is orders of magnitude larger.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import binding_models as bm
import numpy as np
import pytest

import nnfx
from nnfx import modelfile, testsignals
from nnfx.binding import load_bytes

TOL = 1e-5


@pytest.fixture(scope="module")
def mono() -> bm.TinyModel:
    return bm.make_tiny(seed=1)


@pytest.fixture(scope="module")
def mono_bytes(mono: bm.TinyModel) -> bytes:
    return bm.to_onnx_bytes(mono)


@pytest.fixture(scope="module")
def mono_path(tmp_path_factory: pytest.TempPathFactory, mono_bytes: bytes) -> str:
    path = tmp_path_factory.mktemp("binding") / "mono.onnx"
    path.write_bytes(mono_bytes)
    return str(path)


@pytest.fixture(scope="module")
def stereo() -> bm.TinyModel:
    return bm.make_tiny(seed=2, in_channels=2, out_channels=2, activation="Relu")


@pytest.fixture(scope="module")
def stereo_bytes(stereo: bm.TinyModel) -> bytes:
    return bm.to_onnx_bytes(stereo)


def _signal(channels: int, frames: int, seed: int = 7) -> np.ndarray:
    return testsignals.noise_channels(channels, frames, seed, amplitude=0.9)


def _err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


# ------------------------------------------------------------------------ load and info


def test_info_describes_the_file(mono_path: str, mono: bm.TinyModel) -> None:
    with nnfx.load(mono_path, sample_rate=44100) as model:
        info = model.info
        assert info["in_channels"] == 1 and info["out_channels"] == 1
        assert info["block_size"] == mono.block_size == 16
        assert info["lookback"] == mono.lookback == 4
        assert info["receptive_field"] == mono.lookback + 1
        assert info["sample_rate"] == 48000.0
        assert info["mode"] == "stream" and info["latency"] == 0
        assert info["max_block"] == 4096
        assert info["param_count"] == 1 and info["state_count"] == 0
        assert info["name"] == "tiny"
        # weights: 4*1*3 + 4 + 1*4*2 + 1 floats
        assert info["weight_bytes"] >= 4 * (12 + 4 + 8 + 1)
        assert info["memory_bytes"] >= info["weight_bytes"]
        # stream MACs per frame: 4*1*3 + 1*4*2 = 20 (plus the knob's multiply, if counted)
        assert 20 <= info["macs_per_sample"] <= 30
        info["in_channels"] = 5  # a copy: the model is unaffected
        assert model.info["in_channels"] == 1
    with nnfx.load(mono_path, mode="lookback", max_block=64) as model:
        assert model.info["mode"] == "lookback" and model.info["max_block"] == 64


def test_load_bytes_equals_load(mono_path: str, mono_bytes: bytes) -> None:
    x = _signal(1, 1000)
    with nnfx.load(mono_path) as a, load_bytes(bytearray(mono_bytes)) as b:
        assert np.array_equal(a.process(x), b.process(x))


def test_metadata(mono_path: str) -> None:
    with nnfx.load(mono_path) as model:
        assert model.metadata("nnfx.block_size") == "16"
        assert model.metadata("nnfx.name") == "tiny"
        assert model.metadata("nnfx.no_such_key") is None
        with pytest.raises(nnfx.ModelError):
            model.metadata(3)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- processing


@pytest.mark.parametrize("mode", ["stream", "lookback"])
def test_process_matches_numpy_in_any_chunking(mono_bytes: bytes, mono: bm.TinyModel, mode: str):
    x = _signal(1, 3001)
    expected = mono.reference(x)
    with load_bytes(mono_bytes, mode=mode, max_block=256) as model:
        latency = model.info["latency"]
        padded = np.concatenate([x, np.zeros((1, latency), np.float32)], axis=1)
        whole = model.process(padded)[:, latency:]
        assert whole.shape == (1, 3001) and whole.dtype == np.float32
        assert _err(whole, expected) < TOL
        # irregular chunks, including empty ones and chunks above max_block (split inside)
        model.reset()
        sizes = [0, 1, 2, 15, 16, 17, 0, 97, 1000, 5, 300]
        pieces, pos = [], 0
        while pos < padded.shape[1]:
            for s in sizes:
                pieces.append(model.process(padded[:, pos : pos + s]))
                pos += s
        chunked = np.concatenate(pieces, axis=1)[:, latency : latency + 3001]
        assert _err(chunked, expected) < TOL
        # a host block size through the block= argument
        model.reset()
        assert _err(model.process(padded, block=97)[:, latency:], expected) < TOL


def test_lookback_latency_only_when_buffering(mono_bytes: bytes) -> None:
    # At the file's own N the look-back engine needs no buffering: zero latency is the
    # natural figure. Whatever it reports must be what it does, which the chunking test
    # above proves; here: output shifted by exactly the reported latency.
    x = _signal(1, 512)
    with (
        load_bytes(mono_bytes, mode="stream") as s,
        load_bytes(mono_bytes, mode="lookback", max_block=1) as lb,
    ):
        lat = lb.info["latency"]
        assert 0 <= lat <= 16
        ys = s.process(x)
        ylb = lb.process(x, block=1)
        assert _err(ylb[:, lat:], ys[:, : 512 - lat]) < TOL
        if lat:
            assert np.all(ylb[:, :lat] == 0.0)  # nothing before the first block is out


def test_mono_1d_float64_and_strided_input(mono_bytes: bytes, mono: bm.TinyModel) -> None:
    x = _signal(1, 700)
    expected = mono.reference(x)
    with load_bytes(mono_bytes) as model:
        assert _err(model.process(x[0].astype(np.float64)), expected) < TOL  # 1-D, float64
        model.reset()
        wide = np.zeros((1, 1400), np.float32)
        wide[0, ::2] = x[0]
        assert _err(model.process(wide[:, ::2]), expected) < TOL  # non-contiguous view
        model.reset()
        assert model.process(x[0].tolist()).shape == (1, 700)  # a list works too


def test_stereo(stereo_bytes: bytes, stereo: bm.TinyModel) -> None:
    x = _signal(2, 900)
    with load_bytes(stereo_bytes) as model:
        assert _err(model.process(x), stereo.reference(x)) < TOL
        with pytest.raises(nnfx.ModelError, match="2 channels"):
            model.process(x[0])  # 1-D is mono
        with pytest.raises(nnfx.ModelError, match="2 input channel"):
            model.process(_signal(3, 10))


def test_in_place_processing(stereo_bytes: bytes) -> None:
    x = _signal(2, 1000)
    with load_bytes(stereo_bytes) as a, load_bytes(stereo_bytes) as b:
        expected = a.process(x.copy())
        buf = x.copy()
        result = b.process(buf, out=buf, block=64)
        assert result is buf
        assert np.array_equal(buf, expected)  # aliasing in == out changes nothing


def test_out_argument_checked(stereo_bytes: bytes) -> None:
    x = _signal(2, 100)
    with load_bytes(stereo_bytes) as model:
        with pytest.raises(nnfx.ModelError, match="shape"):
            model.process(x, out=np.empty((2, 99), np.float32))
        with pytest.raises(nnfx.ModelError, match="float32"):
            model.process(x, out=np.empty((2, 100), np.float64))
        overlapping = np.zeros((2, 101), np.float32)
        with pytest.raises(nnfx.ModelError):  # rows must be C-contiguous [2, 100]
            model.process(overlapping[:, :100].copy(), out=overlapping[:, 1:])


def test_reset_clears_history(mono_bytes: bytes) -> None:
    x = _signal(1, 200)
    with load_bytes(mono_bytes) as model:
        first = model.process(x)
        carried = model.process(x)
        model.reset()
        again = model.process(x)
    assert np.array_equal(first, again)
    # without reset the first few frames see the previous call's history
    assert _err(first[:, :4], carried[:, :4]) > 1e-3
    assert _err(first[:, 8:], carried[:, 8:]) < TOL


def test_nan_audio_is_silence_and_does_not_stick(mono_bytes: bytes) -> None:
    x = _signal(1, 400)
    bad = x.copy()
    bad[0, [10, 11, 200]] = [np.nan, np.inf, -np.inf]
    clean = x.copy()
    clean[0, [10, 11, 200]] = 0.0
    with load_bytes(mono_bytes) as a, load_bytes(mono_bytes) as b:
        y_bad = a.process(bad, block=16)
        y_clean = b.process(clean, block=16)
        assert np.all(np.isfinite(y_bad))
        assert _err(y_bad, y_clean) < TOL  # the runtime treats non-finite input as silence
        # and nothing lingers: the next signal is processed normally
        assert np.array_equal(a.process(x), b.process(x))


# ---------------------------------------------------------------------------- knobs


def test_params(mono_bytes: bytes, mono: bm.TinyModel) -> None:
    x = _signal(1, 500)
    with load_bytes(mono_bytes) as model:
        (p,) = model.params
        assert p == {
            "index": 0,
            "name": "gain",
            "unit": "",
            "min": 0.0,
            "max": 2.0,
            "default": 1.0,
            "value": 1.0,
        }
        assert model.set_param("gain", 0.25) == 0.25
        assert model.get_param(0) == 0.25 and model.params[0]["value"] == 0.25
        assert _err(model.process(x), mono.reference(x, gain=0.25)) < TOL
        model.reset()
        assert model.set_param(0, 5.0) == 2.0  # clamped to the range
        assert _err(model.process(x), mono.reference(x, gain=2.0)) < TOL
        model.reset()  # a reset keeps the knobs
        assert model.get_param("gain") == 2.0
        with pytest.raises(nnfx.ModelError, match="no parameter named 'drive'.*gain"):
            model.set_param("drive", 1.0)
        with pytest.raises(nnfx.ModelError, match="out of range"):
            model.set_param(1, 1.0)
        with pytest.raises(nnfx.ModelError, match="finite"):
            model.set_param(0, float("nan"))
        with pytest.raises(nnfx.ModelError, match="number"):
            model.set_param(0, "loud")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- verify


def test_verify(mono_bytes: bytes, mono: bm.TinyModel) -> None:
    with load_bytes(mono_bytes) as model:
        err = model.verify()
        assert 0.0 <= err < TOL
    # a file whose embedded output is off by 0.01 at one frame fails verification
    x = testsignals.reference(480)
    wrong = mono.reference(x).astype(np.float32)
    wrong[0, 100] += 0.01
    mono.meta_overrides = {"nnfx.reference_output": modelfile.encode_floats(wrong)}
    try:
        data = bm.to_onnx_bytes(mono)
    finally:
        mono.meta_overrides = {}
    with load_bytes(data) as model:
        with pytest.raises(nnfx.ModelError) as info:
            model.verify()
        assert info.value.mismatch  # type: ignore[attr-defined]
        assert abs(info.value.max_abs_error - 0.01) < 1e-4  # type: ignore[attr-defined]
        assert abs(model.verify(check=False) - 0.01) < 1e-4


# --------------------------------------------------------------------------- errors


def test_load_errors(tmp_path) -> None:
    with pytest.raises(nnfx.ModelError) as info:
        nnfx.load(tmp_path / "missing.onnx")
    assert "missing.onnx" in str(info.value)
    assert info.value.code == 1  # type: ignore[attr-defined]  # NNFX_ERR_IO
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"this is not a model file at all")
    with pytest.raises(nnfx.ModelError) as info:
        nnfx.load(junk)
    assert info.value.code in (2, 3)  # type: ignore[attr-defined]  # FORMAT / UNSUPPORTED
    assert str(info.value)
    with pytest.raises(nnfx.ModelError):
        load_bytes(b"")


def test_bad_arguments(mono_bytes: bytes) -> None:
    with pytest.raises(nnfx.ModelError, match="mode"):
        load_bytes(mono_bytes, mode="fast")
    for bad in (0, -1, 2.5, True):
        with pytest.raises(nnfx.ModelError, match="max_block"):
            load_bytes(mono_bytes, max_block=bad)  # type: ignore[arg-type]
    with pytest.raises(nnfx.ModelError, match="sample_rate"):
        load_bytes(mono_bytes, sample_rate=-48000)
    with pytest.raises(nnfx.ModelError, match="bytes"):
        load_bytes("mono.onnx")  # type: ignore[arg-type]
    with load_bytes(mono_bytes) as model:
        for bad_audio in (np.zeros((1, 2, 3)), np.zeros(()), np.array(["a", "b"])):
            with pytest.raises(nnfx.ModelError):
                model.process(bad_audio)
        with pytest.raises(nnfx.ModelError, match="block"):
            model.process(np.zeros(10), block=0)
        assert model.process(np.zeros((1, 0))).shape == (1, 0)


def test_closed_model(mono_bytes: bytes) -> None:
    model = load_bytes(mono_bytes)
    model.close()
    model.close()  # idempotent
    assert model.closed
    for call in (lambda: model.process(np.zeros(4)), model.reset, lambda: model.info):
        with pytest.raises(nnfx.ModelError, match="closed"):
            call()


# ------------------------------------------------------------------------ threading


@pytest.fixture(scope="module")
def heavy_bytes() -> bytes:
    # 3 layers of 24 channels, kernel 5: about 6000 MACs per frame, so that one call on
    # 100k frames lasts long enough (tens of ms or more) to watch another thread run.
    m = bm.make_tiny(
        seed=3, hidden=24, kernels=(5, 5, 5), dilations=(1, 2, 4), gain_knob=False, scale=0.3
    )
    m.convs.insert(
        1,
        bm.make_tiny(
            seed=4, in_channels=24, out_channels=24, kernels=(5,), dilations=(3,), scale=0.3
        ).convs[0],
    )
    return bm.to_onnx_bytes(m, reference_length=64)


def test_process_releases_the_gil(heavy_bytes: bytes) -> None:
    x = _signal(1, 100_000)
    stamps: list[float] = []
    stop = threading.Event()

    def ticker() -> None:  # pure Python: runs only while it holds the GIL
        while not stop.is_set():
            stamps.append(time.perf_counter())

    with load_bytes(heavy_bytes) as model:
        model.process(x[:, :1000])  # warm up
        t = threading.Thread(target=ticker)
        t.start()
        try:
            time.sleep(0.01)
            t0 = time.perf_counter()
            model.process(x)
            t1 = time.perf_counter()
        finally:
            stop.set()
            t.join()
    duration = t1 - t0
    inside = [s for s in stamps if t0 + 0.2 * duration < s < t1 - 0.2 * duration]
    # Holding the GIL through the C call would freeze the ticker for the whole call,
    # leaving no stamps in its middle 60%; released, it ticks thousands of times.
    assert duration > 0.005, f"call too short to judge ({duration * 1e3:.1f} ms)"
    assert len(inside) > 100, f"{len(inside)} ticks during a {duration * 1e3:.0f} ms call"


def test_models_on_threads_match_serial(heavy_bytes: bytes, mono_bytes: bytes) -> None:
    signals = [_signal(1, 20_000, seed=s) for s in range(4)]
    serial = []
    for i, x in enumerate(signals):
        with load_bytes(heavy_bytes if i % 2 else mono_bytes) as model:
            serial.append(model.process(x, block=128))
    results: list[np.ndarray | None] = [None] * 4

    def work(i: int) -> None:
        with load_bytes(heavy_bytes if i % 2 else mono_bytes) as model:
            results[i] = model.process(signals[i], block=128)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(results, serial, strict=True):
        assert a is not None and np.array_equal(a, b)


def test_one_model_shared_by_threads_is_serialised(mono_bytes: bytes) -> None:
    # Two threads feeding one model: the binding's lock keeps calls whole, so the result
    # equals some serial order of the calls (each call's output is one of two values).
    x = _signal(1, 50_000)
    with load_bytes(mono_bytes) as model:
        ref = model.process(x)
        outs: list[np.ndarray] = []

        def work() -> None:
            for _ in range(3):
                model.reset()
                outs.append(model.process(x))

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(outs) == 6 and all(np.all(np.isfinite(o)) for o in outs)
    # a reset from the other thread may fall between calls, but never inside one
    assert all(np.array_equal(o, ref) or _err(o[:, 8:], ref[:, 8:]) < TOL for o in outs)


def test_runtime_version() -> None:
    from nnfx.binding import runtime_version

    assert runtime_version() == nnfx.__version__


def test_knob_set_before_processing_starts_from_silence_with_it() -> None:
    # A knob added after the first convolution changes what the later layers see on
    # silence, so the history they start with depends on the knob. Set before the first
    # process call (after load or reset), the model starts as PyTorch and the look-back
    # graph do: from silence with that knob value. Set mid-stream, history stays.
    tiny = bm.make_tiny(seed=21)
    tiny.knob_shifts_first_layer = True
    data = bm.to_onnx_bytes(tiny)
    x = _signal(1, 300)
    for mode in ("stream", "lookback"):
        with load_bytes(data, mode=mode) as model:
            model.set_param("gain", 1.7)
            assert _err(model.process(x), tiny.reference(x, gain=1.7)) < TOL
            model.reset()
            model.process(x[:, :50])
            model.set_param("gain", 0.3)  # mid-stream: applies from here on
            y = model.process(x[:, 50:])
            expected_tail = tiny.reference(x, gain=0.3)[:, 50:]
            # once the history written with the old value has left the receptive field
            assert _err(y[:, tiny.lookback :], expected_tail[:, tiny.lookback :]) < TOL


def test_load_refuses_what_is_not_a_file(tmp_path: Path) -> None:
    """A folder, a FIFO with no writer (opening it would block forever) and a device are
    refused by name before the runtime opens them."""
    fifo = tmp_path / "pipe.onnx"
    os.mkfifo(fifo)
    for path, words in ((tmp_path, "is a folder"), (fifo, "is a pipe or socket"),
                        (Path("/dev/null"), "is a device")):
        with pytest.raises(nnfx.ModelError, match=words):
            nnfx.load(str(path))
