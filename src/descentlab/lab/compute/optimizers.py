"""Page 9, the optimiser race: SGD, momentum, Nesterov, AdaGrad, RMSprop, Adam and AdamW from
one start on one surface, and the step-size/momentum map of the ravine.

The runs are :func:`descentlab.landscapes.descend_many` (each optimiser from
:mod:`descentlab.optim`, all advanced together on batched Tensors); the map is
:func:`descentlab.landscapes.momentum_map`, which runs the whole (momentum, lr) grid as one
batched problem. :func:`path_spec` gives the race one step at a time (the page's animation,
a server-side run) from the same steps that :func:`race` consumes.

Momentum comes in two forms. The course's (004 §3.3) is a moving average,
``v <- b*v + (1-b)*g; w <- w - lr*v`` with ``v`` starting at 0: that is
``SGD(momentum=b, dampening=b)`` with a zero buffer before the first step. PyTorch's heavy
ball, ``SGD(momentum=b)``, adds the whole gradient, ``v <- b*v + g``. For the same ``b`` and
``lr`` the moving average takes steps ``1 - b`` times as long: on 004's ravine run it ends far
behind plain SGD (0.386138 against 0.002656).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from descentlab import landscapes, registry
from descentlab.lab.compute import bounds, paths
from descentlab.lab.compute.landscape import check_start
from descentlab.lab.compute.surfaces import check_surface

STEPS_LOW, STEPS_HIGH = 1, 500
FORMS = {
    "average": "moving average (the course: v ← βv + (1−β)g, v₀ = 0)",
    "heavy": "heavy ball (PyTorch: v ← βv + g)",
}
LIMIT = 1e6  # a run stops (diverged) once |f| or a coordinate passes this
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


# the address holds `lr` (every optimiser's) and `momentum` (Momentum's and Nesterov's) when
# they share one value, each setting that differs as `<optimiser>.<key>`, and `on`
SHARED = {"lr": tuple(PARAMS), "momentum": ("momentum", "nesterov")}
ADDRESS_KEYS = (
    "on",
    *SHARED,
    *[f"{name}.{key}" for name, keys in PARAMS.items() for key in keys],
)


def from_address(query: Any, surface_name: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The settings (raw, checked later by :func:`check_settings`) and the enabled optimisers
    that an address's keys give on top of the surface's defaults."""
    values: dict[str, dict[str, Any]] = defaults(surface_name)
    on = list(PARAMS)
    if not isinstance(query, dict):
        return values, on
    for shared, names in SHARED.items():
        if shared in query:
            for name in names:
                values[name][shared] = query[shared]
    for name, keys in PARAMS.items():
        for key in keys:
            if f"{name}.{key}" in query:
                values[name][key] = query[f"{name}.{key}"]
    if isinstance(query.get("on"), list):
        on = [name for name in PARAMS if name in query["on"]]
    return values, on


def to_address(values: dict[str, dict[str, Any]], on: list[str], surface_name: str) -> dict:
    """The inverse of :func:`from_address`: the fewest keys that give ``values`` and ``on``."""
    base = defaults(surface_name)
    out: dict[str, Any] = {}
    if set(on) != set(PARAMS):
        out["on"] = [name for name in PARAMS if name in on]
    for shared, names in SHARED.items():
        given = {values.get(name, {}).get(shared) for name in names}
        if len(given) == 1 and given != {None}:
            common = given.pop()
            if any(base[name][shared] != common for name in names):
                out[shared] = common
            for name in names:
                base[name][shared] = common
    for name, keys in PARAMS.items():
        for key in keys:
            value = values.get(name, {}).get(key)
            if value is not None and value != base[name][key]:
                out[f"{name}.{key}"] = value
    return out


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


def _moving_average(lr: float, beta: float) -> Any:
    """The course's momentum as an optimiser factory: ``SGD(momentum=b, dampening=b)`` whose
    buffers start at zero, so that the first step is ``v_1 = (1 - b) g_1``."""
    from descentlab.optim import SGD

    def build(params: list[Any]) -> Any:
        opt = SGD(params, lr=lr, momentum=beta, dampening=beta)
        if beta > 0:
            for p in params:
                opt.state[p]["momentum_buffer"] = np.zeros_like(p.data)
        return opt

    return build


