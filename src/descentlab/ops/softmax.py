"""Softmax, log-softmax, log-sum-exp and the losses fused with them.

Each subtracts the maximum before exponentiating: exp(x - max) never overflows and the
result is unchanged, because softmax is invariant to adding a constant to every input.
"""

from __future__ import annotations

import numpy as np

from descentlab.ops.base import Op, row_sums
from descentlab.ops.reduce import drop_reduced_axes, restore_reduced_axes
from descentlab.ops.unary import stable_sigmoid, stable_softplus


def _log_softmax(a: np.ndarray, axis: int) -> np.ndarray:
    shifted = a - a.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    total = row_sums(e)[:, None] if e.ndim == 2 and axis == 1 else e.sum(axis, keepdims=True)
    shifted -= np.log(total)
    return shifted


class Softmax(Op):
    name = "softmax"

    @staticmethod
    def forward(ctx, a, axis: int):
        e = np.exp(a - a.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.saved = (out, axis)
        return out

    @staticmethod
    def backward(ctx, grad):
        # Jacobian-vector product s * (g - <g, s>), without forming the Jacobian.
        out, axis = ctx.saved
        return (out * (grad - (grad * out).sum(axis=axis, keepdims=True)),)


class LogSoftmax(Op):
    name = "log_softmax"

    @staticmethod
    def forward(ctx, a, axis: int):
        out = _log_softmax(a, axis)
        ctx.saved = (out, axis)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, axis = ctx.saved
        return (grad - np.exp(out) * grad.sum(axis=axis, keepdims=True),)


class LogSumExp(Op):
    name = "logsumexp"

    @staticmethod
    def forward(ctx, a, axis, keepdims: bool):
        if a.size == 0:
            raise ValueError(f"logsumexp: cannot reduce an empty tensor of shape {a.shape}")
        peak = a.max(axis=axis, keepdims=True)
        peak = np.where(np.isfinite(peak), peak, 0)
        out = np.log(np.exp(a - peak).sum(axis=axis, keepdims=True)) + peak
        ctx.saved = (a, out, axis, keepdims)
        return drop_reduced_axes(out, axis, keepdims)

    @staticmethod
    def backward(ctx, grad):
        a, out, axis, keepdims = ctx.saved
        return (restore_reduced_axes(grad, axis, keepdims) * np.exp(a - out),)


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean" and loss.dtype.itemsize >= 4:
        # np.mean's own arithmetic (it sums, then divides in the same dtype), without its
        # Python-level wrapper: 1 us instead of 4 on a (100, 1) float32 loss (measured).
        return loss.sum() / loss.size
    if reduction == "mean":
        return loss.mean()  # float16: np.mean sums in float32
    if reduction == "sum":
        return loss.sum()
    return loss


def _reduction_scale(grad: np.ndarray, count: int, reduction: str) -> np.ndarray:
    """Upstream gradient of a reduced loss, as a factor per element."""
    if reduction == "mean":
        return grad / count
    return grad  # "sum": a scalar; "none": already one value per element


class CrossEntropy(Op):
    """Softmax cross-entropy over axis 1 of logits (N, C).

    ``target`` is either class indices (N,) or probabilities (N, C). With label smoothing
    eps the index target becomes q = (1 - eps) onehot + eps / C. The loss per row is
    -sum_c q_c log softmax(z)_c, and its gradient is softmax(z) * sum_c q_c - q.
    Fused because the separate ops would store a (N, C) softmax twice; the gradient is
    also more accurate written this way.
    """

    name = "cross_entropy"

    @staticmethod
    def forward(ctx, logits, target, label_smoothing: float, reduction: str):
        n, classes = logits.shape
        log_p = _log_softmax(logits, 1)
        if target.ndim == 1:
            picked = log_p[np.arange(n), target]
            loss = -picked
            if label_smoothing:
                loss = (1 - label_smoothing) * loss - label_smoothing / classes * log_p.sum(1)
        else:
            q = target
            if label_smoothing:
                q = (1 - label_smoothing) * q + label_smoothing / classes
            loss = -(q * log_p).sum(1)
        ctx.saved = (log_p, target, label_smoothing, reduction)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        log_p, target, eps, reduction = ctx.saved
        n, classes = log_p.shape
        probs = np.exp(log_p)
        if target.ndim == 1:
            if eps:
                probs -= eps / classes
            probs[np.arange(n), target] -= 1 - eps
            d_logits = probs
        else:
            q = target if not eps else (1 - eps) * target + eps / classes
            d_logits = probs * q.sum(1, keepdims=True) - q
        scale = _reduction_scale(grad, n, reduction)
        if reduction == "none":
            scale = scale[:, None]
        d_target = None
        if ctx.needs_input_grad[1] and target.ndim == 2:
            d_target = -(1 - eps) * log_p * scale
        d_logits *= scale  # a new array either way
        return d_logits, d_target


class MSELoss(Op):
    """mean((a - b)^2); fused (one node instead of three) for small networks' sake."""

    name = "mse_loss"

    @staticmethod
    def forward(ctx, a, b, reduction: str):
        diff = a - b
        ctx.saved = (diff, reduction)
        return _reduce(diff * diff, reduction)

    @staticmethod
    def backward(ctx, grad):
        diff, reduction = ctx.saved
        d = (2 * diff) * _reduction_scale(grad, diff.size, reduction)
        return d, (-d if ctx.needs_input_grad[1] else None)


class BCEWithLogits(Op):
    """Binary cross-entropy on logits x with targets y in [0, 1], stable for any x.

    With w = 1 + (pos_weight - 1) y the loss is (1 - y) x + w softplus(-x), and its
    derivative (1 - y) - w sigmoid(-x); with no pos_weight that is sigmoid(x) - y.
    """

    name = "binary_cross_entropy_with_logits"

    @staticmethod
    def forward(ctx, x, y, pos_weight, reduction: str):
        softplus_neg = stable_softplus(-x)
        weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        ctx.saved = (x, y, pos_weight, weight, softplus_neg, reduction)
        return _reduce((1 - y) * x + weight * softplus_neg, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y, pos_weight, weight, softplus_neg, reduction = ctx.saved
        sig_neg = stable_sigmoid(-x)
        scale = _reduction_scale(grad, x.size, reduction)
        d_x = ((1 - y) - weight * sig_neg) * scale
        d_y = None
        if ctx.needs_input_grad[1]:
            slope = 0 if pos_weight is None else (pos_weight - 1) * softplus_neg
            d_y = (slope - x) * scale
        return d_x, d_y
