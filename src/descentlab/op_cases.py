"""A catalogue of every differentiable op, with inputs to try it on.

Shared by ``descentlab gradcheck`` (which checks each case against finite differences
and prints a table) and by the test suite (which also compares each case with PyTorch).
Inputs are drawn away from kinks (relu at 0, abs at 0, ties in max) where finite
differences are meaningless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from descentlab import functional as F
from descentlab.tensor import Tensor


@dataclass(frozen=True)
class OpCase:
    """One op on given input shapes; ``domain`` says how to draw the inputs."""

    name: str
    fn: Callable[..., Tensor]
    shapes: tuple[tuple[int, ...], ...]
    domain: str = "real"  # "real", "positive", "away_from_zero", "distinct"

    def inputs(self, rng: np.random.Generator) -> list[np.ndarray]:
        arrays = []
        for shape in self.shapes:
            x = rng.standard_normal(shape)
            if self.domain == "positive":
                x = np.abs(x) + 0.5
            elif self.domain == "away_from_zero":
                x = np.sign(x) * (np.abs(x) + 0.1)
            elif self.domain == "distinct":
                x = rng.permutation(np.arange(x.size, dtype=np.float64)).reshape(shape) * 0.1 - 1
            arrays.append(x)
        return arrays


def _case(name, fn, *shapes, domain="real") -> OpCase:
    return OpCase(name, fn, tuple(shapes), domain)


def _einsum(equation: str, *operands: Tensor) -> Tensor:
    from descentlab.functions import einsum

    return einsum(equation, *operands)


def _set_row(a: Tensor, row: Tensor) -> Tensor:
    """``a`` with its row 1 replaced by ``row``, recorded in place on a copy of ``a``."""
    out = a * 1.0
    out[1] = row
    return out * a


OP_CASES: list[OpCase] = [
    _case("add", lambda a, b: a + b, (3, 4), (4,)),
    _case("sub", lambda a, b: a - b, (2, 1, 4), (3, 1)),
    _case("mul", lambda a, b: a * b, (3, 4), (3, 1)),
    _case("div", lambda a, b: a / b, (3, 4), (4,), domain="positive"),
    _case("neg", lambda a: -a, (3, 4)),
    _case("pow_scalar", lambda a: a**3, (3, 4)),
    _case("pow_fractional", lambda a: a**1.5, (3, 4), domain="positive"),
    _case("pow_tensor", lambda a, b: a**b, (3, 4), (3, 4), domain="positive"),
    _case("matmul", lambda a, b: a @ b, (3, 4), (4, 5)),
    _case("matmul_batched", lambda a, b: a @ b, (2, 3, 4), (4, 2)),
    _case("matmul_vector", lambda a, b: a @ b, (4,), (2, 4, 3)),
    _case("exp", lambda a: a.exp(), (3, 4)),
    _case("log", lambda a: a.log(), (3, 4), domain="positive"),
    _case("sqrt", lambda a: a.sqrt(), (3, 4), domain="positive"),
    _case("abs", lambda a: a.abs(), (3, 4), domain="away_from_zero"),
    _case("sin", lambda a: a.sin(), (3, 4)),
    _case("cos", lambda a: a.cos(), (3, 4)),
    _case("clip", lambda a: a.clip(-0.5, 0.5), (3, 4)),
    _case("relu", F.relu, (3, 4), domain="away_from_zero"),
    _case("leaky_relu", lambda a: F.leaky_relu(a, 0.1), (3, 4), domain="away_from_zero"),
    _case("sigmoid", F.sigmoid, (3, 4)),
    _case("tanh", F.tanh, (3, 4)),
    _case("gelu", F.gelu, (3, 4)),
    _case("gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), (3, 4)),
    _case("elu", F.elu, (3, 4), domain="away_from_zero"),
    _case("softplus", F.softplus, (3, 4)),
    _case("silu", F.silu, (3, 4)),
    _case("sum", lambda a: a.sum(), (3, 4)),
    _case("sum_dim", lambda a: a.sum(dim=-1, keepdim=True), (2, 3, 4)),
    _case("mean", lambda a: a.mean(dim=(0, 2)), (2, 3, 4)),
    _case("var", lambda a: a.var(dim=1), (3, 5)),
    _case("max", lambda a: a.max(), (3, 4), domain="distinct"),
    _case("max_dim", lambda a: a.max(dim=1).values, (3, 4), domain="distinct"),
    _case("min_dim", lambda a: a.min(dim=0, keepdim=True).values, (3, 4), domain="distinct"),
    _case("softmax", lambda a: F.softmax(a, dim=1), (3, 4)),
    _case("log_softmax", lambda a: F.log_softmax(a, dim=0), (3, 4)),
    _case("logsumexp", lambda a: F.logsumexp(a, dim=1), (3, 4)),
    _case("reshape", lambda a: a.reshape(4, 3) * 1.0, (3, 4)),
    _case("permute", lambda a: a.permute(2, 0, 1), (2, 3, 4)),
    _case("transpose", lambda a: a.T, (3, 4)),
    _case("getitem_slice", lambda a: a[1:, ::2], (3, 4)),
    _case("getitem_advanced", lambda a: a[np.array([0, 2, 0]), 1:], (3, 4)),
    _case("expand", lambda a: a.expand(3, 4), (1, 4)),
    _case("pad", lambda a: F.pad(a, (1, 2, 0, 1)), (2, 3)),
    _case("concatenate", lambda a, b: F.concatenate([a, b], axis=1), (2, 3), (2, 2)),
    _case("stack", lambda a, b: F.stack([a, b], axis=-1), (2, 3), (2, 3)),
    _case("where", lambda a, b: F.where(a._data > 0, a, b), (3, 4), (3, 4)),
    _case("maximum", F.maximum, (3, 4), (3, 4), domain="distinct"),
    _case("minimum", F.minimum, (3, 4), (4,), domain="distinct"),
    _case("linear", F.linear, (5, 4), (3, 4), (3,)),
    _case("log1p", lambda a: a.log1p(), (3, 4), domain="positive"),
    _case("tan", lambda a: a.tan(), (3, 4)),
    _case("floor", lambda a: a.floor() * a, (3, 4), domain="away_from_zero"),
    _case("prod", lambda a: a.prod(dim=1), (3, 4)),
    _case("prod_all", lambda a: a.prod(), (2, 3)),
    _case("cumsum", lambda a: a.cumsum(dim=1), (3, 4)),
    _case("clone", lambda a: a.clone() * a, (3, 4)),
    _case("gather", lambda a: a.gather(1, np.array([[0, 0], [3, 1], [2, 2]])), (3, 4)),
    _case("sort", lambda a: a.sort(dim=1, descending=True).values, (3, 4), domain="distinct"),
    _case("einsum", lambda a, b: _einsum("ij,jk->ik", a, b), (3, 4), (4, 2)),
    _case("einsum_summed", lambda a, b: _einsum("ij,kj->i", a, b), (3, 4), (2, 4)),
    _case("setitem", _set_row, (3, 4), (4,)),
    _case(
        "conv1d", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), (2, 3, 9), (4, 3, 3), (4,)
    ),
    _case("conv2d", lambda x, w, b: F.conv2d(x, w, b, padding=1), (2, 3, 6, 5), (4, 3, 3, 3), (4,)),
    _case(
        "conv2d_strided_dilated",
        lambda x, w: F.conv2d(x, w, stride=2, dilation=2),
        (1, 2, 9, 8),
        (3, 2, 3, 2),
    ),
    _case(
        "conv2d_dilated_padded",
        lambda x, w: F.conv2d(x, w, padding=(1, 2), dilation=(2, 1)),
        (2, 2, 7, 6),
        (3, 2, 3, 2),
    ),
    _case("max_pool1d", lambda x: F.max_pool1d(x, 2), (2, 3, 8), domain="distinct"),
    _case("max_pool2d", lambda x: F.max_pool2d(x, 2), (2, 2, 6, 4), domain="distinct"),
    _case(
        "max_pool2d_overlap", lambda x: F.max_pool2d(x, 3, 2, 1), (1, 2, 7, 7), domain="distinct"
    ),
    _case("avg_pool1d", lambda x: F.avg_pool1d(x, 3, 2), (2, 3, 9)),
    _case("avg_pool2d", lambda x: F.avg_pool2d(x, 2), (2, 2, 6, 4)),
    _case("avg_pool2d_padded", lambda x: F.avg_pool2d(x, 3, 2, 1), (1, 2, 7, 6)),
    _case("mse_loss", F.mse_loss, (4, 3), (4, 3)),
    _case("l1_loss", F.l1_loss, (4, 3), (4, 3), domain="distinct"),
    _case(
        "cross_entropy",
        lambda x: F.cross_entropy(x, np.array([0, 2, 1, 2])),
        (4, 3),
    ),
    _case(
        "cross_entropy_smoothed",
        lambda x: F.cross_entropy(x, np.array([0, 2, 1, 2]), label_smoothing=0.1),
        (4, 3),
    ),
    _case(
        "cross_entropy_probs",
        lambda x, p: F.cross_entropy(x, F.softmax(p, dim=1)),
        (4, 3),
        (4, 3),
    ),
    _case("nll_loss", lambda x: F.nll_loss(x, np.array([1, 0, 2])), (3, 4)),
    _case("bce_with_logits", F.binary_cross_entropy_with_logits, (4, 3), (4, 3)),
    _case(
        "bce_with_logits_pos_weight",
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=np.array([1.0, 2.0, 3.0])),
        (4, 3),
        (4, 3),
    ),
    _case(
        "multi_margin_loss",
        lambda x: F.multi_margin_loss(x, np.array([1, 0, 2])),
        (3, 4),
    ),
]


def check_all(eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0):
    """Run gradcheck on every case; yields (case, report)."""
    from descentlab.gradcheck import gradcheck

    rng = np.random.default_rng(seed)
    for case in OP_CASES:
        report = gradcheck(
            case.fn, case.inputs(rng), eps=eps, atol=atol, rtol=rtol, raise_exception=False
        )
        yield case, report
