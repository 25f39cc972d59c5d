"""Numerical gradient checking: centred finite differences against backward(), in float64.

For each input element x_i the numerical derivative of the scalar s = sum(fn(inputs) * v)
(v a fixed random projection, so that outputs of any shape are covered) is

    (s(x_i + eps) - s(x_i - eps)) / (2 eps),

whose truncation error is O(eps^2) and whose round-off error is O(machine_eps / eps):
in float64, eps = 1e-6 balances the two. An element passes when
|analytic - numerical| <= atol + rtol * |numerical| (torch.allclose's rule).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from descentlab.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the numerical one."""


@dataclass
class InputReport:
    """How one input's gradient compared: the worst element and its two values."""

    index: int
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    worst_element: tuple[int, ...] | None
    analytic: float
    numerical: float
    passed: bool


@dataclass
class GradcheckReport:
    inputs: list[InputReport] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.inputs)

    @property
    def max_abs_error(self) -> float:
        return max((r.max_abs_error for r in self.inputs), default=0.0)

    @property
    def max_rel_error(self) -> float:
        return max((r.max_rel_error for r in self.inputs), default=0.0)


def numerical_gradient(fn: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Centred differences of the scalar ``fn()`` with respect to the array ``x`` (in place)."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = fn()
        flat[i] = original - eps
        minus = fn()
        flat[i] = original
        out[i] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Tensor | np.ndarray],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> GradcheckReport:
    """Compare ``fn``'s backward() with centred differences for every floating input.

    Args:
        fn: maps the input tensors to an output tensor of any shape.
        inputs: tensors or arrays; they are copied to float64 leaves, and floating ones
            get requires_grad=True unless they are tensors with requires_grad=False.
        eps: the finite-difference step.
        atol, rtol: an element passes if |analytic - numerical| <= atol + rtol |numerical|.
        raise_exception: raise GradcheckError naming the worst element when a check fails.

    Returns:
        A GradcheckReport with the max absolute and relative error per input.
    """
    leaves = []
    for x in inputs:
        data = x._data if isinstance(x, Tensor) else np.asarray(x)
        wants = data.dtype.kind == "f" and (not isinstance(x, Tensor) or x.requires_grad)
        if data.dtype.kind == "f":
            data = data.astype(np.float64)
        leaves.append(Tensor(data.copy(), requires_grad=wants, dtype=data.dtype))

    if not any(leaf.requires_grad for leaf in leaves):
        raise ValueError(
            "gradcheck: no input to check: pass arrays, or tensors with requires_grad=True"
        )
    out = fn(*leaves)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, returned {type(out).__name__}")
    projection = np.random.default_rng(seed).standard_normal(out.shape)
    if out.requires_grad:
        out.backward(projection)

    def scalar() -> float:
        return float((fn(*leaves)._data * projection).sum())

    report = GradcheckReport()
    for index, leaf in enumerate(leaves):
        if not leaf.requires_grad:
            continue
        analytic = np.zeros_like(leaf._data) if leaf._grad is None else leaf._grad._data
        numerical = numerical_gradient(scalar, leaf._data, eps)
        report.inputs.append(_compare(index, analytic, numerical, atol, rtol))

    failed = [r for r in report.inputs if not r.passed]
    if failed and raise_exception:
        r = failed[0]
        raise GradcheckError(
            f"gradcheck: input {r.index} {r.shape}: element {r.worst_element} has analytic "
            f"gradient {r.analytic:.8g} but numerical {r.numerical:.8g} (abs error "
            f"{r.max_abs_error:.3g}, rel error {r.max_rel_error:.3g}; atol={atol}, rtol={rtol})"
        )
    return report


def _compare(index: int, analytic, numerical, atol: float, rtol: float) -> InputReport:
    abs_err = np.abs(analytic - numerical)
    rel_err = abs_err / np.maximum(np.abs(numerical), 1e-12)
    excess = abs_err - (atol + rtol * np.abs(numerical))
    if abs_err.size == 0:
        return InputReport(index, analytic.shape, 0.0, 0.0, None, 0.0, 0.0, True)
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
    return InputReport(
        index=index,
        shape=analytic.shape,
        max_abs_error=float(abs_err.max()),
        max_rel_error=float(rel_err.max()),
        worst_element=tuple(int(i) for i in worst),
        analytic=float(analytic[worst]),
        numerical=float(numerical[worst]),
        passed=bool((excess <= 0).all()),
    )
