"""Elementwise arithmetic: + - * / ** and negation (broadcasting is undone by the engine)."""

from __future__ import annotations

import numpy as np

from descentlab.ops.base import Op


class Add(Op):
    name = "add"

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Op):
    name = "sub"

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Op):
    name = "mul"

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Op):
    name = "div"

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / b if need_a else None
        grad_b = -grad * a / (b * b) if need_b else None
        return grad_a, grad_b


class FloorDivide(Op):
    """a // b: piecewise constant, and torch defines no derivative for it (backward raises)."""

    name = "floor_divide"

    @staticmethod
    def forward(ctx, a, b):
        return np.floor_divide(a, b)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


class Neg(Op):
    name = "neg"

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return (-grad,)


class PowScalar(Op):
    """x ** p for a constant exponent p: d/dx = p * x ** (p - 1)."""

    name = "pow"

    @staticmethod
    def forward(ctx, a, exponent: float):
        ctx.saved = (a, exponent)
        if exponent == 2:
            return a * a
        return a**exponent

    @staticmethod
    def backward(ctx, grad):
        a, exponent = ctx.saved
        if exponent == 2:
            return (grad * (a + a),)
        if exponent == 0:
            return (np.zeros_like(a),)
        return (grad * (exponent * a ** (exponent - 1)),)


class Pow(Op):
    """a ** b with both sides tensors: d/da = b a^(b-1), d/db = a^b log a.

    Where a == 0 and b >= 0, d/db is taken as 0 (the limit), as PyTorch does.
    """

    name = "pow"

    @staticmethod
    def forward(ctx, a, b):
        out = a**b
        ctx.saved = (a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad * b * a ** (b - 1) if need_a else None
        grad_b = None
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.log(a)
            grad_b = grad * np.where((a == 0) & (b >= 0), 0.0, out * log_a)
        return grad_a, grad_b
