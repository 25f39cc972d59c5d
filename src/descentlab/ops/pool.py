"""2-D max and average pooling over windows (1-D pooling is 2-D with height 1).

Max pooling sends each window's gradient to its first maximal element (PyTorch's choice
at ties). Where the windows tile the input (kernel == stride, no padding, sizes divisible)
the windows are taken by a reshape; otherwise by a strided view.
"""

from __future__ import annotations

import numpy as np

from descentlab.ops.base import Op
from descentlab.ops.conv import crop_hw, pad_hw, scatter_windows, windows

_NO_DILATION = (1, 1)


def _tiles(shape, kernel, stride, padding) -> bool:
    return (
        tuple(kernel) == tuple(stride)
        and not any(padding)
        and shape[2] % kernel[0] == 0
        and shape[3] % kernel[1] == 0
    )


def _window_rows(x: np.ndarray, kernel, stride, padding, fill: float) -> np.ndarray:
    """(N, C, OH, OW, KH*KW) array of the pooling windows of x (a copy)."""
    n, c, h, w = x.shape
    kh, kw = kernel
    if _tiles(x.shape, kernel, stride, padding):
        blocks = x.reshape(n, c, h // kh, kh, w // kw, kw).transpose(0, 1, 2, 4, 3, 5)
        return blocks.reshape(n, c, h // kh, w // kw, kh * kw)
    win = windows(pad_hw(x, padding, fill), kernel, stride, _NO_DILATION)
    return win.reshape(*win.shape[:4], kh * kw)


def _scatter_rows(rows_grad, x_shape, kernel, stride, padding) -> np.ndarray:
    """Adjoint of :func:`_window_rows`."""
    n, c, h, w = x_shape
    kh, kw = kernel
    oh, ow = rows_grad.shape[2:4]
    if _tiles(x_shape, kernel, stride, padding):
        blocks = rows_grad.reshape(n, c, oh, ow, kh, kw).transpose(0, 1, 2, 4, 3, 5)
        return blocks.reshape(x_shape)
    ph, pw = padding
    padded = (n, c, h + 2 * ph, w + 2 * pw)
    scattered = scatter_windows(
        rows_grad.reshape(n, c, oh, ow, kh, kw), padded, kernel, stride, _NO_DILATION
    )
    return crop_hw(scattered, padding)


class MaxPool2d(Op):
    name = "max_pool2d"

    @staticmethod
    def forward(ctx, x, *, kernel, stride, padding):
        rows = _window_rows(x, kernel, stride, padding, -np.inf)
        index = rows.argmax(axis=-1)[..., None]
        ctx.saved = (index, rows.shape, x.shape, kernel, stride, padding)
        return np.take_along_axis(rows, index, axis=-1)[..., 0]

    @staticmethod
    def backward(ctx, grad):
        index, rows_shape, x_shape, kernel, stride, padding = ctx.saved
        rows_grad = np.zeros(rows_shape, dtype=grad.dtype)
        np.put_along_axis(rows_grad, index, grad[..., None], axis=-1)
        return (_scatter_rows(rows_grad, x_shape, kernel, stride, padding),)


class AvgPool2d(Op):
    """Mean over each window; padding counts as zeros in the mean (PyTorch's default)."""

    name = "avg_pool2d"

    @staticmethod
    def forward(ctx, x, *, kernel, stride, padding):
        rows = _window_rows(x, kernel, stride, padding, 0.0)
        ctx.saved = (rows.shape, x.shape, kernel, stride, padding)
        return rows.mean(axis=-1)

    @staticmethod
    def backward(ctx, grad):
        rows_shape, x_shape, kernel, stride, padding = ctx.saved
        share = grad[..., None] / rows_shape[-1]
        rows_grad = np.broadcast_to(share, rows_shape)
        return (_scatter_rows(rows_grad, x_shape, kernel, stride, padding),)
