"""Reductions: sum, mean, max/min, var, logsumexp.

Max/min ties follow PyTorch: over the whole tensor (no dim) the gradient is shared evenly
among the tied elements; along a dim it goes to the first maximal element, as the index
returned by ``torch.max(x, dim)`` does. Max, min and mean of an empty selection are errors.
"""

from __future__ import annotations

import math

import numpy as np

from descentlab.ops.base import Op


def restore_reduced_axes(grad: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    """Give a reduced result back the axes it lost (as size 1), so it broadcasts."""
    if axis is not None and not keepdims:
        return np.expand_dims(grad, axis)
    return grad


def drop_reduced_axes(out: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    """Remove the size-1 axes of a reduction computed with keepdims=True, unless asked."""
    if keepdims:
        return out
    return out.reshape(()) if axis is None else np.squeeze(out, axis=axis)


def _expand_back(grad: np.ndarray, shape: tuple[int, ...], axis, keepdims: bool) -> np.ndarray:
    """Give a reduced gradient its reduced axes back, then broadcast to ``shape``."""
    return np.broadcast_to(restore_reduced_axes(grad, axis, keepdims), shape)


def _count(shape: tuple[int, ...], axis) -> int:
    if axis is None:
        return math.prod(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return math.prod(shape[a] for a in axes)


def _reject_empty(op: str, shape: tuple[int, ...], axis) -> None:
    if _count(shape, axis) == 0:
        raise ValueError(f"{op}: cannot reduce an empty selection of a tensor of shape {shape}")


class Sum(Op):
    name = "sum"

    @staticmethod
    def forward(ctx, a, axis, keepdims: bool):
        ctx.saved = (a.shape, axis, keepdims)
        return a.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        shape, axis, keepdims = ctx.saved
        return (_expand_back(grad, shape, axis, keepdims),)


class Mean(Op):
    name = "mean"

    @staticmethod
    def forward(ctx, a, axis, keepdims: bool):
        _reject_empty("mean", a.shape, axis)
        ctx.saved = (a.shape, axis, keepdims, _count(a.shape, axis))
        return a.mean(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        shape, axis, keepdims, count = ctx.saved
        return (_expand_back(grad / count, shape, axis, keepdims),)


class Var(Op):
    """Variance with Bessel's ``correction`` (1: unbiased, 0: biased), as torch.var."""

    name = "var"

    @staticmethod
    def forward(ctx, a, axis, keepdims: bool, correction: int):
        _reject_empty("var", a.shape, axis)
        centred = a - a.mean(axis=axis, keepdims=True)
        denom = max(_count(a.shape, axis) - correction, 0)
        ctx.saved = (centred, axis, keepdims, denom)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (centred * centred).sum(axis=axis, keepdims=keepdims) / denom

    @staticmethod
    def backward(ctx, grad):
        centred, axis, keepdims, denom = ctx.saved
        grad = restore_reduced_axes(grad, axis, keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad * (2.0 / denom) * centred,)


class _Extreme(Op):
    """Shared code of Max and Min; subclasses set ``_pick`` and ``_arg``."""

    _pick = staticmethod(np.max)
    _arg = staticmethod(np.argmax)

    @classmethod
    def forward(cls, ctx, a, axis, keepdims: bool):
        _reject_empty(cls.name, a.shape, axis)
        out = cls._pick(a, axis=axis, keepdims=True)
        ctx.saved = (a, out, axis, keepdims)
        return drop_reduced_axes(out, axis, keepdims)

    @classmethod
    def backward(cls, ctx, grad):
        a, out, axis, keepdims = ctx.saved
        grad = restore_reduced_axes(grad, axis, keepdims)
        if axis is None or isinstance(axis, tuple):
            # Whole-tensor (or multi-axis) extreme: share evenly among ties.
            mask = a == out
            return (mask * (grad / mask.sum(axis=axis, keepdims=True)),)
        index = np.expand_dims(cls._arg(a, axis=axis), axis)
        result = np.zeros(a.shape, dtype=np.result_type(grad, a))
        np.put_along_axis(result, index, np.broadcast_to(grad, index.shape), axis=axis)
        return (result,)


class Max(_Extreme):
    name = "max"
    _pick = staticmethod(np.max)
    _arg = staticmethod(np.argmax)


class Min(_Extreme):
    name = "min"
    _pick = staticmethod(np.min)
    _arg = staticmethod(np.argmin)


class Prod(Op):
    """Product over ``axis``; d/dx_i = prod_{j != i} x_j, computed by exclusive cumulative
    products from both sides so a zero among the inputs gives exact gradients."""

    name = "prod"

    @staticmethod
    def forward(ctx, a, axis, keepdims: bool):
        ctx.saved = (a, axis, keepdims)
        return np.prod(a, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        a, axis, keepdims = ctx.saved
        flat = a.reshape(-1) if axis is None else a
        ax = 0 if axis is None else axis
        ones = np.ones_like(np.take(flat, [0], axis=ax))
        before = np.cumprod(np.concatenate([ones, flat], axis=ax), axis=ax)
        before = np.delete(before, -1, axis=ax)
        rev = np.flip(flat, axis=ax)
        after = np.cumprod(np.concatenate([ones, rev], axis=ax), axis=ax)
        after = np.flip(np.delete(after, -1, axis=ax), axis=ax)
        others = (before * after).reshape(a.shape)
        return (restore_reduced_axes(grad, axis, keepdims) * others,)


class Cumsum(Op):
    name = "cumsum"

    @staticmethod
    def forward(ctx, a, axis: int):
        ctx.saved = axis
        return np.cumsum(a, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        axis = ctx.saved
        return (np.flip(np.cumsum(np.flip(grad, axis), axis=axis), axis),)
