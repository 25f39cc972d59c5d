"""Page 4, the learning rate: one ``lr`` for gradient descent on a 1-D loss and a 2-D surface,
the two paths, the loss per step, and the engine's verdict on each run.

The verdicts come from :func:`descentlab.landscapes.classify_run`. On a quadratic the
thresholds are exact: on ``c w²`` (curvature ``2c``) a step multiplies ``w`` by
``1 - 2c lr``, so the run creeps for small ``lr``, lands in one step at ``lr = 1/2c``,
zig-zags (oscillates) for ``1/2c < lr < 1/c`` and diverges beyond ``1/c``.
"""

from __future__ import annotations

from typing import Any

from descentlab import landscapes
from descentlab.lab.compute import bounds
from descentlab.lab.compute.landscape import check_surface
from descentlab.lab.compute.numerical_gradient import check_loss

LR_LOW, LR_HIGH = 1e-4, 5.0
STEPS_LOW, STEPS_HIGH = 1, 300
GRID = 80


def _run(fn: Any, start: Any, lr: float, steps: int, min_value: float | None) -> dict[str, Any]:
    run = landscapes.descend(fn, start, "sgd", steps, limit=1e6, lr=lr)
    verdict = landscapes.classify_run(run, min_value)
    return {
        "min_value": min_value,
        "path": run.path,
        "losses": run.losses,
        "diverged": run.diverged,
        "verdict": verdict.label,
        "reason": verdict.reason,
    }


def compare(loss_name: Any, surface_name: Any, lr: Any, steps: Any) -> dict[str, Any]:
    """Gradient descent with the same ``lr`` for ``steps`` steps on both problems.

    Returns ``{"one": {...}, "two": {...}}``: each with the run (``path``, ``losses``,
    ``diverged``, ``verdict``, ``reason``, ``min_value``) and what to draw it on (the 1-D
    curve ``ws``, ``values``; the 2-D grid ``xs``, ``ys``, ``z``), plus names and windows.
    """
    loss = check_loss(loss_name)
    surface = check_surface(surface_name)
    lr = bounds.number(lr, "The learning rate", LR_LOW, LR_HIGH)
    steps = bounds.number(steps, "The number of steps", STEPS_LOW, STEPS_HIGH, integer=True)
    ws, values = landscapes.evaluate_curve(loss, 300)
    xs, ys, z = landscapes.evaluate_grid(surface, GRID)
    one = _run(loss, [loss.start], lr, steps, loss.min_value)
    two = _run(surface, surface.start, lr, steps, surface.min_value)
    one.update(name=loss.name, title=loss.title, window=loss.window, ws=ws, values=values)
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
