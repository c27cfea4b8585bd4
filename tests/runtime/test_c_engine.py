"""The C engine on models written in plain PyTorch and exported with plain torch.onnx.export:
stream and look-back mode at several host block sizes against PyTorch, the embedded reference,
and clear refusals of what cannot run. Driven through runtime_c/tools/nnfx_run."""

from __future__ import annotations

from pathlib import Path

import engine_models as em
import numpy as np
import pytest
import torch
import torch.nn as nn

from nnfx import modelfile

BLOCKS = [1, 16, 64, 97, 4096]
# float32 everywhere, but PyTorch (oneDNN/MKL) and nnfx sum products in different orders; over
# a few hundred products per output the difference stays below 1e-6 for these small models;
# 1e-5 leaves room without hiding a real error (a wrong tap or gate is off by 1e-2 or more).
TOL = 1e-5
FRAMES = 4500  # more than one max_block (4096) chunk


@pytest.fixture(scope="module")
def nnfx_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return em.build_nnfx_run(tmp_path_factory.mktemp("nnfx_run"))


@pytest.mark.parametrize("name,fold", [
    ("tcn", True), ("gated", True), ("lstm", True), ("gru", True), ("shape", False),
])
def test_matches_pytorch_in_both_modes(nnfx_run: Path, tmp_path: Path, name: str, fold: bool):
    module = em.make(name)
    path = tmp_path / f"{name}.onnx"
    proto = em.export(module, path, fold=fold)
    ops = {n.op_type for n in proto.graph.node}
    if name == "shape":
        # the raw export keeps the shape arithmetic the loader must fold
        assert {"Shape", "Gather", "Div", "Slice"} <= ops, ops
    if name == "gated":
        assert {"Shape", "Slice"} <= ops, ops
    x = em.signal(em.in_channels(module), FRAMES)
    ref = em.torch_reference(module, x)
    for mode in ("stream", "lookback"):
        for block in BLOCKS:
            y = em.run_nnfx(nnfx_run, path, x, tmp_path, block, mode, ref.shape[0])
            err = float(np.abs(y - ref).max())
            assert err <= TOL, f"{name} {mode} block {block}: max abs error {err:.3g}"


def test_knobs_match_pytorch(nnfx_run: Path, tmp_path: Path):
    module = em.make("knobs")
    path = tmp_path / "knobs.onnx"
    em.export(module, path)
    x = em.signal(1, 1500)
    for knobs in ([0.5, 0.0], [0.9, -0.7], [0.0, 1.0]):
        ref = em.torch_reference(module, x, knobs)
        for mode in ("stream", "lookback"):
            for block in (1, 97):
                y = em.run_nnfx(nnfx_run, path, x, tmp_path, block, mode, 1,
                                {"drive": knobs[0], "tone": knobs[1]})
                err = float(np.abs(y - ref).max())
                assert err <= TOL, f"knobs {knobs} {mode} block {block}: {err:.3g}"
    # values outside a knob's range are clamped to it
    y = em.run_nnfx(nnfx_run, path, x, tmp_path, 64, "stream", 1, {"drive": 5.0, "tone": 0.0})
    ref = em.torch_reference(module, x, [1.0, 0.0])
    assert float(np.abs(y - ref).max()) <= TOL


def test_verify_embedded_reference(nnfx_run: Path, tmp_path: Path):
    import subprocess

    path = tmp_path / "gated.onnx"
    em.export(em.make("gated"), path)
    for mode in ("stream", "lookback"):
        p = subprocess.run([str(nnfx_run), "--verify", str(path), "--mode", mode],
                           capture_output=True, text=True)
        assert p.returncode == 0 and p.stdout.startswith("ok"), p.stdout + p.stderr
    # a reference produced by different weights must be reported as a mismatch (exit 1)
    other = tmp_path / "other.onnx"
    em.export(em.make("gated", seed=7), other)
    import onnx

    a, b = onnx.load(str(path)), onnx.load(str(other))
    out_b = modelfile.metadata_of(b)["nnfx.reference_output"]
    em.set_meta(path, reference_output=out_b)
    del a
    p = subprocess.run([str(nnfx_run), "--verify", str(path)], capture_output=True, text=True)
    assert p.returncode == 1 and "MISMATCH" in p.stdout, p.stdout + p.stderr


