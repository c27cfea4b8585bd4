"""Leave only real compute in an exported ONNX graph with fixed shapes.

``torch.onnx.export(..., do_constant_folding=True)`` folds most constants, but traced
shape arithmetic (``x.shape[-1]`` in a crop, reshapes of FiLM vectors) can survive as
``Shape -> Gather -> ... -> Slice`` chains. With every input shape fixed, all of it is
constant. This pass, repeated until nothing changes:

- replaces ``Shape``/``Size`` of a tensor whose shape is known with a constant;
- evaluates every node whose inputs are all constant (ONNX's reference evaluator) and
  stores the result as an initializer;
- removes ``Slice``/``Reshape``/``Expand``/... whose output has its input's shape;
- turns ``Constant`` nodes into initializers, removes ``Identity`` nodes and ``Dropout``
  (inference), removes nodes and initializers that no output depends on.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

_NO_FOLD = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial"}
_SHAPE_NOOPS = {"Slice", "Reshape", "Expand", "Squeeze", "Unsqueeze", "Flatten"}
_MAX_FOLD_ELEMENTS = 1 << 24  # never materialise a huge constant (e.g. an Expand to audio size)


def _static_shapes(model: onnx.ModelProto) -> dict[str, list[int]]:
    inferred = shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    shapes: dict[str, list[int]] = {}
    values = (
        list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output)
    )
    for vi in values:
        t = vi.type.tensor_type
        if not t.HasField("shape"):
            continue
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in t.shape.dim]
        if all(d >= 0 for d in dims):
            shapes[vi.name] = dims
    return shapes


def _eval_node(node: onnx.NodeProto, consts: dict[str, np.ndarray], opset: int) -> list[np.ndarray]:
    from onnx.reference import ReferenceEvaluator

    inputs = [i for i in node.input if i]
    graph = helper.make_graph(
        [node],
        "fold",
        [
            helper.make_tensor_value_info(i, helper.np_dtype_to_tensor_dtype(consts[i].dtype), None)
            for i in inputs
        ],
        [
            helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None)
            for o in node.output
            if o
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    ev = ReferenceEvaluator(model)
    return [np.asarray(r) for r in ev.run(None, {i: consts[i] for i in inputs})]


def _opset(model: onnx.ModelProto) -> int:
    for op in model.opset_import:
        if op.domain in ("", "ai.onnx"):
            return int(op.version)
    return 17


def _one_pass(model: onnx.ModelProto) -> bool:
    g = model.graph
    opset = _opset(model)
    consts: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    graph_inputs = {i.name for i in g.input}
    shapes = _static_shapes(model)
    changed = False
    new_nodes: list[onnx.NodeProto] = []
    rename: dict[str, str] = {}
    for node in g.node:
        for k, name in enumerate(node.input):
            if name in rename:
                node.input[k] = rename[name]
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            attr = node.attribute[0]
            if attr.name == "value":
                consts[node.output[0]] = numpy_helper.to_array(attr.t)
            else:
                consts[node.output[0]] = np.asarray(helper.get_attribute_value(attr))
            changed = True
            continue
        if node.op_type in ("Identity", "Dropout") and node.domain in ("", "ai.onnx"):
            if node.op_type == "Identity" or len([o for o in node.output if o]) == 1:
                src = node.input[0]
                if src in consts:
                    consts[node.output[0]] = consts[src]
                else:
                    rename[node.output[0]] = src
                changed = True
                continue
        if node.op_type in ("Shape", "Size") and node.input[0] in shapes:
            dims = np.array(shapes[node.input[0]], dtype=np.int64)
            if node.op_type == "Size":
                consts[node.output[0]] = np.array(int(np.prod(dims)), dtype=np.int64)
            else:
                start, end = 0, len(dims)
                for a in node.attribute:
                    if a.name == "start":
                        start = a.i
                    elif a.name == "end":
                        end = a.i
                consts[node.output[0]] = dims[start:end]
            changed = True
            continue
        if (
            node.op_type in _SHAPE_NOOPS
            and node.input[0] in shapes
            and node.output[0] in shapes
            and shapes[node.input[0]] == shapes[node.output[0]]
            and node.input[0] not in consts
        ):
            rename[node.output[0]] = node.input[0]  # a crop or reshape that changes nothing
            changed = True
            continue
        ins = [i for i in node.input if i]
        if (
            node.domain in ("", "ai.onnx")
            and node.op_type not in _NO_FOLD
            and ins
            and all(i in consts and i not in graph_inputs for i in ins)
        ):
            try:
                results = _eval_node(node, consts, opset)
            except Exception:
                results = None
            if results is not None and all(r.size <= _MAX_FOLD_ELEMENTS for r in results):
                for name, r in zip([o for o in node.output if o], results, strict=False):
                    consts[name] = r
                changed = True
                continue
        new_nodes.append(node)

    # graph outputs that became renamed or constant need a node to produce them
    for out in g.output:
        if out.name in rename:
            new_nodes.append(helper.make_node("Identity", [rename[out.name]], [out.name]))
            rename.pop(out.name)
    # keep only what outputs depend on
    needed = {o.name for o in g.output}
    kept: list[onnx.NodeProto] = []
    for node in reversed(new_nodes):
        if any(o in needed for o in node.output):
            kept.append(node)
            needed.update(i for i in node.input if i)
        else:
            changed = True
    kept.reverse()
    used_inits = [n for n in needed if n in consts]
    old_inits = {t.name for t in g.initializer}
    if set(used_inits) != old_inits:
        changed = True
    del g.node[:]
    g.node.extend(kept)
    del g.initializer[:]
    for name in sorted(used_inits, key=lambda n: (n not in old_inits, n)):
        g.initializer.append(numpy_helper.from_array(np.ascontiguousarray(consts[name]), name))
    # initializers must not be listed as graph inputs (IR >= 4)
    real_inputs = [i for i in g.input if i.name not in consts]
    if len(real_inputs) != len(g.input):
        del g.input[:]
        g.input.extend(real_inputs)
    del g.value_info[:]
    return changed


def simplify(model: onnx.ModelProto, max_passes: int = 20) -> onnx.ModelProto:
    """Fold shape arithmetic and constants in place and return the model (checked)."""
    for _ in range(max_passes):
        if not _one_pass(model):
            break
    onnx.checker.check_model(model)
    return model


def op_counts(model: onnx.ModelProto) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in model.graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts
