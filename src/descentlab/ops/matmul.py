"""Matrix products: matmul (NumPy's broadcasting rules) and the fused affine map of Linear."""

from __future__ import annotations

import numpy as np

from descentlab.ops.base import Op, column_sums, unbroadcast


def _check_inner(a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: {a.shape} @ {b.shape}: both operands need at least 1 dimension")
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != inner_b:
        raise ValueError(
            f"matmul: {a.shape} @ {b.shape}: inner dimensions {a.shape[-1]} and {inner_b} differ"
        )


class MatMul(Op):
    name = "matmul"

    @staticmethod
    def forward(ctx, a, b):
        _check_inner(a, b)
        ctx.saved = (a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:
            return (grad @ b.T if need_a else None), (a.T @ grad if need_b else None)
        # Promote vectors to matrices, differentiate, then drop the added axes again.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        grad_a = grad_b = None
        if need_a:
            grad_a = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if need_b:
            grad_b = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return grad_a, grad_b


class Linear(Op):
    """y = x W^T + b for x (*, in), W (out, in), b (out,).

    Fused into one op (rather than transpose, matmul and add) because small networks are
    dominated by per-op overhead: see ``descentlab bench --only tiny_mlp``. For operands
    of at most 2 dimensions the products are ``np.dot``: the same BLAS call as ``@``, with
    the same result, but 0.3 us less per product (measured, 100 x 16 float32).
    """

    name = "linear"

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        if x.ndim == 0 or weight.ndim != 2 or x.shape[-1] != weight.shape[1]:
            raise ValueError(
                f"linear: input {x.shape} and weight {weight.shape}: expected input (*, in) "
                f"and weight (out, in) with matching in"
            )
        ctx.saved = (x, weight)
        out = np.dot(x, weight.T) if x.ndim <= 2 else x @ weight.T
        if bias is not None:
            out += bias
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        need = ctx.needs_input_grad
        grad_x = None
        if need[0]:
            grad_x = np.dot(grad, weight) if grad.ndim <= 2 else grad @ weight
        grad_w = grad_b = None
        if need[1] or (len(need) > 2 and need[2]):
            g2 = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
            if need[1]:
                grad_w = np.dot(g2.T, x if x.ndim == 2 else x.reshape(-1, x.shape[-1]))
            if len(need) > 2 and need[2]:
                grad_b = column_sums(g2)
        return (grad_x, grad_w) if len(need) == 2 else (grad_x, grad_w, grad_b)


class Einsum(Op):
    """np.einsum over explicit subscripts ``"ij,jk->ik"``. The gradient of each operand is
    the einsum of the upstream gradient with the other operands onto that operand's
    subscripts, broadcast along the letters only that operand had (they were summed)."""

    name = "einsum"

    @staticmethod
    def forward(ctx, *arrays, inputs: tuple[str, ...], output: str):
        ctx.saved = (arrays, inputs, output)
        return np.einsum(",".join(inputs) + "->" + output, *arrays)

    @staticmethod
    def backward(ctx, grad):
        arrays, inputs, output = ctx.saved
        grads = []
        for i, subs in enumerate(inputs):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(inputs) if j != i]
            seen = set(output).union(*others)
            kept = "".join(c for c in subs if c in seen)
            spec = ",".join([output, *others]) + "->" + kept
            g = np.einsum(spec, grad, *(a for j, a in enumerate(arrays) if j != i))
            shape = [arrays[i].shape[k] if c in seen else 1 for k, c in enumerate(subs)]
            grads.append(np.broadcast_to(g.reshape(shape), arrays[i].shape))
        return tuple(grads)
