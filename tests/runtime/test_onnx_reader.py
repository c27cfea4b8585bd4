"""The C ONNX reader, writer and graph checks (runtime_c/src/onnx_*.c).

Driven through runtime_c/tests/test_onnx_reader.c, compiled with the sanitizers under gcc
and clang. The reader's view of real torch exports is compared field by field with the
``onnx`` package's, the writer's output is checked by ``onnx`` and run by onnxruntime,
every allocation failure is walked, and parsing speed is measured.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import fuzz_mutator
import numpy as np
import onnx
import pytest
import reader_models
import runtime_build
from onnx import TensorProto, helper, numpy_helper

TEST_SRC = runtime_build.c_test_source("test_onnx_reader")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return reader_models.export_models(tmp_path_factory.mktemp("reader_models"))


_BUILT: dict[tuple[str, bool, str, bool], Path] = {}


def _binary(
    factory: pytest.TempPathFactory, cc: str = "gcc", sanitize: bool = True, opt: str = "-O1",
    static: bool = False,
) -> Path:
    """test_onnx_reader.c built once per configuration for the whole module."""
    key = (cc, sanitize, opt, static)
    if key not in _BUILT:
        out = factory.mktemp("reader_bin") / "test_onnx_reader"
        _BUILT[key] = runtime_build.compile_c_program(
            TEST_SRC, out, cc=cc, sources="NNFX_READER_SOURCES", sanitize=sanitize, opt=opt,
            static=static)
    return _BUILT[key]


@pytest.fixture(scope="module", params=["gcc", "clang"])
def exe(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _binary(tmp_path_factory, cc=request.param)


def test_unit_cases(exe: Path) -> None:
    """Built-in cases: writer->reader, truncations, toposort, cycles, names, wire errors,
    allocation failures on a small model."""
    proc = runtime_build.run(exe, "unit")
    runtime_build.assert_clean(proc, "unit")
    assert "unit: all passed" in proc.stdout


# ---- the reader agrees with the onnx package ----------------------------------------------


def _expected_dump(path: Path) -> dict[str, object]:
    """What the C dump must say about a file, computed with the onnx package."""
    m = onnx.load(str(path))
    g = m.graph
    init_names = {t.name for t in g.initializer}

    def vi(v: onnx.ValueInfoProto) -> tuple[str, int, list[int]]:
        t = v.type.tensor_type
        return v.name, t.elem_type, [d.dim_value if d.HasField("dim_value") else -1
                                     for d in t.shape.dim]

    tensors = [(t.name, t.data_type, list(t.dims), float(numpy_helper.to_array(t).astype(
        np.float64).sum())) for t in g.initializer]
    nodes = []
    for n in g.node:
        attrs = []
        for a in n.attribute:
            value = helper.get_attribute_value(a)
            if a.type == onnx.AttributeProto.TENSOR:
                arr = numpy_helper.to_array(value).astype(np.float64)
                value = (value.data_type, list(value.dims), float(arr.sum()))
            elif a.type == onnx.AttributeProto.STRING:
                value = value.decode()
            elif a.type in (onnx.AttributeProto.INTS, onnx.AttributeProto.FLOATS):
                value = list(value)
            elif a.type == onnx.AttributeProto.STRINGS:
                value = [v.decode() for v in value]
            attrs.append((a.name, a.type, value))
        nodes.append((n.name, n.op_type, list(n.input), list(n.output), attrs))
    return {
        "ir_version": m.ir_version,
        "opset": next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")),
        "inputs": [vi(v) for v in g.input if v.name not in init_names],
        "outputs": [vi(v) for v in g.output],
        "tensors": tensors,
        "nodes": nodes,
        "props": [(p.key, len(p.value.encode())) for p in m.metadata_props],
    }


def _parse_dump(text: str) -> dict[str, object]:
    """Parse the C dump (see dump() in test_onnx_reader.c) into the same structure."""
    out: dict[str, list] = {"inputs": [], "outputs": [], "tensors": [], "nodes": [], "props": []}
    res: dict[str, object] = dict(out)
    dims = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("ir_version "):
            res["ir_version"] = int(line.split()[1])
        elif line.startswith("opset "):
            res["opset"] = int(line.split()[1])
        elif line.startswith(("input ", "output ")):
            mt = re.match(r"(input|output) (.*) elem=(\d+) dims=\[(.*)\]$", line)
            assert mt, line
            out[mt[1] + "s"].append((mt[2], int(mt[3]), dims(mt[4])))
        elif line.startswith("tensor "):
            mt = re.match(r"tensor (.*) dtype=(\d+) dims=\[(.*)\] sum=(\S+)$", line)
            assert mt, line
            out["tensors"].append((mt[1], int(mt[2]), dims(mt[3]), float(mt[4])))
        elif line.startswith("node "):
            mt = re.match(r"node (.*) op=(\S+) in=(.*) out=(.*)$", line)
            assert mt, line
            out["nodes"].append((mt[1], mt[2], mt[3].split(",") if mt[3] else [],
                                 mt[4].split(","), []))
        elif line.startswith("  attr "):
            mt = re.match(r"  attr (\S+) type=(\d+)(?: (\w+)=(.*))?$", line)
            assert mt, line
            kind, raw = mt[3], mt[4]
            value: object
            if kind == "i":
                value = int(raw)
            elif kind == "f":
                value = float(raw)
            elif kind == "s":
                value = raw
            elif kind == "ints":
                value = [int(x) for x in raw.split(",") if x]
            elif kind == "floats":
                value = [float(x) for x in raw.split(",") if x]
            elif kind == "strings":
                value = raw.split(",") if raw else []
            else:  # a tensor: its summary is on the next line
                i += 1
                tm = re.match(r"\s+tensor .* dtype=(\d+) dims=\[(.*)\] sum=(\S+)$", lines[i])
                assert tm, lines[i]
                value = (int(tm[1]), dims(tm[2]), float(tm[3]))
            out["nodes"][-1][4].append((mt[1], int(mt[2]), value))
        elif line.startswith("prop "):
            mt = re.match(r"prop (.*) len=(\d+)$", line)
            assert mt, line
            out["props"].append((mt[1], int(mt[2])))
        i += 1
    return res


def _close(a: object, b: object) -> bool:
    """Structural equality; floats within 1e-6 relative: the C side prints 9 significant
    digits (exact for float32 attributes) and sums tensors sequentially in double, numpy
    pairwise in double, which differ by rounding of order 1e-15 of the sum's magnitude."""
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)), abs(float(b)))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_reader_agrees_with_onnx_package(exe: Path, models: list[Path]) -> None:
    for path in models:
        proc = runtime_build.run(exe, "dump", str(path))
        runtime_build.assert_clean(proc, f"dump {path.name}")
        got, want = _parse_dump(proc.stdout), _expected_dump(path)
        for key, value in want.items():
            assert _close(got[key], value), f"{path.name}: {key}: C {got[key]} != onnx {value}"


