"""Softmax and cross-entropy for one example: probabilities, loss and the gradient p - y.

For logits ``z`` (K,) and the true class ``t``::

    p_i = exp(z_i) / sum_j exp(z_j)               (softmax; computed after subtracting max z)
    L   = -log p_t = logsumexp(z) - z_t           (cross-entropy against the one-hot y)
    dL/dz_i = p_i - y_i                           (y_i = 1 if i == t else 0)

The loss and gradient come from the engine (``F.cross_entropy`` and ``backward``); the page
checks the formula ``p - y`` against them. A confident wrong answer costs a lot because L
grows linearly in the margin: if a wrong class's logit exceeds the true one by m, then
L >= log(1 + e^m) ~ m, while a confident right answer costs about e^-m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import descentlab as dl
import descentlab.functional as F
from descentlab.lab.compute import bounds

MAX_CLASSES = 10
LOGIT_LIMIT = 50.0


@dataclass(frozen=True)
class SoftmaxCE:
    logits: np.ndarray  # (K,)
    target: int
    probabilities: np.ndarray  # (K,)
    loss: float
    gradient: np.ndarray  # (K,) dL/dz from backward

    @property
    def formula_gradient(self) -> np.ndarray:
        """p - y, the closed form the engine's gradient must equal."""
        y = np.zeros_like(self.probabilities)
        y[self.target] = 1.0
        return self.probabilities - y


def softmax_cross_entropy(logits, target) -> SoftmaxCE:
    """Probabilities, loss and gradient for one example; inputs validated."""
    if not isinstance(logits, list | tuple | np.ndarray) or not 2 <= len(logits) <= MAX_CLASSES:
        raise ValueError(f"Give 2 to {MAX_CLASSES} logits (received {logits!r}).")
    z = np.array(
        [
            bounds.number(v, f"Logit {i + 1}", -LOGIT_LIMIT, LOGIT_LIMIT)
            for i, v in enumerate(logits)
        ]
    )
    t = bounds.number(target, "True class", 1, len(z), integer=True) - 1
    zt = dl.tensor(z[None], dtype="float64", requires_grad=True)
    loss = F.cross_entropy(zt, np.array([t]))
    loss.backward()
    p = F.softmax(dl.tensor(z, dtype="float64"), dim=0).detach().numpy()
    return SoftmaxCE(z, t, p, float(loss.item()), np.array(zt.grad, dtype=np.float64)[0])


def loss_against_margin(margins: np.ndarray) -> np.ndarray:
    """Cross-entropy of two classes when the wrong logit exceeds the true one by ``m``:
    ``log(1 + e^m)`` (engine's ``cross_entropy`` on logits ``[0, m]`` with target 0)."""
    m = np.asarray(margins, dtype=np.float64)
    z = dl.tensor(np.stack([np.zeros_like(m), m], axis=1), dtype="float64")
    return F.cross_entropy(z, np.zeros(len(m), dtype=np.int64), reduction="none").detach().numpy()


__all__ = [
    "LOGIT_LIMIT",
    "MAX_CLASSES",
    "SoftmaxCE",
    "loss_against_margin",
    "softmax_cross_entropy",
]
