"""The public function API (import as ``F``), with PyTorch's names and arguments.

Activations, softmax-like functions, linear and convolution layers as functions,
pooling, dropout, padding, and losses. Each is one op from ops/ or a short composition.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descentlab import random as _random
from descentlab.ops import conv as _conv
from descentlab.ops import dropout as _dropout
from descentlab.ops import matmul as _matmul
from descentlab.ops import pool as _pool
from descentlab.ops import select as _select
from descentlab.ops import shape as _shape
from descentlab.ops import softmax as _softmax
from descentlab.ops import unary as _unary
from descentlab.ops.base import normalize_axis
from descentlab.tensor import Tensor, _lift, apply

__all__ = [
    "avg_pool1d", "avg_pool2d", "binary_cross_entropy_with_logits", "clip", "concatenate",
    "conv1d", "conv2d", "cross_entropy", "dropout", "elu", "gelu", "hinge_loss", "l1_loss",
    "leaky_relu", "linear", "log_softmax", "logsumexp", "max_pool1d", "max_pool2d", "maximum",
    "minimum", "mse_loss", "multi_margin_loss", "nll_loss", "pad", "relu", "sigmoid", "silu",
    "softmax", "softplus", "stack", "tanh", "where",
]  # fmt: skip

_REDUCTIONS = ("mean", "sum", "none")


def _tensor(x: Any, name: str = "input") -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor(x)


# ------------------------------------------------------------------ activations
def relu(x: Tensor) -> Tensor:
    """max(x, 0); gradient 0 at x = 0 (PyTorch's convention)."""
    return apply(_unary.ReLU, x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return apply(_unary.LeakyReLU, x, negative_slope=negative_slope)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), computed without overflow for any x."""
    return apply(_unary.Sigmoid, x)


def tanh(x: Tensor) -> Tensor:
    return apply(_unary.Tanh, x)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) with Phi the standard normal CDF; ``approximate="tanh"`` as in PyTorch."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', received {approximate!r}")
    return apply(_unary.GELU, x, approximate=approximate)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    return apply(_unary.ELU, x, alpha=alpha)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return apply(_unary.Softplus, x, beta=beta, threshold=threshold)


def silu(x: Tensor) -> Tensor:
    """x * sigmoid(x)."""
    return apply(_unary.SiLU, x)


def softmax(x: Tensor, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim``, shifted by the max for stability."""
    dim = axis if axis is not None else dim
    return apply(_softmax.Softmax, x, axis=normalize_axis(dim, x.ndim, "softmax"))


def log_softmax(x: Tensor, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """x_i - logsumexp(x) along ``dim``."""
    dim = axis if axis is not None else dim
    return apply(_softmax.LogSoftmax, x, axis=normalize_axis(dim, x.ndim, "log_softmax"))


def logsumexp(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
              keepdims: bool | None = None) -> Tensor:  # fmt: skip
    """log(sum(exp(x))) along ``dim`` (all elements when None), computed stably."""
    return x.logsumexp(dim, keepdim, axis=axis, keepdims=keepdims)


# ---------------------------------------------------------------- choosing
def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a`` where ``condition`` holds, else ``b`` (condition gets no grad)."""
    cond = np.asarray(condition._data if isinstance(condition, Tensor) else condition, dtype=bool)
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else Tensor(a)
    return apply(_select.Where, _lift(a, like), _lift(b, like), condition=cond)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max; at a tie each input gets half the gradient (as PyTorch)."""
    like = a if isinstance(a, Tensor) else _tensor(b)
    return apply(_select.Maximum, _lift(a, like), _lift(b, like))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min; at a tie each input gets half the gradient (as PyTorch)."""
    like = a if isinstance(a, Tensor) else _tensor(b)
    return apply(_select.Minimum, _lift(a, like), _lift(b, like))


def clip(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    return x.clip(min, max)


def concatenate(tensors: Any, axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis."""
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: expected at least one tensor, received none")
    axis = normalize_axis(dim if dim is not None else axis, tensors[0].ndim, "concatenate")
    return apply(_shape.Concatenate, *tensors, axis=axis)


def stack(tensors: Any, axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected at least one tensor, received none")
    axis = normalize_axis(dim if dim is not None else axis, tensors[0].ndim + 1, "stack")
    return apply(_shape.Stack, *tensors, axis=axis)


def pad(x: Tensor, pad: tuple[int, ...], value: float = 0.0) -> Tensor:
    """Constant padding, PyTorch's order: (last_before, last_after, 2nd_last_before, ...)."""
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim or any(int(p) != p or p < 0 for p in pad):
        raise ValueError(
            f"pad: expected an even number (at most {2 * x.ndim}) of non-negative ints, "
            f"received {pad}"
        )
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return apply(_shape.Pad, x, widths=tuple(widths), value=value)


# --------------------------------------------------------------- layers
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W^T + b: x (*, in), weight (out, in), bias (out,) -> (*, out)."""
    if bias is None:
        return apply(_matmul.Linear, x, weight)
    return apply(_matmul.Linear, x, weight, bias)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], received {p}")
    if not training or p == 0:
        return x
    return apply(_dropout.Dropout, x, p=p, generator=_random.get_generator())


def _pair(value: Any, name: str, op: str, minimum: int) -> tuple[int, int]:
    pair = tuple(value) if isinstance(value, tuple | list) else (value, value)
    if len(pair) != 2 or any(not isinstance(v, int | np.integer) or v < minimum for v in pair):
        raise ValueError(
            f"{op}: {name} must be an int >= {minimum} or a pair of them, received {value!r}"
        )
    return int(pair[0]), int(pair[1])


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1) -> Tensor:  # fmt: skip
    """2-D cross-correlation: x (N, C, H, W), weight (O, C, KH, KW), bias (O,).

    Output (N, O, OH, OW) with OH = (H + 2 padding - dilation (KH - 1) - 1) // stride + 1.
    """
    stride = _pair(stride, "stride", "conv2d", 1)
    padding = _pair(padding, "padding", "conv2d", 0)
    dilation = _pair(dilation, "dilation", "conv2d", 1)
    if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"conv2d: input {x.shape} and weight {weight.shape}: expected input (N, C, H, W) "
            f"and weight (O, C, KH, KW) with the same C"
        )
    for axis in (0, 1):
        size = x.shape[2 + axis] + 2 * padding[axis]
        if size < dilation[axis] * (weight.shape[2 + axis] - 1) + 1:
            raise ValueError(
                f"conv2d: input {x.shape} with padding {padding} is smaller than the "
                f"(dilated) kernel {weight.shape[2:]}"
            )
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return apply(_conv.Conv2d, *inputs, stride=stride, padding=padding, dilation=dilation)


def conv1d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1,
           padding: int = 0, dilation: int = 1) -> Tensor:  # fmt: skip
    """1-D cross-correlation: x (N, C, L), weight (O, C, K) -> (N, O, L_out); via conv2d."""
    if x.ndim != 3 or weight.ndim != 3:
        raise ValueError(
            f"conv1d: input {x.shape} and weight {weight.shape}: expected (N, C, L) and (O, C, K)"
        )
    out = conv2d(
        x.unsqueeze(2), weight.unsqueeze(2), bias, (1, stride), (0, padding), (1, dilation)
    )
    return out.squeeze(2)


def _pool_args(op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any):
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input (N, C, H, W), received shape {x.shape}")
    kernel = _pair(kernel_size, "kernel_size", op, 1)
    stride = kernel if stride is None else _pair(stride, "stride", op, 1)
    padding = _pair(padding, "padding", op, 0)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel {kernel}")
    if any(x.shape[2 + i] + 2 * padding[i] < kernel[i] for i in (0, 1)):
        raise ValueError(f"{op}: input {x.shape} is smaller than the kernel {kernel}")
    return kernel, stride, padding


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Max over KH x KW windows of x (N, C, H, W); stride defaults to the kernel size."""
    kernel, stride, padding = _pool_args("max_pool2d", x, kernel_size, stride, padding)
    return apply(_pool.MaxPool2d, x, kernel=kernel, stride=stride, padding=padding)


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Mean over KH x KW windows of x (N, C, H, W); zero padding counts in the mean."""
    kernel, stride, padding = _pool_args("avg_pool2d", x, kernel_size, stride, padding)
    return apply(_pool.AvgPool2d, x, kernel=kernel, stride=stride, padding=padding)


def _pool1d(fn, x: Tensor, kernel_size: int, stride: int | None, padding: int) -> Tensor:
    if x.ndim != 3:
        raise ValueError(
            f"{fn.__name__[:-2]}1d: expected input (N, C, L), received shape {x.shape}"
        )
    stride = kernel_size if stride is None else stride
    return fn(x.unsqueeze(2), (1, kernel_size), (1, stride), (0, padding)).squeeze(2)


def max_pool1d(x: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0) -> Tensor:
    """Max over windows of length K of x (N, C, L)."""
    return _pool1d(max_pool2d, x, kernel_size, stride, padding)


def avg_pool1d(x: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0) -> Tensor:
    """Mean over windows of length K of x (N, C, L)."""
    return _pool1d(avg_pool2d, x, kernel_size, stride, padding)


# ------------------------------------------------------------------- losses
def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, received {reduction!r}")


def _reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """Per-element losses, their mean or their sum, as ``reduction`` asks."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_same_shape(op: str, input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        raise ValueError(
            f"{op}: input {input.shape} and target {target.shape} must have the same shape"
        )


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """mean((input - target)^2) (or sum, or none)."""
    _check_reduction("mse_loss", reduction)
    target = _lift(target, input)
    _check_same_shape("mse_loss", input, target)
    return apply(_softmax.MSELoss, input, target, reduction=reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """mean(|input - target|)."""
    _check_reduction("l1_loss", reduction)
    target = _lift(target, input)
    _check_same_shape("l1_loss", input, target)
    return _reduce_loss((input - target).abs(), reduction)


def _class_target(op: str, logits: Tensor, target: Any) -> Tensor:
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    n, classes = logits.shape[0], logits.shape[1]
    if target.dtype.kind in "iu":
        if target.shape != (n,):
            raise ValueError(
                f"{op}: class-index target must have shape ({n},), received {target.shape}"
            )
        labels = target._data
        # One pass for both bounds: read as unsigned, a negative label is above any class.
        unsigned = labels.view(labels.dtype.str.replace("i", "u"))
        if labels.size and unsigned.max() >= classes:
            raise ValueError(
                f"{op}: target classes must be in [0, {classes - 1}], received values in "
                f"[{target._data.min()}, {target._data.max()}]"
            )
        return target
    if target.shape != logits.shape:
        raise ValueError(
            f"{op}: target must be class indices ({n},) or probabilities {logits.shape}, "
            f"received shape {target.shape} of dtype {target.dtype}"
        )
    return _lift(target, logits)


def _classes_last(op: str, x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N*d1*..., C); (C,) -> (1, C)."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x
    order = (0, *range(2, x.ndim), 1)
    return x.permute(*order).reshape(-1, x.shape[1])


def cross_entropy(input: Tensor, target: Any, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:  # fmt: skip
    """Softmax cross-entropy of logits (N, C) against class indices (N,) or probabilities (N, C).

    loss_n = -sum_c q_nc log softmax(input_n)_c, where q is the one-hot target (or the given
    probabilities) mixed with the uniform distribution by ``label_smoothing``.
    """
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be in [0, 1], received {label_smoothing}"
        )
    if input.ndim < 1:
        raise ValueError(f"cross_entropy: expected logits (N, C), received shape {input.shape}")
    spatial = input.ndim > 2
    logits = _classes_last("cross_entropy", input)
    if spatial:
        target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
        target = target.reshape(-1) if target.dtype.kind in "iu" else _classes_last("", target)
    elif input.ndim == 1 and isinstance(target, int | np.integer):
        target = Tensor(np.array([target]))
    target = _class_target("cross_entropy", logits, target)
    loss = apply(_softmax.CrossEntropy, logits, target,
                 label_smoothing=float(label_smoothing), reduction=reduction)  # fmt: skip
    if reduction == "none" and spatial:
        return loss.reshape(input.shape[0], *input.shape[2:])
    if reduction == "none" and input.ndim == 1:
        return loss.reshape(())
    return loss


def nll_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """-input[n, target_n] averaged over n, for log-probabilities ``input`` (N, C)."""
    _check_reduction("nll_loss", reduction)
    if input.ndim != 2:
        raise ValueError(f"nll_loss: expected log-probabilities (N, C), received {input.shape}")
    target = _class_target("nll_loss", input, target)
    if target.dtype.kind not in "iu":
        raise ValueError("nll_loss: target must hold class indices (an integer tensor)")
    return _reduce_loss(-input[np.arange(input.shape[0]), target._data], reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:  # fmt: skip
    """-[w y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))], w = pos_weight on positives.

    Computed from the logits x directly, so it never takes log of 0.
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    target = _lift(target, input)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    weight = (
        None
        if pos_weight is None
        else np.asarray(
            pos_weight._data if isinstance(pos_weight, Tensor) else pos_weight, dtype=input.dtype
        )
    )
    return apply(_softmax.BCEWithLogits, input, target, pos_weight=weight, reduction=reduction)


def multi_margin_loss(input: Tensor, target: Any, p: int = 1, margin: float = 1.0,
                      reduction: str = "mean") -> Tensor:  # fmt: skip
    """Multi-class hinge loss: sum_{i != y} max(0, margin - x_y + x_i)^p / C per sample."""
    _check_reduction("multi_margin_loss", reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: p must be 1 or 2, received {p}")
    if input.ndim != 2:
        raise ValueError(f"multi_margin_loss: expected scores (N, C), received {input.shape}")
    target = _class_target("multi_margin_loss", input, target)
    n, classes = input.shape
    rows = np.arange(n)
    correct = input[rows, target._data].reshape(n, 1)
    others = np.ones((n, classes), dtype=input.dtype)
    others[rows, target._data] = 0
    hinge = (margin - correct + input).relu()
    if p == 2:
        hinge = hinge * hinge
    return _reduce_loss((hinge * others).sum(1) / classes, reduction)


hinge_loss = multi_margin_loss