def _typed_model(tmp: Path) -> Path:
    """Initializers in every typed field (float/double/int64/int32 for int32, int8, uint8,
    bool), FLOATS/STRINGS/STRING attributes, and float_data written UNPACKED (one field per
    element) by re-encoding, which protobuf writers never do but readers must accept."""
    inits = [
        helper.make_tensor("f", TensorProto.FLOAT, [2, 3], [0.5, -1.25, 2.0, 3.5, -4.0, 8.0]),
        helper.make_tensor("d", TensorProto.DOUBLE, [3], [1e-3, -2.5, 1e10]),
        helper.make_tensor("i64", TensorProto.INT64, [4], [-(1 << 40), -1, 0, 1 << 50]),
        helper.make_tensor("i32", TensorProto.INT32, [3], [-(1 << 31), 7, (1 << 31) - 1]),
        helper.make_tensor("i8", TensorProto.INT8, [3], [-128, 0, 127]),
        helper.make_tensor("u8", TensorProto.UINT8, [2], [0, 255]),
        helper.make_tensor("b", TensorProto.BOOL, [3], [True, False, True]),
        helper.make_tensor("s0", TensorProto.FLOAT, [], [42.0]),  # a scalar
        helper.make_tensor("e", TensorProto.FLOAT, [0, 3], []),  # empty
    ]
    node = helper.make_node(
        "Identity", ["x"], ["y"], name="id", floats_attr=[0.25, -3.0], strings_attr=["ab", "c"],
        s_attr="hello",
    )
    graph = helper.make_graph(
        [node], "typed", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    data = model.SerializeToString()
    # Rewrite initializer "f": its packed float_data (field 4) becomes one field per float.
    tree = fuzz_mutator.parse_tree(data)
    graph_f = next(f for f in tree if f.number == 7)
    for init in graph_f.value:
        if init.number != 5 or not init.children:
            continue
        names = [c.value for c in init.value if c.number == 8]
        if names != [b"f"]:
            continue
        new_children = []
        for c in init.value:
            if c.number == 4 and c.wire == 2:
                raw = bytes(c.value)
                for k in range(0, len(raw), 4):
                    new_children.append(fuzz_mutator.Field(4, 5, int.from_bytes(raw[k:k + 4],
                                                                               "little")))
            else:
                new_children.append(c)
        init.value = new_children
    path = tmp / "typed.onnx"
    path.write_bytes(fuzz_mutator.encode_tree(tree))
    return path


def test_typed_fields_and_unpacked_repeats(exe: Path, tmp_path: Path) -> None:
    path = _typed_model(tmp_path)
    proc = runtime_build.run(exe, "dump", str(path))
    runtime_build.assert_clean(proc, "dump typed")
    got = _parse_dump(proc.stdout)
    tensors = {t[0]: t for t in got["tensors"]}  # type: ignore[union-attr]
    # Expected sums written out by hand from the values above (exactly representable).
    assert tensors["f"][1:] == (1, [2, 3], 8.75)
    assert tensors["d"][2] == [3] and abs(tensors["d"][3] - (1e10 - 2.499)) < 1e-3
    assert tensors["i64"][3] == float(-(1 << 40) - 1 + (1 << 50))
    assert tensors["i32"][3] == float(-(1 << 31) + 7 + (1 << 31) - 1)
    assert tensors["i8"][3] == -1.0 and tensors["u8"][3] == 255.0 and tensors["b"][3] == 2.0
    assert tensors["s0"][2:] == ([], 42.0)
    assert tensors["e"][2:] == ([0, 3], 0.0)
    attrs = {a[0]: a for a in got["nodes"][0][4]}  # type: ignore[index]
    assert attrs["floats_attr"][2] == [0.25, -3.0]
    assert attrs["s_attr"][2] == "hello"
    assert attrs["strings_attr"][1:] == (onnx.AttributeProto.STRINGS, ["ab", "c"])


def test_writer_output_opens_in_onnx_and_runs_identically(
    exe: Path, models: list[Path], tmp_path: Path
) -> None:
    import onnxruntime as ort

    for path in models:
        out = tmp_path / f"rt_{path.name}"
        proc = runtime_build.run(exe, "roundtrip", str(path), str(out))
        runtime_build.assert_clean(proc, f"roundtrip {path.name}")  # includes parse(write) == parse
        written = onnx.load(str(out))
        onnx.checker.check_model(written, full_check=True)
        assert {p.key: p.value for p in written.metadata_props} == {
            p.key: p.value for p in onnx.load(str(path)).metadata_props
        }
        feeds = {}
        rng = np.random.default_rng(5)
        for vi in onnx.load(str(path)).graph.input:
            shape = [d.dim_value for d in vi.type.tensor_type.shape.dim]
            feeds[vi.name] = rng.standard_normal(shape).astype(np.float32)
        a = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)
        b = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, feeds)
        # Same graph, same weights, same engine: the outputs are bit-identical (tolerance 0).
        for x, y in zip(a, b, strict=True):
            assert np.array_equal(x, y), f"{path.name}: outputs differ"


