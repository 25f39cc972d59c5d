"""Pooling: ``MaxPool1d``, ``MaxPool2d``, ``AvgPool1d``, ``AvgPool2d``."""

from __future__ import annotations

from typing import Any

import descentlab.functional as F
from descentlab.nn.conv import _tuple
from descentlab.nn.module import Module
from descentlab.tensor import Tensor

__all__ = ["AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d"]


class _PoolNd(Module):
    _n: int
    _fn: Any

    def __init__(
        self, kernel_size: int | tuple, stride: int | tuple | None = None, padding: int | tuple = 0
    ) -> None:
        super().__init__()
        where, n = type(self).__name__, self._n
        self.kernel_size = _tuple(where, "kernel_size", kernel_size, n, 1)
        self.stride = self.kernel_size if stride is None else _tuple(where, "stride", stride, n, 1)
        self.padding = _tuple(where, "padding", padding, n, 0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(
                f"{where}: padding must be at most half the kernel size, got "
                f"padding={self.padding} for kernel_size={self.kernel_size}"
            )

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != self._n + 2:
            dims = "(N, C, L)" if self._n == 1 else "(N, C, H, W)"
            raise ValueError(
                f"{type(self).__name__}: expected input of shape {dims}, got {tuple(x.shape)}"
            )
        if self._n == 1:
            return type(self)._fn(x, self.kernel_size[0], self.stride[0], self.padding[0])
        return type(self)._fn(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        def show(t: tuple[int, ...]) -> str:
            return str(t[0]) if self._n == 1 else str(t)

        return (
            f"kernel_size={show(self.kernel_size)}, stride={show(self.stride)}, "
            f"padding={show(self.padding)}"
        )


class MaxPool1d(_PoolNd):
    r"""Maximum over sliding windows of length ``kernel_size``.

    Args:
        kernel_size: window length :math:`K`.
        stride: step between windows (default: ``kernel_size``).
        padding: implicit :math:`-\infty` padding on both sides, at most :math:`K/2` (default 0).

    Shape:
        - Input: :math:`(N, C, L_{in})`.
        - Output: :math:`(N, C, L_{out})`,
          :math:`L_{out} = \lfloor (L_{in} + 2p - K) / s \rfloor + 1`.

    The gradient flows to the position of each window's maximum.
    """

    _n = 1
    _fn = staticmethod(F.max_pool1d)


class MaxPool2d(_PoolNd):
    r"""Maximum over sliding ``kernel_size`` windows of a 2-D input.

    Args:
        kernel_size: int or ``(kH, kW)``.
        stride: int or ``(sH, sW)`` (default: ``kernel_size``).
        padding: implicit :math:`-\infty` padding, at most half the kernel (default 0).

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})`.
        - Output: :math:`(N, C, H_{out}, W_{out})`,
          :math:`H_{out} = \lfloor (H_{in} + 2 p_H - k_H) / s_H \rfloor + 1` (same for W).
    """

    _n = 2
    _fn = staticmethod(F.max_pool2d)


class AvgPool1d(_PoolNd):
    r"""Mean over sliding windows of length ``kernel_size``.

    Args:
        kernel_size: window length :math:`K`.
        stride: step between windows (default: ``kernel_size``).
        padding: zero padding on both sides, at most :math:`K/2`; the zeros count in the mean
            (PyTorch's ``count_include_pad=True``). Default 0.

    Shape:
        - Input: :math:`(N, C, L_{in})`.
        - Output: :math:`(N, C, L_{out})`,
          :math:`L_{out} = \lfloor (L_{in} + 2p - K) / s \rfloor + 1`.
    """

    _n = 1
    _fn = staticmethod(F.avg_pool1d)


class AvgPool2d(_PoolNd):
    r"""Mean over sliding ``kernel_size`` windows of a 2-D input.

    Args:
        kernel_size: int or ``(kH, kW)``.
        stride: int or ``(sH, sW)`` (default: ``kernel_size``).
        padding: zero padding, at most half the kernel; the zeros count in the mean
            (PyTorch's ``count_include_pad=True``). Default 0.

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})`.
        - Output: :math:`(N, C, H_{out}, W_{out})`,
          :math:`H_{out} = \lfloor (H_{in} + 2 p_H - k_H) / s_H \rfloor + 1` (same for W).
    """

    _n = 2
    _fn = staticmethod(F.avg_pool2d)
