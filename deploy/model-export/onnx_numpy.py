"""Minimal NumPy interpreter for the ONNX graph of all-MiniLM-L6-v2 (opset 11).

Debian's python3-onnx (1.12) has no onnx.reference evaluator and onnxruntime is
not installable here, so this runs the graph node by node with NumPy. It is an
implementation independent of the PyTorch module in export_minilm.py, which is
what makes it useful as a cross-check. Only the ops that graph uses are
supported; anything else fails loudly rather than computing something wrong.
"""

import math

import numpy as np
import onnx
from onnx import numpy_helper

_erf = np.frompyfunc(math.erf, 1, 1)


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _div(a, b):
    if np.issubdtype(a.dtype, np.integer):
        # ONNX integer Div truncates toward zero, NumPy's // floors.
        return (np.trunc(a / b)).astype(a.dtype)
    return a / b


def _softmax(x, axis):
    # Opset < 13 semantics: flatten to 2-D around `axis`, softmax the rows.
    axis = axis if axis >= 0 else axis + x.ndim
    rows = int(np.prod(x.shape[:axis], dtype=np.int64))
    flat = x.reshape(rows, -1)
    e = np.exp(flat - flat.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(x.shape)


def _reshape(x, shape):
    shape = [x.shape[i] if d == 0 else int(d) for i, d in enumerate(shape)]
    return x.reshape(shape)


def _slice(data, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * data.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        index[int(a)] = slice(int(s), int(e), int(st))
    return data[tuple(index)]


def _cast(x, to):
    return x.astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[to])


_OPS = {
    "Add": lambda n, a, b: a + b,
    "Sub": lambda n, a, b: a - b,
    "Mul": lambda n, a, b: a * b,
    "Div": lambda n, a, b: _div(a, b),
    "Pow": lambda n, a, b: np.power(a, b).astype(a.dtype),
    "Sqrt": lambda n, a: np.sqrt(a),
    "Erf": lambda n, a: _erf(a).astype(a.dtype),
    "MatMul": lambda n, a, b: np.matmul(a, b),
    "Shape": lambda n, a: np.array(a.shape, dtype=np.int64),
    "Gather": lambda n, a, i: np.take(a, i, axis=_attrs(n).get("axis", 0)),
    "Unsqueeze": lambda n, a: np.expand_dims(a, tuple(_attrs(n)["axes"])),
    "Concat": lambda n, *xs: np.concatenate(xs, axis=_attrs(n)["axis"]),
    "Reshape": lambda n, a, s: _reshape(a, s),
    "Transpose": lambda n, a: np.transpose(a, _attrs(n)["perm"]),
    "ReduceMean": lambda n, a: np.mean(
        a, axis=tuple(_attrs(n)["axes"]), keepdims=bool(_attrs(n).get("keepdims", 1))
    ).astype(a.dtype),
    "Softmax": lambda n, a: _softmax(a, _attrs(n).get("axis", 1)),
    "Slice": lambda n, *xs: _slice(*xs),
    "Cast": lambda n, a: _cast(a, _attrs(n)["to"]),
}


def run(model: onnx.ModelProto, feeds: dict) -> dict:
    """Evaluates `model` on `feeds` (name -> ndarray); returns the graph outputs."""
    g = model.graph
    values = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    values.update(feeds)
    # ONNX requires nodes to be stored in topological order.
    for node in g.node:
        if node.op_type == "Constant":
            values[node.output[0]] = numpy_helper.to_array(_attrs(node)["value"])
            continue
        op = _OPS.get(node.op_type)
        if op is None:
            raise NotImplementedError(f"ONNX op {node.op_type} ({node.name}) not supported")
        inputs = [values[name] if name else None for name in node.input]
        values[node.output[0]] = np.asarray(op(node, *inputs))
    return {o.name: values[o.name] for o in g.output}
