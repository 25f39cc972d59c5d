"""Tensor constructors with torch's names and arguments (``dtype=``, ``device=``,
``requires_grad=``, ``generator=``): tensor, as_tensor, from_numpy, zeros, ones, full, empty,
eye, arange, linspace, logspace, rand, randn, randint, randperm, normal and the *_like forms.

>>> import descentlab as dl
>>> dl.linspace(0, 1, 5)
tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
>>> dl.arange(3), dl.arange(0.0, 1.0, 0.5)
(tensor([0, 1, 2]), tensor([0.0000, 0.5000]))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descentlab import autograd_mode, dtypes
from descentlab import random as _random
from descentlab.device import check_device
from descentlab.tensor import Tensor, _leaf, _shape_arg


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:  # fmt: skip
    """A tensor holding a copy of ``data``; floats get the default dtype (float32)."""
    if isinstance(dtype, bool):  # descentlab's older order tensor(data, requires_grad, dtype)
        dtype, requires_grad, device = device, dtype, None
    check_device(device, "tensor")
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory with an ndarray or tensor of the same dtype."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return _leaf(data)
    return Tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` and keeping its dtype, as torch.from_numpy."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.as_dtype(array.dtype, "from_numpy")
    return _leaf(array)


def _dtype(dtype: Any) -> np.dtype:
    return autograd_mode.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)


def _made(values: np.ndarray, requires_grad: bool, device: Any, where: str) -> Tensor:
    check_device(device, where)
    out = _leaf(values)
    if requires_grad:
        out.requires_grad_(True)
    return out


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _made(np.zeros(_shape_arg(size), _dtype(dtype)), requires_grad, device, "zeros")


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _made(np.ones(_shape_arg(size), _dtype(dtype)), requires_grad, device, "ones")


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uninitialised memory in torch; zeros here, so that nothing depends on garbage."""
    return _made(np.zeros(_shape_arg(size), _dtype(dtype)), requires_grad, device, "empty")


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:  # fmt: skip
    """``size`` filled with ``fill_value``; its dtype follows the value, as in torch."""
    if dtype is None:
        dtype = dtypes.result_type(fill_value)
    shape = (size,) if isinstance(size, int) else tuple(size)
    return _made(np.full(shape, fill_value, _dtype(dtype)), requires_grad, device, "full")


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:  # fmt: skip
    return _made(np.eye(n, m, dtype=_dtype(dtype)), requires_grad, device, "eye")


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:  # fmt: skip
    """[start, end) in steps; int64 when every argument is an integer, else the default."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        whole = all(isinstance(v, int | np.integer) for v in (start, end, step))
        dtype = dtypes.int64 if whole else autograd_mode.get_default_dtype()
    dt = dtypes.as_dtype(dtype)
    # torch computes in double and rounds the count up: ceil((end - start) / step)
    count = max(0, int(np.ceil((float(end) - float(start)) / float(step))))
    values = (start + step * np.arange(count, dtype=np.float64)).astype(dt)
    if dt.kind != "f":
        values = (np.arange(count, dtype=np.int64) * step + start).astype(dt)
    return _made(values, requires_grad, device, "arange")


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:  # fmt: skip
    values = _linspace(float(start), float(end), int(steps), _dtype(dtype))
    return _made(values, requires_grad, device, "linspace")


def _linspace(start: float, end: float, steps: int, dtype: np.dtype) -> np.ndarray:
    # torch fills the first half from the start and the second half back from the end, in
    # the output dtype, so the endpoints are exact; this reproduces its float32 values.
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if steps == 1:
        return np.array([start], dtype=dtype)
    i = np.arange(steps)
    step = np.asarray((end - start) / (steps - 1), dtype=dtype)
    halfway = steps // 2
    front = np.asarray(start, dtype=dtype) + step * i.astype(dtype)
    back = np.asarray(end, dtype=dtype) - step * (steps - 1 - i).astype(dtype)
    return np.where(i < halfway, front, back).astype(dtype)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:  # fmt: skip
    exponents = _linspace(float(start), float(end), int(steps), np.dtype(np.float64))
    return _made((base**exponents).astype(_dtype(dtype)), requires_grad, device, "logspace")


def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Standard normal samples from the library's generator (see ``manual_seed``)."""
    values = _random.numpy_generator(generator).standard_normal(_shape_arg(size))
    return _made(values.astype(_dtype(dtype)), requires_grad, device, "randn")


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Uniform samples in [0, 1) from the library's generator."""
    values = _random.numpy_generator(generator).random(_shape_arg(size))
    return _made(values.astype(_dtype(dtype)), requires_grad, device, "rand")


def randint(low: int, high: int | None = None, size: Any = None, *, generator: Any = None,
            dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Integers in [low, high) (int64); ``randint(high, size)`` starts at 0."""
    if size is None:
        low, high, size = 0, low, high
    if high is None or size is None:
        raise TypeError("randint: expected randint(low, high, size) or randint(high, size)")
    values = _random.numpy_generator(generator).integers(low, high, tuple(size))
    dt = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    return _made(values.astype(dt), requires_grad, device, "randint")


def randperm(n: int, *, generator: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:  # fmt: skip
    values = _random.numpy_generator(generator).permutation(n)
    dt = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    return _made(values.astype(dt), requires_grad, device, "randperm")


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Normal samples: ``normal(mean, std, size)`` for numbers, or elementwise for tensors."""
    rng = _random.numpy_generator(generator)
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if size is None:
        if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
            raise TypeError("normal: with numbers for mean and std, give size too")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        dt = dtypes.result_type(*(v for v in (m, s) if isinstance(v, np.ndarray)))
    else:
        shape, dt = _shape_arg((size,) if isinstance(size, int) else tuple(size)), _dtype(dtype)
    values = rng.normal(m, s, shape)
    return _made(np.asarray(values).astype(dt), requires_grad, device, "normal")


def _like(t: Tensor, dtype: Any) -> np.dtype:
    return t._data.dtype if dtype is None else dtypes.as_dtype(dtype)


def zeros_like(t: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:  # fmt: skip
    return _made(np.zeros(t.shape, _like(t, dtype)), requires_grad, device, "zeros_like")


def ones_like(t: Tensor, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:  # fmt: skip
    return _made(np.ones(t.shape, _like(t, dtype)), requires_grad, device, "ones_like")


def empty_like(t: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:  # fmt: skip
    return _made(np.zeros(t.shape, _like(t, dtype)), requires_grad, device, "empty_like")


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:  # fmt: skip
    values = np.full(t.shape, fill_value, _like(t, dtype))
    return _made(values, requires_grad, device, "full_like")


def randn_like(t: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:  # fmt: skip
    return randn(*t.shape, dtype=_like(t, dtype), device=device, requires_grad=requires_grad)


def rand_like(t: Tensor, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:  # fmt: skip
    return rand(*t.shape, dtype=_like(t, dtype), device=device, requires_grad=requires_grad)
