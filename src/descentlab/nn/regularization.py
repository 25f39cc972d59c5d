"""L1 and L2 penalties on parameters, to add to a loss.

>>> import descentlab.nn as nn
>>> model = nn.Linear(3, 2)
>>> penalty = nn.l2_penalty(model, lam=1e-4)   # a scalar Tensor; loss = data_loss + penalty
"""

from __future__ import annotations

from collections.abc import Iterable

from descentlab.nn.module import Module, Parameter
from descentlab.tensor import Tensor

__all__ = ["l1_penalty", "l2_penalty"]


def _params(where: str, params: Module | Iterable[Tensor], lam: float) -> list[Tensor]:
    if isinstance(lam, bool) or not isinstance(lam, int | float) or lam < 0:
        raise ValueError(f"{where}: lam must be a number >= 0, got {lam!r}")
    items = list(params.parameters() if isinstance(params, Module) else params)
    if not items:
        raise ValueError(f"{where}: no parameters given")
    for p in items:
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: expected Tensors or Parameters, got {type(p).__name__}")
    return items


def _total(terms: list[Tensor]) -> Tensor:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def l1_penalty(params: Module | Iterable[Parameter], lam: float) -> Tensor:
    r""":math:`\lambda \sum_i |w_i|` over ``params`` (every parameter of a Module, biases
    included; pass a filtered list to leave some out).

    Its gradient, :math:`\lambda\,\mathrm{sign}(w)`, pushes weights to exactly 0 (sparsity).

    Args:
        params: a Module or an iterable of Parameters.
        lam: :math:`\lambda \geq 0`.

    Returns:
        A scalar Tensor, differentiable with respect to every parameter.
    """
    items = _params("l1_penalty", params, lam)
    return _total([p.abs().sum() for p in items]) * float(lam)


def l2_penalty(params: Module | Iterable[Parameter], lam: float) -> Tensor:
    r""":math:`\lambda \sum_i w_i^2` over ``params`` (every parameter of a Module, biases
    included; pass a filtered list to leave some out).

    Its gradient is :math:`2\lambda w`, so adding ``l2_penalty(model, lam)`` to the loss and
    training with plain SGD equals ``SGD(..., weight_decay=2 * lam)`` (weight decay adds
    :math:`\text{wd}\cdot w` to the gradient). With Adam the two differ; AdamW's decoupled
    decay is a third thing again.

    Args:
        params: a Module or an iterable of Parameters.
        lam: :math:`\lambda \geq 0`.

    Returns:
        A scalar Tensor, differentiable with respect to every parameter.
    """
    items = _params("l2_penalty", params, lam)
    return _total([(p * p).sum() for p in items]) * float(lam)
