"""Loss modules: wrappers of the losses in ``descentlab.functional``.

Each takes ``reduction``: ``'mean'`` (default), ``'sum'`` or ``'none'`` (one loss per
element or sample, unreduced).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import descentlab.functional as F
from descentlab.nn.module import Module
from descentlab.tensor import Tensor

__all__ = [
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "L1Loss",
    "MSELoss",
    "MultiMarginLoss",
    "NLLLoss",
]

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', "
                f"got {reduction!r}"
            )
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    r"""Mean squared error: :math:`\ell_i = (x_i - y_i)^2`, then reduced.

    Shape:
        - Input: any shape. Target: the same shape.
        - Output: a scalar, or the input's shape with ``reduction='none'``.
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    r"""Mean absolute error: :math:`\ell_i = |x_i - y_i|`, then reduced.

    Shape:
        - Input: any shape. Target: the same shape.
        - Output: a scalar, or the input's shape with ``reduction='none'``.
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    r"""Softmax cross-entropy from raw scores (logits), fused with log-softmax.

    With class indices :math:`y_n`: :math:`\ell_n = -\log \text{softmax}(x_n)_{y_n}`.
    With probabilities :math:`p_{n,c}`: :math:`\ell_n = -\sum_c p_{n,c} \log
    \text{softmax}(x_n)_c`. Label smoothing :math:`\varepsilon` replaces the target by
    :math:`(1 - \varepsilon)\,\text{target} + \varepsilon / C`.

    Args:
        reduction: ``'mean'`` (over the batch), ``'sum'`` or ``'none'``.
        label_smoothing: :math:`\varepsilon` in [0, 1] (default 0).

    Shape:
        - Input: :math:`(N, C)` logits.
        - Target: :math:`(N,)` integer class indices in :math:`[0, C)`, or :math:`(N, C)`
          probabilities.
        - Output: a scalar, or :math:`(N,)` with ``reduction='none'``.
    """

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing!r}"
            )
        self.label_smoothing = float(label_smoothing)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(
            input, target, reduction=self.reduction, label_smoothing=self.label_smoothing
        )

    def extra_repr(self) -> str:
        parts = [super().extra_repr()]
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        return ", ".join(p for p in parts if p)


class NLLLoss(_Loss):
    r"""Negative log-likelihood of log-probabilities: :math:`\ell_n = -x_{n, y_n}`.

    Use after :class:`LogSoftmax` (together they equal :class:`CrossEntropyLoss`).

    Shape:
        - Input: :math:`(N, C)` log-probabilities. Target: :math:`(N,)` class indices.
        - Output: a scalar, or :math:`(N,)` with ``reduction='none'``.
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    r"""Binary cross-entropy on logits, with the sigmoid fused in for stability.

    .. math::
        \ell_i = -\left[ w_p\, y_i \log \sigma(x_i) + (1 - y_i) \log(1 - \sigma(x_i)) \right]

    Args:
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        pos_weight: :math:`w_p`, the weight of positive examples, broadcast over the last
            dimension (one per class); stored as a buffer, as in PyTorch. Default None (1).

    Shape:
        - Input: any shape (logits). Target: the same shape, values in [0, 1].
        - Output: a scalar, or the input's shape with ``reduction='none'``.
    """

    def __init__(self, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction)
        if pos_weight is not None:
            pw = pos_weight._data if isinstance(pos_weight, Tensor) else np.asarray(pos_weight)
            if not np.issubdtype(pw.dtype, np.floating):
                pw = pw.astype(np.float64)
            pos_weight = pw.copy()
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        pos_weight = None
        if self.pos_weight is not None:
            pos_weight = Tensor(self.pos_weight, dtype=input.dtype)
        return F.binary_cross_entropy_with_logits(
            input, target, reduction=self.reduction, pos_weight=pos_weight
        )


class MultiMarginLoss(_Loss):
    r"""Multi-class hinge loss (PyTorch's ``MultiMarginLoss``, the multi-class SVM loss).

    .. math::
        \ell_n = \frac{1}{C} \sum_{i \ne y_n} \max(0, \text{margin} - x_{n, y_n} + x_{n, i})^p

    Args:
        p: 1 (hinge) or 2 (squared hinge). Default 1.
        margin: the margin (default 1).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Shape:
        - Input: :math:`(N, C)` scores. Target: :math:`(N,)` class indices.
        - Output: a scalar, or :math:`(N,)` with ``reduction='none'``.
    """

    def __init__(self, p: int = 1, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: p must be 1 or 2, got {p!r}")
        self.p = int(p)
        self.margin = float(margin)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.multi_margin_loss(
            input, target, p=self.p, margin=self.margin, reduction=self.reduction
        )

    def extra_repr(self) -> str:
        parts = [f"p={self.p}", f"margin={self.margin}", super().extra_repr()]
        return ", ".join(p for p in parts if p)
