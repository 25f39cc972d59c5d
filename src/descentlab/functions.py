"""torch's top-level functions (``torch.sin(x)``, ``torch.cat([...])``, ``torch.max(x, 1)``):
each calls the Tensor method of the same name, so its maths and gradient are the method's.

>>> import descentlab as dl
>>> x = dl.tensor([[1.0, -2.0], [3.0, 0.5]])
>>> dl.max(x, 1).indices, dl.cat([x, x]).shape
(tensor([0, 0]), (4, 2))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descentlab import dtypes
from descentlab.ops.matmul import Einsum
from descentlab.tensor import Tensor, _leaf, apply


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def sin(x: Tensor) -> Tensor:
    return _t(x).sin()


def cos(x: Tensor) -> Tensor:
    return _t(x).cos()


def tan(x: Tensor) -> Tensor:
    return _t(x).tan()


def exp(x: Tensor) -> Tensor:
    return _t(x).exp()


def log(x: Tensor) -> Tensor:
    return _t(x).log()


def log1p(x: Tensor) -> Tensor:
    return _t(x).log1p()


def sqrt(x: Tensor) -> Tensor:
    return _t(x).sqrt()


def abs(x: Tensor) -> Tensor:  # noqa: A001 - torch's name
    return _t(x).abs()


def sign(x: Tensor) -> Tensor:
    return _t(x).sign()


def square(x: Tensor) -> Tensor:
    return _t(x).square()


def tanh(x: Tensor) -> Tensor:
    return _t(x).tanh()


def sigmoid(x: Tensor) -> Tensor:
    return _t(x).sigmoid()


def relu(x: Tensor) -> Tensor:
    return _t(x).relu()


def pow(x: Any, exponent: Any) -> Tensor:  # noqa: A001
    return _t(x) ** exponent if isinstance(x, Tensor) else exponent.__rpow__(x)


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    return _t(x).clamp(min, max)


def add(x: Any, other: Any, alpha: Any = 1) -> Tensor:
    return _t(x).add(other, alpha)


def sub(x: Any, other: Any, alpha: Any = 1) -> Tensor:
    return _t(x).sub(other, alpha)


def mul(x: Any, other: Any) -> Tensor:
    return _t(x) * other


def div(x: Any, other: Any, rounding_mode: str | None = None) -> Tensor:
    return _t(x).div(other, rounding_mode)


def neg(x: Tensor) -> Tensor:
    return -_t(x)


def matmul(x: Tensor, other: Tensor) -> Tensor:
    return _t(x) @ other


def mm(x: Tensor, other: Tensor) -> Tensor:
    return _t(x).mm(other)


def bmm(x: Tensor, other: Tensor) -> Tensor:
    return _t(x).bmm(other)


def dot(x: Tensor, other: Tensor) -> Tensor:
    return _t(x).dot(other)


def einsum(equation: str, *operands: Any) -> Tensor:
    """torch.einsum with explicit or implicit output (``"ij,jk"`` means ``"ij,jk->ik"``)."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    tensors = [_t(o) for o in operands]
    spec = equation.replace(" ", "")
    if "." in spec:
        raise RuntimeError("einsum: '...' (ellipsis) is a torch feature descentlab does not have")
    lhs, arrow, out = spec.partition("->")
    inputs = tuple(lhs.split(","))
    if not arrow:
        letters = "".join(inputs)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(inputs) != len(tensors):
        raise RuntimeError(
            "einsum(): more operands were provided than specified in the equation"
            if len(tensors) > len(inputs)
            else "einsum(): fewer operands were provided than specified in the equation"
        )
    for subs, t in zip(inputs, tensors):
        if len(set(subs)) != len(subs) and t.requires_grad:
            raise RuntimeError(
                f"einsum: the gradient of an operand with a repeated index ({subs!r}, a "
                "diagonal) is a torch feature descentlab does not have"
            )
    target = dtypes.result_type(*(t._data for t in tensors))
    tensors = [t if t.dtype == target else t.astype(target) for t in tensors]
    return apply(Einsum, *tensors, inputs=inputs, output=out)


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001
    return _t(x).sum(dim, keepdim, dtype=dtype)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    return _t(x).mean(dim, keepdim, dtype=dtype)


def std(x: Tensor, dim: Any = None, keepdim: bool = False, *, correction: int = 1,
        unbiased: bool | None = None) -> Tensor:  # fmt: skip
    return _t(x).std(dim, keepdim, correction=correction, unbiased=unbiased)


def var(x: Tensor, dim: Any = None, keepdim: bool = False, *, correction: int = 1,
        unbiased: bool | None = None) -> Tensor:  # fmt: skip
    return _t(x).var(dim, keepdim, correction=correction, unbiased=unbiased)


def prod(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _t(x).prod(dim, keepdim)


def cumsum(x: Tensor, dim: int) -> Tensor:
    return _t(x).cumsum(dim)


def norm(x: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    return _t(x).norm(p, dim, keepdim)


def max(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    return _t(x).max(dim, keepdim)


def min(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    return _t(x).min(dim, keepdim)


def amax(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return _t(x).amax(dim, keepdim)


def amin(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return _t(x).amin(dim, keepdim)


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _t(x).argmax(dim, keepdim)


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _t(x).argmin(dim, keepdim)


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    return _t(x).sort(dim, descending, stable)


def argsort(x: Tensor, dim: int = -1, descending: bool = False) -> Tensor:
    return _t(x).argsort(dim, descending)


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    return _t(x).topk(k, dim, largest, sorted)


def gather(x: Tensor, dim: int, index: Any) -> Tensor:
    return _t(x).gather(dim, index)


def allclose(a: Tensor, b: Any, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:  # fmt: skip
    return _t(a).allclose(b, rtol, atol, equal_nan)


def equal(a: Tensor, b: Tensor) -> bool:
    return _t(a).equal(_t(b))


def isnan(x: Tensor) -> Tensor:
    return _leaf(np.isnan(_t(x)._data))


def isfinite(x: Tensor) -> Tensor:
    return _leaf(np.isfinite(_t(x)._data))


def numel(x: Tensor) -> int:
    return _t(x).numel()


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def cat(tensors: Any, dim: int = 0) -> Tensor:
    """Join along an existing dim; mixed dtypes are promoted as torch.cat does."""
    from descentlab.functional import concatenate

    tensors = [_t(t) for t in tensors]
    if tensors:
        target = dtypes.result_type(*(t._data for t in tensors))
        tensors = [t if t.dtype == target else t.astype(target) for t in tensors]
    return concatenate(tensors, dim=dim)


concat = cat


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return _t(x).flatten(start_dim, end_dim)


def reshape(x: Tensor, shape: Any) -> Tensor:
    return _t(x).reshape(shape)


def squeeze(x: Tensor, dim: int | None = None) -> Tensor:
    return _t(x).squeeze(dim)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    return _t(x).unsqueeze(dim)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    return _t(x).transpose(dim0, dim1)


def t(x: Tensor) -> Tensor:
    return _t(x).t()


def permute(x: Tensor, dims: Any) -> Tensor:
    return _t(x).permute(dims)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    return _t(x).chunk(chunks, dim)


def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    return _t(x).split(split_size_or_sections, dim)


def unbind(x: Tensor, dim: int = 0) -> tuple:
    return _t(x).unbind(dim)


def index_select(x: Tensor, dim: int, index: Any) -> Tensor:
    return _t(x).index_select(dim, index)


def clone(x: Tensor) -> Tensor:
    return _t(x).clone()
