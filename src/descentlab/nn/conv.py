"""Convolutions: ``Conv1d`` and ``Conv2d`` (cross-correlation, as in PyTorch)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import descentlab.functional as F
from descentlab.nn import init
from descentlab.nn.linear import _dtype, _positive_int
from descentlab.nn.module import Module, Parameter
from descentlab.tensor import Tensor

__all__ = ["Conv1d", "Conv2d"]


def _tuple(where: str, name: str, value: Any, n: int, minimum: int) -> tuple[int, ...]:
    items = tuple(value) if isinstance(value, tuple | list) else (value,) * n
    if len(items) != n or any(
        isinstance(v, bool) or not isinstance(v, int | np.integer) or v < minimum for v in items
    ):
        raise ValueError(
            f"{where}: {name} must be an integer >= {minimum} or a tuple of {n} such integers, "
            f"got {value!r}"
        )
    return tuple(int(v) for v in items)


class _ConvNd(Module):
    _n: int
    _conv: Any

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple,
        stride: int | tuple = 1,
        padding: int | tuple | str = 0,
        dilation: int | tuple = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: Any = None,
    ) -> None:
        super().__init__()
        where, n = type(self).__name__, self._n
        self.in_channels = _positive_int(where, "in_channels", in_channels)
        self.out_channels = _positive_int(where, "out_channels", out_channels)
        self.kernel_size = _tuple(where, "kernel_size", kernel_size, n, 1)
        self.stride = _tuple(where, "stride", stride, n, 1)
        self.dilation = _tuple(where, "dilation", dilation, n, 1)
        if groups != 1:
            raise ValueError(f"{where}: only groups=1 is supported, got groups={groups!r}")
        if padding_mode != "zeros":
            raise ValueError(
                f"{where}: only padding_mode='zeros' is supported, got {padding_mode!r}"
            )
        self.groups = 1
        self.padding_mode = padding_mode
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(
                    f"{where}: padding must be an integer, a tuple, 'valid' or 'same', "
                    f"got {padding!r}"
                )
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(
                    f"{where}: padding='same' needs stride=1, got stride={self.stride}"
                )
            self.padding: tuple[int, ...] | str = padding
        else:
            self.padding = _tuple(where, "padding", padding, n, 0)
        dt = _dtype(dtype)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weights again (PyTorch's default initialisation)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight.shape)
            bound = 1.0 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def _padding_for(self, x: Tensor) -> tuple[Tensor, tuple[int, ...]]:
        """The input (explicitly padded where 'same' needs an odd total) and conv padding."""
        if self.padding == "valid":
            return x, (0,) * self._n
        if self.padding != "same":
            return x, self.padding  # type: ignore[return-value]
        # 'same': total d*(k-1) per side pair; when odd, the extra zero goes on the right
        # (end) side, as in PyTorch.
        totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
        extra = [t % 2 for t in totals]
        if any(extra):
            pad: list[int] = []
            for e in reversed(extra):  # F.pad lists the last dimension first
                pad += [0, e]
            x = F.pad(x, tuple(pad))
        return x, tuple(t // 2 for t in totals)

    def _check_input(self, x: Tensor) -> None:
        if x.ndim != self._n + 2 or x.shape[1] != self.in_channels:
            dims = "(N, C, L)" if self._n == 1 else "(N, C, H, W)"
            raise ValueError(
                f"{type(self).__name__}: expected input of shape {dims} with "
                f"C={self.in_channels}, got {tuple(x.shape)}"
            )

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        x, padding = self._padding_for(x)
        if self._n == 1:
            return F.conv1d(x, self.weight, self.bias, self.stride[0], padding[0], self.dilation[0])
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * self._n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._n:
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    r"""1-D convolution (cross-correlation) over an input of several channels.

    .. math::
        \text{out}(N_i, C_{out_j}) = \text{bias}(C_{out_j})
            + \sum_{k=0}^{C_{in}-1} \text{weight}(C_{out_j}, k) \star \text{input}(N_i, k)

    Args:
        in_channels: channels of the input, :math:`C_{in}`.
        out_channels: channels produced, :math:`C_{out}`.
        kernel_size: kernel length :math:`K`.
        stride: step between windows (default 1).
        padding: zeros added on both sides (int), or ``'valid'`` (none) or ``'same'``
            (output length = input length; stride 1 only). Default 0.
        dilation: spacing between kernel taps (default 1).
        groups: only 1 is supported.
        bias: learn a bias per output channel (default True).
        padding_mode: only ``'zeros'``.
        dtype: parameter dtype (default: the default dtype).

    Shape:
        - Input: :math:`(N, C_{in}, L_{in})`.
        - Output: :math:`(N, C_{out}, L_{out})` with
          :math:`L_{out} = \lfloor (L_{in} + 2p - d (K - 1) - 1) / s \rfloor + 1`.

    Attributes:
        weight: shape :math:`(C_{out}, C_{in}, K)`, from :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})`,
            :math:`k = 1 / (C_{in} K)`.
        bias: shape :math:`(C_{out},)`, from the same distribution.

    >>> import descentlab as dl, descentlab.nn as nn
    >>> nn.Conv1d(16, 33, 3, stride=2)(dl.randn(20, 16, 50)).shape
    (20, 33, 24)
    """

    _n = 1


class Conv2d(_ConvNd):
    r"""2-D convolution (cross-correlation) over an input of several channels.

    .. math::
        \text{out}(N_i, C_{out_j}) = \text{bias}(C_{out_j})
            + \sum_{k=0}^{C_{in}-1} \text{weight}(C_{out_j}, k) \star \text{input}(N_i, k)

    Args:
        in_channels: channels of the input, :math:`C_{in}`.
        out_channels: channels produced, :math:`C_{out}`.
        kernel_size: int or ``(kH, kW)``.
        stride: int or ``(sH, sW)`` (default 1).
        padding: int or ``(pH, pW)`` zeros on both sides, or ``'valid'`` or ``'same'``
            (stride 1 only). Default 0.
        dilation: int or ``(dH, dW)`` (default 1).
        groups: only 1 is supported.
        bias: learn a bias per output channel (default True).
        padding_mode: only ``'zeros'``.
        dtype: parameter dtype (default: the default dtype).

    Shape:
        - Input: :math:`(N, C_{in}, H_{in}, W_{in})`.
        - Output: :math:`(N, C_{out}, H_{out}, W_{out})` with
          :math:`H_{out} = \lfloor (H_{in} + 2 p_H - d_H (k_H - 1) - 1) / s_H \rfloor + 1`,
          and the same for :math:`W`.

    Attributes:
        weight: shape :math:`(C_{out}, C_{in}, k_H, k_W)`, from
            :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})`, :math:`k = 1 / (C_{in} k_H k_W)`.
        bias: shape :math:`(C_{out},)`, from the same distribution.

    >>> import descentlab as dl, descentlab.nn as nn
    >>> nn.Conv2d(3, 8, 3, padding=1)(dl.randn(2, 3, 10, 10)).shape
    (2, 8, 10, 10)
    """

    _n = 2
