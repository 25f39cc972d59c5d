"""Weight initialisation, with PyTorch's names, formulas and defaults (``torch.nn.init``).

Every function fills its argument in place and returns it. The argument is a
:class:`~descentlab.Tensor` (its ``.data`` is overwritten; the graph is not touched) or a NumPy
array. Random numbers come from :func:`descentlab.random.get_generator`, so
``descentlab.manual_seed(n)`` makes every initialisation reproducible. Values are drawn in
float64 and stored in the array's own dtype.

Fans, for a weight of shape ``(out, in, *kernel)``::

    fan_in  = in  * prod(kernel)
    fan_out = out * prod(kernel)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descentlab.random import get_generator

__all__ = [
    "calculate_gain",
    "constant_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

_LINEAR_FNS = (
    "linear",
    "identity",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)


def _array(tensor: Any) -> np.ndarray:
    """The ndarray an init function writes into: a Tensor's memory, or the array itself."""
    arr = tensor if isinstance(tensor, np.ndarray) else getattr(tensor, "_data", None)
    if not isinstance(arr, np.ndarray):
        raise TypeError(
            f"init: expected a Tensor, Parameter or np.ndarray, got {type(tensor).__name__}"
        )
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"init: expected a floating-point tensor, got dtype {arr.dtype}")
    return arr


def _fill(tensor: Any, values: np.ndarray | float) -> Any:
    arr = _array(tensor)
    arr[...] = values
    if arr is not tensor:
        tensor._version += 1  # an in-place write, counted as torch counts it
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (as ``torch.nn.init.calculate_gain``).

    ============================  ==========================================
    nonlinearity                  gain
    ============================  ==========================================
    linear / identity / conv*d    1
    sigmoid                       1
    tanh                          5/3
    relu                          sqrt(2)
    leaky_relu                    sqrt(2 / (1 + negative_slope^2))
    selu                          3/4
    ============================  ==========================================

    Args:
        nonlinearity: the function's name (``"relu"``, ``"leaky_relu"``, ``"tanh"``, ...).
        param: the negative slope for ``"leaky_relu"`` (default 0.01).
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, int | float) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope must be a number, got {param!r}")
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    allowed = ", ".join((*_LINEAR_FNS, "sigmoid", "tanh", "relu", "leaky_relu", "selu"))
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r} (expected one of {allowed})"
    )


def calculate_fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shape ``(out, in, *kernel)``; at least 2 dimensions."""
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2:
        raise ValueError(
            f"Fan in and fan out can not be computed for a tensor with fewer than 2 "
            f"dimensions (got shape {shape})"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _correct_fan(arr: np.ndarray, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Invalid mode: {mode!r} (expected 'fan_in' or 'fan_out')")
    fan_in, fan_out = calculate_fan_in_and_fan_out(arr.shape)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0) -> Any:
    """Fill with values drawn from U(a, b)."""
    if not a <= b:
        raise ValueError(f"uniform_: expected a <= b, got a={a}, b={b}")
    arr = _array(tensor)
    return _fill(tensor, get_generator().uniform(a, b, size=arr.shape))


def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0) -> Any:
    """Fill with values drawn from N(mean, std^2)."""
    if std < 0:
        raise ValueError(f"normal_: expected std >= 0, got std={std}")
    arr = _array(tensor)
    return _fill(tensor, get_generator().normal(mean, std, size=arr.shape))


def constant_(tensor: Any, val: float) -> Any:
    """Fill with the value ``val``."""
    return _fill(tensor, val)


def zeros_(tensor: Any) -> Any:
    """Fill with zeros."""
    return _fill(tensor, 0.0)


def ones_(tensor: Any) -> Any:
    """Fill with ones."""
    return _fill(tensor, 1.0)


def xavier_uniform_(tensor: Any, gain: float = 1.0) -> Any:
    """Glorot/Xavier uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(_array(tensor).shape)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Any, gain: float = 1.0) -> Any:
    """Glorot/Xavier normal: N(0, std^2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(_array(tensor).shape)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std)


def kaiming_uniform_(
    tensor: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Any:
    """He/Kaiming uniform: U(-bound, bound) with ``bound = gain * sqrt(3 / fan)``.

    Args:
        tensor: the weight, shape ``(out, in, *kernel)``.
        a: the negative slope of the rectifier that follows (only for ``"leaky_relu"``).
        mode: ``"fan_in"`` keeps the forward variance, ``"fan_out"`` the backward one.
        nonlinearity: ``"relu"`` or ``"leaky_relu"`` (the default, as in PyTorch), or any name
            :func:`calculate_gain` knows.

    ``gain = calculate_gain(nonlinearity, a)``. PyTorch's ``Linear`` and ``Conv`` layers use
    ``a = sqrt(5)``, which gives ``bound = 1 / sqrt(fan_in)``.
    """
    arr = _array(tensor)
    if arr.size == 0:
        return tensor
    fan = _correct_fan(arr, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(
    tensor: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Any:
    """He/Kaiming normal: N(0, std^2) with ``std = gain / sqrt(fan)``; arguments as
    :func:`kaiming_uniform_`."""
    arr = _array(tensor)
    if arr.size == 0:
        return tensor
    fan = _correct_fan(arr, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std)
