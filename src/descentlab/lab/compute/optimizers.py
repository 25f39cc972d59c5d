"""Page 9, the optimiser race: SGD, momentum, Nesterov, AdaGrad, RMSprop, Adam and AdamW from
one start on one surface, and the step-size/momentum map of the ravine.

The runs are :func:`descentlab.landscapes.descend_many` (each optimiser from
:mod:`descentlab.optim`, all advanced together on batched Tensors); the map is
:func:`descentlab.landscapes.momentum_map`, which runs the whole (momentum, lr) grid as one
batched problem.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descentlab import landscapes, registry
from descentlab.lab.compute import bounds
from descentlab.lab.compute.landscape import check_surface

STEPS_LOW, STEPS_HIGH = 1, 500
CONVERGED = 1e-6  # a run has arrived once f - f_min <= CONVERGED * (f(start) - f_min)

# the hyper-parameters a user may set, per optimiser: key -> (label, low, high)
PARAMS: dict[str, dict[str, tuple[str, float, float]]] = {
    "sgd": {"lr": ("lr", 0.0, 10.0)},
    "momentum": {"lr": ("lr", 0.0, 10.0), "momentum": ("momentum", 0.0, 0.999)},
    "nesterov": {"lr": ("lr", 0.0, 10.0), "momentum": ("momentum", 0.0, 0.999)},
    "adagrad": {"lr": ("lr", 0.0, 10.0)},
    "rmsprop": {"lr": ("lr", 0.0, 10.0), "alpha": ("alpha", 0.0, 0.9999)},
    "adam": {
        "lr": ("lr", 0.0, 10.0),
        "beta1": ("β1", 0.0, 0.9999),
        "beta2": ("β2", 0.0, 0.9999),
    },
    "adamw": {
        "lr": ("lr", 0.0, 10.0),
        "beta1": ("β1", 0.0, 0.9999),
        "beta2": ("β2", 0.0, 0.9999),
        "weight_decay": ("weight decay", 0.0, 1.0),
    },
}

# the learning rates a user sees first, per surface (tuned so that none diverges where a
# minimum exists); the other options are the same everywhere
_LR = {
    "bowl": (0.1, 0.05, 0.05, 0.5, 0.05, 0.1, 0.1),
    "ravine": (0.08, 0.02, 0.02, 0.5, 0.05, 0.1, 0.1),
    "rosenbrock": (1e-3, 5e-4, 5e-4, 0.5, 5e-3, 0.05, 0.05),
    "himmelblau": (0.01, 5e-3, 5e-3, 0.5, 0.05, 0.1, 0.1),
    "saddle": (0.1, 0.05, 0.05, 0.5, 0.05, 0.1, 0.1),
    "beale": (0.01, 1e-3, 1e-3, 0.5, 0.01, 0.05, 0.05),
}
_OPTIONS = {
    "sgd": {},
    "momentum": {"momentum": 0.8},
    "nesterov": {"momentum": 0.8},
    "adagrad": {},
    "rmsprop": {"alpha": 0.9},
    "adam": {"beta1": 0.9, "beta2": 0.999},
    "adamw": {"beta1": 0.9, "beta2": 0.999, "weight_decay": 0.01},
}


def defaults(surface_name: str) -> dict[str, dict[str, float]]:
    """The starting hyper-parameters of every optimiser on a surface."""
    lrs = _LR.get(surface_name, _LR["bowl"])
    return {name: {"lr": lr, **_OPTIONS[name]} for name, lr in zip(_OPTIONS, lrs)}


def check_settings(settings: Any) -> dict[str, dict[str, float]]:
    """``{optimiser: {key: value}}`` validated against :data:`PARAMS`."""
    if not isinstance(settings, dict):
        raise ValueError("The optimiser settings are missing.")
    checked = {}
    for name, values in settings.items():
        bounds.choice(name, "The optimiser", PARAMS)
        if not isinstance(values, dict):
            raise ValueError(f"The settings of {name} are missing.")
        title = registry.optimizers.get(name).label
        checked[name] = {}
        for key, (label, low, high) in PARAMS[name].items():
            value = bounds.number(values.get(key), f"{title}'s {label}", low, high)
            if key == "lr" and value == 0:
                raise ValueError(
                    f"{title}'s lr must be a number above 0 up to {high:g} (received 0)."
                )
            checked[name][key] = value
    return checked


def _options(name: str, values: dict[str, float]) -> dict[str, Any]:
    options = {k: v for k, v in values.items() if k not in ("beta1", "beta2")}
    if "beta1" in values:
        options["betas"] = (values["beta1"], values["beta2"])
    if name == "nesterov" and options["momentum"] == 0:
        options["momentum"] = 1e-12  # Nesterov needs a momentum; 0 would be plain SGD
    return options


def race(surface_name: Any, start: Any, steps: Any, settings: Any) -> dict[str, Any]:
    """Run every optimiser in ``settings`` from ``start`` for ``steps`` steps.

    Returns ``{"runs": {name: {"path", "losses", "diverged", "final_loss",
    "arrived_at"}}, "surface": ..., "start": [x, y], "steps": n}``, where ``arrived_at`` is
    the first step with ``f - f_min <= 1e-6 (f(start) - f_min)`` (None if never).
    """
    surface = check_surface(surface_name)
    x, y = bounds.point(start, "The starting point", surface.window)
    steps = bounds.number(steps, "The number of steps", STEPS_LOW, STEPS_HIGH, integer=True)
    settings = check_settings(settings)
    trajectories = landscapes.descend_many(
        surface,
        (x, y),
        {name: _options(name, values) for name, values in settings.items()},
        steps,
        limit=1e6,
    )
    runs = {}
    for name, run in trajectories.items():
        arrived = None
        if surface.min_value is not None and not run.diverged:
            gap = run.losses - surface.min_value
            hit = np.flatnonzero(gap <= CONVERGED * max(gap[0], 0.0))
            arrived = int(hit[0]) if hit.size else None
        runs[name] = {
            "path": run.path,
            "losses": run.losses,
            "diverged": run.diverged,
            "final_loss": float(run.losses[-1]),
            "arrived_at": arrived,
        }
    return {"runs": runs, "surface": surface.name, "start": [x, y], "steps": steps}


MAP_SIZE = 20
MAP_STEPS = 200


def ravine_map(b: Any, nesterov: bool = False, n: int = MAP_SIZE) -> dict[str, Any]:
    """Steps to converge for SGD with momentum on ``x² + b y²`` over an ``n x n`` grid of
    (momentum, lr).

    The learning rates span ``0.02/L .. 4/L`` (``L = 2b``, the steepest curvature) on a log
    scale, the momenta ``0 .. 0.95``: plain gradient descent diverges beyond ``lr = 2/L``;
    momentum ``m`` moves that edge to ``2(1 + m)/L`` (Nesterov: ``2(1 + m)/(L(1 + 2m))``).
    Returns ``lrs`` (n,), ``momenta`` (n,), ``steps`` (n, n) (inf: not within
    ``MAP_STEPS``; nan: diverged), ``edge`` (n,) (that stability edge per momentum), ``b``
    and ``nesterov``.
    """
    b = bounds.number(b, "The ravine's b", 1.0, 1000.0)
    n = bounds.number(n, "The map size", 2, 40, integer=True)
    surface = landscapes.ravine(1.0, b)
    curvature = 2.0 * b
    lrs = np.geomspace(0.02, 4.0, n) / curvature
    momenta = np.linspace(0.0, 0.95, n)
    steps = landscapes.momentum_map(
        surface, lrs, momenta, steps=MAP_STEPS, tol=CONVERGED, nesterov=bool(nesterov)
    )
    # the stability edge on a quadratic of curvature L (linear analysis of the two-term
    # recurrence): heavy ball lr < 2(1 + m)/L, Nesterov lr < 2(1 + m)/(L(1 + 2m))
    edge = 2.0 * (1.0 + momenta) / curvature
    if nesterov:
        edge = edge / (1.0 + 2.0 * momenta)
    return {
        "lrs": lrs,
        "momenta": momenta,
        "steps": steps,
        "edge": edge,
        "b": b,
        "nesterov": bool(nesterov),
    }
