"""Activation modules: thin wrappers of ``descentlab.functional``, for use in ``Sequential``.

Every one maps an input of any shape to an output of the same shape.
"""

from __future__ import annotations

import descentlab.functional as F
from descentlab.nn.module import Module
from descentlab.tensor import Tensor

__all__ = [
    "ELU",
    "GELU",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
]


class ReLU(Module):
    r""":math:`\text{ReLU}(x) = \max(0, x)`; its gradient at 0 is taken as 0, as in PyTorch."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    r""":math:`\text{LeakyReLU}(x) = x` if :math:`x > 0`, else ``negative_slope`` :math:`\cdot x`.

    Args:
        negative_slope: slope for negative inputs (default 0.01).
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    r""":math:`\sigma(x) = 1 / (1 + e^{-x})`."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    r""":math:`\tanh(x) = (e^x - e^{-x}) / (e^x + e^{-x})`."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class GELU(Module):
    r""":math:`\text{GELU}(x) = x \, \Phi(x)`, :math:`\Phi` the standard normal CDF.

    Args:
        approximate: ``'none'`` (exact, with erf) or ``'tanh'``
            (:math:`0.5 x (1 + \tanh(\sqrt{2/\pi}(x + 0.044715 x^3)))`).
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class ELU(Module):
    r""":math:`\text{ELU}(x) = x` if :math:`x > 0`, else :math:`\alpha (e^x - 1)`.

    Args:
        alpha: the value approached for large negative inputs is :math:`-\alpha` (default 1).
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softplus(Module):
    r""":math:`\text{Softplus}(x) = \log(1 + e^{x})`, a smooth ReLU."""

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x)


class SiLU(Module):
    r""":math:`\text{SiLU}(x) = x \, \sigma(x)` (also called swish)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x)


class Softmax(Module):
    r""":math:`\text{Softmax}(x)_i = e^{x_i} / \sum_j e^{x_j}` along ``dim``.

    Args:
        dim: the dimension that sums to 1. Default -1 (PyTorch's ``dim=None`` guesses a
            dimension with a warning; here the last one is used).
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = int(dim)

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    r""":math:`\text{LogSoftmax}(x)_i = x_i - \log \sum_j e^{x_j}` along ``dim`` (default -1);
    pair it with :class:`NLLLoss`."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = int(dim)

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
