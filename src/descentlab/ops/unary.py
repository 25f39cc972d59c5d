"""Elementwise functions and activations.

Conventions at kinks follow PyTorch: relu'(0) = 0, |x|'(0) = 0, leaky_relu'(0) = slope,
clip passes the gradient when x equals a bound.
"""

from __future__ import annotations

import math

import numpy as np

from descentlab.ops.base import Op


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow: exp is only ever taken of -|x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def stable_softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)), finite for any x."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class Cast(Op):
    name = "cast"

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.saved = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return (grad.astype(ctx.saved),)


class Exp(Op):
    name = "exp"

    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.saved = out
        return out

    @staticmethod
    def backward(ctx, grad):
        return (grad * ctx.saved,)


class Log(Op):
    name = "log"

    @staticmethod
    def forward(ctx, a):
        ctx.saved = a
        return np.log(a)

    @staticmethod
    def backward(ctx, grad):
        return (grad / ctx.saved,)


class Sqrt(Op):
    name = "sqrt"

    @staticmethod
    def forward(ctx, a):
        out = np.sqrt(a)
        ctx.saved = out
        return out

    @staticmethod
    def backward(ctx, grad):
        return (grad / (2 * ctx.saved),)


class Abs(Op):
    name = "abs"

    @staticmethod
    def forward(ctx, a):
        ctx.saved = a
        return np.abs(a)

    @staticmethod
    def backward(ctx, grad):
        return (grad * np.sign(ctx.saved),)


class Sin(Op):
    name = "sin"

    @staticmethod
    def forward(ctx, a):
        ctx.saved = a
        return np.sin(a)

    @staticmethod
    def backward(ctx, grad):
        return (grad * np.cos(ctx.saved),)


class Cos(Op):
    name = "cos"

    @staticmethod
    def forward(ctx, a):
        ctx.saved = a
        return np.cos(a)

    @staticmethod
    def backward(ctx, grad):
        return (-grad * np.sin(ctx.saved),)


class Clip(Op):
    name = "clip"

    @staticmethod
    def forward(ctx, a, low, high):
        ctx.saved = (a, low, high)
        return np.clip(a, low, high)

    @staticmethod
    def backward(ctx, grad):
        a, low, high = ctx.saved
        mask = np.ones(a.shape, dtype=bool)
        if low is not None:
            mask &= a >= low
        if high is not None:
            mask &= a <= high
        return (grad * mask,)


class ReLU(Op):
    name = "relu"

    @staticmethod
    def forward(ctx, a):
        out = np.maximum(a, 0)
        ctx.saved = out
        return out

    @staticmethod
    def backward(ctx, grad):
        # Gradient 0 at exactly 0, as in PyTorch: the output is positive only where x > 0.
        return (grad * (ctx.saved > 0),)


class LeakyReLU(Op):
    name = "leaky_relu"

    @staticmethod
    def forward(ctx, a, negative_slope: float):
        ctx.saved = (a, negative_slope)
        return np.where(a > 0, a, a * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        a, slope = ctx.saved
        return (grad * np.where(a > 0, 1.0, slope).astype(grad.dtype, copy=False),)


class Sigmoid(Op):
    name = "sigmoid"

    @staticmethod
    def forward(ctx, a):
        out = stable_sigmoid(a)
        ctx.saved = out
        return out

    @staticmethod
    def backward(ctx, grad):
        # Written with the output: sigma' = sigma (1 - sigma), no second exp.
        out = ctx.saved
        return (grad * out * (1 - out),)


class Tanh(Op):
    name = "tanh"

    @staticmethod
    def forward(ctx, a):
        out = np.tanh(a)
        ctx.saved = out
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved
        return (grad * (1 - out * out),)


def _erf(x: np.ndarray) -> np.ndarray:
    # NumPy has no erf. SciPy (installed with scikit-learn) gives it vectorised; the
    # standard library's math.erf is the exact fallback, one element at a time.
    try:
        from scipy.special import erf
    except ImportError:  # pragma: no cover - scipy comes with scikit-learn
        return np.vectorize(math.erf, otypes=[x.dtype])(x)
    return erf(x).astype(x.dtype, copy=False)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class GELU(Op):
    """x * Phi(x) (``approximate="none"``) or the tanh approximation (``"tanh"``)."""

    name = "gelu"

    @staticmethod
    def forward(ctx, a, approximate: str):
        ctx.saved = (a, approximate)
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (a + 0.044715 * a**3)
            return 0.5 * a * (1 + np.tanh(inner))
        return 0.5 * a * (1 + _erf(a / math.sqrt(2.0)))

    @staticmethod
    def backward(ctx, grad):
        a, approximate = ctx.saved
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (a + 0.044715 * a**3)
            t = np.tanh(inner)
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
            return (grad * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * d_inner),)
        cdf = 0.5 * (1 + _erf(a / math.sqrt(2.0)))
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * a * a)
        return (grad * (cdf + a * pdf),)


class ELU(Op):
    name = "elu"

    @staticmethod
    def forward(ctx, a, alpha: float):
        out = np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0)))
        ctx.saved = (a, out, alpha)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out, alpha = ctx.saved
        return (grad * np.where(a > 0, 1.0, out + alpha).astype(grad.dtype, copy=False),)


class Softplus(Op):
    """log(1 + exp(beta x)) / beta, linear above ``threshold`` as in PyTorch."""

    name = "softplus"

    @staticmethod
    def forward(ctx, a, beta: float, threshold: float):
        ctx.saved = (a, beta, threshold)
        z = a * beta
        soft = stable_softplus(z) / beta
        return np.where(z > threshold, a, soft)

    @staticmethod
    def backward(ctx, grad):
        a, beta, threshold = ctx.saved
        z = a * beta
        slope = np.where(z > threshold, 1.0, stable_sigmoid(z))
        return (grad * slope.astype(grad.dtype, copy=False),)


class SiLU(Op):
    name = "silu"

    @staticmethod
    def forward(ctx, a):
        sig = stable_sigmoid(a)
        ctx.saved = (a, sig)
        return a * sig

    @staticmethod
    def backward(ctx, grad):
        a, sig = ctx.saved
        return (grad * sig * (1 + a * (1 - sig)),)


class Log1p(Op):
    name = "log1p"

    @staticmethod
    def forward(ctx, a):
        ctx.saved = a
        return np.log1p(a)

    @staticmethod
    def backward(ctx, grad):
        return (grad / (1 + ctx.saved),)


class Tan(Op):
    """tan x; d/dx = 1 + tan^2 x, from the output."""

    name = "tan"

    @staticmethod
    def forward(ctx, a):
        out = np.tan(a)
        ctx.saved = out
        return out

    @staticmethod
    def backward(ctx, grad):
        return (grad * (1 + ctx.saved * ctx.saved),)


class Piecewise(Op):
    """A piecewise-constant function (sign, floor, ceil, round, trunc): gradient 0 everywhere,
    as PyTorch defines it (the jumps have no derivative; elsewhere it is flat)."""

    name = "piecewise"

    @staticmethod
    def forward(ctx, a, fn):
        return fn(a)

    @staticmethod
    def backward(ctx, grad):
        return (np.zeros_like(grad),)


class Clone(Op):
    name = "clone"

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return (grad,)
