"""Untrusted model files: a corpus of well over 1000 mutated and truncated files, and
hand-written hostile cases, loaded by runtime_c under AddressSanitizer and
UndefinedBehaviorSanitizer (gcc and clang builds).

The corpus comes from real files: three plain-PyTorch models exported with
torch.onnx.export (a conv TCN with a residual crop, a gated WaveNet-like block, an LSTM
with state pairs; tests/support/reader_models.py) and two zoo models exported with nnfx.export.
tests/support/fuzz_mutator.py mutates them deterministically (fixed seed). The driver
runtime_c/tests/load_corpus.c loads every file with the full loader
(nnfx_model_load_memory) when runtime_c has it, else with the parser and graph checks, and
processes whatever loads. A clean run means: exit 0, no sanitizer report, every refusal
carries a non-empty message whose code matches the result.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import fuzz_mutator
import onnx
import pytest
import reader_models
import runtime_build
from onnx import TensorProto, helper

DRIVER = runtime_build.c_test_source("load_corpus")
ZOO_SOURCES = ("overdrive", "lstm16")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, bytes]]:
    import nnfx
    from nnfx.exporter import zoo

    tmp = tmp_path_factory.mktemp("hostile_sources")
    found = [(p.stem, p.read_bytes()) for p in reader_models.export_models(tmp)]
    for name in ZOO_SOURCES:
        path = tmp / f"zoo_{name}.onnx"
        preset = zoo.get(name)
        nnfx.export(zoo.build(name), path, block_size=preset.block_size, sample_rate=48000)
        found.append((f"zoo_{name}", path.read_bytes()))
    return found


@pytest.fixture(scope="module", params=["gcc", "clang"])
def driver(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus_bin") / f"load_corpus_{request.param}"
    return runtime_build.compile_c_program(DRIVER, out, cc=request.param, opt="-O1", sanitize=True,
                                           extra=["-DNNFX_HAVE_MODEL_LOAD"])


def _digest(corpus: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, data in corpus:
        h.update(name.encode())
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def test_corpus_is_deterministic(sources: list[tuple[str, bytes]], tmp_path: Path) -> None:
    again = reader_models.export_models(tmp_path)
    assert {p.stem: p.read_bytes() for p in again} == {
        n: d for n, d in sources if not n.startswith("zoo_")
    }, "torch export is not reproducible"
    a = fuzz_mutator.make_corpus(sources, seed=2026)
    b = fuzz_mutator.make_corpus(sources, seed=2026)
    c = fuzz_mutator.make_corpus(sources, seed=2027)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)  # the seed matters: the check above can fail
    assert len(a) >= 1000
    assert len({n for n, _ in a}) == len(a)  # unique file names


def test_corpus_loads_cleanly(
    driver: Path, sources: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    corpus = fuzz_mutator.make_corpus(sources, seed=2026, per_source=300)
    assert len(corpus) >= 1000
    for name, data in corpus:
        (tmp_path / name).write_bytes(data)
    for name, data in sources:  # the originals load too
        (tmp_path / f"{name}.original.onnx").write_bytes(data)
    # Verbose: one line per file, its name flushed before loading, so that a sanitizer
    # report at the end of the output names the file that caused it.
    proc = runtime_build.run(driver, str(tmp_path), timeout=900,
                            env_extra={"NNFX_CORPUS_VERBOSE": "1"})
    print(proc.stdout[-2000:])
    runtime_build.assert_clean(proc, "corpus")
    m = re.search(r"files (\d+), loaded (\d+), processed (\d+), bad (\d+)", proc.stdout)
    assert m, proc.stdout
    files, loaded, bad = int(m[1]), int(m[2]), int(m[4])
    assert files == len(corpus) + len(sources) and bad == 0
    # Most mutations must be refused, and the originals (at least) must load.
    assert len(sources) <= loaded < files // 2, proc.stdout
    for name, _ in sources:
        original = str(tmp_path / f"{name}.original.onnx")
        one = runtime_build.run(driver, "--expect", "never", original)
        assert one.returncode == 1 and "loaded; expected a refusal" in one.stderr, one.stderr


# ---- hand-written hostile cases ----------------------------------------------------------


def _graph_field(data: bytes) -> tuple[int, int, int]:
    """(tag offset, length-varint offset, payload offset) of ModelProto.graph."""
    tree = fuzz_mutator.parse_tree(data)
    f = next(f for f in tree if f.number == 7)
    tag_end = fuzz_mutator.decode_varint(data, f.offset)[1]
    payload_at = fuzz_mutator.decode_varint(data, tag_end)[1]
    return f.offset, tag_end, payload_at


def _truncated_varint(base: bytes) -> bytes:
    _, len_at, payload_at = _graph_field(base)
    assert payload_at - len_at >= 2  # a multi-byte length: cut inside it
    return base[: len_at + 1]


def _length_past_end(base: bytes) -> bytes:
    _, _, payload_at = _graph_field(base)
    return base[: payload_at + 40]


def _with_model(change: Callable[[onnx.ModelProto], None]) -> Callable[[bytes], bytes]:
    def run(base: bytes) -> bytes:
        m = onnx.ModelProto()
        m.ParseFromString(base)
        change(m)
        return m.SerializeToString()

    return run


def _first_weight(m: onnx.ModelProto) -> onnx.TensorProto:
    return next(t for t in m.graph.initializer if t.raw_data and len(t.dims) == 3)


def _dims_overflow(m: onnx.ModelProto) -> None:
    t = _first_weight(m)
    del t.dims[:]
    t.dims.extend([1 << 21] * 4)  # 2^84 elements: overflows int64


def _raw_short(m: onnx.ModelProto) -> None:
    t = _first_weight(m)
    t.raw_data = t.raw_data[:-4]


def _unknown_dtype(m: onnx.ModelProto) -> None:
    _first_weight(m).data_type = 40


def _cycle(m: onnx.ModelProto) -> None:
    a, b = m.graph.node[1], m.graph.node[2]
    a.input[0] = b.output[0]  # b already reads a's output


def _dangling(m: onnx.ModelProto) -> None:
    m.graph.node[1].input[0] = "no_such_tensor"


def _dup_output(m: onnx.ModelProto) -> None:
    m.graph.node[2].output[0] = m.graph.node[1].output[0]


def _missing_input(m: onnx.ModelProto) -> None:
    del m.graph.node[1].input[1:]  # a Conv without its weight


def _external(m: onnx.ModelProto) -> None:
    t = _first_weight(m)
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", "weights.bin"


def _graph_attr(m: onnx.ModelProto) -> None:
    sub = helper.make_graph([], "branch", [], [])
    m.graph.node[1].attribute.append(helper.make_attribute("then_branch", sub))


CASES: list[tuple[str, Callable[[bytes], bytes], str]] = [
    ("truncated_varint", _truncated_varint, "truncated varint"),
    ("length_past_end", _length_past_end, "runs past the end"),
    ("dims_overflow", _with_model(_dims_overflow), "has more than 67108864 elements"),
    ("raw_data_short", _with_model(_raw_short), "needs"),
    ("unknown_dtype", _with_model(_unknown_dtype), "data type 40 (unknown) is not supported"),
    ("cycle", _with_model(_cycle), "cycle"),
    ("dangling_input", _with_model(_dangling), "'no_such_tensor' is not a graph input"),
    ("duplicate_output", _with_model(_dup_output), "is produced twice"),
    ("missing_input", _with_model(_missing_input), "(Conv) needs 2 inputs, has 1"),
    ("external_data", _with_model(_external), "data_location=EXTERNAL"),
    ("graph_attribute", _with_model(_graph_attr), "holds a subgraph"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hand_written_case_is_refused(
    case: tuple[str, Callable[[bytes], bytes], str],
    driver: Path,
    sources: list[tuple[str, bytes]],
    tmp_path: Path,
) -> None:
    name, make, fragment = case
    base = dict(sources)["zoo_overdrive"]  # a complete nnfx file: only the defect is wrong
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(make(base))
    proc = runtime_build.run(driver, "--expect", fragment, str(path))
    runtime_build.assert_clean(proc, f"{name}: {proc.stdout.strip()}")
    print(name, "->", proc.stdout.strip())


def test_every_allocation_failure_of_a_load_is_clean(
    driver: Path, sources: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    """Make each allocation of a whole load fail in turn (alloc.h's injector): every one
    gives NNFX_ERR_NOMEM with a message, and nothing leaks (LeakSanitizer)."""
    for name, data in sources:
        if name not in ("tcn", "lstm", "zoo_overdrive"):
            continue
        path = tmp_path / f"{name}.onnx"
        path.write_bytes(data)
        proc = runtime_build.run(driver, "--allocfail", str(path))
        runtime_build.assert_clean(proc, f"allocfail {name}")
        walked = int(re.search(r"allocation points walked: (\d+)", proc.stdout)[1])
        assert walked > 20, proc.stdout


# ---- knob metadata (nnfx.params): refusals that once printed freed heap bytes ---------------


@pytest.fixture(scope="module")
def knob_source(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    import nnfx
    from nnfx.exporter import zoo

    path = tmp_path_factory.mktemp("knob_source") / "lstm32_knobs.onnx"
    preset = zoo.get("lstm32-knobs")
    nnfx.export(zoo.build("lstm32-knobs"), path, block_size=preset.block_size, sample_rate=48000)
    return path.read_bytes()


def _knob_entry(**change: object) -> Callable[[list[dict]], None]:
    def run(params: list[dict]) -> None:
        params[0].update(change)

    return run


def _duplicate_name(params: list[dict]) -> None:
    params[1]["name"] = params[0]["name"]


# (case, change to the knob list, fragment of the refusal). The knob's name in the message
# is read from the parsed metadata: under AddressSanitizer a message formatted after the
# metadata's JSON tree was freed is a heap-use-after-free, and in a plain build it printed
# freed bytes.
KNOB_CASES: list[tuple[str, Callable[[list[dict]], None], str]] = [
    ("min_above_max", _knob_entry(min=1.0, max=0.0, default=0.5),
     "need min <= default <= max (min 1, default 0.5, max 0)"),
    ("max_beyond_float", _knob_entry(max=1e39), "must be finite float32 values"),
    ("min_beyond_float", _knob_entry(min=-1e39), "must be finite float32 values"),
    ("duplicate_name", _duplicate_name, "have the same name"),
]


@pytest.mark.parametrize("case", KNOB_CASES, ids=[c[0] for c in KNOB_CASES])
def test_bad_knob_metadata_is_refused_naming_the_knob(
    case: tuple[str, Callable[[list[dict]], None], str], driver: Path, knob_source: bytes,
    tmp_path: Path,
) -> None:
    import json

    from nnfx import modelfile
    from nnfx.errors import NnfxError
    from nnfx.modelinfo import describe

    name, change, fragment = case
    m = onnx.ModelProto()
    m.ParseFromString(knob_source)
    params = json.loads(modelfile.metadata_of(m)[modelfile.Key.PARAMS])
    first = params[0]["name"]
    change(params)
    modelfile.set_metadata(m, {modelfile.Key.PARAMS: json.dumps(params)})
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(m.SerializeToString())
    proc = runtime_build.run(driver, "--expect", fragment, str(path))
    runtime_build.assert_clean(proc, f"{name}: {proc.stdout.strip()}")
    assert f"'{first}'" in proc.stdout, proc.stdout  # the knob is named, intact
    # nnfx info (Python) refuses the same file with the same words, instead of printing it
    with pytest.raises(NnfxError, match=re.escape(fragment)):
        describe(str(path))
