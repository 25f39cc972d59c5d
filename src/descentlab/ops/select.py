"""Ops that choose between inputs: where, maximum, minimum.

maximum/minimum at a tie split the gradient equally between the two inputs, as PyTorch
does, so the sum of the two gradients is still the upstream gradient.
"""

from __future__ import annotations

import numpy as np

from descentlab.ops.base import Op


class Where(Op):
    name = "where"

    @staticmethod
    def forward(ctx, a, b, condition: np.ndarray):
        ctx.saved = condition
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        condition = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        zero = np.zeros((), dtype=grad.dtype)
        return (
            np.where(condition, grad, zero) if need_a else None,
            np.where(condition, zero, grad) if need_b else None,
        )


class Maximum(Op):
    name = "maximum"

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        share = np.where(a == b, 0.5, (a > b).astype(np.float64)).astype(grad.dtype)
        return grad * share, grad * (1 - share)


class Minimum(Op):
    name = "minimum"

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        share = np.where(a == b, 0.5, (a < b).astype(np.float64)).astype(grad.dtype)
        return grad * share, grad * (1 - share)


class Gather(Op):
    """``out[i][j] = a[i][index[i][j]]`` along ``axis`` (torch.gather); backward scatters
    the gradient back, adding where an index repeats."""

    name = "gather"

    @staticmethod
    def forward(ctx, a, index: np.ndarray, axis: int):
        ctx.saved = (a.shape, index, axis)
        return np.take_along_axis(a, index, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        shape, index, axis = ctx.saved
        result = np.zeros(shape, dtype=grad.dtype)
        np.add.at(result, _full_index(index, axis), grad)
        return (result,)


def _full_index(index: np.ndarray, axis: int) -> tuple[np.ndarray, ...]:
    """The fancy index that ``take_along_axis(a, index, axis)`` reads, for ``np.add.at``."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[axis] = index
    return tuple(grids)
