"""Adagrad: per-coordinate step sizes from the running sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from descentlab.optim.optimizer import FLAG, NONNEGATIVE, Optimizer, constructor_options

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    Algorithm, for each parameter ``p`` with gradient ``g`` at step ``t = 1, 2, ...``::

        input:  lr, eta (lr_decay), lambda (weight_decay), s_0 (initial_accumulator_value),
                eps, maximize
        state:  s (sum) = s_0 everywhere, t (step) = 0

        g <- -g                                   if maximize
        g <- g + lambda * p                       if lambda != 0
        lr_t <- lr / (1 + (t - 1) * eta)
        s <- s + g^2
        p <- p - lr_t * g / (sqrt(s) + eps)

    Squares, square roots and division are elementwise.

    Args:
        params: Tensors or parameter groups (dicts), see :class:`Optimizer`.
        lr: learning rate, >= 0. Default: 1e-2.
        lr_decay: learning-rate decay eta, >= 0. Default: 0.
        weight_decay: L2 penalty lambda, >= 0. Default: 0.
        initial_accumulator_value: starting value s_0 of the sum, >= 0. Default: 0.
        eps: added to the denominator, >= 0. Default: 1e-10.
        maximize: ascend the objective instead of descending it. Default: False.

    Convention (as PyTorch): eps is added outside the square root; the paper's
    ``delta`` sits in the same place. ``lr_decay`` is PyTorch's addition, not the paper's.
    """

    _rules = {
        "lr": NONNEGATIVE,
        "lr_decay": NONNEGATIVE,
        "weight_decay": NONNEGATIVE,
        "initial_accumulator_value": NONNEGATIVE,
        "eps": NONNEGATIVE,
        "maximize": FLAG,
    }
    _update_options = ("lr", "lr_decay", "eps")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, constructor_options(locals()))

    def _init_state(self, p: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = 0
        state["sum"] = np.full_like(p, group["initial_accumulator_value"])

    def _update(
        self,
        p: np.ndarray,
        g: np.ndarray,
        state: dict[str, Any],
        lr: float,
        lr_decay: float,
        eps: float,
    ) -> None:
        state["step"] = t = state["step"] + 1
        s = state["sum"]
        tmp = np.multiply(g, g, out=np.empty_like(p))  # an array even when p is 0-d
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += eps
        np.divide(g, tmp, out=tmp)
        tmp *= lr / (1 + (t - 1) * lr_decay)
        p -= tmp
