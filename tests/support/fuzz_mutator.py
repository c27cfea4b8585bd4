"""Deterministic mutator that turns real model files into a hostile-file corpus.

``make_corpus(sources, seed)`` returns ``[(name, bytes), ...]``; the same sources and seed
always give the same corpus (one ``random.Random(seed)`` stream, no time or hash
randomisation involved). Mutations, per source file:

- byte level: bit flips, bytes set to 0x00/0x7f/0x80/0xff, truncations at every field
  boundary found in the file (and a spread of other offsets), and tag corruption
  (wire type or field number changed in place);
- framing level: a length prefix replaced by a larger, smaller or absurd varint (the rest
  left as is), an over-long varint, a group tag inserted;
- tree level (the file is decoded as a protobuf tree, changed, re-encoded with consistent
  lengths so the change reaches the ONNX semantics): fields duplicated, dropped, moved,
  wire types swapped, varints set to huge, negative or zero values (dims, data types,
  attribute ints), length-delimited values shortened or lengthened;
- ONNX level (through the ``onnx`` package): dims inflated or negative, element counts
  overflowing, raw_data cut or padded, data types swapped, external data, graph attributes,
  cycles, dangling and duplicated names, huge repeated counts, int64 constants (shape
  arithmetic, Slice bounds) set to extreme values.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

# ---- protobuf wire helpers ---------------------------------------------------------------


def encode_varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(data: bytes, pos: int) -> tuple[int, int]:
    """Returns (value, new position); raises ValueError when malformed."""
    value = 0
    for shift in range(0, 70, 7):
        if pos >= len(data):
            raise ValueError("truncated varint")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value & ((1 << 64) - 1), pos
    raise ValueError("varint too long")


@dataclass
class Field:
    number: int
    wire: int
    value: int | bytes | list[Field]  # varint/fixed as int, LEN as bytes or sub-fields
    children: bool = False  # value is a decoded sub-message
    offset: int = 0  # where the tag starts in the source bytes
    subs: list[Field] = field(default_factory=list)


def parse_tree(data: bytes, base: int = 0, depth: int = 0) -> list[Field]:
    """Decode a message; LEN payloads that decode fully as messages become sub-trees."""
    fields: list[Field] = []
    pos = 0
    while pos < len(data):
        at = pos
        tag, pos = decode_varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise ValueError("field 0")
        if wire == 0:
            value, pos = decode_varint(data, pos)
            fields.append(Field(number, wire, value, offset=base + at))
        elif wire == 1 or wire == 5:
            size = 8 if wire == 1 else 4
            if pos + size > len(data):
                raise ValueError("truncated fixed")
            value = int.from_bytes(data[pos:pos + size], "little")
            pos += size
            fields.append(Field(number, wire, value, offset=base + at))
        elif wire == 2:
            length, pos = decode_varint(data, pos)
            if pos + length > len(data):
                raise ValueError("length past end")
            payload = data[pos:pos + length]
            node = Field(number, wire, payload, offset=base + at)
            if depth < 12 and payload:
                try:
                    node.value = parse_tree(payload, base + pos, depth + 1)
                    node.children = True
                except ValueError:
                    node.value = payload
            fields.append(node)
            pos += length
        else:
            raise ValueError("wire type")
    return fields


def encode_tree(fields: list[Field]) -> bytes:
    out = bytearray()
    for f in fields:
        out += encode_varint(f.number << 3 | f.wire)
        if f.wire == 0:
            out += encode_varint(int(f.value))  # type: ignore[arg-type]
        elif f.wire == 1:
            out += (int(f.value) & ((1 << 64) - 1)).to_bytes(8, "little")  # type: ignore[arg-type]
        elif f.wire == 5:
            out += (int(f.value) & 0xFFFFFFFF).to_bytes(4, "little")  # type: ignore[arg-type]
        else:
            payload = encode_tree(f.value) if f.children else bytes(f.value)  # type: ignore[arg-type]
            out += encode_varint(len(payload)) + payload
    return bytes(out)


def all_fields(fields: list[Field]) -> list[tuple[list[Field], int]]:
    """Every (parent list, index) in the tree, depth first."""
    found: list[tuple[list[Field], int]] = []
    for i, f in enumerate(fields):
        found.append((fields, i))
        if f.children:
            found.extend(all_fields(f.value))  # type: ignore[arg-type]
    return found


def copy_tree(fields: list[Field]) -> list[Field]:
    return [
        Field(f.number, f.wire, copy_tree(f.value) if f.children else f.value,  # type: ignore[arg-type]
              f.children, f.offset)
        for f in fields
    ]


# ---- byte- and framing-level mutations ---------------------------------------------------


def _bit_flip(rng: random.Random, data: bytes, _tree: list[Field]) -> bytes:
    b = bytearray(data)
    i = rng.randrange(len(b))
    b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def _byte_set(rng: random.Random, data: bytes, _tree: list[Field]) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        b[rng.randrange(len(b))] = rng.choice((0x00, 0x7F, 0x80, 0xFF, 0x01))
    return bytes(b)


def _tag_corrupt(rng: random.Random, data: bytes, tree: list[Field]) -> bytes:
    parent, i = rng.choice(all_fields(tree))
    b = bytearray(data)
    at = parent[i].offset
    if rng.random() < 0.5:
        b[at] = (b[at] & 0xF8) | rng.choice((0, 1, 2, 3, 4, 5, 6, 7))  # wire type
    else:
        b[at] = (b[at] & 0x87) | (rng.randrange(16) << 3)  # field number
    return bytes(b)


def _length_corrupt(rng: random.Random, data: bytes, tree: list[Field]) -> bytes:
    lens = [(p, i) for p, i in all_fields(tree) if p[i].wire == 2]
    parent, i = rng.choice(lens)
    f = parent[i]
    tag_end = decode_varint(data, f.offset)[1]
    length, val_at = decode_varint(data, tag_end)
    new = rng.choice((length + 1, length + rng.randint(2, 1000), max(0, length - 1), 0,
                      (1 << 31) - 1, (1 << 32) + length, (1 << 63), (1 << 64) - 1))
    return data[:tag_end] + encode_varint(new) + data[val_at:]


def _overlong_varint(rng: random.Random, data: bytes, tree: list[Field]) -> bytes:
    parent, i = rng.choice(all_fields(tree))
    at = parent[i].offset
    junk = bytes([0xFF] * rng.randint(9, 12)) + bytes([rng.choice((0x01, 0x7F, 0x02))])
    return data[:at] + junk + data[at:]


def _group_insert(rng: random.Random, data: bytes, tree: list[Field]) -> bytes:
    parent, i = rng.choice(all_fields(tree))
    at = parent[i].offset
    tag = encode_varint(rng.randint(1, 30) << 3 | rng.choice((3, 4)))
    return data[:at] + tag + data[at:]


# ---- tree-level mutations ---------------------------------------------------------------


def _tree_mutation(kind: str) -> Callable[[random.Random, bytes, list[Field]], bytes]:
    def run(rng: random.Random, _data: bytes, tree: list[Field]) -> bytes:
        t = copy_tree(tree)
        parent, i = rng.choice(all_fields(t))
        f = parent[i]
        if kind == "duplicate":
            parent.insert(i + 1, copy_tree([f])[0])
        elif kind == "drop":
            del parent[i]
        elif kind == "move":
            g = parent.pop(i)
            parent.insert(rng.randrange(len(parent) + 1), g)
        elif kind == "wire_swap":
            if f.wire == 2:
                f.wire, f.value, f.children = rng.choice((0, 1, 5)), rng.randrange(1 << 20), False
            else:
                f.wire = rng.choice([w for w in (0, 1, 2, 5) if w != f.wire])
                if f.wire == 2:
                    f.value, f.children = encode_varint(int(f.value)), False  # type: ignore[arg-type]
        elif kind == "varint_value":
            ints = [(p, j) for p, j in all_fields(t) if p[j].wire == 0]
            if ints:
                p, j = rng.choice(ints)
                p[j].value = rng.choice((
                    0, 1, 2, 17, 255, 1 << 31, (1 << 32) - 1, 1 << 40, (1 << 63) - 1,
                    (1 << 64) - 1, (1 << 64) - 2, (1 << 64) - (1 << 40), rng.randrange(1 << 64),
                ))
        elif kind == "payload_resize":
            lens = [(p, j) for p, j in all_fields(t) if p[j].wire == 2 and not p[j].children]
            if lens:
                p, j = rng.choice(lens)
                payload = bytes(p[j].value)  # type: ignore[arg-type]
                if payload and rng.random() < 0.5:
                    p[j].value = payload[: rng.randrange(len(payload))]
                else:
                    extra = bytes(rng.randrange(256) for _ in range(rng.randint(1, 9)))
                    p[j].value = payload + extra
        elif kind == "repeat_many":
            parent[i + 1:i + 1] = [copy_tree([f])[0] for _ in range(rng.choice((50, 300)))]
        return encode_tree(t)

    return run


# ---- ONNX-level mutations -----------------------------------------------------------------


def _onnx_mutations() -> list[tuple[str, Callable[[random.Random, object], None]]]:
    from onnx import AttributeProto, TensorProto, helper

    def tensors(m):  # type: ignore[no-untyped-def]
        found = list(m.graph.initializer)
        for node in m.graph.node:
            for a in node.attribute:
                if a.type == AttributeProto.TENSOR:
                    found.append(a.t)
        return found

    def dims_inflate(rng, m):  # type: ignore[no-untyped-def]
        t = rng.choice(tensors(m))
        if not t.dims:
            t.dims.append(1)
        j = rng.randrange(len(t.dims))
        t.dims[j] = rng.choice((1 << 31, 1 << 40, (1 << 62), t.dims[j] + 1, t.dims[j] * 1000))

    def dims_negative(rng, m):  # type: ignore[no-untyped-def]
        t = rng.choice(tensors(m))
        if not t.dims:
            t.dims.append(1)
        t.dims[rng.randrange(len(t.dims))] = rng.choice((-1, -(1 << 40)))

    def dims_overflow(rng, m):  # type: ignore[no-untyped-def]
        t = rng.choice(tensors(m))
        del t.dims[:]
        t.dims.extend([1 << 21] * rng.choice((3, 4, 8)))

    def dims_many(rng, m):  # type: ignore[no-untyped-def]
        t = rng.choice(tensors(m))
        t.dims.extend([1] * rng.choice((9, 40)))

    def raw_cut(rng, m):  # type: ignore[no-untyped-def]
        ts = [t for t in tensors(m) if t.raw_data]
        if ts:
            t = rng.choice(ts)
            t.raw_data = t.raw_data[: rng.randrange(len(t.raw_data))]

    def raw_pad(rng, m):  # type: ignore[no-untyped-def]
        ts = [t for t in tensors(m) if t.raw_data]
        if ts:
            t = rng.choice(ts)
            t.raw_data = t.raw_data + bytes(rng.choice((1, 3, 4, 8)))

    def dtype_swap(rng, m):  # type: ignore[no-untyped-def]
        t = rng.choice(tensors(m))
        t.data_type = rng.choice((0, 2, 3, 5, 6, 7, 8, 9, 10, 11, 16, 40, 1 << 30))

    def typed_data(rng, m):  # type: ignore[no-untyped-def]
        t = rng.choice(tensors(m))
        t.ClearField("raw_data")
        if rng.random() < 0.5:
            t.float_data.extend([1.0] * rng.randint(0, 5))
        else:
            t.int64_data.extend([1] * rng.randint(0, 5))

    def external(rng, m):  # type: ignore[no-untyped-def]
        t = rng.choice(tensors(m))
        t.data_location = TensorProto.EXTERNAL
        e = t.external_data.add()
        e.key, e.value = "location", "weights.bin"

    def segment(rng, m):  # type: ignore[no-untyped-def]
        t = rng.choice(tensors(m))
        t.segment.begin, t.segment.end = 0, 1

    def graph_attr(rng, m):  # type: ignore[no-untyped-def]
        node = rng.choice(list(m.graph.node))
        sub = helper.make_graph([], "sub", [], [])
        node.attribute.append(helper.make_attribute("then_branch", sub))

    def cycle(rng, m):  # type: ignore[no-untyped-def]
        nodes = [n for n in m.graph.node if n.input and n.output]
        if len(nodes) >= 2:
            a, b = rng.sample(nodes, 2)
            a.input[0] = b.output[0]
            b.input[0] = a.output[0]

    def dangling(rng, m):  # type: ignore[no-untyped-def]
        nodes = [n for n in m.graph.node if n.input]
        if nodes:
            n = rng.choice(nodes)
            n.input[rng.randrange(len(n.input))] = f"no_such_tensor_{rng.randrange(100)}"

    def dup_output(rng, m):  # type: ignore[no-untyped-def]
        nodes = list(m.graph.node)
        if len(nodes) >= 2:
            a, b = rng.sample(nodes, 2)
            b.output[0] = a.output[0]

    def dup_initializer(rng, m):  # type: ignore[no-untyped-def]
        inits = list(m.graph.initializer)
        if inits:
            m.graph.initializer.append(rng.choice(inits))

    def shuffle_nodes(rng, m):  # type: ignore[no-untyped-def]
        nodes = list(m.graph.node)
        rng.shuffle(nodes)
        del m.graph.node[:]
        m.graph.node.extend(nodes)

    def huge_attr_ints(rng, m):  # type: ignore[no-untyped-def]
        node = rng.choice(list(m.graph.node))
        node.attribute.append(helper.make_attribute("junk", list(range(rng.choice((1000, 20000))))))

    def attr_type(rng, m):  # type: ignore[no-untyped-def]
        attrs = [a for n in m.graph.node for a in n.attribute]
        if attrs:
            rng.choice(attrs).type = rng.choice((0, 5, 9, 10, 11, 12, 13, 14))

    def drop_output(rng, m):  # type: ignore[no-untyped-def]
        if m.graph.output:
            m.graph.output[0].name = "never_made"

    def int_extreme(rng, m):  # type: ignore[no-untyped-def]
        # Shape arithmetic and Slice bounds: an int64 constant set to an extreme value.
        ts = [t for t in tensors(m) if t.data_type == TensorProto.INT64 and t.raw_data]
        if ts:
            t = rng.choice(ts)
            k = rng.randrange(len(t.raw_data) // 8)
            v = rng.choice(((1 << 63) - 1, -(1 << 63), (1 << 63) - 2, -(1 << 63) + 1, 1 << 31,
                            -(1 << 31), 1 << 40, -1, 0))
            t.raw_data = t.raw_data[: 8 * k] + v.to_bytes(8, "little", signed=True) + \
                t.raw_data[8 * k + 8:]

    def io_shape(rng, m):  # type: ignore[no-untyped-def]
        vi = rng.choice(list(m.graph.input) + list(m.graph.output))
        dims = vi.type.tensor_type.shape.dim
        if dims:
            dims[rng.randrange(len(dims))].dim_value = rng.choice((0, 1 << 40, 7))
        else:
            vi.type.tensor_type.elem_type = 7

    return [
        ("dims_inflate", dims_inflate), ("dims_negative", dims_negative),
        ("dims_overflow", dims_overflow), ("dims_many", dims_many), ("raw_cut", raw_cut),
        ("raw_pad", raw_pad), ("dtype_swap", dtype_swap), ("typed_data", typed_data),
        ("external", external), ("segment", segment), ("graph_attr", graph_attr),
        ("cycle", cycle), ("dangling", dangling), ("dup_output", dup_output),
        ("dup_initializer", dup_initializer), ("shuffle_nodes", shuffle_nodes),
        ("huge_attr_ints", huge_attr_ints), ("attr_type", attr_type),
        ("drop_output", drop_output), ("io_shape", io_shape), ("int_extreme", int_extreme),
    ]


# ---- corpus -------------------------------------------------------------------------------

BYTE_MUTATIONS: list[tuple[str, Callable[[random.Random, bytes, list[Field]], bytes]]] = [
    ("bitflip", _bit_flip), ("byteset", _byte_set), ("tag", _tag_corrupt),
    ("length", _length_corrupt), ("overlong", _overlong_varint), ("group", _group_insert),
]
TREE_MUTATIONS = [
    (k, _tree_mutation(k))
    for k in ("duplicate", "drop", "move", "wire_swap", "varint_value", "payload_resize",
              "repeat_many")
]


def truncation_offsets(data: bytes, tree: list[Field], limit: int) -> list[int]:
    """Offsets of every field start, one past it, and the end minus one (at most `limit`)."""
    offs: set[int] = {0, 1, len(data) - 1}
    for parent, i in all_fields(tree):
        at = parent[i].offset
        offs.update((at, at + 1, at + 2))
    ordered = sorted(o for o in offs if 0 <= o < len(data))
    if len(ordered) > limit:  # keep an even spread
        step = len(ordered) / limit
        ordered = [ordered[int(k * step)] for k in range(limit)]
    return ordered


def make_corpus(
    sources: list[tuple[str, bytes]], seed: int = 2026, per_source: int = 400,
    truncations: int = 120,
) -> list[tuple[str, bytes]]:
    """Mutated and truncated files from each source: [(file name, bytes)], deterministic."""
    import onnx

    rng = random.Random(seed)
    onnx_muts = _onnx_mutations()
    corpus: list[tuple[str, bytes]] = []
    for src_name, data in sources:
        tree = parse_tree(data)
        for off in truncation_offsets(data, tree, truncations):
            corpus.append((f"{src_name}.trunc{off:07d}.onnx", data[:off]))
        for k in range(per_source):
            roll = rng.random()
            if roll < 0.35:
                kind, fn = BYTE_MUTATIONS[rng.randrange(len(BYTE_MUTATIONS))]
                out = fn(rng, data, tree)
            elif roll < 0.70:
                kind, fn2 = TREE_MUTATIONS[rng.randrange(len(TREE_MUTATIONS))]
                out = fn2(rng, data, tree)
            else:
                kind, fn3 = onnx_muts[rng.randrange(len(onnx_muts))]
                model = onnx.ModelProto()
                model.ParseFromString(data)
                fn3(rng, model)
                out = model.SerializeToString()
            corpus.append((f"{src_name}.{k:04d}.{kind}.onnx", out))
    return corpus
