"""Adam (with AMSGrad) and AdamW, which is Adam with decoupled weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from descentlab.optim.optimizer import (
    BETAS,
    FLAG,
    NONNEGATIVE,
    Optimizer,
    constructor_options,
)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2014), optionally AMSGrad, as ``torch.optim.Adam``.

    Algorithm, for each parameter ``p`` with gradient ``g`` at step ``t = 1, 2, ...``::

        input:  lr, betas (beta1, beta2), eps, lambda (weight_decay), amsgrad, maximize,
                decoupled_weight_decay
        state:  m (exp_avg) = 0, v (exp_avg_sq) = 0, v_max (max_exp_avg_sq) = 0, t (step) = 0

        g <- -g                                   if maximize
        p <- p - lr * lambda * p                  if lambda != 0 and decoupled_weight_decay
        g <- g + lambda * p                       if lambda != 0 otherwise
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2
        v_max <- max(v_max, v)                    if amsgrad (and v_max replaces v below)
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v / (1 - beta2^t)) + eps)

    Squares, square roots, max and division are elementwise.

    Args:
        params: Tensors or parameter groups (dicts), see :class:`Optimizer`.
        lr: learning rate, >= 0. Default: 1e-3.
        betas: (beta1, beta2), the decay rates of m and v, each in [0, 1).
            Default: (0.9, 0.999).
        eps: added to the denominator, >= 0. Default: 1e-8.
        weight_decay: L2 penalty lambda, >= 0. Default: 0.
        amsgrad: use the running maximum of v (Reddi et al., 2018). Default: False.
        maximize: ascend the objective instead of descending it. Default: False.
        decoupled_weight_decay: shrink the weights directly instead of adding lambda * p to
            the gradient; True is :class:`AdamW`. Default: False.

    Conventions: eps is added after the bias-corrected square root, as in the paper's
    algorithm and PyTorch (not inside the root, not to the uncorrected ``sqrt(v)``). OneCycleLR
    cycles ``betas[0]`` in place of momentum.
    """

    _rules = {
        "lr": NONNEGATIVE,
        "betas": BETAS,
        "eps": NONNEGATIVE,
        "weight_decay": NONNEGATIVE,
        "amsgrad": FLAG,
        "maximize": FLAG,
        "decoupled_weight_decay": FLAG,
    }
    _update_options = ("lr", "betas", "eps", "amsgrad")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(params, constructor_options(locals()))

    def _init_state(self, p: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(p)
        state["exp_avg_sq"] = np.zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(p)

    def _update(
        self,
        p: np.ndarray,
        g: np.ndarray,
        state: dict[str, Any],
        lr: float,
        betas: tuple[float, float],
        eps: float,
        amsgrad: bool,
    ) -> None:
        beta1, beta2 = betas
        state["step"] = t = state["step"] + 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        tmp = np.subtract(g, m, out=np.empty_like(p))  # m <- m + (1 - beta1)(g - m), as lerp
        tmp *= 1 - beta1
        m += tmp
        np.multiply(g, g, out=tmp)
        tmp *= 1 - beta2
        v *= beta2
        v += tmp
        if amsgrad:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        np.sqrt(v, out=tmp)
        tmp /= (1 - beta2**t) ** 0.5
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= lr / (1 - beta1**t)
        p -= tmp


class AdamW(Adam):
    r"""AdamW (Loshchilov and Hutter, 2019): Adam with decoupled weight decay.

    Algorithm, for each parameter ``p`` with gradient ``g`` at step ``t = 1, 2, ...``::

        input:  lr, betas (beta1, beta2), eps, lambda (weight_decay), amsgrad, maximize
        state:  m (exp_avg) = 0, v (exp_avg_sq) = 0, v_max (max_exp_avg_sq) = 0, t (step) = 0

        g <- -g                                   if maximize
        p <- p - lr * lambda * p                  (the decay never enters m or v)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2
        v_max <- max(v_max, v)                    if amsgrad (and v_max replaces v below)
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v / (1 - beta2^t)) + eps)

    It is ``Adam(..., decoupled_weight_decay=True)``; the arguments are Adam's, with
    weight_decay defaulting to 1e-2.

    Convention (as PyTorch): the decay is scaled by lr, ``p <- p * (1 - lr * lambda)``. The
    paper scales it by the schedule multiplier eta_t alone (``p <- p - eta_t * lambda * p``),
    so the same lambda decays ``1/lr`` times less here than in the paper.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