def test_every_allocation_failure_is_clean(
    models: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Fail each allocation of parse+check+serialize in turn: NNFX_ERR_NOMEM each time and
    nothing leaked (LeakSanitizer)."""
    exe = _binary(tmp_path_factory, cc="gcc")
    for path in models:
        proc = runtime_build.run(exe, "allocfail", str(path))
        runtime_build.assert_clean(proc, f"allocfail {path.name}")
        walked = int(re.search(r"allocation points walked: (\d+)", proc.stdout)[1])
        assert walked > 20, proc.stdout  # a real model allocates names, tensors, attributes


def test_parse_speed(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A 1 MB model (one 256k-float initializer plus 200 small nodes) parses and passes the
    graph checks in well under 2 ms (project target for a whole load: 20 ms)."""
    rng = np.random.default_rng(0)
    big = numpy_helper.from_array(rng.standard_normal((64, 64, 64)).astype(np.float32), "w")
    nodes, prev = [], "x"
    for k in range(200):
        nodes.append(helper.make_node("Relu", [prev], [f"h{k}"], name=f"relu{k}"))
        prev = f"h{k}"
    nodes.append(helper.make_node("Add", [prev, "w"], ["y"], name="add"))
    graph = helper.make_graph(
        nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [64, 64, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [64, 64, 64])], [big],
    )
    path = tmp_path / "big.onnx"
    onnx.save(helper.make_model(graph), str(path))
    assert path.stat().st_size > 1_000_000
    exe = _binary(tmp_path_factory, sanitize=False, opt="-O2")
    proc = runtime_build.run(exe, "bench", str(path), "200")
    runtime_build.assert_clean(proc, "bench")
    micros = float(re.search(r": ([\d.]+) us mean CPU time", proc.stdout)[1])
    print(proc.stdout.strip())
    assert micros < 2000.0, proc.stdout


@pytest.mark.parametrize(
    "cc,qemu", [("arm-linux-gnueabihf-gcc", "qemu-arm"), ("aarch64-linux-gnu-gcc", "qemu-aarch64")]
)
def test_same_reading_on_arm(
    cc: str, qemu: str, models: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The boards' builds (32-bit ARM: 32-bit size_t; 64-bit ARM) read every file exactly as
    the host build does: unit cases pass and the dumps are identical byte for byte."""
    host = _binary(tmp_path_factory, sanitize=False, opt="-O2")
    arm = _binary(tmp_path_factory, cc=cc, sanitize=False, opt="-O2", static=True)
    proc = subprocess.run([qemu, str(arm), "unit"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "unit: all passed" in proc.stdout, proc.stderr
    for path in models:
        want = runtime_build.run(host, "dump", str(path))
        got = subprocess.run([qemu, str(arm), "dump", str(path)], capture_output=True, text=True,
                             timeout=300)
        assert want.returncode == 0 and got.returncode == 0, got.stderr
        assert got.stdout == want.stdout, f"{path.name}: ARM reads it differently"
