"""Page 4, the learning rate: one ``lr`` for gradient descent on a 1-D loss and a 2-D surface,
the two paths, the loss per step, and the engine's verdict on each run.

The 2-D verdict comes from :func:`descentlab.landscapes.classify_run`. The 1-D run starts at
``w0`` (004 §4.1 starts ``w²`` at 10 and runs 20 steps) and is judged as the course judges
it (:func:`course_verdict`): diverging when the loss grows, converged once the loss gap is
below 0.01, slow otherwise. On a quadratic the thresholds are exact: on ``c w²`` (curvature
``2c``) a step multiplies ``w`` by ``1 - 2c lr``, so the run creeps for small ``lr``, lands in
one step at ``lr = 1/2c``, zig-zags (oscillates) for ``1/2c < lr < 1/c`` and diverges beyond
``1/c``.

:func:`compare` is the whole run at once (the page's summary); :func:`path_spec` is the same
two runs one step at a time, for the page's animation (a server-side run).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from descentlab import landscapes
from descentlab.lab.compute import bounds, paths
from descentlab.lab.compute.numerical_gradient import check_loss
from descentlab.lab.compute.surfaces import check_surface

LR_LOW, LR_HIGH = 1e-4, 5.0
STEPS_LOW, STEPS_HIGH = 1, 300
W0_LIMIT = 1000.0
GRID = 80
CONVERGED = 0.01  # 004 §4.1: a final loss below this is "CONVERGED"
DIVERGED = 1e10  # and above this (or NaN) "DIVERGED"
LIMIT = 1e6  # a run stops (diverged) once |loss| or a coordinate passes this


def course_number(value: float) -> str:
    """A loss as the course prints it: 2 decimals from 1 up, 4 below, trailing zeros cut
    (146977.16, 44.57, 0.0133, 0)."""
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.2f}" if abs(value) >= 1 else f"{value:.4f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def course_verdict(losses: np.ndarray, min_value: float | None, engine: str) -> tuple[str, str]:
    """``(label, reason)`` for a 1-D run by 004 §4.1's rule: "diverging" when the loss grows
    (or passes 1e10), "converged" once the gap ``f - f_min`` is below 0.01, else "slow",
    with how many more steps the last step's rate of decrease would need to cross 0.01."""
    floor = 0.0 if min_value is None else min_value
    gap = float(losses[-1]) - floor
    steps = len(losses) - 1
    shown = course_number(float(losses[-1]))
    if engine == "diverging" or not math.isfinite(gap) or gap > DIVERGED:
        return "diverging", (
            f"f = {shown} after {steps} steps, up from {course_number(float(losses[0]))}: "
            "each step overshoots the minimum further than the last (the course's code "
            f"prints DIVERGED only past {DIVERGED:g}, but the loss only grows)"
        )
    if gap < CONVERGED:
        return "converged", (
            f"f = {shown} after {steps} steps is below the course's threshold {CONVERGED:g}"
        )
    reason = (
        f"f = {shown} after {steps} steps is still above the course's threshold "
        f"{CONVERGED:g}, so 004 §4.1 calls it SLOW"
    )
    previous = float(losses[-2]) - floor if steps >= 1 else gap
    ratio = gap / previous if previous > 0 else 1.0
    if 0 < ratio < 1:
        more = math.ceil(math.log(CONVERGED / gap) / math.log(ratio))
        more_text = "one more step" if more == 1 else f"about {more} more steps"
        reason += (
            f", even though the gap shrinks ×{ratio:.3g} a step: {more_text} would take it "
            f"under {CONVERGED:g}"
        )
    return "slow", reason


def _run(fn: Any, start: Any, lr: float, steps: int, min_value: float | None) -> dict[str, Any]:
    run = landscapes.descend(fn, start, "sgd", steps, limit=LIMIT, lr=lr)
    verdict = landscapes.classify_run(run, min_value)
    return {
        "min_value": min_value,
        "path": run.path,
        "losses": run.losses,
        "diverged": run.diverged,
        "verdict": verdict.label,
        "reason": verdict.reason,
    }


