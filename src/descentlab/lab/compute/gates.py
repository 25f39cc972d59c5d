"""Gate patterns: how the add, multiply and max gates pass a gradient back to their inputs.

For a gate ``f(x, y)`` that receives the upstream gradient ``g = dL/df``, the chain rule sends
``dL/dx = g * df/dx`` and ``dL/dy = g * df/dy`` back to its inputs:

- add, ``f = x + y``: local gradients ``(1, 1)``: it *distributes* ``g`` unchanged to both;
- multiply, ``f = x * y``: local gradients ``(y, x)``: it *switches* the inputs, each input's
  gradient is ``g`` scaled by the other input;
- max, ``f = max(x, y)``: local gradients ``(1, 0)`` or ``(0, 1)``: it *routes* ``g`` to the
  larger input only (the engine splits it equally on a tie, as PyTorch does).

Every number comes from the engine: each gate is built from Tensors and differentiated with
``backward``, once with ``g = 1`` (the local gradients) and once with the upstream gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import descentlab as dl
from descentlab.lab.compute import bounds

__all__ = ["GATES", "LIMIT", "GateResult", "gate_patterns", "check_value"]

LIMIT = 1000.0  # inputs and upstream gradient are kept within [-LIMIT, LIMIT]


@dataclass(frozen=True)
class Gate:
    key: str
    name: str
    formula: str
    role: str
    local_rule: str
    apply: Callable[[dl.Tensor, dl.Tensor], dl.Tensor]


GATES: tuple[Gate, ...] = (
    Gate(
        "add",
        "Add",
        "x + y",
        "Distributor: copies the upstream gradient to both inputs",
        "df/dx = 1, df/dy = 1",
        lambda x, y: x + y,
    ),
    Gate(
        "mul",
        "Multiply",
        "x * y",
        "Switcher: each input gets the gradient scaled by the other input",
        "df/dx = y, df/dy = x",
        lambda x, y: x * y,
    ),
    Gate(
        "max",
        "Max",
        "max(x, y)",
        "Router: the whole gradient goes to the larger input",
        "1 for the larger input, 0 for the other",
        lambda x, y: dl.maximum(x, y),
    ),
)


@dataclass(frozen=True)
class GateResult:
    """One gate at given inputs: forward value, local gradients, gradients sent back."""

    key: str
    name: str
    formula: str
    role: str
    local_rule: str
    value: float
    local_x: float
    local_y: float
    grad_x: float
    grad_y: float


def check_value(name: str, value: object) -> float:
    """Return ``value`` as a float in ``[-LIMIT, LIMIT]`` or raise one clear ValueError."""
    return bounds.number(value, name, -LIMIT, LIMIT)


def _backward(gate: Gate, x: float, y: float, upstream: float) -> tuple[float, float, float]:
    tx = dl.tensor(x, requires_grad=True, dtype=np.float64)
    ty = dl.tensor(y, requires_grad=True, dtype=np.float64)
    out = gate.apply(tx, ty)
    out.backward(dl.tensor(upstream, dtype=np.float64))
    return float(out.item()), float(tx.grad), float(ty.grad)


def gate_patterns(x: float, y: float, upstream: float = 1.0) -> list[GateResult]:
    """The add, multiply and max gates at inputs ``(x, y)`` with upstream gradient ``g``.

    Returns one :class:`GateResult` per gate in :data:`GATES` order, where ``local_x`` is
    ``df/dx`` and ``grad_x = upstream * df/dx`` is what the gate sends back to ``x``.

    Raises:
        ValueError: an input or the upstream gradient is not a number in [-1000, 1000].
    """
    x = check_value("x", x)
    y = check_value("y", y)
    upstream = check_value("The upstream gradient", upstream)
    results = []
    for gate in GATES:
        value, local_x, local_y = _backward(gate, x, y, 1.0)
        _, grad_x, grad_y = _backward(gate, x, y, upstream)
        results.append(
            GateResult(
                gate.key,
                gate.name,
                gate.formula,
                gate.role,
                gate.local_rule,
                value,
                local_x,
                local_y,
                grad_x,
                grad_y,
            )
        )
    return results
