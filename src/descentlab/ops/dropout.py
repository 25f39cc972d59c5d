"""Inverted dropout: zero each element with probability p, scale survivors by 1/(1-p)."""

from __future__ import annotations

import numpy as np

from descentlab.ops.base import Op


class Dropout(Op):
    name = "dropout"

    @staticmethod
    def forward(ctx, a, *, p: float, generator: np.random.Generator):
        if p >= 1:
            mask = np.zeros(a.shape, dtype=a.dtype)
        else:
            keep = generator.random(a.shape) >= p
            mask = keep.astype(a.dtype) / np.asarray(1 - p, dtype=a.dtype)
        ctx.saved = mask
        return a * mask

    @staticmethod
    def backward(ctx, grad):
        return (grad * ctx.saved,)
