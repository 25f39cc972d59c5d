"""Adam (with AMSGrad) and AdamW, which is Adam with decoupled weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from descentlab.optim.flat import FlatBuffers
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
        self._flat: dict[int, FlatBuffers] = {}  # id(param group) -> its flat buffers

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
        state["step"] = t = state["step"] + 1
        buffers = [state["exp_avg"], state["exp_avg_sq"]]
        if amsgrad:
            buffers.append(state["max_exp_avg_sq"])
        _adam(p, g, buffers, np.empty_like(p), t, lr, betas, eps)

    def _update_group(self, group: dict[str, Any], arrays: list[np.ndarray],
                      grads: list[np.ndarray], states: list[dict[str, Any]],
                      options: list[Any]) -> None:  # fmt: skip
        """All the parameters at once over flat buffers (:mod:`descentlab.optim.flat`): the
        same arithmetic, element by element, as ``_update`` on each (fit's MLP 64-128-64-10:
        70 -> 37 us a step, measured). Parameters at different steps (one had no gradient
        at some step) or of different dtypes take ``_update`` one by one."""
        t = states[0]["step"]
        if (
            len(arrays) < 2
            or any(s["step"] != t for s in states)
            or any(a.dtype != arrays[0].dtype for a in arrays)
        ):
            return super()._update_group(group, arrays, grads, states, options)
        lr, betas, eps, amsgrad = options
        names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")[: 3 if amsgrad else 2]
        flat = self._flat.get(id(group))
        if flat is None or flat.names != names or not flat.matches(states):
            live = {id(g) for g in self.param_groups}  # and forget groups loaded over
            self._flat = {k: f for k, f in self._flat.items() if k in live}
            flat = self._flat[id(group)] = FlatBuffers(arrays, states, names)
        t += 1
        for s in states:
            s["step"] = t
        buffers = [flat.flat[name] for name in names]
        _adam(None, flat.gather(grads), buffers, flat.scratch, t, lr, betas, eps)
        for w, update in zip(arrays, flat.scratch_views):
            w -= update


def _adam(p: np.ndarray | None, g: np.ndarray, buffers: list[np.ndarray], tmp: np.ndarray,
          t: int, lr: float, betas: tuple[float, float], eps: float) -> None:  # fmt: skip
    """Step ``t`` of Adam: update the buffers [m, v(, v_max)] and subtract the step from
    ``p``, or, with ``p`` None, leave the step in ``tmp`` (an array of g's shape)."""
    beta1, beta2 = betas
    m, v = buffers[0], buffers[1]
    np.subtract(g, m, out=tmp)  # m <- m + (1 - beta1)(g - m), as lerp
    tmp *= 1 - beta1
    m += tmp
    np.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    v *= beta2
    v += tmp
    if len(buffers) > 2:
        v = np.maximum(buffers[2], v, out=buffers[2])
    np.sqrt(v, out=tmp)
    tmp /= (1 - beta2**t) ** 0.5
    tmp += eps
    np.divide(m, tmp, out=tmp)
    tmp *= lr / (1 - beta1**t)
    if p is not None:
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
