"""Adagrad: per-coordinate step sizes from the running sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from descentlab.optim.optimizer import Optimizer, check_nonnegative

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

    _hyper_keys = (
        "lr",
        "lr_decay",
        "weight_decay",
        "initial_accumulator_value",
        "eps",
        "maximize",
    )

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
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        check_nonnegative(options["lr"], "learning rate", "lr")
        check_nonnegative(options["lr_decay"], "lr_decay value", "lr_decay")
        check_nonnegative(options["weight_decay"], "weight_decay value", "weight_decay")
        check_nonnegative(
            options["initial_accumulator_value"],
            "initial_accumulator_value value",
            "initial_accumulator_value",
        )
        check_nonnegative(options["eps"], "epsilon value", "eps")

    def _update(
        self,
        p: np.ndarray,
        g: np.ndarray,
        state: dict[str, Any],
        lr: float,
        lr_decay: float,
        weight_decay: float,
        initial_accumulator_value: float,
        eps: float,
        maximize: bool,
    ) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p, initial_accumulator_value)
        state["step"] = t = state["step"] + 1
        if maximize:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * p
        s = state["sum"]
        tmp = np.multiply(g, g, out=np.empty_like(p))  # an array even when p is 0-d
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += eps
        np.divide(g, tmp, out=tmp)
        tmp *= lr / (1 + (t - 1) * lr_decay)
        p -= tmp
