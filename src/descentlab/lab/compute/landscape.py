"""Page 1, the loss landscape: a surface's grid, and gradient descent one step at a time.

The page keeps its state in the browser (a ``dcc.Store``) as plain data::

    {"surface": "bowl", "path": [[x, y], ...], "losses": [...], "grads": [[gx, gy], ...],
     "steps": len(path) - 1,
     "status": "" | "converged" | "diverged" | "left the view" | "step limit"}

and every function here takes that state and returns a new one, so two users never share it.
The page's **Run** is :class:`Descent`, a run body of :mod:`descentlab.lab.runs`: the server
takes one :func:`step_state` step per checkpoint, at a pace, until the state has a status.
Each step is one ``descentlab.optim.SGD`` step on the surface's Tensor code. The surface is a
registered name or a formula (:mod:`descentlab.lab.compute.surfaces`); the view is the
surface's window widened to hold the start (:func:`view_window`), so a start such as 004's
(4, 3) is on screen.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from descentlab import landscapes
from descentlab.lab.compute import bounds
from descentlab.lab.compute.surfaces import check_surface, fit_window
from descentlab.lab.runs import Control

GRID = 100  # contour resolution per axis
MAX_PATH = 1000  # steps kept per run, then the page asks for a reset
LR_LOW, LR_HIGH = 1e-6, 10.0
STEPS_PER_CALL = 50
START_LIMIT = 1000.0  # |x|, |y| of a typed start
TOL_LOW, TOL_HIGH, TOL = 1e-12, 1.0, 1e-3  # Run stops once |grad| < tol (tol on the page)
ARROW_HIDDEN = 0.005  # the arrow hides when the step is under this fraction of the view
STATUSES = ("", "converged", "diverged", "left the view", "step limit")


def check_lr(lr: Any) -> float:
    return bounds.number(lr, "The learning rate", LR_LOW, LR_HIGH)


def check_tol(tol: Any) -> float:
    return bounds.number(tol, "The tolerance on |∇f|", TOL_LOW, TOL_HIGH)


def check_start(point: Any) -> tuple[float, float]:
    limit = START_LIMIT
    return bounds.point(point, "The starting point", (-limit, limit, -limit, limit))


def view_window(surface: landscapes.Surface, start: Any) -> tuple[float, float, float, float]:
    """The surface's window, widened to hold ``start`` (the first point of a run)."""
    return fit_window(surface.window, [start])


def surface_view(name: Any, start: Any = None, n: int = GRID) -> dict[str, Any]:
    """The grid of a surface for drawing: ``xs`` (n,), ``ys`` (n,), ``z`` (n, n) over the
    window that holds ``start`` (the surface's default start when None), and its metadata
    (title, formula, window, minima, start, default lr, log_scale)."""
    surface = check_surface(name)
    start = surface.start if start is None else check_start(start)
    window = view_window(surface, start)
    xs, ys, z = landscapes.evaluate_grid(surface, n, window)
    return {
        "name": surface.name,
        "title": surface.title,
        "formula": surface.formula,
        "xs": xs,
        "ys": ys,
        "z": z,
        "window": window,
        "minima": [list(m) for m in surface.minima],
        "start": list(start),
        "lr": surface.lr,
        "log_scale": surface.log_scale,
    }


