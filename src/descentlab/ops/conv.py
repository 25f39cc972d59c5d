"""2-D convolution (cross-correlation, as in PyTorch) by im2col over strided windows.

Forward: the input's sliding windows are gathered into one (N*OH*OW, C*KH*KW) matrix and
multiplied by the (O, C*KH*KW) weight matrix: one large GEMM instead of loops over pixels.
Backward: the weight gradient is one GEMM with the same matrix; the input gradient is one
GEMM back to window space followed by KH*KW slice-adds, one per kernel offset (col2im),
which never needs np.add.at.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from descentlab.ops.base import Op


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


# Below this many output pixels per image, the per-image products are too small to keep
# both cores busy: one large product over the whole batch is faster (LeNet's 10x10 conv2).
PER_IMAGE_MIN_PIXELS = 256
# The batch is processed in chunks of images whose window matrix (and input-gradient
# blocks) take at most about CHUNK_BYTES, a core's L2 cache: each chunk's matrix is built,
# multiplied and freed while it is in cache, and backward builds it again. LeNet's peak
# memory: 20.0 MiB with the whole-batch matrices saved, 7.5 MiB chunked (PyTorch's:
# 9.7-12.6), at no loss of speed on one core. A batch small enough to be one chunk keeps
# its matrix for backward: rebuilding it cost the MNIST-1D CNN's convolutions ~15 %.
CHUNK_BYTES = 1024 * 1024
# Chunks run on this many threads (NumPy's copies and additions and BLAS release the GIL).
# One by default: a second thread beside OpenBLAS's own two oversubscribes two cores, and
# on a loaded machine that made LeNet's step slower, not faster (see docs/benchmarks.md).
THREADS = 1
_pool: list[ThreadPoolExecutor] = []


def _chunks(n: int, bytes_per_image: int) -> list[slice]:
    """Slices of the batch of n images, about CHUNK_BYTES of work each, at least THREADS."""
    size = max(1, CHUNK_BYTES // max(bytes_per_image, 1))
    size = min(size, -(-n // THREADS))
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def _map(fn: Callable[[slice], Any], chunks: list[slice]) -> list[Any]:
    """fn over the chunks, on THREADS threads when there is more than one chunk."""
    if THREADS < 2 or len(chunks) < 2:
        return [fn(chunk) for chunk in chunks]
    if not _pool:
        _pool.append(ThreadPoolExecutor(THREADS, thread_name_prefix="descentlab-conv"))
    return list(_pool[0].map(fn, chunks))


def _cols(win: np.ndarray, per_image: bool) -> np.ndarray:
    """The window matrix of windows (M, C, OH, OW, KH, KW): (M, C*KH*KW, OH*OW) per image,
    or (C*KH*KW, M*OH*OW) batch-wide (a copy either way)."""
    m, c, oh, ow, kh, kw = win.shape
    if per_image:
        return win.transpose(0, 1, 4, 5, 2, 3).reshape(m, c * kh * kw, oh * ow)
    return win.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, m * oh * ow)


def _add_runs(blocks: np.ndarray, hp: int, wp: int, dilation) -> np.ndarray:
    """Sum kernel-offset blocks (A, B, KH, KW, OH*Wp) onto images (A, B, Hp, Wp).

    Each block is a gradient already laid out on rows of the input's width Wp (zero in
    the columns past OW), so offset (i, j) lands on the flattened image at i*dh*Wp + j*dw
    as one contiguous run; the part of a row that wraps into the next adds zeros. One
    spare row takes the overhang of the last offsets.
    """
    lead_a, lead_b, kh, kw, run = blocks.shape
    dh, dw = dilation
    flat = np.zeros((lead_a, lead_b, (hp + 1) * wp), dtype=blocks.dtype)
    for i in range(kh):
        for j in range(kw):
            start = i * dh * wp + j * dw
            flat[:, :, start : start + run] += blocks[:, :, i, j]
    return flat[:, :, : hp * wp].reshape(lead_a, lead_b, hp, wp)


def _widen(grad: np.ndarray, width: int, channels_first: bool) -> np.ndarray:
    """The output gradient (N, O, OH, OW) zero-padded on the right to ``width`` columns,
    as (N, O, OH, width), or (O, N, OH, width) when ``channels_first``."""
    n, o, oh, ow = grad.shape
    if channels_first:
        widened = np.zeros((o, n, oh, width), dtype=grad.dtype)
        widened[..., :ow] = grad.transpose(1, 0, 2, 3)
    else:
        widened = np.zeros((n, o, oh, width), dtype=grad.dtype)
        widened[..., :ow] = grad
    return widened


def padded_rows(x: np.ndarray, padding) -> np.ndarray:
    """x (N, C, H, W) zero-padded and laid out as rows end to end, (N, C, (Hp + 1) * Wp).

    One spare zero row at the end lets every kernel offset read a full run (see
    :func:`row_windows`); the padding is written straight into this buffer (one copy).
    """
    n, c, h, w = x.shape
    ph, pw = padding
    hp, wp = h + 2 * ph, w + 2 * pw
    flat = np.zeros((n, c, (hp + 1) * wp), dtype=x.dtype)
    flat[:, :, : hp * wp].reshape(n, c, hp, wp)[:, :, ph : ph + h, pw : pw + w] = x
    return flat


def row_windows(flat: np.ndarray, kernel, dilation, width: int, out_rows: int) -> np.ndarray:
    """The window matrix of a stride-1 convolution in row layout, (M, C*KH*KW, OH*Wp), a copy.

    Output pixel (r, s) of an image is computed at column r*Wp + s of a grid as wide as the
    padded input; kernel offset (i, j) then reads the contiguous run that starts at
    i*dh*Wp + j*dw of the image's rows, so row (c, i, j) of the matrix is one run of
    ``flat`` and the copy moves runs of OH*Wp numbers, not of OW. Columns s >= OW hold
    values that straddle two rows: the forward pass drops them, backward multiplies them by
    zeros. LeNet's conv2: 0.17 ms for this copy against 0.50 ms from the window view.
    """
    m, c, _ = flat.shape
    (kh, kw), (dh, dw) = kernel, dilation
    s_m, s_c, s_t = flat.strides
    shape = (m, c, kh, kw, out_rows * width)
    view = as_strided(flat, shape, (s_m, s_c, dh * width * s_t, dw * s_t, s_t), writeable=False)
    return view.reshape(m, c * kh * kw, out_rows * width)


class Conv2d(Op):
    """x (N, C, H, W), weight (O, C, KH, KW), bias (O,) -> (N, O, OH, OW).

    Stride 1 (most convolutions) uses the row layout (:func:`row_windows`): one product per
    image, (O, C*KH*KW) @ (C*KH*KW, OH*Wp), on a grid as wide as the padded input, whose
    extra columns are dropped. Other strides gather the windows from a strided view, in
    one of two layouts chosen by output size:

    - per image, (N, C*KH*KW, OH*OW): the product with the (O, C*KH*KW) weight matrix
      lands directly in the contiguous (N, O, OH*OW) output, one product per image;
    - batch-wide, (C*KH*KW, N*OH*OW): one large product for the images of a chunk, then a
      small copy back to NCHW; faster when images are small (below PER_IMAGE_MIN_PIXELS
      output pixels), because the per-image products would be too small to use both cores.

    The batch goes through in chunks (see CHUNK_BYTES). Outputs and input gradients are
    always NCHW-contiguous, which keeps elementwise ops and pooling downstream on NumPy's
    fast path. For stride 1 the input gradient is summed as contiguous runs
    (:func:`_add_runs`); otherwise by one slice-add per offset.
    """

    name = "conv2d"

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, padding, dilation):
        if x.shape[2] == 1 and weight.shape[2] == 1 and padding[0] == 0:
            return _forward_line(ctx, x, weight, bias, stride[1], padding[1], dilation[1])
        if stride == (1, 1):
            return _forward_rows(ctx, x, weight, bias, padding, dilation)
        n, c = x.shape[:2]
        o, _, kh, kw = weight.shape
        xp = pad_hw(x, padding)
        win = windows(xp, (kh, kw), stride, dilation)
        oh, ow = win.shape[2:4]
        w2 = weight.reshape(o, -1)
        per_image = oh * ow >= PER_IMAGE_MIN_PIXELS
        out = np.empty((n, o, oh, ow), dtype=np.result_type(x, weight))
        chunks = _chunks(n, _chunk_bytes(win, xp))
        kept = []  # the window matrix, when the batch is one chunk

        def forward_chunk(chunk: slice) -> None:
            cols = _cols(win[chunk], per_image)
            if len(chunks) == 1:
                kept.append(cols)
            if per_image:
                product = np.matmul(w2, cols).reshape(-1, o, oh, ow)
            else:
                product = (w2 @ cols).reshape(o, -1, oh, ow).transpose(1, 0, 2, 3)
            if bias is not None:
                np.add(product, bias[:, None, None], out=out[chunk])
            else:
                out[chunk] = product

        _map(forward_chunk, chunks)
        ctx.saved = (x.shape, xp, weight, per_image, stride, padding, dilation, kept)
        return out

    @staticmethod
    def backward(ctx, grad):
        if ctx.saved[0] == "line":
            return _backward_line(ctx, grad)
        if ctx.saved[0] == "rows":
            return _backward_rows(ctx, grad)
        x_shape, xp, weight, per_image, stride, padding, dilation, kept = ctx.saved
        need = ctx.needs_input_grad
        kernel = weight.shape[2:]
        o = weight.shape[0]
        w2 = weight.reshape(o, -1)
        win = windows(xp, kernel, stride, dilation)
        grad_x = np.empty(x_shape, dtype=grad.dtype) if need[0] else None

        def backward_chunk(chunk: slice) -> np.ndarray | None:
            g = grad[chunk]
            if grad_x is not None:
                gx = _input_grad(g, w2, per_image, (len(g), *xp.shape[1:]), kernel, stride,
                                 dilation)  # fmt: skip
                grad_x[chunk] = crop_hw(gx, padding)
            if not need[1]:
                return None
            cols = kept[0] if kept else _cols(win[chunk], per_image)
            if per_image:
                g3 = g.reshape(len(g), o, -1)
                return np.matmul(g3, cols.transpose(0, 2, 1)).sum(axis=0)
            # (CKK, P) @ (P, O), transposed: OpenBLAS runs this shape about 1.6x faster than
            # (O, P) @ (P, CKK) (LeNet's conv2: 0.63 against 1.0 ms on one core).
            return (cols @ g.transpose(1, 0, 2, 3).reshape(o, -1).T).T

        partial = _map(backward_chunk, _chunks(len(grad), _chunk_bytes(win, xp)))
        grad_w = sum(partial[1:], partial[0]).reshape(weight.shape) if need[1] else None
        return (grad_x, grad_w, *_bias_grad(grad, need))


def _bias_grad(grad: np.ndarray, need) -> tuple:
    """() without a bias, else (the bias gradient (O,) or None)."""
    if len(need) == 2:
        return ()
    if not need[2]:
        return (None,)
    # Over the batch first, then each channel's pixels: 3-6x faster than one sum over
    # axes (0, 2, 3), which NumPy walks with a strided inner loop.
    return (grad.sum(axis=0).reshape(grad.shape[1], -1).sum(axis=1),)


def _line_geometry(width: int, kernel: int, stride: int, padding: int, dilation: int):
    """(Wp, OW, Wg): padded width, output width, and grid columns per image (Wp <= s*Wg)."""
    wp = width + 2 * padding
    return wp, (wp - dilation * (kernel - 1) - 1) // stride + 1, -(-wp // stride)


def line_windows(flat: np.ndarray, kernel: int, stride: int, dilation: int, images: slice,
                 span: int) -> np.ndarray:  # fmt: skip
    """The window matrix of a 1-D convolution over images laid end to end, a copy.

    ``flat`` (C, N*span + extra) holds each padded signal in ``span = s*Wg`` positions, so
    output column u of the grid (image u // Wg, column u % Wg) reads offset j at
    ``j*d + s*u``: row (c, j) is one strided run over all the images of ``images``, and the
    copy moves runs of M*Wg numbers rather than OW. Columns u % Wg >= OW are junk (dropped
    forward, multiplied by zero gradients backward). Returns (C*K, M*Wg).
    MNIST-1D's three convolutions, forward and backward on one core: 1.37 ms with the
    strided window view, 0.78 ms with this layout (PyTorch: 1.30).
    """
    c = flat.shape[0]
    s_c, s_t = flat.strides
    m, wg = images.stop - images.start, span // stride
    start = flat[:, images.start * span :]
    shape, strides = (c, kernel, m * wg), (s_c, dilation * s_t, stride * s_t)
    return as_strided(start, shape, strides, writeable=False).reshape(c * kernel, m * wg)


def _forward_line(ctx, x, weight, bias, stride, padding, dilation) -> np.ndarray:
    """1-D forward (H = 1): one product (O, C*K) @ (C*K, M*Wg) per chunk of images."""
    n, c, _, width = x.shape
    o, _, _, kw = weight.shape
    wp, ow, wg = _line_geometry(width, kw, stride, padding, dilation)
    span = stride * wg
    flat = np.zeros((c, n * span + dilation * (kw - 1)), dtype=x.dtype)
    flat[:, : n * span].reshape(c, n, span)[:, :, padding : padding + width] = x[:, :, 0].transpose(
        1, 0, 2
    )
    w2 = weight.reshape(o, -1)
    out = np.empty((n, o, 1, ow), dtype=np.result_type(x, weight))
    chunks = _chunks(n, w2.shape[1] * wg * x.itemsize)
    kept = []

    def forward_chunk(chunk: slice) -> None:
        cols = line_windows(flat, kw, stride, dilation, chunk, span)
        if len(chunks) == 1:
            kept.append(cols)
        grid = (w2 @ cols).reshape(o, -1, wg)[:, :, :ow].transpose(1, 0, 2)
        target = out[chunk, :, 0]
        if bias is not None:
            np.add(grid, bias[:, None], out=target)
        else:
            target[...] = grid

    _map(forward_chunk, chunks)
    ctx.saved = ("line", x.shape, flat, weight, stride, padding, dilation, kept)
    return out


def _backward_line(ctx, grad):
    """1-D backward with the output gradient widened to the grid, (O, N*Wg).

    Weight gradient: (C*K, M*Wg) @ (M*Wg, O) per chunk, transposed. Input gradient: the
    blocks W2^T @ g are added back run by run (one strided add per kernel offset) into a
    buffer of the chunk's own images: valid columns never read past their image's span.
    """
    _, x_shape, flat, weight, stride, padding, dilation, kept = ctx.saved
    need = ctx.needs_input_grad
    n, o, _, ow = grad.shape
    c, width = x_shape[1], x_shape[3]
    kw = weight.shape[3]
    _, _, wg = _line_geometry(width, kw, stride, padding, dilation)
    span = stride * wg
    w2 = weight.reshape(o, -1)
    widened = np.zeros((o, n, wg), dtype=grad.dtype)
    widened[:, :, :ow] = grad[:, :, 0].transpose(1, 0, 2)
    widened = widened.reshape(o, n * wg)
    grad_x = np.empty(x_shape, dtype=grad.dtype) if need[0] else None

    def backward_chunk(chunk: slice) -> np.ndarray | None:
        m = chunk.stop - chunk.start
        g = widened[:, chunk.start * wg : chunk.stop * wg]
        if grad_x is not None:
            blocks = (w2.T @ g).reshape(c, kw, m * wg)
            local = np.zeros((c, m * span + dilation * (kw - 1)), dtype=grad.dtype)
            for j in range(kw):
                local[:, j * dilation : j * dilation + stride * m * wg : stride] += blocks[:, j]
            images = local[:, : m * span].reshape(c, m, span)[:, :, padding : padding + width]
            grad_x[chunk, :, 0] = images.transpose(1, 0, 2)
        if not need[1]:
            return None
        cols = kept[0] if kept else line_windows(flat, kw, stride, dilation, chunk, span)
        return (cols @ g.T).T

    partial = _map(backward_chunk, _chunks(n, w2.shape[1] * wg * grad.itemsize))
    grad_w = sum(partial[1:], partial[0]).reshape(weight.shape) if need[1] else None
    return (grad_x, grad_w, *_bias_grad(grad, need))


def _forward_rows(ctx, x, weight, bias, padding, dilation) -> np.ndarray:
    """Stride-1 forward in row layout: per image, W2 @ row_windows, its first OW columns."""
    n = x.shape[0]
    o, _, kh, kw = weight.shape
    (dh, dw), (ph, pw) = dilation, padding
    hp, wp = x.shape[2] + 2 * ph, x.shape[3] + 2 * pw
    oh, ow = hp - dh * (kh - 1), wp - dw * (kw - 1)
    flat = padded_rows(x, padding)
    w2 = weight.reshape(o, -1)
    out = np.empty((n, o, oh, ow), dtype=np.result_type(x, weight))
    chunks = _chunks(n, w2.shape[1] * oh * wp * x.itemsize)
    kept = []  # the window matrix, when the batch is one chunk

    def forward_chunk(chunk: slice) -> None:
        cols = row_windows(flat[chunk], (kh, kw), dilation, wp, oh)
        if len(chunks) == 1:
            kept.append(cols)
        wide = np.matmul(w2, cols).reshape(-1, o, oh, wp)[..., :ow]
        if bias is not None:
            np.add(wide, bias[:, None, None], out=out[chunk])
        else:
            out[chunk] = wide

    _map(forward_chunk, chunks)
    ctx.saved = ("rows", x.shape, flat, weight, padding, dilation, kept)
    return out


def _backward_rows(ctx, grad):
    """Stride-1 backward in row layout, with the output gradient widened to Wp columns.

    Input gradient: W2^T @ g per image, summed onto the image as runs (:func:`_add_runs`).
    Weight gradient: sum over images of row_windows @ g^T, transposed; the widened columns
    of g are zeros, so the straddling columns of the window matrix add nothing.
    """
    _, x_shape, flat, weight, padding, dilation, kept = ctx.saved
    need = ctx.needs_input_grad
    n, o, oh, ow = grad.shape
    kernel = weight.shape[2:]
    (ph, pw), c = padding, x_shape[1]
    hp, wp = x_shape[2] + 2 * ph, x_shape[3] + 2 * pw
    w2 = weight.reshape(o, -1)
    widened = _widen(grad, wp, channels_first=False).reshape(n, o, oh * wp)
    grad_x = np.empty(x_shape, dtype=grad.dtype) if need[0] else None

    def backward_chunk(chunk: slice) -> np.ndarray | None:
        g = widened[chunk]
        if grad_x is not None:
            blocks = np.matmul(w2.T, g).reshape(len(g), c, *kernel, oh * wp)
            grad_x[chunk] = crop_hw(_add_runs(blocks, hp, wp, dilation), padding)
        if not need[1]:
            return None
        cols = kept[0] if kept else row_windows(flat[chunk], kernel, dilation, wp, oh)
        # (CKK, T) @ (T, O) per image, transposed: about 1.7x faster than (O, T) @ (T, CKK)
        # for LeNet's conv2 (0.70 against 1.19 ms on one core).
        return np.matmul(cols, g.transpose(0, 2, 1)).sum(axis=0).T

    partial = _map(backward_chunk, _chunks(n, w2.shape[1] * oh * wp * grad.itemsize))
    grad_w = sum(partial[1:], partial[0]).reshape(weight.shape) if need[1] else None
    return (grad_x, grad_w, *_bias_grad(grad, need))


def _chunk_bytes(win: np.ndarray, xp: np.ndarray) -> int:
    """Bytes per image of the largest temporary: the window matrix or the gradient blocks
    (C*KH*KW rows of OH*Wp, see :func:`_input_grad`)."""
    _, c, oh, ow, kh, kw = win.shape
    return c * kh * kw * oh * max(ow, xp.shape[3]) * xp.itemsize


def _input_grad(grad, w2, per_image, padded_shape, kernel, stride, dilation) -> np.ndarray:
    """Gradient of the padded input: windows' gradients W^T g, summed back onto the image."""
    n, o, oh, ow = grad.shape
    _, c, hp, wp = padded_shape
    kh, kw = kernel
    if stride == (1, 1):
        widened = _widen(grad, wp, channels_first=not per_image)
        run = oh * wp
        if per_image:
            blocks = np.matmul(w2.T, widened.reshape(n, o, run)).reshape(n, c, kh, kw, run)
            return _add_runs(blocks, hp, wp, dilation)
        blocks = (w2.T @ widened.reshape(o, n * run)).reshape(c, kh, kw, n, run)
        return _add_runs(blocks.transpose(0, 3, 1, 2, 4), hp, wp, dilation).transpose(1, 0, 2, 3)
    if per_image:
        g = grad.reshape(n, o, oh * ow)
        g_cols = np.matmul(w2.T, g).reshape(n, c, kh, kw, oh, ow).transpose(0, 1, 4, 5, 2, 3)
    else:
        g = grad.transpose(1, 0, 2, 3).reshape(o, n * oh * ow)
        g_cols = (w2.T @ g).reshape(c, kh, kw, n, oh, ow).transpose(3, 0, 4, 5, 1, 2)
    return scatter_windows(g_cols, padded_shape, kernel, stride, dilation)
