"""RMSprop: steps scaled by a moving root-mean-square of the gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from descentlab.optim.optimizer import FLAG, NONNEGATIVE, Optimizer, constructor_options

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, 2012), optionally centred and with momentum, as ``torch.optim.RMSprop``.

    Algorithm, for each parameter ``p`` with gradient ``g``::

        input:  lr, alpha, eps, lambda (weight_decay), mu (momentum), centered, maximize
        state:  v (square_avg) = 0, gbar (grad_avg) = 0, b (momentum_buffer) = 0, step = 0

        g <- -g                                   if maximize
        g <- g + lambda * p                       if lambda != 0
        v <- alpha * v + (1 - alpha) * g^2
        if centered:
            gbar <- alpha * gbar + (1 - alpha) * g
            d <- sqrt(v - gbar^2) + eps
        else:
            d <- sqrt(v) + eps
        if mu > 0:
            b <- mu * b + g / d
            p <- p - lr * b
        else:
            p <- p - lr * g / d

    Squares, square roots and division are elementwise.

    Args:
        params: Tensors or parameter groups (dicts), see :class:`Optimizer`.
        lr: learning rate, >= 0. Default: 1e-2.
        alpha: smoothing constant of the averages, >= 0. Default: 0.99.
        eps: added to the denominator, >= 0. Default: 1e-8.
        weight_decay: L2 penalty lambda, >= 0. Default: 0.
        momentum: momentum factor mu, >= 0. Default: 0.
        centered: divide by an estimate of the gradient's standard deviation (Graves, 2013)
            rather than its root mean square. Default: False.
        maximize: ascend the objective instead of descending it. Default: False.

    Conventions (as PyTorch): eps is added outside the square root (some libraries add it
    inside); the averages start at zero with no bias correction, and the momentum buffer,
    unlike SGD's, starts at zero.
    """

    _rules = {
        "lr": NONNEGATIVE,
        "alpha": NONNEGATIVE,
        "eps": NONNEGATIVE,
        "weight_decay": NONNEGATIVE,
        "momentum": NONNEGATIVE,
        "centered": FLAG,
        "maximize": FLAG,
    }
    _update_options = ("lr", "alpha", "eps", "momentum", "centered")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, constructor_options(locals()))

    def _init_state(self, p: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = 0
        state["square_avg"] = np.zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(p)

    def _update(
        self,
        p: np.ndarray,
        g: np.ndarray,
        state: dict[str, Any],
        lr: float,
        alpha: float,
        eps: float,
        momentum: float,
        centered: bool,
    ) -> None:
        state["step"] += 1
        v = state["square_avg"]
        tmp = np.multiply(g, g, out=np.empty_like(p))  # an array even when p is 0-d
        tmp *= 1 - alpha
        v *= alpha
        v += tmp
        if centered:
            gbar = state["grad_avg"]
            np.subtract(g, gbar, out=tmp)  # gbar <- gbar + (1 - alpha)(g - gbar), torch's lerp
            tmp *= 1 - alpha
            gbar += tmp
            np.multiply(gbar, gbar, out=tmp)
            np.subtract(v, tmp, out=tmp)
            np.sqrt(tmp, out=tmp)
        else:
            np.sqrt(v, out=tmp)
        tmp += eps
        np.divide(g, tmp, out=tmp)
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += tmp
            np.multiply(buf, lr, out=tmp)
        else:
            tmp *= lr
        p -= tmp
