"""2-D convolution (cross-correlation, as in PyTorch) by im2col over strided windows.

Forward: the input's sliding windows are gathered into one (N*OH*OW, C*KH*KW) matrix and
multiplied by the (O, C*KH*KW) weight matrix: one large GEMM instead of loops over pixels.
Backward: the weight gradient is one GEMM with the same matrix; the input gradient is one
GEMM back to window space followed by KH*KW slice-adds, one per kernel offset (col2im),
which never needs np.add.at.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from descentlab.ops.base import Op


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def windows(x: np.ndarray, kernel, stride, dilation) -> np.ndarray:
    """Strided view (N, C, OH, OW, KH, KW) of the windows of x (N, C, H, W); no copy."""
    kh, kw = kernel
    (sh, sw), (dh, dw) = stride, dilation
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    view = sliding_window_view(x, (span_h, span_w), axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


def scatter_windows(grad_windows: np.ndarray, padded_shape, kernel, stride, dilation) -> np.ndarray:
    """Adjoint of :func:`windows`: add (N, C, OH, OW, KH, KW) back onto (N, C, H, W)."""
    kh, kw = kernel
    (sh, sw), (dh, dw) = stride, dilation
    _, _, oh, ow = grad_windows.shape[:4]
    result = np.zeros(padded_shape, dtype=grad_windows.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            result[
                :, :, top : top + sh * (oh - 1) + 1 : sh, left : left + sw * (ow - 1) + 1 : sw
            ] += grad_windows[:, :, :, :, i, j]
    return result


def pad_hw(x: np.ndarray, padding, value: float = 0.0) -> np.ndarray:
    ph, pw = padding
    if not ph and not pw:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def crop_hw(x: np.ndarray, padding) -> np.ndarray:
    ph, pw = padding
    return x[:, :, ph : x.shape[2] - ph, pw : x.shape[3] - pw]


def _scatter_stride_one(grad, w2, padded_shape, kernel, dilation) -> np.ndarray:
    """Input gradient of a stride-1 convolution as KH*KW adds of long contiguous runs.

    The output gradient is zero-padded to the input's width Wp first. Then the gradient
    for kernel offset (i, j), flattened over (OH, Wp), lands on the flattened input at
    offset i*dh*Wp + j*dw as one contiguous run: its padding columns are zeros, so the
    part of each row that wraps into the next adds nothing. One spare row takes the
    overhang of the last offsets.
    """
    n, o, oh, ow = grad.shape
    _, c, hp, wp = padded_shape
    kh, kw = kernel
    dh, dw = dilation
    widened = np.zeros((n, o, oh, wp), dtype=grad.dtype)
    widened[..., :ow] = grad
    g_cols = np.matmul(w2.T, widened.reshape(n, o, oh * wp)).reshape(n, c, kh, kw, oh * wp)
    flat = np.zeros((n, c, (hp + 1) * wp), dtype=grad.dtype)
    run = oh * wp
    for i in range(kh):
        for j in range(kw):
            start = i * dh * wp + j * dw
            flat[:, :, start : start + run] += g_cols[:, :, i, j]
    return flat[:, :, : hp * wp].reshape(n, c, hp, wp)


class Conv2d(Op):
    """x (N, C, H, W), weight (O, C, KH, KW), bias (O,) -> (N, O, OH, OW).

    The window matrix is laid out (N, C*KH*KW, OH*OW) so that the product with the
    (O, C*KH*KW) weight matrix lands directly in the contiguous (N, O, OH*OW) layout:
    every tensor downstream stays NCHW-contiguous, which keeps elementwise ops and
    pooling on the fast path.
    """

    name = "conv2d"

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, padding, dilation):
        n, c = x.shape[:2]
        o, _, kh, kw = weight.shape
        xp = pad_hw(x, padding)
        win = windows(xp, (kh, kw), stride, dilation)
        oh, ow = win.shape[2:4]
        cols = win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)
        w2 = weight.reshape(o, -1)
        out = np.matmul(w2, cols)
        if bias is not None:
            out += bias[:, None]
        ctx.saved = (cols, w2, xp.shape, (n, c, oh, ow), weight.shape, stride, padding, dilation)
        return out.reshape(n, o, oh, ow)

    @staticmethod
    def backward(ctx, grad):
        cols, w2, padded_shape, (n, c, oh, ow), w_shape, stride, padding, dilation = ctx.saved
        need = ctx.needs_input_grad
        o, _, kh, kw = w_shape
        g3 = grad.reshape(n, o, oh * ow)
        grad_x = grad_w = grad_b = None
        if need[0]:
            if stride == (1, 1):
                scattered = _scatter_stride_one(grad, w2, padded_shape, (kh, kw), dilation)
            else:
                g_cols = np.matmul(w2.T, g3).reshape(n, c, kh, kw, oh, ow)
                g_cols = g_cols.transpose(0, 1, 4, 5, 2, 3)
                scattered = scatter_windows(g_cols, padded_shape, (kh, kw), stride, dilation)
            grad_x = crop_hw(scattered, padding)
        if need[1]:
            grad_w = np.matmul(g3, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w_shape)
        if len(need) > 2 and need[2]:
            grad_b = g3.sum(axis=(0, 2))
        return (grad_x, grad_w) if len(need) == 2 else (grad_x, grad_w, grad_b)