def _checked(loss_name: Any, surface_name: Any, lr: Any, steps: Any, w0: Any) -> tuple:
    loss = check_loss(loss_name)
    surface = check_surface(surface_name)
    lr = bounds.number(lr, "The learning rate", LR_LOW, LR_HIGH)
    steps = bounds.number(steps, "The number of steps", STEPS_LOW, STEPS_HIGH, integer=True)
    start = loss.start if w0 is None else bounds.number(w0, "w0", -W0_LIMIT, W0_LIMIT)
    return loss, surface, lr, steps, start


def path_spec(
    loss_name: Any, surface_name: Any, lr: Any, steps: Any, w0: Any = None
) -> paths.PathSpec:
    """The animation of :func:`compare`'s two runs, one step at a time: records of
    ``[(w, L(w)), (x, y, f(x, y))]`` (:mod:`descentlab.lab.compute.paths`) from the same
    :func:`descentlab.landscapes.descent_steps` that :func:`compare`'s ``descend`` consumes.
    ``meta["floors"]`` holds each run's known minimum (None: unknown)."""
    loss, surface, lr, steps, start = _checked(loss_name, surface_name, lr, steps, w0)

    def records() -> Iterator[paths.Record]:
        one = landscapes.descent_steps(loss, [start], "sgd", steps, limit=LIMIT, lr=lr)
        two = landscapes.descent_steps(surface, surface.start, "sgd", steps, limit=LIMIT, lr=lr)
        for a, b in paths.lockstep([one, two]):
            yield [None if a is None else (a[0][0], a[1]), None if b is None else (*b[0], b[1])]

    key = json.dumps([loss.name, surface.name, lr, steps, start])
    return paths.PathSpec(key, 2, records, steps, {"floors": [loss.min_value, surface.min_value]})


def _fit_1d(window: tuple[float, float], path: np.ndarray) -> tuple[float, float]:
    """The loss's window widened to hold every point of the run (with a 5% margin)."""
    finite = path[np.isfinite(path)]
    low = min(window[0], float(finite.min())) if finite.size else window[0]
    high = max(window[1], float(finite.max())) if finite.size else window[1]
    pad = 0.05 * (high - low) if (low, high) != window else 0.0
    return low - pad, high + pad


def compare(
    loss_name: Any, surface_name: Any, lr: Any, steps: Any, w0: Any = None
) -> dict[str, Any]:
    """Gradient descent with the same ``lr`` for ``steps`` steps on both problems; the 1-D
    run starts at ``w0`` (the loss's default start when None).

    Returns ``{"one": {...}, "two": {...}}``: each with the run (``path``, ``losses``,
    ``diverged``, ``verdict``, ``reason``, ``min_value``) and what to draw it on (the 1-D
    curve ``ws``, ``values`` over a window that holds the run; the 2-D grid ``xs``, ``ys``,
    ``z``), plus names and windows; the 1-D run also has the course's verdict (``course``,
    ``course_reason``) and its final loss as the course prints it (``final``).
    """
    loss, surface, lr, steps, start = _checked(loss_name, surface_name, lr, steps, w0)
    xs, ys, z = landscapes.evaluate_grid(surface, GRID)
    one = _run(loss, [start], lr, steps, loss.min_value)
    window = _fit_1d(loss.window, one["path"][:, 0])
    ws, values = landscapes.evaluate_curve(loss, 300, window)
    label, reason = course_verdict(one["losses"], loss.min_value, one["verdict"])
    if one["diverged"]:
        label = "diverging"
    one.update(
        name=loss.name,
        title=loss.title,
        window=window,
        ws=ws,
        values=values,
        start=start,
        course=label,
        course_reason=reason,
        final=course_number(float(one["losses"][-1])),
    )
    two = _run(surface, surface.start, lr, steps, surface.min_value)
    two.update(
        name=surface.name,
        title=surface.title,
        formula=surface.formula,
        window=surface.window,
        xs=xs,
        ys=ys,
        z=z,
        log_scale=surface.log_scale,
        minima=[list(m) for m in surface.minima],
    )
    return {"lr": lr, "steps": steps, "one": one, "two": two}
