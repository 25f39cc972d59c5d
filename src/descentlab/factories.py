"""Tensor constructors: tensor, zeros, ones, randn, rand, arange, full and the *_like forms."""

from __future__ import annotations

from typing import Any

import numpy as np

from descentlab import autograd_mode
from descentlab import random as _random
from descentlab.tensor import Tensor, _shape_arg


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A tensor holding a copy of ``data``; floats get the default dtype (float32)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def _dtype(dtype: Any) -> np.dtype:
    return autograd_mode.get_default_dtype() if dtype is None else np.dtype(dtype)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(_shape_arg(shape), _dtype(dtype)), requires_grad, dtype=_dtype(dtype))


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(_shape_arg(shape), _dtype(dtype)), requires_grad, dtype=_dtype(dtype))


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(
        np.full(tuple(shape), fill_value, _dtype(dtype)), requires_grad, dtype=_dtype(dtype)
    )


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the library's generator (see ``manual_seed``)."""
    values = _random.get_generator().standard_normal(_shape_arg(shape))
    return Tensor(values.astype(_dtype(dtype)), requires_grad, dtype=_dtype(dtype))


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the library's generator."""
    values = _random.get_generator().random(_shape_arg(shape))
    return Tensor(values.astype(_dtype(dtype)), requires_grad, dtype=_dtype(dtype))


def arange(*args: Any, dtype: Any = None) -> Tensor:
    return Tensor(np.arange(*args, dtype=dtype))


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros_like(t.data), requires_grad, dtype=t.dtype)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones_like(t.data), requires_grad, dtype=t.dtype)


def randn_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return randn(*t.shape, dtype=t.dtype, requires_grad=requires_grad)