def _race_setup(surface_name: Any, start: Any, steps: Any, settings: Any, form: Any) -> dict:
    """The checked race: surface, start, steps, form, settings, the batched optimisers'
    options and the course's moving-average momentum (a factory, or None)."""
    surface = check_surface(surface_name)
    x, y = check_start(start)
    steps = bounds.number(steps, "The number of steps", STEPS_LOW, STEPS_HIGH, integer=True)
    form = bounds.choice(form, "The momentum form", FORMS)
    settings = check_settings(settings)
    average = "momentum" in settings and form == "average"
    batched = {
        name: _options(name, values)
        for name, values in settings.items()
        if not (name == "momentum" and average)
    }
    factory = None
    if average:
        factory = _moving_average(settings["momentum"]["lr"], settings["momentum"]["momentum"])
    return {
        "surface": surface,
        "start": (x, y),
        "steps": steps,
        "form": form,
        "settings": settings,
        "batched": batched,
        "factory": factory,
    }


def race(
    surface_name: Any, start: Any, steps: Any, settings: Any, form: Any = "average"
) -> dict[str, Any]:
    """Run every optimiser in ``settings`` from ``start`` for ``steps`` steps; ``form`` is
    the momentum row's form (:data:`FORMS`).

    Returns ``{"runs": {name: {"path", "losses", "diverged", "final_loss",
    "arrived_at"}}, "surface": ..., "start": [x, y], "steps": n, "form": ...}``, where
    ``arrived_at`` is the first step with ``f - f_min <= 1e-6 (f(start) - f_min)`` (None if
    never).
    """
    race = _race_setup(surface_name, start, steps, settings, form)
    surface, steps = race["surface"], race["steps"]
    trajectories = landscapes.descend_many(
        surface, race["start"], race["batched"], steps, limit=LIMIT
    )
    if race["factory"] is not None:
        trajectories["momentum"] = landscapes.descend(
            surface, race["start"], race["factory"], steps, limit=LIMIT
        )
    runs = {}
    for name in race["settings"]:
        run = trajectories[name]
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
    return {
        "runs": runs,
        "surface": surface.name,
        "start": list(race["start"]),
        "steps": steps,
        "form": race["form"],
    }


def path_spec(
    surface_name: Any, start: Any, steps: Any, settings: Any, form: Any = "average"
) -> paths.PathSpec:
    """The animation of :func:`race`, one step at a time: records of one ``(x, y, f)`` per
    optimiser in ``settings`` (:mod:`descentlab.lab.compute.paths`), from the same
    :func:`descentlab.landscapes.race_steps` and ``descent_steps`` that :func:`race`'s
    ``descend_many`` and ``descend`` consume. ``meta``: ``names`` (the optimisers, in order)
    and ``floor`` (the surface's minimum, None when unknown)."""
    race = _race_setup(surface_name, start, steps, settings, form)
    surface, xy, steps = race["surface"], race["start"], race["steps"]
    names = list(race["settings"])

    def records() -> Iterator[paths.Record]:
        many = landscapes.race_steps(surface, xy, race["batched"], steps, limit=LIMIT)
        alone = iter(())
        if race["factory"] is not None:
            alone = landscapes.descent_steps(surface, xy, race["factory"], steps, limit=LIMIT)
        for together, average in paths.lockstep([many, alone]):
            visits = dict(together or {})
            if average is not None:
                visits["momentum"] = average
            found = [visits.get(name) for name in names]
            yield [None if v is None else (*v[0], v[1]) for v in found]

    key = json.dumps([surface.name, xy, steps, race["form"], race["settings"]])
    meta = {"names": names, "floor": surface.min_value}
    return paths.PathSpec(key, len(names), records, steps, meta)


def momentum_note(result: dict[str, Any], settings: dict[str, dict[str, float]]) -> str:
    """A sentence on why momentum ends behind plain SGD, when it does ("" otherwise)."""
    runs = result["runs"]
    if "sgd" not in runs or "momentum" not in runs:
        return ""
    sgd, mom = runs["sgd"], runs["momentum"]
    if mom["diverged"] or sgd["diverged"] or not mom["final_loss"] > sgd["final_loss"]:
        return ""
    beta = settings["momentum"]["momentum"]
    n = result["steps"]
    if result["form"] == "average":
        lead = (
            f"Momentum ends behind SGD here ({mom['final_loss']:.6f} against "
            f"{sgd['final_loss']:.6f}): the course's moving average lets only 1 − β = "
            f"{1 - beta:.2g} of each new gradient into the velocity, so its first steps are "
            f"{1 - beta:.2g} times SGD's"
        )
    else:
        lead = (
            f"Momentum ends behind SGD here ({mom['final_loss']:.6f} against "
            f"{sgd['final_loss']:.6f}): its velocity adds up past gradients"
        )
    return (
        f"{lead}, and once it has built up speed it rolls past the minimum and swings back "
        f"(β = {beta:g} keeps {beta:.0%} of the velocity each step), so within {n} steps the "
        "swings have not died out. Plain SGD, with a learning rate that already suits the "
        "steep direction, simply walks in; momentum pays off when the learning rate is small "
        "for the valley floor, or over more steps."
    )


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
