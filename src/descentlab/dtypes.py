"""dtypes as torch names them, and torch's type promotion.

The dtype objects are NumPy dtypes (``descentlab.float32 is np.dtype("float32")``), so they go
straight into NumPy and compare equal to ``np.float32``; torch's aliases (``float``,
``double``, ``long``, ``int``, ...) point at the same objects.

Promotion follows torch, not NumPy: the result's *category* (bool < integer < floating) is
the highest among the operands, and within it tensors with dimensions outrank zero-dimension
tensors, which outrank Python numbers. So a float32 tensor with an int64 tensor, a float64
zero-dimension tensor or a Python float stays float32, and an integer tensor with a Python
float gets the default dtype.

>>> import descentlab as dl
>>> (dl.ones(2) + dl.tensor([1, 2])).dtype
dtype('float32')
>>> (dl.tensor([1, 2]) * 0.5).dtype
dtype('float32')
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from descentlab import autograd_mode

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

SUPPORTED = (float16, float32, float64, uint8, int8, int16, int32, int64, bool_)

# torch's short names, used in its messages ("result type Float can't be cast ...").
TORCH_NAMES = {
    float16: "Half",
    float32: "Float",
    float64: "Double",
    uint8: "Byte",
    int8: "Char",
    int16: "Short",
    int32: "Int",
    int64: "Long",
    bool_: "Bool",
}
# torch's ``Tensor.type()`` strings.
TENSOR_TYPES = {dt: f"descentlab.{name}Tensor" for dt, name in TORCH_NAMES.items()}
_BY_TENSOR_TYPE = {name: dt for dt, name in TENSOR_TYPES.items()}
_BY_TENSOR_TYPE.update({f"torch.{name}Tensor": dt for dt, name in TORCH_NAMES.items()})


def as_dtype(dtype: Any, where: str = "dtype") -> np.dtype:
    """``dtype`` (a dtype object, NumPy type, name or torch type string) as a NumPy dtype."""
    if isinstance(dtype, np.dtype) and dtype in TORCH_NAMES:
        return dtype
    if isinstance(dtype, str) and dtype in _BY_TENSOR_TYPE:
        return _BY_TENSOR_TYPE[dtype]
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved not in TORCH_NAMES:
        allowed = ", ".join(dt.name for dt in SUPPORTED)
        raise TypeError(f"{where}: expected one of {allowed}, received {dtype!r}")
    return resolved


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point."""
    kind = dtype.kind
    return 2 if kind == "f" else 0 if kind == "b" else 1


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch.promote_types: a float wins over any integer or bool, as it is; else NumPy's."""
    if a is b:
        return a
    ca, cb = category(a), category(b)
    if ca != cb and 2 in (ca, cb):
        return a if ca == 2 else b
    return np.promote_types(a, b)


def _scalar_dtype(value: Any) -> np.dtype:
    """The dtype torch gives a Python (or NumPy) number taking part in an operation."""
    if isinstance(value, builtins.bool | np.bool_):
        return bool_
    if isinstance(value, builtins.int | np.integer):
        return int64
    return autograd_mode.get_default_dtype()


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    # torch's combine_categories: the higher-priority group keeps its dtype unless the
    # lower-priority group is of a higher category (then the two are promoted).
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def result_type(*operands: Any) -> np.dtype:
    """torch.result_type over arrays (``.ndim`` 0 counts as a zero-dim tensor) and numbers."""
    dims = zeros = scalars = None
    for value in operands:
        if isinstance(value, np.ndarray):
            if value.ndim:
                dims = value.dtype if dims is None else promote_types(dims, value.dtype)
            else:
                zeros = value.dtype if zeros is None else promote_types(zeros, value.dtype)
        else:
            dt = _scalar_dtype(value)
            scalars = dt if scalars is None else promote_types(scalars, dt)
    return _combine(dims, _combine(zeros, scalars))


def can_cast(source: np.dtype, target: np.dtype) -> bool:
    """torch.can_cast: no floating to integer/bool, no integer to bool; narrowing is fine."""
    return category(source) <= category(target)


def float_result(dtype: np.dtype) -> np.dtype:
    """The dtype of a floating-point function of ``dtype`` (integers give the default)."""
    return dtype if dtype.kind == "f" else autograd_mode.get_default_dtype()


def is_floating_point(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def iinfo(dtype: Any) -> np.iinfo:
    return np.iinfo(as_dtype(dtype, "iinfo"))


def finfo(dtype: Any = None) -> np.finfo:
    return np.finfo(autograd_mode.get_default_dtype() if dtype is None else as_dtype(dtype))


# torch's names that shadow Python's builtins, bound last so the code above reads clearly.
float = float32  # noqa: A001
int = int32  # noqa: A001
bool = bool_  # noqa: A001