def start_state(name: Any, point: Any = None) -> dict[str, Any]:
    """A fresh state at ``point`` (the surface's default start when None), ``|x|, |y| <=``
    :data:`START_LIMIT`."""
    surface = check_surface(name)
    x, y = surface.start if point is None else check_start(point)
    with np.errstate(all="ignore"):
        value, grad = landscapes.value_and_grad(surface, (x, y))
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        raise ValueError(
            f"The surface {surface.formula} has no finite value or gradient at "
            f"({x:g}, {y:g}); start somewhere else."
        )
    return {
        "surface": surface.name,
        "path": [[x, y]],
        "losses": [value],
        "grads": [grad.tolist()],
        "steps": 0,
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
    if (
        not isinstance(state.get("status"), str)
        or state["status"] not in STATUSES
        or not all(isinstance(v, list) and len(v) == len(path) for v in lists)
    ):
        raise ValueError("The page state is damaged; press Reset.")
    check_start(path[0])
    if not state["status"]:
        # a run that goes on stopped at its first point beyond one window-width of the view
        x0, x1, y0, y1 = view_window(surface, path[0])
        w, h = x1 - x0, y1 - y0
        bounds.point(path[-1], "The current point", (x0 - w, x1 + w, y0 - h, y1 + h))
        bounds.point(state["grads"][-1], "The gradient", (-1e12, 1e12, -1e12, 1e12))
    return surface, state


def step_state(state: Any, lr: Any, steps: Any = 1, tol: Any = 1e-8) -> dict[str, Any]:
    """``steps`` more steps of gradient descent (``SGD(lr)``) from the state's last point.

    Stops early, setting ``status``, when ``|grad| < tol`` ("converged"), the loss
    leaves finite range ("diverged"), the point leaves the view ("left the view") or the path
    reaches ``MAX_PATH`` steps ("step limit").
    """
    surface, state = _check_state(state)
    lr = check_lr(lr)
    tol = check_tol(tol)
    steps = bounds.number(steps, "The number of steps", 1, MAX_PATH, integer=True)
    if state.get("status"):
        return state
    room = MAX_PATH + 1 - len(state["path"])
    if room <= 0:
        return {**state, "status": "step limit"}
    x0, x1, y0, y1 = view_window(surface, state["path"][0])
    w, h = x1 - x0, y1 - y0
    path, losses, grads = list(state["path"]), list(state["losses"]), list(state["grads"])
    status = ""
    # in chunks, so that a run that converges early stops there rather than at `steps`
    while steps > 0 and not status:
        chunk = min(steps, STEPS_PER_CALL, MAX_PATH + 1 - len(path))
        if chunk <= 0:
            status = "step limit"
            break
        run = landscapes.descend(surface, path[-1], "sgd", chunk, limit=1e12, lr=lr)
        xs, ys = run.path[1:, 0], run.path[1:, 1]
        away = ~((x0 - w <= xs) & (xs <= x1 + w) & (y0 - h <= ys) & (ys <= y1 + h))
        near = np.hypot(run.grads[1:, 0], run.grads[1:, 1]) < tol
        # the first point that ends the run, so that chunks give what single steps give
        hit = np.flatnonzero(away | near)
        keep = int(hit[0]) + 2 if hit.size else len(run.losses)
        path += run.path[1:keep].tolist()
        losses += run.losses[1:keep].tolist()
        grads += run.grads[1:keep].tolist()
        steps -= keep - 1
        if hit.size:
            status = "left the view" if away[hit[0]] else "converged"
        elif run.diverged:
            status = "diverged"
        elif len(path) > MAX_PATH:
            status = "step limit"
    return {
        "surface": surface.name,
        "path": path,
        "losses": losses,
        "grads": grads,
        "steps": len(path) - 1,
        "status": status,
    }


def arrow(state: dict[str, Any], lr: float) -> dict[str, float] | None:
    """The next step ``-lr * grad f`` at the current point, as an arrow whose length is
    ``lr * |grad f|`` (capped at half the view): ``{"x0", "y0", "x1", "y1", "norm"}``, or
    None where that step is under :data:`ARROW_HIDDEN` of the view (too short to point)."""
    surface = check_surface(state["surface"])
    x, y = state["path"][-1]
    gx, gy = state["grads"][-1]
    norm = float(np.hypot(gx, gy))
    x0, x1, y0, y1 = view_window(surface, state["path"][0])
    side = min(x1 - x0, y1 - y0)
    length = min(lr * norm, 0.5 * side) if np.isfinite(norm) else 0.0
    if length < ARROW_HIDDEN * side:
        return None
    return {
        "x0": x,
        "y0": y,
        "x1": x - length * gx / norm,
        "y1": y - length * gy / norm,
        "norm": norm,
    }


_TOKENS = itertools.count(1)  # tells one run's frames from another's (not per-user state)


class Descent:
    """The page's Run as a server-side run body: from a checked ``state``, one
    :func:`step_state` step (``SGD(lr)``) per checkpoint, ``delay`` seconds apart, until the
    state has a status (converged below ``tol``, diverged, left the view, step limit).

    Its frames are ``{"state", "lr", "tol", "run"}``. :meth:`retune` changes ``lr`` and
    ``tol`` through ``MANAGER.edit`` while the run is parked.
    """

    def __init__(self, state: Any, lr: Any, tol: Any, delay: float = 0.05) -> None:
        self.state = _check_state(state)[1]
        self.lr = check_lr(lr)
        self.tol = check_tol(tol)
        self.delay = float(delay)
        self.token = f"{next(_TOKENS)}"

    def frame(self) -> dict[str, Any]:
        return {"state": self.state, "lr": self.lr, "tol": self.tol, "run": self.token}

    def retune(self, lr: Any, tol: Any) -> dict[str, Any]:
        self.lr, self.tol = check_lr(lr), check_tol(tol)
        return self.frame()

    def __call__(self, control: Control) -> str:
        control.publish(self.frame, force=True)
        while not self.state["status"]:
            control.checkpoint()
            self.state = step_state(self.state, self.lr, 1, tol=self.tol)
            control.publish(self.frame)
            control.wait(self.delay)
        return ""  # the state's status says why it stopped
