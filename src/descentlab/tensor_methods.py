"""The torch Tensor methods beyond the autograd core: sizes, conversions, devices, more
maths, and the in-place ``_`` methods. ``Tensor`` (tensor.py) inherits them.

Each is a short composition of the core ops, so its gradient comes from those; the in-place
ones go through ``tensor.inplace`` and follow torch's rules there.

>>> import descentlab as dl
>>> w = dl.zeros(2, 3)
>>> w.size(), w.size(1), w.dim(), w.numel()
(descentlab.Size([2, 3]), 3, 2, 6)
>>> w.add_(1.5).sum().item()
9.0
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import descentlab.tensor as _t
from descentlab import dtypes
from descentlab import random as _random
from descentlab.device import CPU, check_device
from descentlab.ops import arithmetic, reduce, select, shape, unary
from descentlab.ops.base import normalize_axis


class Size(tuple):
    """A tensor's shape, as torch.Size: a tuple that prints as ``descentlab.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"descentlab.Size({list(self)})"

    def numel(self) -> int:
        return math.prod(self)


class TensorMethods:
    """Mixed into ``Tensor``; every method reads the arrays through ``_data``."""

    __slots__ = ()

    # ------------------------------------------------------------ sizes
    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[normalize_axis(dim, self._data.ndim, "size")]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def contiguous(self) -> Any:
        if self._data.flags.c_contiguous:
            return self
        return self.clone()

    # ------------------------------------------------------ conversions
    def clone(self) -> Any:
        """A copy that stays in the graph (gradient flows back unchanged)."""
        return _t.apply(unary.Clone, self)

    def type(self, dtype: Any = None) -> Any:
        """With no argument, the type name (``descentlab.FloatTensor``); else ``to(dtype)``."""
        if dtype is None:
            return dtypes.TENSOR_TYPES[self._data.dtype]
        return self.astype(dtypes.as_dtype(dtype, "type"))

    def to(self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False,
           copy: bool = False) -> Any:  # fmt: skip
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)``, as torch."""
        for arg in args:
            if isinstance(arg, _t.Tensor):
                dtype = arg._data.dtype
            elif isinstance(arg, str) and arg.partition(":")[0] in _DEVICE_NAMES:
                device = arg
            elif type(arg).__name__ == "device":
                device = arg
            else:
                dtype = arg
        check_device(device, "to")
        out = self if dtype is None else self.astype(dtypes.as_dtype(dtype, "to"))
        return out.clone() if copy and out is self else out

    def cpu(self) -> Any:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Any:
        check_device("cuda", "cuda")

    @property
    def device(self) -> Any:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    def float(self) -> Any:
        return self.astype(dtypes.float32)

    def double(self) -> Any:
        return self.astype(dtypes.float64)

    def half(self) -> Any:
        return self.astype(dtypes.float16)

    def long(self) -> Any:
        return self.astype(dtypes.int64)

    def int(self) -> Any:
        return self.astype(dtypes.int32)

    def short(self) -> Any:
        return self.astype(dtypes.int16)

    def bool(self) -> Any:
        return self.astype(dtypes.bool_)

    def byte(self) -> Any:
        return self.astype(dtypes.uint8)

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
        return _t.Tensor(data, requires_grad, dtype=self._data.dtype if dtype is None else dtype)

    def new_zeros(self, *size: Any, dtype: Any = None) -> Any:
        return self.new_full(_t._shape_arg(size), 0, dtype=dtype)

    def new_ones(self, *size: Any, dtype: Any = None) -> Any:
        return self.new_full(_t._shape_arg(size), 1, dtype=dtype)

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None) -> Any:
        dt = self._data.dtype if dtype is None else dtypes.as_dtype(dtype)
        return _t._leaf(np.full(tuple(size), fill_value, dtype=dt))

    # ------------------------------------------------------------ maths
    def add(self, other: Any, alpha: Any = 1) -> Any:
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, alpha: Any = 1) -> Any:
        return self - (other if alpha == 1 else other * alpha)

    subtract = sub

    def mul(self, other: Any) -> Any:
        return self * other

    multiply = mul

    def div(self, other: Any, rounding_mode: str | None = None) -> Any:
        _no_rounding(rounding_mode)
        return self / other

    divide = div

    def pow(self, exponent: Any) -> Any:
        return self**exponent

    def matmul(self, other: Any) -> Any:
        return self @ other

    def mm(self, other: Any) -> Any:
        if self.ndim != 2 or getattr(other, "ndim", 0) != 2:
            raise RuntimeError(
                f"mm: expected two 2-D tensors, received shapes {self.shape} and "
                f"{getattr(other, 'shape', None)}"
            )
        return self @ other

    def bmm(self, other: Any) -> Any:
        if self.ndim != 3 or getattr(other, "ndim", 0) != 3:
            raise RuntimeError(
                f"bmm: expected two 3-D tensors, received shapes {self.shape} and "
                f"{getattr(other, 'shape', None)}"
            )
        return self @ other

    def dot(self, other: Any) -> Any:
        if self.ndim != 1 or getattr(other, "ndim", 0) != 1:
            raise RuntimeError("1D tensors expected, but got other shapes")
        return self @ other

    def neg(self) -> Any:
        return -self

    negative = neg

    def square(self) -> Any:
        return self * self

    def reciprocal(self) -> Any:
        return 1 / self

    def rsqrt(self) -> Any:
        return 1 / self.sqrt()

    def log1p(self) -> Any:
        return _t.apply(unary.Log1p, _t._floating(self))

    def tan(self) -> Any:
        return _t.apply(unary.Tan, _t._floating(self))

    def sign(self) -> Any:
        return _t.apply(unary.Piecewise, self, fn=np.sign)

    def floor(self) -> Any:
        return _t.apply(unary.Piecewise, self, fn=np.floor)

    def ceil(self) -> Any:
        return _t.apply(unary.Piecewise, self, fn=np.ceil)

    def round(self, decimals: int = 0) -> Any:
        return _t.apply(unary.Piecewise, self, fn=lambda a: np.round(a, decimals))

    def trunc(self) -> Any:
        return _t.apply(unary.Piecewise, self, fn=np.trunc)

    def prod(self, dim: int | None = None, keepdim: bool = False) -> Any:
        axis, keep = _t._dims("prod", self, dim, None, keepdim, None)
        source = self if self._data.dtype.kind == "f" else self.astype(dtypes.int64)
        return _t.apply(reduce.Prod, source, axis=axis, keepdims=keep)

    def cumsum(self, dim: int) -> Any:
        source = self if self._data.dtype.kind == "f" else self.astype(dtypes.int64)
        return _t.apply(reduce.Cumsum, source, axis=normalize_axis(dim, self.ndim, "cumsum"))

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Any:
        """The p-norm: (sum |x|^p)^(1/p); "fro" and 2 are Euclidean, inf is max |x|."""
        _t._need_float(self, "linalg.vector_norm")
        if p in ("fro", 2):
            return (self * self).sum(dim, keepdim).sqrt()
        if p == 1:
            return self.abs().sum(dim, keepdim)
        if p == math.inf:
            return self.abs().amax(dim, keepdim)
        if isinstance(p, int | float) and p > 0:
            return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)
        raise RuntimeError(f"norm: p must be 'fro', inf or a positive number, received {p!r}")

    def all(self, dim: int | None = None, keepdim: bool = False, **numpy_style: Any) -> Any:
        dim, keepdim = _numpy_style(dim, keepdim, numpy_style)
        return _t._leaf(np.asarray(np.all(self._data, axis=_axis(self, dim), keepdims=keepdim)))

    def any(self, dim: int | None = None, keepdim: bool = False, **numpy_style: Any) -> Any:
        dim, keepdim = _numpy_style(dim, keepdim, numpy_style)
        return _t._leaf(np.asarray(np.any(self._data, axis=_axis(self, dim), keepdims=keepdim)))

    def gather(self, dim: int, index: Any) -> Any:
        axis = normalize_axis(dim, self.ndim, "gather")
        return _t.apply(select.Gather, self, index=np.asarray(_t._raw(index)), axis=axis)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        from descentlab import return_types

        axis = normalize_axis(dim, self.ndim, "sort")
        keys = -self._data if descending and self._data.dtype.kind != "b" else self._data
        order = np.argsort(keys, axis=axis, kind="stable")
        if descending and self._data.dtype.kind == "b":
            order = np.flip(order, axis)
        return return_types.sort(self.gather(axis, order), _t._leaf(order))

    def argsort(self, dim: int = -1, descending: bool = False) -> Any:
        return self.sort(dim, descending).indices

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
        from descentlab import return_types

        values, indices = self.sort(dim, descending=largest)
        axis = normalize_axis(dim, self.ndim, "topk")
        if not 0 <= k <= self.shape[axis]:
            raise RuntimeError("selected index k out of range")
        picked = np.take(indices._data, np.arange(k), axis=axis)
        return return_types.topk(self.gather(axis, picked), _t._leaf(picked))

    def masked_fill(self, mask: Any, value: Any) -> Any:
        from descentlab.functional import where

        return where(mask, value, self)

    def eq(self, other: Any) -> Any:
        return self == other

    def ne(self, other: Any) -> Any:
        return self != other

    def lt(self, other: Any) -> Any:
        return self < other

    def le(self, other: Any) -> Any:
        return self <= other

    def gt(self, other: Any) -> Any:
        return self > other

    def ge(self, other: Any) -> Any:
        return self >= other

    def equal(self, other: Any) -> bool:
        return self.shape == other.shape and bool(np.array_equal(self._data, other._data))

    def allclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8,
                 equal_nan: bool = False) -> bool:  # fmt: skip
        return bool(np.allclose(self._data, _t._raw(other), rtol, atol, equal_nan))

    # ------------------------------------------------------------ shapes
    def t(self) -> Any:
        if self.ndim > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D"
            )
        return self.T

    def ravel(self) -> Any:
        return self.reshape(-1)

    def view_as(self, other: Any) -> Any:
        return self.view(other.shape)

    def reshape_as(self, other: Any) -> Any:
        return self.reshape(other.shape)

    def expand_as(self, other: Any) -> Any:
        return self.expand(other.shape)

    def repeat(self, *sizes: Any) -> Any:
        """Tile: ``repeat(2, 3)`` of (a, b) is (2a, 3b), composed of expand and reshape."""
        reps = _t._shape_arg(sizes)
        if len(reps) < self.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than number of "
                "dimensions of tensor"
            )
        src = self.reshape((1,) * (len(reps) - self.ndim) + self.shape)
        inter = tuple(x for s in src.shape for x in (1, s))
        big = tuple(x for r, s in zip(reps, src.shape) for x in (r, s))
        return src.reshape(inter).expand(big).reshape(tuple(r * s for r, s in zip(reps, src.shape)))

    def split(self, split_size: Any, dim: int = 0) -> tuple:
        axis = normalize_axis(dim, self.ndim, "split")
        n = self.shape[axis]
        if isinstance(split_size, int):
            sizes = [min(split_size, n - i) for i in range(0, n, split_size)] if n else [0]
        else:
            sizes = list(split_size)
            if sum(sizes) != n:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                    f"size at dimension {dim}), but got split_sizes={sizes}"
                )
        out, start = [], 0
        for size in sizes:
            index = (slice(None),) * axis + (slice(start, start + size),)
            out.append(self[index])
            start += size
        return tuple(out)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        n = self.shape[normalize_axis(dim, self.ndim, "chunk")]
        return self.split(max(1, -(-n // chunks)), dim)

    def unbind(self, dim: int = 0) -> tuple:
        axis = normalize_axis(dim, self.ndim, "unbind")
        return tuple(self[(slice(None),) * axis + (i,)] for i in range(self.shape[axis]))

    def index_select(self, dim: int, index: Any) -> Any:
        axis = normalize_axis(dim, self.ndim, "index_select")
        return self[(slice(None),) * axis + (np.asarray(_t._raw(index)),)]

    # ----------------------------------------------------------- in place
    def add_(self, other: Any, alpha: Any = 1) -> Any:
        return _t.inplace(self, arithmetic.Add, other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, alpha: Any = 1) -> Any:
        return _t.inplace(self, arithmetic.Sub, other if alpha == 1 else other * alpha)

    def mul_(self, other: Any) -> Any:
        return _t.inplace(self, arithmetic.Mul, other)

    def div_(self, other: Any, rounding_mode: str | None = None) -> Any:
        _no_rounding(rounding_mode)
        return _t.inplace(self, arithmetic.Div, other)

    def pow_(self, exponent: Any) -> Any:
        return self.__ipow__(exponent)

    def neg_(self) -> Any:
        return _t.inplace(self, arithmetic.Neg)

    def abs_(self) -> Any:
        return _t.inplace(self, unary.Abs)

    def exp_(self) -> Any:
        return _t.inplace(self, unary.Exp)

    def log_(self) -> Any:
        return _t.inplace(self, unary.Log)

    def sqrt_(self) -> Any:
        return _t.inplace(self, unary.Sqrt)

    def sin_(self) -> Any:
        return _t.inplace(self, unary.Sin)

    def cos_(self) -> Any:
        return _t.inplace(self, unary.Cos)

    def tanh_(self) -> Any:
        return _t.inplace(self, unary.Tanh)

    def sigmoid_(self) -> Any:
        return _t.inplace(self, unary.Sigmoid)

    def relu_(self) -> Any:
        return _t.inplace(self, unary.ReLU)

    def clamp_(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        return _t.inplace(self, unary.Clip, low=_t._raw(min), high=_t._raw(max))

    clip_ = clamp_

    def zero_(self) -> Any:
        return self.fill_(0)

    def fill_(self, value: Any) -> Any:
        return _t.inplace(self, shape.SetItem, value, index=Ellipsis)

    def copy_(self, src: Any, non_blocking: bool = False) -> Any:
        return _t.inplace(self, shape.SetItem, src, index=Ellipsis)

    def masked_fill_(self, mask: Any, value: Any) -> Any:
        index = np.broadcast_to(np.asarray(_t._raw(mask), dtype=bool), self.shape)
        return _t.inplace(self, shape.SetItem, value, index=index)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Any:
        values = _random.numpy_generator(generator).normal(mean, std, self.shape)
        return self.copy_(_t._leaf(values.astype(self._data.dtype)))

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Any:
        values = _random.numpy_generator(generator).uniform(a, b, self.shape)
        return self.copy_(_t._leaf(values.astype(self._data.dtype)))

    def addcmul_(self, tensor1: Any, tensor2: Any, value: Any = 1) -> Any:
        return self.add_(tensor1 * tensor2 * value)

    def addcdiv_(self, tensor1: Any, tensor2: Any, value: Any = 1) -> Any:
        return self.add_(tensor1 / tensor2 * value)

    def lerp_(self, end: Any, weight: Any) -> Any:
        return self.add_((end - self) * weight)


_DEVICE_NAMES = ("cpu", "cuda", "mps", "xpu", "meta", "xla", "hip", "vulkan", "ipu")


def _axis(t: Any, dim: int | None) -> int | None:
    return None if dim is None else normalize_axis(dim, t.ndim, "reduce")


def _numpy_style(dim: Any, keepdim: bool, kwargs: dict) -> tuple[Any, bool]:
    """NumPy's ``axis``/``keepdims`` (also what ``np.any(tensor)`` passes) as dim/keepdim."""
    axis = kwargs.pop("axis", None)
    keepdims = kwargs.pop("keepdims", None)
    kwargs.pop("out", None)
    if kwargs:
        raise TypeError(f"unexpected keyword arguments {sorted(kwargs)}")
    return (dim if axis is None else axis), bool(keepdim if keepdims is None else keepdims)


def _no_rounding(rounding_mode: str | None) -> None:
    if rounding_mode is not None:
        raise RuntimeError(
            f"div: rounding_mode={rounding_mode!r} (floor or truncating division) is a torch "
            "feature descentlab does not have"
        )
