"""Shape ops: reshape, permute, expand, indexing, padding, concatenation, stacking.

Their backward passes move gradients back to where the elements came from; none does
arithmetic except indexing, where repeated indices accumulate.
"""

from __future__ import annotations

import numpy as np

from descentlab.ops.base import Op


class Reshape(Op):
    name = "reshape"

    @staticmethod
    def forward(ctx, a, shape: tuple[int, ...]):
        ctx.saved = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return (grad.reshape(ctx.saved),)


class Permute(Op):
    name = "permute"

    @staticmethod
    def forward(ctx, a, dims: tuple[int, ...]):
        ctx.saved = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return (grad.transpose(np.argsort(ctx.saved)),)


class Expand(Op):
    name = "expand"

    @staticmethod
    def forward(ctx, a, shape: tuple[int, ...]):
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return (grad,)  # the engine sums it back to the input's shape


def _is_basic_index(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, int | np.integer | slice) or i is None or i is Ellipsis for i in items)


class GetItem(Op):
    name = "getitem"

    @staticmethod
    def forward(ctx, a, index):
        ctx.saved = (a.shape, a.dtype, index)
        out = a[index]
        if not isinstance(out, np.ndarray):  # one element: a 0-d view, as torch's x[i] is
            items = index if isinstance(index, tuple) else (index,)
            if Ellipsis not in items:
                out = a[(*items, Ellipsis)]
        return out

    @staticmethod
    def backward(ctx, grad):
        shape, dtype, index = ctx.saved
        result = np.zeros(shape, dtype=np.result_type(grad, dtype))
        if _is_basic_index(index):
            result[index] = grad
        else:
            np.add.at(result, index, grad)  # repeated indices accumulate
        return (result,)


class Pad(Op):
    """Constant padding; ``widths`` is NumPy's ((before, after), ...) per axis."""

    name = "pad"

    @staticmethod
    def forward(ctx, a, widths, value: float):
        ctx.saved = widths
        return np.pad(a, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        window = tuple(
            slice(before, size - after) for (before, after), size in zip(ctx.saved, grad.shape)
        )
        return (grad[window],)


class Concatenate(Op):
    name = "concatenate"

    @staticmethod
    def forward(ctx, *arrays, axis: int):
        ctx.saved = (np.cumsum([a.shape[axis] for a in arrays])[:-1], axis)
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        offsets, axis = ctx.saved
        return tuple(np.split(grad, offsets, axis=axis))


class Stack(Op):
    name = "stack"

    @staticmethod
    def forward(ctx, *arrays, axis: int):
        ctx.saved = (len(arrays), axis)
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        count, axis = ctx.saved
        return tuple(np.take(grad, i, axis=axis) for i in range(count))


class SetItem(Op):
    """``a[index] = value`` as a new array: the overwritten slots pass no gradient to ``a``;
    ``value`` receives the gradient of the slots it filled (summed where it broadcast)."""

    name = "setitem"

    @staticmethod
    def forward(ctx, a, value, index):
        out = a.copy()
        out[index] = value
        ctx.saved = index
        return out

    @staticmethod
    def backward(ctx, grad):
        index = ctx.saved
        need_a, need_value = ctx.needs_input_grad
        grad_a = None
        if need_a:
            grad_a = grad.copy()
            grad_a[index] = 0
        return grad_a, (grad[index] if need_value else None)


# Ops whose output is a view of their first input's memory (for torch's in-place rules).
VIEW_OPS = (Reshape, Permute, Expand, GetItem)