def _export_plain(module: nn.Module, path: Path, length: int, meta: dict[str, str]) -> None:
    import io

    import onnx

    buf = io.BytesIO()
    torch.onnx.export(module, (torch.zeros(1, 1, length),), buf, dynamo=False,
                      input_names=["audio_in"], output_names=["audio_out"], opset_version=17)
    proto = onnx.load_from_string(buf.getvalue())
    modelfile.set_metadata(proto, meta)
    onnx.save(proto, str(path))


def _meta(n: int, m: int) -> dict[str, str]:
    return modelfile.build_metadata(sample_rate=48000, block_size=n, lookback=m)


class Padded(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv1d(1, 1, 3, padding=1)

    def forward(self, x):  # noqa: ANN001, ANN201
        return self.c(x)


class LeftCrop(nn.Module):
    """Keeps the oldest frames: x[..., :-2] is not causal-streamable."""

    def forward(self, x):  # noqa: ANN001, ANN201
        return torch.tanh(x[..., :-2])


class CumSum(nn.Module):
    def forward(self, x):  # noqa: ANN001, ANN201
        return torch.cumsum(x, dim=1)


def test_refusals_name_node_and_reason(nnfx_run: Path, tmp_path: Path):
    cases = [
        (Padded(), 16, _meta(16, 0), "stream", ["(Conv)", "pads must be 0"]),
        (LeftCrop(), 18, _meta(16, 2), "stream", ["(Slice)", "right-aligned", "look-back"]),
        (CumSum(), 16, _meta(16, 0), "stream", ["(CumSum)", "not supported"]),
    ]
    for i, (module, length, meta, mode, frags) in enumerate(cases):
        path = tmp_path / f"bad{i}.onnx"
        _export_plain(module, path, length, meta)
        rc, msg = em.load_message(nnfx_run, path, mode)
        assert rc == 2, msg
        assert msg.count("\n") == 0, msg
        for f in frags:
            assert f in msg, (f, msg)
    # the left crop runs literally in look-back mode
    rc, msg = em.load_message(nnfx_run, tmp_path / "bad1.onnx", "lookback")
    assert rc == 0, msg


def test_metadata_is_checked(nnfx_run: Path, tmp_path: Path):
    path = tmp_path / "tcn.onnx"
    em.export(em.make("tcn"), path, reference=False)
    rc, msg = em.load_message(nnfx_run, path)
    assert rc == 0, msg
    em.set_meta(path, format_version="2")
    rc, msg = em.load_message(nnfx_run, path)
    assert rc == 2 and "newer" in msg and "version 2" in msg, msg
    em.set_meta(path, format_version="1", lookback="5")
    rc, msg = em.load_message(nnfx_run, path)
    assert rc == 2 and "audio_in" in msg and "nnfx.lookback" in msg, msg
    em.set_meta(path, lookback="30", sample_rate="fast")
    rc, msg = em.load_message(nnfx_run, path)
    assert rc == 2 and "nnfx.sample_rate" in msg, msg


def test_info_reports_model(nnfx_run: Path, tmp_path: Path):
    import subprocess

    path = tmp_path / "lstm.onnx"
    em.export(em.make("lstm"), path, reference=False)
    out = subprocess.run([str(nnfx_run), "--info", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    info = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert info["states"] == "2" and info["lookback"] == "0" and info["latency"] == "0"
    # 2 layers: 4 gates x 12 x (1 + 12) and 4 x 12 x (12 + 12), plus the 12 -> 1 head
    assert float(info["macs_per_sample"]) == 4 * 12 * 13 + 4 * 12 * 24 + 12
    assert int(info["weight_bytes"]) > 0 and int(info["memory_bytes"]) > int(info["weight_bytes"])
