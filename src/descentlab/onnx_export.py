"""Export a ``descentlab.nn`` network to ONNX, for ONNX Runtime and every other ONNX runtime.

The model is walked module by module (``Sequential`` and ``Residual`` recursively) and each
layer becomes the ONNX operators that compute the same function in eval mode, written with the
``onnx`` package's helper API; weights become float32 initializers. Shapes are found by running
each layer once on a zero batch, so a layer's ONNX attributes come from what it really does.

Supported: Linear, Conv1d/Conv2d (stride, padding incl. 'same', dilation), MaxPool1d/2d,
AvgPool1d/2d, BatchNorm1d/2d, LayerNorm, Dropout and Identity (no-ops in eval), Flatten,
Residual, Sequential, and the activations ReLU, LeakyReLU, Sigmoid, Tanh, GELU, ELU, Softplus,
SiLU, Softmax, LogSoftmax.

Optionally the graph starts with the run's preprocessing, ``(x - mean) / std`` and the reshape
from ``(N, n_features)`` to the network's input shape, so a deployed model takes raw features.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

OPSET = 20  # Gelu (exact and tanh) is an ONNX operator from opset 20
IR_VERSION = 10


class ExportError(ValueError):
    """A model that cannot be written as ONNX (an unsupported layer), or a bad export request."""


@dataclass
class _Graph:
    """The nodes and initializers built so far, with unique names."""

    nodes: list = field(default_factory=list)
    initializers: list = field(default_factory=list)
    count: int = 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, hint: str, value: Any, dtype: Any = np.float32) -> str:
        from onnx import numpy_helper

        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, **attrs: Any) -> str:
        from onnx import helper

        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out


def _np(t: Any) -> np.ndarray:
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _linear(g: _Graph, m, x: str, shape_in, shape_out) -> str:
    y = g.op("MatMul", [x, g.const("weight_t", _np(m.weight).T)])
    return g.op("Add", [y, g.const("bias", _np(m.bias))]) if m.bias is not None else y


def _conv(g: _Graph, m, x: str, shape_in, shape_out) -> str:
    n = len(m.kernel_size)
    if m.padding == "valid":
        begins = ends = [0] * n
    elif m.padding == "same":  # total d*(k-1); an odd extra zero goes at the end, as in torch
        totals = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size, strict=True)]
        begins = [t // 2 for t in totals]
        ends = [t - t // 2 for t in totals]
    else:
        begins = ends = list(m.padding)
    inputs = [x, g.const("weight", _np(m.weight))]
    if m.bias is not None:
        inputs.append(g.const("bias", _np(m.bias)))
    return g.op(
        "Conv",
        inputs,
        kernel_shape=list(m.kernel_size),
        strides=list(m.stride),
        dilations=list(m.dilation),
        pads=[*begins, *ends],
        group=m.groups,
    )


def _pool(op_type: str) -> Callable:
    def convert(g: _Graph, m, x: str, shape_in, shape_out) -> str:
        extra = {"count_include_pad": 1} if op_type == "AveragePool" else {}
        return g.op(
            op_type,
            [x],
            kernel_shape=list(m.kernel_size),
            strides=list(m.stride),
            pads=[*m.padding, *m.padding],
            **extra,
        )

    return convert


def _batch_norm(g: _Graph, m, x: str, shape_in, shape_out) -> str:
    c = m.num_features
    scale = _np(m.weight) if m.weight is not None else np.ones(c)
    bias = _np(m.bias) if m.bias is not None else np.zeros(c)
    if m.track_running_stats:
        return g.op(
            "BatchNormalization",
            [
                x,
                g.const("scale", scale),
                g.const("bias", bias),
                g.const("mean", _np(m.running_mean)),
                g.const("var", _np(m.running_var)),
            ],
            epsilon=m.eps,
        )
    # Without running statistics, eval mode normalises with the batch's own (biased) ones.
    axes = g.const("axes", [0, *range(2, len(shape_in))], np.int64)
    centred = g.op("Sub", [x, g.op("ReduceMean", [x, axes], keepdims=1)])
    var = g.op("ReduceMean", [g.op("Mul", [centred, centred]), axes], keepdims=1)
    inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [var, g.const("eps", m.eps)])])])
    per_channel = (1, c) + (1,) * (len(shape_in) - 2)
    y = g.op("Mul", [g.op("Mul", [centred, inv]), g.const("scale", scale.reshape(per_channel))])
    return g.op("Add", [y, g.const("bias", bias.reshape(per_channel))])


def _layer_norm(g: _Graph, m, x: str, shape_in, shape_out) -> str:
    shape = m.normalized_shape
    scale = _np(m.weight) if m.weight is not None else np.ones(shape)
    inputs = [x, g.const("scale", scale)]
    if m.bias is not None:
        inputs.append(g.const("bias", _np(m.bias)))
    return g.op("LayerNormalization", inputs, axis=-len(shape), epsilon=m.eps)


def _flatten(g: _Graph, m, x: str, shape_in, shape_out) -> str:
    nd = len(shape_in)
    start = m.start_dim + nd if m.start_dim < 0 else m.start_dim
    end = m.end_dim + nd if m.end_dim < 0 else m.end_dim
    if start == 1 and end == nd - 1:
        return g.op("Flatten", [x], axis=1)
    # 0 copies a dimension (the batch), -1 takes what is left: the merged run of dimensions.
    target = [0] * start + [-1] + list(shape_in[end + 1 :])
    return g.op("Reshape", [x, g.const("shape", target, np.int64)])


def _softplus(g: _Graph, m, x: str, shape_in, shape_out) -> str:
    return g.op("Softplus", [x])


def _silu(g: _Graph, m, x: str, shape_in, shape_out) -> str:
    return g.op("Mul", [x, g.op("Sigmoid", [x])])


def _simple(op_type: str, **attrs: Callable[[Any], Any]) -> Callable:
    def convert(g: _Graph, m, x: str, shape_in, shape_out) -> str:
        return g.op(op_type, [x], **{k: get(m) for k, get in attrs.items()})

    return convert


def _identity(g: _Graph, m, x: str, shape_in, shape_out) -> str:
    return x


def _converters() -> dict[type, Callable]:
    from descentlab import nn

    return {
        nn.Linear: _linear,
        nn.Conv1d: _conv,
        nn.Conv2d: _conv,
        nn.MaxPool1d: _pool("MaxPool"),
        nn.MaxPool2d: _pool("MaxPool"),
        nn.AvgPool1d: _pool("AveragePool"),
        nn.AvgPool2d: _pool("AveragePool"),
        nn.BatchNorm1d: _batch_norm,
        nn.BatchNorm2d: _batch_norm,
        nn.LayerNorm: _layer_norm,
        nn.Flatten: _flatten,
        nn.Dropout: _identity,
        nn.Identity: _identity,
        nn.ReLU: _simple("Relu"),
        nn.LeakyReLU: _simple("LeakyRelu", alpha=lambda m: m.negative_slope),
        nn.Sigmoid: _simple("Sigmoid"),
        nn.Tanh: _simple("Tanh"),
        nn.GELU: _simple("Gelu", approximate=lambda m: m.approximate),
        nn.ELU: _simple("Elu", alpha=lambda m: m.alpha),
        nn.Softplus: _softplus,
        nn.SiLU: _silu,
        nn.Softmax: _simple("Softmax", axis=lambda m: m.dim),
        nn.LogSoftmax: _simple("LogSoftmax", axis=lambda m: m.dim),
    }


def _emit(g: _Graph, module, x: str, sample, table: dict) -> tuple[str, Any]:
    """ONNX for ``module`` applied to the tensor named ``x`` (``sample``: its value on a
    zero batch); returns the output's name and value."""
    from descentlab import nn

    if isinstance(module, nn.Sequential):
        for child in module:
            x, sample = _emit(g, child, x, sample, table)
        return x, sample
    if isinstance(module, nn.Residual):
        inner, out = _emit(g, module.block, x, sample, table)
        return g.op("Add", [x, inner]), sample + out
    convert = table.get(type(module))
    if convert is None:
        names = sorted(t.__name__ for t in table) + ["Residual", "Sequential"]
        raise ExportError(
            f"export: cannot write {type(module).__name__} as ONNX (supported layers: "
            f"{', '.join(sorted(names))})"
        )
    out = module(sample)
    return convert(g, module, x, tuple(sample.shape), tuple(out.shape)), out


