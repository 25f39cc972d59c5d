"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``.

All are composed from engine ops (mean, subtraction, power, multiplication), so their
gradients come from autograd with no hand-written backward.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descentlab.nn import init
from descentlab.nn.linear import _dtype, _positive_int
from descentlab.nn.module import Module, Parameter
from descentlab.tensor import Tensor

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class _BatchNorm(Module):
    _dims: tuple[int, ...]
    _shapes: str

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        where = type(self).__name__
        self.num_features = _positive_int(where, "num_features", num_features)
        if not eps > 0:
            raise ValueError(f"{where}: eps must be > 0, got {eps!r}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{where}: momentum must be in [0, 1] or None, got {momentum!r}")
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        dt = _dtype(dtype)
        self.register_parameter("weight", None)
        self.register_parameter("bias", None)
        if self.affine:
            self.weight = Parameter(np.empty(self.num_features, dtype=dt))
            if bias:
                self.bias = Parameter(np.empty(self.num_features, dtype=dt))
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dt))
            self.register_buffer("running_var", np.ones(self.num_features, dtype=dt))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean to 0, running variance to 1, batch count to 0."""
        if self.track_running_stats:
            self.running_mean[...] = 0.0
            self.running_var[...] = 1.0
            self.num_batches_tracked[...] = 0

    def reset_parameters(self) -> None:
        """Weight to 1, bias to 0, and the running statistics reset."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        where = type(self).__name__
        if x.ndim not in self._dims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{where}: expected input of shape {self._shapes} with "
                f"C={self.num_features}, got {tuple(x.shape)}"
            )
        axes = (0, *range(2, x.ndim))
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        n = x._data.size // self.num_features
        if self.training or not self.track_running_stats:
            if self.training and n <= 1:
                raise ValueError(
                    f"{where}: expected more than 1 value per channel when training, got "
                    f"input of shape {tuple(x.shape)}"
                )
            mean = x.mean(dim=axes, keepdim=True)
            var = x.var(dim=axes, keepdim=True, correction=0)  # biased, for normalising
            if self.training and self.track_running_stats:
                self._update_running_stats(mean._data.reshape(-1), var._data.reshape(-1), n)
            y = (x - mean) * (var + self.eps) ** -0.5
            if self.weight is not None:
                y = y * self.weight.reshape(*shape)
            if self.bias is not None:
                y = y + self.bias.reshape(*shape)
            return y
        # Evaluation: a fixed affine map per channel, y = x * scale + shift.
        inv_std = Tensor((self.running_var + self.eps) ** -0.5, dtype=x.dtype)
        mean = Tensor(self.running_mean, dtype=x.dtype)
        scale = inv_std if self.weight is None else self.weight * inv_std
        shift = -(scale * mean) if self.bias is None else self.bias - scale * mean
        return x * scale.reshape(*shape) + shift.reshape(*shape)

    def _update_running_stats(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        self.num_batches_tracked += 1
        if self.momentum is None:  # cumulative moving average, as PyTorch
            factor = 1.0 / float(self.num_batches_tracked)
        else:
            factor = self.momentum
        # The running variance uses the unbiased estimate (n - 1), as PyTorch.
        self.running_mean *= 1.0 - factor
        self.running_mean += factor * mean
        self.running_var *= 1.0 - factor
        self.running_var += factor * var * (n / (n - 1))

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    r"""Batch normalisation over a 2-D or 3-D input (Ioffe and Szegedy, 2015).

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    In training, mean and variance are the batch's, per channel, over :math:`N` (and
    :math:`L`); the variance is biased (divides by the count). The running estimates are
    updated as :math:`\hat{s} \leftarrow (1 - m)\hat{s} + m\,s_t`, with the unbiased batch
    variance (count - 1), as in PyTorch. In evaluation the running estimates are used.

    Args:
        num_features: :math:`C`.
        eps: added to the variance for stability (default 1e-5).
        momentum: :math:`m` for the running estimates (default 0.1); None for a cumulative
            average over all batches seen.
        affine: learn :math:`\gamma` and :math:`\beta` (default True).
        bias: with ``affine``, also learn :math:`\beta` (default True; keyword only).
        track_running_stats: keep running estimates (default True); if False, batch
            statistics are used in evaluation too.
        dtype: parameter dtype (default: the default dtype).

    Shape:
        - Input: :math:`(N, C)` or :math:`(N, C, L)`. Output: the same.

    Attributes:
        weight: :math:`\gamma`, shape :math:`(C,)`, initialised to 1.
        bias: :math:`\beta`, shape :math:`(C,)`, initialised to 0.
        running_mean: buffer, shape :math:`(C,)`, starts at 0.
        running_var: buffer, shape :math:`(C,)`, starts at 1.
        num_batches_tracked: buffer, int64 scalar.
    """

    _dims = (2, 3)
    _shapes = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    r"""Batch normalisation over a 4-D input, per channel, over :math:`N, H, W`.

    The same maths and arguments as :class:`BatchNorm1d`.

    Shape:
        - Input: :math:`(N, C, H, W)`. Output: the same.

    Attributes:
        weight: :math:`\gamma`, shape :math:`(C,)`, initialised to 1.
        bias: :math:`\beta`, shape :math:`(C,)`, initialised to 0.
        running_mean: buffer, shape :math:`(C,)`, starts at 0.
        running_var: buffer, shape :math:`(C,)`, starts at 1.
        num_batches_tracked: buffer, int64 scalar.
    """

    _dims = (4,)
    _shapes = "(N, C, H, W)"


class LayerNorm(Module):
    r"""Layer normalisation (Ba et al., 2016): normalise each sample over its last dimensions.

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    The mean and the (biased) variance are taken over the last ``len(normalized_shape)``
    dimensions; the same in training and evaluation.

    Args:
        normalized_shape: the trailing shape to normalise over (an int for the last dimension).
        eps: added to the variance (default 1e-5).
        elementwise_affine: learn :math:`\gamma` (and :math:`\beta`) per element (default True).
        bias: learn :math:`\beta` (default True; only with ``elementwise_affine``).
        dtype: parameter dtype (default: the default dtype).

    Shape:
        - Input: :math:`(N, *, \text{normalized\_shape})`. Output: the same.

    Attributes:
        weight: :math:`\gamma`, shape ``normalized_shape``, initialised to 1.
        bias: :math:`\beta`, shape ``normalized_shape``, initialised to 0.
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        shape = (
            (normalized_shape,)
            if isinstance(normalized_shape, int | np.integer)
            else tuple(normalized_shape)
        )
        if not shape:
            raise ValueError("LayerNorm: normalized_shape must have at least one dimension")
        self.normalized_shape = tuple(
            _positive_int("LayerNorm", "normalized_shape", s) for s in shape
        )
        if not eps > 0:
            raise ValueError(f"LayerNorm: eps must be > 0, got {eps!r}")
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        dt = _dtype(dtype)
        if self.elementwise_affine:
            self.weight = Parameter(np.empty(self.normalized_shape, dtype=dt))
            if bias:
                self.bias = Parameter(np.empty(self.normalized_shape, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to 1, bias to 0."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        k = len(self.normalized_shape)
        if tuple(x.shape[x.ndim - k :]) != self.normalized_shape or x.ndim < k:
            raise ValueError(
                f"LayerNorm: expected input with trailing shape {self.normalized_shape}, "
                f"got {tuple(x.shape)}"
            )
        axes = tuple(range(x.ndim - k, x.ndim))
        mean = x.mean(dim=axes, keepdim=True)
        var = x.var(dim=axes, keepdim=True, correction=0)
        y = (x - mean) * (var + self.eps) ** -0.5
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )
