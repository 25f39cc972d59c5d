"""Page 2, the numerical gradient: a 1-D loss, its tangent, and the centred difference.

The slope of ``L`` at ``w`` two ways, both through descentlab:

- analytic: ``backward()`` through the loss's Tensor code;
- numerical: ``(L(w + h) - L(w - h)) / 2h`` by :func:`descentlab.gradcheck.numerical_gradient`,
  evaluating the same Tensor code twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import descentlab as dl
from descentlab import landscapes
from descentlab.gradcheck import numerical_gradient
from descentlab.lab.compute import bounds

H_LOW, H_HIGH = 1e-8, 2.0
CURVE_POINTS = 300


def loss_options() -> list[dict[str, str]]:
    return [{"label": loss.title, "value": loss.name} for loss in landscapes.LOSSES_1D.values()]


def check_loss(name: Any) -> landscapes.Loss1D:
    return landscapes.get_loss_1d(bounds.choice(name, "The loss", landscapes.LOSSES_1D))


def centred_difference(
    loss: landscapes.Loss1D, w: float, h: float, dtype: Any = np.float64
) -> float:
    """``(L(w + h) - L(w - h)) / 2h`` with the loss evaluated by the engine in ``dtype``.

    In float32 the shifted points ``w ± h`` are rounded to float32 before the loss sees them,
    which is where round-off error starts when ``h`` is small.
    """
    x = np.array([w], dtype=dtype)

    def value() -> float:
        with dl.no_grad():
            return loss(dl.tensor(x, dtype=dtype)).sum().item()

    return float(numerical_gradient(value, x, eps=h)[0])


def view(name: Any, w: Any, h: Any) -> dict[str, Any]:
    """Everything page 2 draws for loss ``name`` at ``w`` with step ``h``.

    Returns a dict: ``ws``, ``values`` (the curve); ``w``, ``value``; ``analytic`` (the slope
    by backward), ``numerical`` (the centred difference); ``minus``/``plus`` (``[w ∓ h,
    L(w ∓ h)]``); ``tangent``/``secant`` (two points each, spanning a fifth of the window).
    """
    loss = check_loss(name)
    lo, hi = loss.window
    w = bounds.number(w, "w", lo, hi)
    h = bounds.number(h, "The step h", H_LOW, H_HIGH)
    ws, values = landscapes.evaluate_curve(loss, CURVE_POINTS)
    value, grad = landscapes.value_and_grad(loss, [w])
    analytic = float(grad[0])
    numerical = centred_difference(loss, w, h)
    with dl.no_grad():
        ends = loss(dl.tensor(np.array([w - h, w + h]), dtype=np.float64)).detach().numpy()
    span = 0.1 * (hi - lo)
    return {
        "ws": ws,
        "values": values,
        "w": w,
        "h": h,
        "value": value,
        "analytic": analytic,
        "numerical": numerical,
        "minus": [w - h, float(ends[0])],
        "plus": [w + h, float(ends[1])],
        "tangent": [[w - span, value - analytic * span], [w + span, value + analytic * span]],
        "secant": [
            [w - span, value - numerical * span],
            [w + span, value + numerical * span],
        ],
    }