def to_onnx(
    model,
    in_shape: tuple[int, ...],
    *,
    mean: np.ndarray | None = None,
    std: np.ndarray | None = None,
    probabilities: bool = False,
    metadata: dict[str, Any] | None = None,
):
    """The ONNX ``ModelProto`` of ``model`` in eval mode.

    Args:
        model: a ``descentlab.nn`` module built from the supported layers.
        in_shape: one example's shape as the network takes it, e.g. ``(64,)`` or ``(1, 8, 8)``.
        mean, std: when given, the graph takes raw features ``(N, prod(in_shape))`` and
            computes ``reshape((x - mean) / std, (N, *in_shape))`` first.
        probabilities: add a second output, ``probabilities``: softmax over the logits (or,
            for one logit, ``[1 - sigmoid(z), sigmoid(z)]``).
        metadata: stored as JSON strings in the model's ``metadata_props``.

    Returns:
        An ``onnx.ModelProto`` with input ``input`` (float32, batch dimension ``N``) and output
        ``logits`` (and ``probabilities``); checked with ``onnx.checker``.

    Raises:
        ExportError: a layer without an ONNX translation (the message lists the supported ones).
    """
    import onnx
    from onnx import TensorProto, helper

    import descentlab as dl

    was_training = model.training
    model.eval()
    try:
        g = _Graph()
        size = int(np.prod(in_shape))
        x = "input"
        if mean is not None:
            input_shape: list[Any] = ["N", size]
            x = g.op("Sub", [x, g.const("mean", np.reshape(mean, (1, size)))])
            x = g.op("Div", [x, g.const("std", np.reshape(std, (1, size)))])
            if tuple(in_shape) != (size,):
                x = g.op("Reshape", [x, g.const("shape", [-1, *in_shape], np.int64)])
        else:
            input_shape = ["N", *in_shape]
        with dl.no_grad():
            sample = dl.zeros((2, *in_shape))
            logits, out = _emit(g, model, x, sample, _converters())
        g.nodes.append(helper.make_node("Identity", [logits], ["logits"]))
        n_out = list(out.shape[1:])
        outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", *n_out])]
        if probabilities:
            if n_out == [1]:
                p1 = g.op("Sigmoid", [logits])
                p0 = g.op("Sub", [g.const("one", 1.0), p1])
                g.nodes.append(helper.make_node("Concat", [p0, p1], ["probabilities"], axis=1))
                n_classes = 2
            else:
                g.nodes.append(helper.make_node("Softmax", [logits], ["probabilities"], axis=-1))
                n_classes = n_out[-1]
            outputs.append(
                helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", n_classes])
            )
        graph = helper.make_graph(
            g.nodes,
            "descentlab",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, input_shape)],
            outputs,
            g.initializers,
        )
        proto = helper.make_model(
            graph,
            producer_name="descentlab",
            opset_imports=[helper.make_opsetid("", OPSET)],
            ir_version=IR_VERSION,
        )
        for key, value in (metadata or {}).items():
            proto.metadata_props.append(
                onnx.StringStringEntryProto(key=key, value=json.dumps(value))
            )
        onnx.checker.check_model(proto, full_check=True)
        return proto
    finally:
        model.train(was_training)


def export_run(trained, path: str | Path) -> Path:
    """Write a loaded run (:func:`descentlab.train.load_run`) as ONNX to ``path``.

    The graph takes raw features, applies the run's standardisation, and outputs ``logits``
    and, for classification, ``probabilities``; the class labels, feature names, task and
    source run are in ``metadata_props`` (JSON).
    """
    import onnx

    prep = trained.preprocessing
    meta = {
        "task": prep.task,
        "classes": prep.classes,
        "features": prep.features,
        "in_shape": list(prep.in_shape),
        "checkpoint": str(trained.checkpoint),
        "epoch": trained.epoch,
    }
    mean, std = prep.mean, prep.std
    if mean is None:  # still take flat features, as predict does
        size = int(np.prod(prep.in_shape))
        mean, std = np.zeros(size), np.ones(size)
    proto = to_onnx(
        trained.model,
        prep.in_shape,
        mean=np.broadcast_to(mean, (1, *prep.in_shape)).reshape(-1),
        std=np.broadcast_to(std, (1, *prep.in_shape)).reshape(-1),
        probabilities=prep.task == "classification",
        metadata=meta,
    )
    path = Path(path)
    onnx.save(proto, str(path))
    return path
