"""2-D max and average pooling (1-D pooling is 2-D with height 1).

Both work one kernel offset at a time: for offset (i, j) the strided slice
x[:, :, i::stride, j::stride] holds that element of every window at once, so a pool is
KH*KW elementwise passes over output-sized arrays, with no window matrix copied. The
backward passes are the same slices in reverse (one slice-add per offset); where the
windows tile the input (kernel == stride) the slices are disjoint and plain assignment.

Max pooling sends each window's gradient to its first maximal element in row-major
order, which is PyTorch's choice at ties.
"""

from __future__ import annotations

import numpy as np

from descentlab.ops.base import Op
from descentlab.ops.conv import crop_hw, pad_hw


def _offset_slices(kernel, stride, out_hw):
    """For each kernel offset (i, j): the slice of the (padded) input it reads."""
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out_hw
    for i in range(kh):
        for j in range(kw):
            yield (
                slice(None),
                slice(None),
                slice(i, i + sh * (oh - 1) + 1, sh),
                slice(j, j + sw * (ow - 1) + 1, sw),
            )


def _out_hw(padded_shape, kernel, stride):
    return tuple((padded_shape[2 + a] - kernel[a]) // stride[a] + 1 for a in (0, 1))


class MaxPool2d(Op):
    name = "max_pool2d"

    @staticmethod
    def forward(ctx, x, *, kernel, stride, padding):
        xp = pad_hw(x, padding, -np.inf)
        out_hw = _out_hw(xp.shape, kernel, stride)
        slices = _offset_slices(kernel, stride, out_hw)
        best = xp[next(slices)].copy()
        for window in slices:
            np.maximum(best, xp[window], out=best)
        ctx.saved = (xp, best, kernel, stride, padding)
        return best

    @staticmethod
    def backward(ctx, grad):
        # Offsets are visited in row-major order and each window's gradient goes to the
        # first element equal to its maximum: PyTorch's choice at ties.
        xp, best, kernel, stride, padding = ctx.saved
        result = np.zeros(xp.shape, dtype=grad.dtype)
        free = np.ones(best.shape, dtype=bool)  # windows whose gradient is not yet placed
        hit = np.empty(best.shape, dtype=bool)
        disjoint = all(k <= s for k, s in zip(kernel, stride))
        for window in _offset_slices(kernel, stride, best.shape[2:]):
            np.equal(xp[window], best, out=hit)
            hit &= free
            free ^= hit
            if disjoint:
                np.multiply(grad, hit, out=result[window])
            else:
                result[window] += grad * hit
        return (crop_hw(result, padding),)


class AvgPool2d(Op):
    """Mean over each window; padding counts as zeros in the mean (PyTorch's default)."""

    name = "avg_pool2d"

    @staticmethod
    def forward(ctx, x, *, kernel, stride, padding):
        xp = pad_hw(x, padding, 0.0)
        out_hw = _out_hw(xp.shape, kernel, stride)
        total = None
        for window in _offset_slices(kernel, stride, out_hw):
            total = xp[window].copy() if total is None else np.add(total, xp[window], out=total)
        ctx.saved = (xp.shape, kernel, stride, padding)
        return total / (kernel[0] * kernel[1])

    @staticmethod
    def backward(ctx, grad):
        padded_shape, kernel, stride, padding = ctx.saved
        share = grad / (kernel[0] * kernel[1])
        result = np.zeros(padded_shape, dtype=grad.dtype)
        for window in _offset_slices(kernel, stride, grad.shape[2:]):
            result[window] += share
        return (crop_hw(result, padding),)
