"""``Dropout``: random zeroing during training, the identity in evaluation."""

from __future__ import annotations

import descentlab.functional as F
from descentlab.nn.module import Module
from descentlab.tensor import Tensor

__all__ = ["Dropout"]


class Dropout(Module):
    r"""Zero each element with probability ``p`` in training and scale the rest by
    :math:`1/(1-p)` (inverted dropout), so that evaluation needs no rescaling.

    .. math::
        y = \frac{m \odot x}{1 - p}, \quad m_i \sim \text{Bernoulli}(1 - p)
        \text{ (training)}, \qquad y = x \text{ (eval)}

    The mask is drawn from ``descentlab.random.get_generator()``.

    Args:
        p: probability of zeroing an element, in [0, 1] (default 0.5).

    Shape:
        - Input: any shape. Output: the same.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
