"""Fully connected layers: ``Linear``, ``Identity``, ``Flatten``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import descentlab.functional as F
from descentlab.autograd_mode import get_default_dtype
from descentlab.nn import init
from descentlab.nn.module import Module, Parameter
from descentlab.tensor import Tensor

__all__ = ["Flatten", "Identity", "Linear"]


def _positive_int(where: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _dtype(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


class Linear(Module):
    r"""An affine map: :math:`y = x W^T + b`.

    Args:
        in_features: size of each input sample, :math:`H_{in}`.
        out_features: size of each output sample, :math:`H_{out}`.
        bias: learn an additive bias (default True).
        dtype: parameter dtype (default: ``descentlab.get_default_dtype()``).

    Shape:
        - Input: :math:`(N, *, H_{in})`, any number of leading dimensions.
        - Output: :math:`(N, *, H_{out})`.

    Attributes:
        weight: shape ``(out_features, in_features)``, initialised from
            :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})` with :math:`k = 1 / H_{in}`
            (PyTorch's ``kaiming_uniform_(a=sqrt(5))``).
        bias: shape ``(out_features,)``, from :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})`.

    >>> import descentlab as dl, descentlab.nn as nn
    >>> layer = nn.Linear(20, 30)
    >>> layer(dl.randn(128, 20)).shape
    (128, 30)
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None
    ) -> None:
        super().__init__()
        self.in_features = _positive_int("Linear", "in_features", in_features)
        self.out_features = _positive_int("Linear", "out_features", out_features)
        dt = _dtype(dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weights again (PyTorch's default initialisation)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear: input has {x.shape[-1]} features in its last dimension (shape "
                f"{tuple(x.shape)}), expected in_features={self.in_features}"
            )
        # The registry itself, not self.weight: Module.__getattr__ is reached only after
        # Python's own lookup has failed, 0.6 us an attribute (measured), twice a call.
        params = self._parameters
        return F.linear(x, params["weight"], params["bias"])

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Identity(Module):
    """Return the input unchanged (a no-op slot in a ``Sequential``)."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """Merge dimensions ``start_dim`` to ``end_dim`` into one.

    Args:
        start_dim: first dimension to flatten (default 1: keep the batch dimension).
        end_dim: last dimension to flatten (default -1).

    Shape:
        - Input: :math:`(N, *dims)`.
        - Output: :math:`(N, \\prod dims)` with the defaults.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = int(start_dim)
        self.end_dim = int(end_dim)

    def forward(self, x: Tensor) -> Tensor:
        shape = tuple(x.shape)
        nd = len(shape)
        start = self.start_dim + nd if self.start_dim < 0 else self.start_dim
        end = self.end_dim + nd if self.end_dim < 0 else self.end_dim
        if not (0 <= start < nd and 0 <= end < nd) or start > end:
            raise ValueError(
                f"Flatten: start_dim={self.start_dim}, end_dim={self.end_dim} are out of range "
                f"for an input of shape {shape}"
            )
        merged = math.prod(shape[start : end + 1])
        return x.reshape(*shape[:start], merged, *shape[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
