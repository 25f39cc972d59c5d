"""Page 1, the loss landscape: a surface's grid, and gradient descent one step at a time.

The page keeps its state in the browser (a ``dcc.Store``) as plain data::

    {"surface": "bowl", "path": [[x, y], ...], "losses": [...], "grads": [[gx, gy], ...],
     "status": "" | "converged" | "diverged" | "left the view" | "step limit"}

and every function here takes that state and returns a new one, so two users never share it.
Each step is one ``descentlab.optim.SGD`` step on the surface's Tensor code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descentlab import landscapes
from descentlab.lab.compute import bounds

GRID = 100  # contour resolution per axis
MAX_PATH = 1000  # steps kept per run, then the page asks for a reset
LR_LOW, LR_HIGH = 1e-6, 10.0
STEPS_PER_CALL = 50
GRAD_TOL = 1e-8  # converged once |grad| falls below this
STATUSES = ("", "converged", "diverged", "left the view", "step limit")


def surface_options() -> list[dict[str, str]]:
    """Dropdown options: one per registered surface, labelled with its formula."""
    return [
        {"label": f"{s.title}: {s.formula}" if s.name != "ravine" else s.title, "value": s.name}
        for s in landscapes.SURFACES.values()
    ]


def check_surface(name: Any) -> landscapes.Surface:
    return landscapes.get_surface(bounds.choice(name, "The surface", landscapes.SURFACES))


def check_lr(lr: Any) -> float:
    return bounds.number(lr, "The learning rate", LR_LOW, LR_HIGH)


def surface_view(name: Any, n: int = GRID) -> dict[str, Any]:
    """The grid of a surface for drawing: ``xs`` (n,), ``ys`` (n,), ``z`` (n, n), and its
    metadata (title, formula, window, minima, start, default lr, log_scale)."""
    surface = check_surface(name)
    xs, ys, z = landscapes.evaluate_grid(surface, n)
    return {
        "name": surface.name,
        "title": surface.title,
        "formula": surface.formula,
        "xs": xs,
        "ys": ys,
        "z": z,
        "window": surface.window,
        "minima": [list(m) for m in surface.minima],
        "start": list(surface.start),
        "lr": surface.lr,
        "log_scale": surface.log_scale,
    }


def start_state(name: Any, point: Any = None) -> dict[str, Any]:
    """A fresh state at ``point`` (the surface's default start when None).

    The point must lie in the surface's view window (a click on the contour always does).
    """
    surface = check_surface(name)
    if point is None:
        x, y = surface.start
    else:
        x, y = bounds.point(point, "The starting point", surface.window)
    value, grad = landscapes.value_and_grad(surface, (x, y))
    return {
        "surface": surface.name,
        "path": [[x, y]],
        "losses": [value],
        "grads": [grad.tolist()],
        "status": "",
    }


def _check_state(state: Any) -> tuple[landscapes.Surface, dict[str, Any]]:
    if not isinstance(state, dict) or not isinstance(state.get("path"), list):
        raise ValueError("The page state is missing; press Reset.")
    surface = check_surface(state.get("surface"))
    path = state["path"]
    if not 1 <= len(path) <= MAX_PATH + 1:
        raise ValueError(f"The path must hold 1 to {MAX_PATH + 1} points; press Reset.")
    lists = [state.get(key) for key in ("losses", "grads")]
    if state.get("status") not in STATUSES or not all(
        isinstance(v, list) and len(v) == len(path) for v in lists
    ):
        raise ValueError("The page state is damaged; press Reset.")
    if not state["status"]:
        # a run that goes on stopped at its first point beyond one window-width of the view
        x0, x1, y0, y1 = surface.window
        w, h = x1 - x0, y1 - y0
        bounds.point(path[-1], "The current point", (x0 - w, x1 + w, y0 - h, y1 + h))
    return surface, state


def step_state(state: Any, lr: Any, steps: int = 1) -> dict[str, Any]:
    """``steps`` more steps of gradient descent (``SGD(lr)``) from the state's last point.

    Stops early, setting ``status``, when the gradient vanishes ("converged"), the loss
    leaves finite range ("diverged"), the point leaves the view ("left the view") or the path
    reaches ``MAX_PATH`` steps ("step limit").
    """
    surface, state = _check_state(state)
    lr = check_lr(lr)
    steps = bounds.number(steps, "The number of steps", 1, STEPS_PER_CALL, integer=True)
    if state.get("status"):
        return state
    room = MAX_PATH + 1 - len(state["path"])
    if room <= 0:
        return {**state, "status": "step limit"}
    run = landscapes.descend(surface, state["path"][-1], "sgd", min(steps, room), limit=1e12, lr=lr)
    path = state["path"] + run.path[1:].tolist()
    losses = state["losses"] + run.losses[1:].tolist()
    grads = state["grads"] + run.grads[1:].tolist()
    x0, x1, y0, y1 = surface.window
    w, h = x1 - x0, y1 - y0
    x, y = path[-1]
    status = ""
    if run.diverged:
        status = "diverged"
    elif not (x0 - w <= x <= x1 + w and y0 - h <= y <= y1 + h):
        status = "left the view"
    elif float(np.hypot(*grads[-1])) < GRAD_TOL:
        status = "converged"
    elif len(path) > MAX_PATH:
        status = "step limit"
    return {
        "surface": surface.name,
        "path": path,
        "losses": losses,
        "grads": grads,
        "status": status,
    }


def arrow(state: dict[str, Any], fraction: float = 0.15) -> dict[str, float] | None:
    """The downhill arrow ``-grad f`` at the current point, drawn with a fixed length
    (``fraction`` of the window's smaller side): ``{"x0", "y0", "x1", "y1", "norm"}``, or
    None where the gradient vanishes."""
    surface = check_surface(state["surface"])
    x, y = state["path"][-1]
    gx, gy = state["grads"][-1]
    norm = float(np.hypot(gx, gy))
    if not np.isfinite(norm) or norm == 0.0:
        return None
    x0, x1, y0, y1 = surface.window
    length = fraction * min(x1 - x0, y1 - y0)
    return {
        "x0": x,
        "y0": y,
        "x1": x - length * gx / norm,
        "y1": y - length * gy / norm,
        "norm": norm,
    }
