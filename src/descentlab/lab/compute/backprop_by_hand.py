"""Backprop by hand: the course's two-layer scalar network, every number on show.

The network has one input ``x``, one hidden neuron and one output neuron::

    z1 = w1 * x + b1        a1 = act(z1)
    z2 = w2 * a1 + b2       a2 = act(z2)          (the prediction)
    C  = 1/2 * (y - a2)**2                        (the squared error for target y)

Backward, with the error terms (deltas) ``delta2 = dC/dz2`` and ``delta1 = dC/dz1``::

    dC/da2 = -(y - a2)            delta2 = dC/da2 * act'(z2)
    dC/dw2 = delta2 * a1          dC/db2 = delta2
    delta1 = delta2 * w2 * act'(z1)
    dC/dw1 = delta1 * x           dC/db1 = delta1

With ``act`` the identity this is the course's worked example ``L = (x*w1 + b1)*w2 + b2`` at
``x=2, w1=0.5, b1=1, w2=1.5, b2=0.5``: ``L = 3.5``, ``dL/dw1 = 3``, ``dL/dw2 = 2``, and for the
target ``5`` the error ``C = 1.125``. Two update rules are offered: gradient descent on the
error, ``p <- p - lr * dC/dp``, and the course's step that pushes the output up,
``p <- p + lr * da2/dp``, the default (with ``lr = 0.1`` it gives ``w1 = 0.8, w2 = 1.7`` and
``L = 4.92``; with ``lr = 0.2``, ``w1 = 1.1, w2 = 1.9`` and ``L = 6.58``).

All the numbers are computed by the engine in float64: the forward pass is built from
Tensors, the deltas are the ``.grad`` of the retained intermediate nodes after ``backward``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

import descentlab as dl

__all__ = [
    "ACTIVATIONS",
    "DEFAULTS",
    "PARAMETERS",
    "RULES",
    "HandResult",
    "backprop_by_hand",
]

PARAMETERS = ("w1", "b1", "w2", "b2")
ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu")
RULES = {
    "descend": "Gradient descent on the error: p ← p − lr·dC/dp",
    "course": "The course's step, pushing the output up: p ← p + lr·da2/dp",
}
DEFAULTS = {"x": 2.0, "y": 5.0, "w1": 0.5, "b1": 1.0, "w2": 1.5, "b2": 0.5, "lr": 0.1}
DEFAULT_RULE = "course"
LIMIT = 100.0
MAX_LR = 10.0


@dataclass(frozen=True)
class HandResult:
    """The forward values, deltas, gradients and one update of the two-layer network.

    ``forward``: z1, a1, z2, a2, C. ``backward``: dC/da2, act'(z2), delta2, dC/dw2, dC/db2,
    act'(z1), delta1, dC/dw1, dC/db1. ``sensitivity``: da2/dp for each parameter (the
    course's dL/dw). ``before``/``after``: the parameters; ``after_forward``: z1..C
    recomputed with the updated parameters.
    """

    inputs: dict[str, float]
    activation: str
    rule: str
    lr: float
    learn: tuple[str, ...]
    forward: dict[str, float]
    backward: dict[str, float]
    sensitivity: dict[str, float]
    before: dict[str, float]
    after: dict[str, float]
    after_forward: dict[str, float]


def _activate(z: dl.Tensor, activation: str) -> dl.Tensor:
    if activation == "identity":
        return z * 1.0  # a separate node so that a1 and z1 each keep their own gradient
    return {"sigmoid": z.sigmoid, "tanh": z.tanh, "relu": z.relu}[activation]()


def _forward(x: float, y: float, params: dict[str, dl.Tensor], activation: str):
    z1 = params["w1"] * x + params["b1"]
    a1 = _activate(z1, activation)
    z2 = params["w2"] * a1 + params["b2"]
    a2 = _activate(z2, activation)
    cost = 0.5 * (y - a2) ** 2
    return z1, a1, z2, a2, cost


def _number(name: str, value: object, limit: float) -> float:
    if value is None or value == "":
        raise ValueError(f"{name} is empty: enter a number between {-limit:g} and {limit:g}.")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number (received {value!r}).")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be a number (received {str(value)[:40]!r}).") from None
    if not np.isfinite(number) or abs(number) > limit:
        raise ValueError(f"{name} must be between {-limit:g} and {limit:g} (received {number:g}).")
    return number


def backprop_by_hand(
    x: float = 2.0,
    y: float = 5.0,
    w1: float = 0.5,
    b1: float = 1.0,
    w2: float = 1.5,
    b2: float = 0.5,
    activation: str = "identity",
    lr: float = 0.1,
    rule: str = "course",
    learn: Iterable[str] = ("w1", "w2"),
) -> HandResult:
    """Forward pass, backward pass and one update of the two-layer scalar network.

    Args:
        x, y: the input and the target.
        w1, b1, w2, b2: the parameters of the hidden and the output neuron.
        activation: one of ``identity``, ``sigmoid``, ``tanh``, ``relu`` (both neurons).
        lr: the learning rate, in [0, 10].
        rule: ``"descend"`` (``p <- p - lr * dC/dp``) or ``"course"``
            (``p <- p + lr * da2/dp``).
        learn: the parameters the update changes; the others stay fixed.

    Raises:
        ValueError: a value that is not a number in its range, or an unknown name.
    """
    values = {
        name: _number(name, value, LIMIT)
        for name, value in (("x", x), ("y", y), ("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2))
    }
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(
            f"Unknown activation {activation!r} (expected one of {', '.join(ACTIVATIONS)})."
        )
    if not isinstance(rule, str) or rule not in RULES:
        raise ValueError(f"Unknown update rule {rule!r} (expected one of {', '.join(RULES)}).")
    lr = _number("The learning rate", lr, MAX_LR)
    if lr < 0:
        raise ValueError(f"The learning rate must be between 0 and {MAX_LR:g} (received {lr:g}).")
    if learn is None:
        learn = ()
    if not isinstance(learn, list | tuple) or not all(isinstance(n, str) for n in learn):
        raise ValueError(
            f"The parameters to learn must be a list of names from {', '.join(PARAMETERS)} "
            f"(received {learn!r})."
        )
    learn = tuple(learn)
    unknown = [name for name in learn if name not in PARAMETERS]
    if unknown:
        raise ValueError(
            f"Unknown parameter {unknown[0]!r} (expected some of {', '.join(PARAMETERS)})."
        )

    x, y = values["x"], values["y"]
    params = {
        name: dl.tensor(values[name], requires_grad=True, dtype=np.float64) for name in PARAMETERS
    }
    z1, a1, z2, a2, cost = _forward(x, y, params, activation)
    for node in (z1, a1, z2, a2):
        node.retain_grad()
    # The output's own sensitivities da2/dp first (the course's dL/dw), on a retained graph.
    a2.backward(retain_graph=True)
    sensitivity = {name: float(params[name].grad) for name in PARAMETERS}
    for tensor in (*params.values(), z1, a1, z2, a2):
        tensor.grad = None
    cost.backward()
    grad = {name: float(params[name].grad) for name in PARAMETERS}

    d_a2 = float(a2.grad)
    delta2 = float(z2.grad)
    delta1 = float(z1.grad)
    forward = {
        "z1": float(z1.item()),
        "a1": float(a1.item()),
        "z2": float(z2.item()),
        "a2": float(a2.item()),
        "C": float(cost.item()),
    }
    backward = {
        "dC/da2": d_a2,
        "act'(z2)": _slope(forward["z2"], activation),
        "delta2": delta2,
        "dC/dw2": grad["w2"],
        "dC/db2": grad["b2"],
        "dC/da1": float(a1.grad),
        "act'(z1)": _slope(forward["z1"], activation),
        "delta1": delta1,
        "dC/dw1": grad["w1"],
        "dC/db1": grad["b1"],
    }

    before = {name: values[name] for name in PARAMETERS}
    step = grad if rule == "descend" else sensitivity
    sign = -1.0 if rule == "descend" else 1.0
    after = {
        name: before[name] + sign * lr * step[name] if name in learn else before[name]
        for name in PARAMETERS
    }
    with dl.no_grad():
        new = {name: dl.tensor(after[name], dtype=np.float64) for name in PARAMETERS}
        nz1, na1, nz2, na2, ncost = _forward(x, y, new, activation)
    after_forward = {
        "z1": float(nz1.item()),
        "a1": float(na1.item()),
        "z2": float(nz2.item()),
        "a2": float(na2.item()),
        "C": float(ncost.item()),
    }
    return HandResult(
        inputs={"x": x, "y": y},
        activation=activation,
        rule=rule,
        lr=lr,
        learn=learn,
        forward=forward,
        backward=backward,
        sensitivity=sensitivity,
        before=before,
        after=after,
        after_forward=after_forward,
    )


def _slope(z: float, activation: str) -> float:
    """act'(z), by the engine: the gradient of act at z."""
    tz = dl.tensor(z, requires_grad=True, dtype=np.float64)
    _activate(tz, activation).backward()
    return float(tz.grad)
