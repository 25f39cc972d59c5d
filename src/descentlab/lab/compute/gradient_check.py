"""Page 3, analytic against numerical gradients, and how the numerical one's error moves with h.

For a 1-D loss, the centred difference ``(L(w + h) - L(w - h)) / 2h`` has two errors:

- truncation, from the Taylor terms the formula drops: about ``h² |L'''(w)| / 6``, shrinking
  as ``h`` shrinks;
- round-off, from subtracting two nearly equal rounded values: about ``eps |L(w)| / h``
  (``eps`` the machine epsilon, 1.2e-7 in float32, 2.2e-16 in float64), growing as ``h``
  shrinks.

Their sum is smallest near ``h ≈ eps^(1/3)``. Gradient checking compares the two gradients by
their relative error ``|a - n| / max(|a|, |n|)`` and reads it against fixed bands.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import descentlab as dl
from descentlab import landscapes
from descentlab.lab.compute import bounds
from descentlab.lab.compute.numerical_gradient import centred_difference, check_loss

H_EXPONENTS = np.arange(-12.0, 0.25, 0.25)  # h = 10^k for the error curves
SIDE_POINTS = 41  # points along w for the side-by-side plot
H_LOW, H_HIGH = 1e-12, 1.0
FLOOR = 1e-17  # relative errors of exactly 0 are drawn here on the log axis

# (upper bound of the relative error, label, colour): read from the top down
BANDS = [
    (1e-7, "agree: the gradient is right", "#d8f3dc"),
    (1e-4, "close: right if the function has kinks, else look again", "#fff3bf"),
    (1e-2, "suspect: check h, then the code", "#ffe0b2"),
    (np.inf, "wrong: the gradients disagree", "#ffd6d6"),
]


def band(rel_error: float) -> str:
    """The gradient-checking verdict for a relative error."""
    for upper, label, _ in BANDS:
        if rel_error < upper:
            return label
    return BANDS[-1][1]


def relative_error(analytic: float, numerical: float) -> float:
    scale = max(abs(analytic), abs(numerical))
    return 0.0 if scale == 0 else abs(analytic - numerical) / scale


def side_by_side(name: Any, h: Any, n: int = SIDE_POINTS) -> dict[str, Any]:
    """The analytic gradient (backward on all ``n`` points at once) and the centred
    difference at each point, across the loss's window: ``ws``, ``analytic``, ``numerical``.
    """
    loss = check_loss(name)
    h = bounds.number(h, "The step h", H_LOW, H_HIGH)
    ws = np.linspace(*loss.window, n)
    w_t = dl.tensor(ws, requires_grad=True, dtype=np.float64)
    loss(w_t).sum().backward()  # the loss is elementwise, so this is L'(w) at every point
    numerical = np.array([centred_difference(loss, float(v), h) for v in ws])
    return {"ws": ws, "analytic": w_t._grad._data.copy(), "numerical": numerical}


def error_curves(name: Any, w: Any) -> dict[str, Any]:
    """Relative error of the centred difference against ``h`` at ``w``, in float32 and
    float64, measured against the float64 analytic gradient.

    Returns ``hs`` (k,), ``analytic`` (float), and per dtype name ``{"numerical": (k,),
    "relative": (k,), "best_h": float}``.
    """
    loss = check_loss(name)
    w = bounds.number(w, "w", *loss.window)
    _, grad = landscapes.value_and_grad(loss, [w])
    analytic = float(grad[0])
    hs = 10.0**H_EXPONENTS
    out: dict[str, Any] = {"hs": hs, "analytic": analytic, "w": w}
    for label, dtype in (("float32", np.float32), ("float64", np.float64)):
        numerical = np.array([centred_difference(loss, w, float(h), dtype) for h in hs])
        rel = np.array([relative_error(analytic, v) for v in numerical])
        out[label] = {
            "numerical": numerical,
            "relative": rel,
            "best_h": float(hs[int(np.argmin(rel))]),
        }
    return out


def verdict(rel_error: float, h: float, best_h: float, tenth: float, tenfold: float) -> str:
    """The band of ``rel_error`` at ``h``, unless ``h`` itself explains it. ``tenth`` and
    ``tenfold`` are the relative errors at ``h / 10`` and ``10 h``: an error that falls about
    a hundredfold with a tenth of ``h`` (as ``h²``) is truncation, one that grows about
    tenfold from ``10 h`` to ``h`` below the best ``h`` (as ``1/h``) is round-off; neither is
    a wrong gradient. A kink breaks both patterns and keeps its band."""
    if rel_error >= BANDS[0][0]:
        if h > best_h and tenth > 0 and 30 <= rel_error / tenth <= 300:
            return f"h too large: truncation error (it falls like h²; try h near {best_h:.0e})"
        if h < best_h and tenfold > 0 and 2 <= rel_error / tenfold <= 50:
            return f"h too small: round-off error (it grows like 1/h; try h near {best_h:.0e})"
    return band(rel_error)


def check_at(name: Any, w: Any, h: Any, curves: dict[str, Any] | None = None) -> dict[str, Any]:
    """One gradient check at ``w`` with step ``h``: the analytic gradient and, per dtype, the
    centred difference, its relative error and its verdict (:func:`verdict`; the best ``h``
    comes from the error curves at ``w``, :func:`error_curves`, computed when not given)."""
    loss = check_loss(name)
    w = bounds.number(w, "w", *loss.window)
    h = bounds.number(h, "The step h", H_LOW, H_HIGH)
    curves = error_curves(loss.name, w) if curves is None else curves
    _, grad = landscapes.value_and_grad(loss, [w])
    analytic = float(grad[0])
    out: dict[str, Any] = {"analytic": analytic, "w": w, "h": h}
    for label, dtype in (("float32", np.float32), ("float64", np.float64)):
        numerical = centred_difference(loss, w, h, dtype)
        rel = relative_error(analytic, numerical)
        tenth, tenfold = (
            relative_error(analytic, centred_difference(loss, w, probe, dtype))
            for probe in (h / 10, min(10 * h, H_HIGH))
        )
        judged = verdict(rel, h, curves[label]["best_h"], tenth, tenfold)
        if rel >= BANDS[0][0] and h < float(np.spacing(dtype(w))):
            judged = f"h too small: w ± h rounds to w in {label} (round-off)"
        out[label] = {"numerical": numerical, "relative": rel, "band": judged}
    return out
