"""Test surfaces for optimisers, written as Tensor code, with grids and optimiser runs on them.

Every surface is a function of Tensors built from the engine's ops, so its gradient comes from
``backward()`` like any model's, and the same code evaluates one point (to descend) or a whole
grid at once (to draw contours). ``SURFACES`` holds the 2-D surfaces by name, ``LOSSES_1D`` the
1-D losses; each entry carries its formula, a view window, a start and its known minima.

>>> import descentlab.landscapes as L
>>> run = L.descend(L.get_surface("bowl"), start=(2.0, -1.0), optimizer="sgd", steps=3, lr=0.25)
>>> run.path.tolist()        # each step halves the point: w <- w - 0.25 * 2w
[[2.0, -1.0], [1.0, -0.5], [0.5, -0.25], [0.25, -0.125]]
>>> float(run.losses[-1])
0.078125
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import descentlab as dl
from descentlab.factories import from_numpy
from descentlab.tensor import Tensor

__all__ = [
    "LOSSES_1D",
    "SURFACES",
    "Loss1D",
    "Surface",
    "Trajectory",
    "Verdict",
    "classify_run",
    "descend",
    "descend_many",
    "descent_steps",
    "evaluate_grid",
    "evaluate_curve",
    "get_loss_1d",
    "get_surface",
    "make_optimizer",
    "momentum_map",
    "race_steps",
    "ravine",
    "value_and_grad",
]

DTYPE = np.float64  # landscapes are small: always evaluate and descend in float64
MAX_GRID = 400  # points per axis of a grid
MAX_STEPS = 100_000


@dataclass(frozen=True)
class Surface:
    """A 2-D test surface ``f(x, y)`` and what is known about it.

    Attributes:
        name: registry key ("rosenbrock").
        title: display name ("Rosenbrock").
        formula: the formula as text.
        fn: ``fn(x, y) -> Tensor``, elementwise over Tensors of any (broadcastable) shape.
        window: the default view ``(x_min, x_max, y_min, y_max)``.
        start: a default starting point.
        minima: the known global minima (empty when the surface is unbounded below).
        min_value: ``f`` at the minima (None when unbounded below).
        lr: a learning rate with which plain gradient descent from ``start`` makes progress.
        log_scale: contours read better on ``log(1 + f - f_min)`` (steep walls, flat floor).
    """

    name: str
    title: str
    formula: str
    fn: Callable[[Tensor, Tensor], Tensor] = field(repr=False)
    window: tuple[float, float, float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    min_value: float | None
    lr: float
    log_scale: bool = False

    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        return self.fn(x, y)


@dataclass(frozen=True)
class Loss1D:
    """A 1-D loss ``L(w)``: the same fields as :class:`Surface`, in one variable."""

    name: str
    title: str
    formula: str
    fn: Callable[[Tensor], Tensor] = field(repr=False)
    window: tuple[float, float]
    start: float
    minima: tuple[float, ...]
    min_value: float | None
    lr: float
    derivative: str  # the analytic derivative as text, for the pages that show it

    def __call__(self, w: Tensor) -> Tensor:
        return self.fn(w)


def ravine(a: float = 1.0, b: float = 10.0) -> Surface:
    """The ravine ``a x^2 + b y^2`` (a, b > 0): curvature ``2a`` along x, ``2b`` along y.

    Plain gradient descent converges for ``lr < 1 / max(a, b)``; the ratio ``b / a`` (the
    condition number) sets how slowly it crawls along the floor when ``b >> a``.
    ``ravine(1, 100)`` is the course's ``x^2 + 100 y^2``.
    """
    a, b = float(a), float(b)
    if not (np.isfinite(a) and np.isfinite(b) and a > 0 and b > 0):
        raise ValueError(f"Invalid ravine coefficients: a={a}, b={b} (expected a > 0 and b > 0)")
    ga, gb = f"{a:g}", f"{b:g}"
    formula = f"{'' if a == 1 else ga}x² + {'' if b == 1 else gb}y²"
    return Surface(
        name="ravine",
        title=f"Ravine {formula}",
        formula=formula,
        fn=lambda x, y: a * x**2 + b * y**2,
        window=(-3.0, 3.0, -2.0, 2.0),
        start=(-2.5, 1.5),
        minima=((0.0, 0.0),),
        min_value=0.0,
        lr=0.9 / max(a, b),
        log_scale=max(a, b) / min(a, b) > 50,
    )


def _rosenbrock(x: Tensor, y: Tensor) -> Tensor:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _himmelblau(x: Tensor, y: Tensor) -> Tensor:
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _beale(x: Tensor, y: Tensor) -> Tensor:
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        Surface(
            name="bowl",
            title="Bowl",
            formula="x² + y²",
            fn=lambda x, y: x**2 + y**2,
            window=(-3.0, 3.0, -3.0, 3.0),
            start=(-2.5, 2.0),
            minima=((0.0, 0.0),),
            min_value=0.0,
            lr=0.1,
        ),
        ravine(1.0, 10.0),
        Surface(
            name="rosenbrock",
            title="Rosenbrock",
            formula="(1 − x)² + 100(y − x²)²",
            fn=_rosenbrock,
            window=(-2.0, 2.0, -1.0, 3.0),
            start=(-1.5, 2.0),
            minima=((1.0, 1.0),),
            min_value=0.0,
            lr=1e-3,
            log_scale=True,
        ),
        Surface(
            name="himmelblau",
            title="Himmelblau",
            formula="(x² + y − 11)² + (x + y² − 7)²",
            fn=_himmelblau,
            window=(-5.0, 5.0, -5.0, 5.0),
            start=(-0.5, 0.5),
            minima=(
                (3.0, 2.0),
                (-2.805118, 3.131312),
                (-3.779310, -3.283186),
                (3.584428, -1.848126),
            ),
            min_value=0.0,
            lr=0.01,
            log_scale=True,
        ),
        Surface(
            name="saddle",
            title="Saddle",
            formula="x² − y²",
            fn=lambda x, y: x**2 - y**2,
            window=(-2.0, 2.0, -2.0, 2.0),
            start=(-1.8, 0.05),
            minima=(),
            min_value=None,
            lr=0.1,
        ),
        Surface(
            name="beale",
            title="Beale",
            formula="(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
            fn=_beale,
            window=(-4.5, 4.5, -4.5, 4.5),
            start=(1.0, 1.5),
            minima=((3.0, 0.5),),
            min_value=0.0,
            lr=0.01,
            log_scale=True,
        ),
    )
}


def _log_cosh(w: Tensor) -> Tensor:
    # log(cosh w) = |w| + log(1 + exp(-2|w|)) - log 2, which never overflows.
    a = w.abs()
    return a + (1 + (-2 * a).exp()).log() - float(np.log(2.0))


def _logistic(w: Tensor) -> Tensor:
    # log(1 + exp(-w)) written to stay finite for large |w|.
    return dl.maximum(-w, 0 * w) + (1 + (-w.abs()).exp()).log()


LOSSES_1D: dict[str, Loss1D] = {
    loss.name: loss
    for loss in (
        Loss1D(
            name="square",
            title="w²",
            formula="w²",
            fn=lambda w: w**2,
            window=(-3.0, 3.0),
            start=2.0,
            minima=(0.0,),
            min_value=0.0,
            lr=0.1,
            derivative="2w",
        ),
        Loss1D(
            name="double_well",
            title="w⁴ − 3w² + w (two valleys)",
            formula="w⁴ − 3w² + w",
            fn=lambda w: w**4 - 3 * w**2 + w,
            window=(-2.2, 2.2),
            start=2.0,
            minima=(-1.300839566,),
            min_value=-3.513905038,
            lr=0.02,
            derivative="4w³ − 6w + 1",
        ),
        Loss1D(
            name="log_cosh",
            title="log cosh w",
            formula="log(cosh w)",
            fn=_log_cosh,
            window=(-4.0, 4.0),
            start=3.0,
            minima=(0.0,),
            min_value=0.0,
            lr=0.5,
            derivative="tanh w",
        ),
        Loss1D(
            name="logistic",
            title="log(1 + e^−w) (logistic loss)",
            formula="log(1 + e^−w)",
            fn=_logistic,
            window=(-4.0, 6.0),
            start=-3.0,
            minima=(),
            min_value=None,
            lr=1.0,
            derivative="−1 / (1 + e^w)",
        ),
        Loss1D(
            name="abs",
            title="|w| (a kink at 0)",
            formula="|w|",
            fn=lambda w: w.abs(),
            window=(-3.0, 3.0),
            start=2.0,
            minima=(0.0,),
            min_value=0.0,
            lr=0.1,
            derivative="sign(w)",
        ),
    )
}


def _unknown(kind: str, name: Any, known: Sequence[str]) -> ValueError:
    return ValueError(f"Unknown {kind}: {name!r} (expected one of {', '.join(known)})")


def get_surface(name: str, **params: float) -> Surface:
    """The surface registered as ``name``; ``ravine`` also takes ``a`` and ``b``."""
    if name not in SURFACES:
        raise _unknown("surface", name, list(SURFACES))
    if params:
        if name != "ravine" or not set(params) <= {"a", "b"}:
            raise ValueError(
                f"Invalid parameters for surface {name!r}: {sorted(params)} "
                "(only 'ravine' takes parameters, a and b)"
            )
        return ravine(**params)
    return SURFACES[name]


def get_loss_1d(name: str) -> Loss1D:
    """The 1-D loss registered as ``name``."""
    if name not in LOSSES_1D:
        raise _unknown("1-D loss", name, list(LOSSES_1D))
    return LOSSES_1D[name]


def _as_tensor(value: Any, requires_grad: bool = False) -> Tensor:
    return dl.tensor(np.asarray(value, dtype=DTYPE), requires_grad=requires_grad, dtype=DTYPE)


def _check_count(value: int, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Invalid {name}: {value!r} (expected an integer)")
    if not low <= value <= high:
        raise ValueError(f"Invalid {name}: {value} (expected {low} <= {name} <= {high})")
    return int(value)


def evaluate_grid(
    surface: Surface,
    n: int = 100,
    window: tuple[float, float, float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``surface`` on an ``n x n`` grid, all points at once through the same Tensor code.

    Returns:
        ``xs`` (n,), ``ys`` (n,) and ``z`` (n, n) with ``z[i, j] = f(xs[j], ys[i])``: rows
        follow y, as contour plots expect.
    """
    n = _check_count(n, "n", 2, MAX_GRID)
    x0, x1, y0, y1 = window or surface.window
    if not (x0 < x1 and y0 < y1):
        raise ValueError(
            f"Invalid window: {(x0, x1, y0, y1)} (expected x_min < x_max, y_min < y_max)"
        )
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y0, y1, n)
    with dl.no_grad():
        z = surface(_as_tensor(xs[None, :]), _as_tensor(ys[:, None]))
    return xs, ys, np.broadcast_to(z.detach().numpy(), (n, n)).copy()


def evaluate_curve(
    loss: Loss1D, n: int = 200, window: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``loss`` at ``n`` evenly spaced points: ``ws`` (n,), ``values`` (n,)."""
    n = _check_count(n, "n", 2, 100_000)
    w0, w1 = window or loss.window
    ws = np.linspace(w0, w1, n)
    with dl.no_grad():
        values = loss(_as_tensor(ws))
    return ws, np.broadcast_to(values.detach().numpy(), (n,)).copy()


def value_and_grad(fn: Callable[..., Tensor], point: Sequence[float]) -> tuple[float, np.ndarray]:
    """``fn(*point)`` and its gradient, by backward() through the Tensor code (float64).

    ``fn`` is a :class:`Surface` (two coordinates), a :class:`Loss1D` (one) or any function
    of scalar Tensors returning a scalar Tensor. Returns ``(value, grad)`` with ``grad`` of
    shape ``(len(point),)``.
    """
    params = [_as_tensor(float(v), requires_grad=True) for v in point]
    out = fn(*params)
    out.backward()
    grads = [0.0 if p.grad is None else float(p.grad) for p in params]
    return out.item(), np.array(grads, dtype=DTYPE)


def make_optimizer(name: str, params: Sequence[Any], **options: Any) -> Any:
    """A :mod:`descentlab.optim` optimiser by its name in :data:`descentlab.registry.optimizers`.

    ``"momentum"`` is ``SGD(momentum=0.9)`` (heavy ball), ``"nesterov"`` is
    ``SGD(momentum=0.9, nesterov=True)``; the others are the classes of the same name. The
    defaults are the entry's ``"surface"`` preset (learning rates that suit these 2-D
    surfaces, e.g. Adam at 0.1); ``options`` override them.
    """
    from descentlab import registry  # the name table sits above this module

    entry = registry.optimizers.get(name)
    return registry.optimizers.build(
        entry.name, list(params), **{**entry.presets.get("surface", {}), **options}
    )


@dataclass
class Trajectory:
    """The points an optimiser visited and the loss at each.

    Attributes:
        path: (steps_run + 1, d) points, the start first.
        losses: (steps_run + 1,) loss at each point.
        grads: (steps_run + 1, d) gradient at each point.
        diverged: the run stopped early because the loss or a coordinate left finite range.
    """

    path: np.ndarray
    losses: np.ndarray
    grads: np.ndarray
    diverged: bool = False

    @property
    def steps(self) -> int:
        return len(self.losses) - 1


#: One point of a descent: the coordinates, the loss there and its gradient.
Visit = tuple[list[float], float, list[float]]


def descent_steps(
    fn: Callable[..., Tensor],
    start: Sequence[float] | float,
    optimizer: str | Callable[[list[Tensor]], Any] = "sgd",
    steps: int = 100,
    *,
    limit: float = 1e8,
    **options: Any,
) -> Iterator[Visit]:
    """The points of :func:`descend` one at a time, as it computes them.

    Yields ``(coords, loss, grad)`` for the start and then after each of the ``steps``
    optimiser steps (so ``steps + 1`` visits), each step computed only when the next visit is
    asked for: a consumer that stops early does no more work. A point whose loss or
    coordinate leaves range (see :func:`descend`) is not yielded and ends the run. The
    arguments are checked at the call, before the first visit.
    """
    steps = _check_count(steps, "steps", 0, MAX_STEPS)
    point = np.atleast_1d(np.asarray(start, dtype=DTYPE))
    if point.ndim != 1 or not np.all(np.isfinite(point)):
        raise ValueError(f"Invalid start: {start!r} (expected finite coordinates)")
    # shape (1,) rather than 0-d: every optimiser handles 1-element arrays, and the loss
    # is summed back to a scalar below
    params = [_as_tensor([float(v)], requires_grad=True) for v in point]
    if callable(optimizer) and not isinstance(optimizer, str):
        opt = optimizer(params)
    else:
        opt = make_optimizer(optimizer, params, **options)
    return _visits(fn, params, opt, steps, limit)


def _visits(fn: Callable[..., Tensor], params: list[Tensor], opt: Any, steps: int, limit: float):
    for i in range(steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            opt.zero_grad()
            loss = fn(*params).sum()
            value = loss.item()
            coords = [p.item() for p in params]
            if not np.isfinite(value) or abs(value) > limit or max(map(abs, coords)) > limit:
                return
            loss.backward()
            grad = [float(p.grad[0]) for p in params]
        yield coords, value, grad
        if i < steps:
            with np.errstate(over="ignore", invalid="ignore"):
                opt.step()


def descend(
    fn: Callable[..., Tensor],
    start: Sequence[float] | float,
    optimizer: str | Callable[[list[Tensor]], Any] = "sgd",
    steps: int = 100,
    *,
    limit: float = 1e8,
    **options: Any,
) -> Trajectory:
    """Run an optimiser from ``start`` for ``steps`` steps on ``fn`` and record the path.

    Args:
        fn: a :class:`Surface`, a :class:`Loss1D` or any elementwise function of Tensors (one
            per coordinate of ``start``, each of shape (1,)); its output is summed to a scalar.
        start: the starting point.
        optimizer: a name in ``descentlab.registry.optimizers`` (with ``options`` such as ``lr``,
            ``momentum``), or a function ``params -> optimiser`` (any :mod:`descentlab.optim`
            optimiser, e.g. ``lambda ps: SGD(ps, lr=0.1, dampening=0.9, momentum=0.9)``).
        steps: number of optimiser steps, 0..100000.
        limit: stop early (``diverged=True``) once the loss or a coordinate exceeds it in
            absolute value or is not finite.

    Each step is ``zero_grad(); loss = fn(*params); loss.backward(); step()``, exactly a
    training loop (:func:`descent_steps` gives the same points one at a time). Returns a
    :class:`Trajectory` with float64 arrays.
    """
    visits = list(descent_steps(fn, start, optimizer, steps, limit=limit, **options))
    if visits:
        path, losses, grads = (list(column) for column in zip(*visits))
    else:  # the start itself is out of range
        point = np.atleast_1d(np.asarray(start, dtype=DTYPE))
        path, losses, grads = [list(point)], [float("nan")], [[float("nan")] * len(point)]
    return Trajectory(
        path=np.array(path, dtype=DTYPE),
        losses=np.array(losses, dtype=DTYPE),
        grads=np.array(grads, dtype=DTYPE),
        diverged=len(visits) < int(steps) + 1,
    )


def race_steps(
    fn: Callable[..., Tensor],
    start: Sequence[float],
    optimizers: Mapping[str, Mapping[str, Any]],
    steps: int = 100,
    *,
    limit: float = 1e8,
) -> Iterator[dict[str, Visit]]:
    """The visits of :func:`descend_many` one step at a time: ``{label: (coords, loss,
    grad)}`` for every run still in range, the start first, then after each of the ``steps``
    steps (computed only when asked for). A run that leaves range drops out of the dicts;
    the race ends once every run has (or after ``steps``). Checked at the call."""
    steps = _check_count(steps, "steps", 0, MAX_STEPS)
    point = np.asarray(start, dtype=DTYPE)
    if point.ndim != 1 or not np.all(np.isfinite(point)):
        raise ValueError(f"Invalid start: {start!r} (expected finite coordinates)")
    labels = list(optimizers)
    k = len(labels)
    coords = [_as_tensor(np.full(k, v), requires_grad=True) for v in point]
    views = [[_row(c._data[i : i + 1]) for c in coords] for i in range(k)]
    opts = []
    for label, row in zip(labels, views):
        options = dict(optimizers[label])
        name = options.pop("optimizer", label)
        opts.append(make_optimizer(name, row, **options))
    return _race(fn, labels, coords, views, opts, steps, limit)


def _race(fn, labels, coords, views, opts, steps: int, limit: float):
    live = np.ones(len(labels), dtype=bool)
    for t in range(steps + 1 if labels else 0):
        with np.errstate(over="ignore", invalid="ignore"):
            for c in coords:
                c.grad = None
            values = fn(*coords)
            v = values.detach().numpy()
            here = np.stack([c._data for c in coords], axis=1)
            ok = np.isfinite(v) & (np.abs(v) <= limit) & np.all(np.abs(here) <= limit, axis=1)
            live &= ok
            if not live.any():
                return
            values.sum().backward()
            g = np.stack([c._grad._data for c in coords], axis=1)
        yield {
            labels[i]: (here[i].tolist(), float(v[i]), g[i].tolist()) for i in np.flatnonzero(live)
        }
        if t == steps:
            return
        with np.errstate(over="ignore", invalid="ignore"):
            for i in np.flatnonzero(live):
                for j, view in enumerate(views[i]):
                    view.grad = coords[j].grad[i : i + 1]
                opts[i].step()


def descend_many(
    fn: Callable[..., Tensor],
    start: Sequence[float],
    optimizers: Mapping[str, Mapping[str, Any]],
    steps: int = 100,
    *,
    limit: float = 1e8,
) -> dict[str, Trajectory]:
    """Several optimisers from the same start, advanced together: a race.

    Args:
        fn: an elementwise function of one Tensor per coordinate (a :class:`Surface`).
        start: the common starting point.
        optimizers: ``{label: options}``; ``options["optimizer"]`` names the optimiser in
            ``descentlab.registry.optimizers`` (default: the label itself), the rest are its
            options, e.g.
            ``{"adam": {"lr": 0.1}, "slow sgd": {"optimizer": "sgd", "lr": 1e-3}}``.
        steps, limit: as in :func:`descend`; a run that diverges stops alone.

    The K runs are the K entries of batched Tensors of shape (K,): one forward and one
    backward per step give every run's gradient (the runs do not interact, ``fn`` being
    elementwise), then each optimiser steps its own entry (:func:`race_steps` gives the same
    visits one step at a time). The numbers are those of K separate :func:`descend` calls.
    """
    visits: dict[str, list[Visit]] = {label: [] for label in optimizers}
    for step in race_steps(fn, start, optimizers, steps, limit=limit):
        for label, visit in step.items():
            visits[label].append(visit)
    point = np.asarray(start, dtype=DTYPE)
    runs = {}
    for label, seen in visits.items():
        if seen:
            path, losses, grads = (np.array(column, dtype=DTYPE) for column in zip(*seen))
        else:
            nan = np.full((1, point.size), np.nan)
            path, losses, grads = point[None, :].copy(), np.full(1, np.nan), nan
        runs[label] = Trajectory(
            path=path, losses=losses, grads=grads, diverged=len(seen) < int(steps) + 1
        )
    return runs


@dataclass(frozen=True)
class Verdict:
    """How a run went: ``label`` is one of "too small", "good", "oscillating", "diverging"."""

    label: str
    reason: str


def classify_run(trajectory: Trajectory, min_value: float | None = None) -> Verdict:
    """Judge a learning rate from the run it produced.

    - ``diverging``: the run left finite range or ended with a higher loss than it began;
    - ``oscillating``: most successive steps point against each other (``d_t · d_{t+1} < 0``),
      the path zig-zags across the valley (whether or not it still converges);
    - ``too small``: it closed less than 99% of the loss gap to the minimum and is still
      moving (the gradient at the end is not ~0);
    - ``good``: otherwise (including settling in a local minimum).

    The gap is measured to ``min_value`` when known, else to the lowest loss seen.
    """
    losses, path = trajectory.losses, trajectory.path
    if trajectory.diverged or not np.all(np.isfinite(losses)) or losses[-1] > losses[0]:
        return Verdict("diverging", "the loss grows: each step overshoots further than the last")
    floor = min_value if min_value is not None else float(losses.min())
    gap0 = losses[0] - floor
    closed = 1.0 if gap0 <= 0 else 1.0 - (losses[-1] - floor) / gap0
    moves = np.diff(path, axis=0)
    scale = np.linalg.norm(moves, axis=1)
    live = scale > 1e-9 * max(1.0, float(np.abs(path).max()))
    pairs = live[:-1] & live[1:]
    if pairs.sum() >= 2:
        dots = np.einsum("ij,ij->i", moves[:-1], moves[1:])[pairs]
        if np.mean(dots < 0) >= 0.5:
            return Verdict(
                "oscillating",
                f"the path zig-zags across the valley ({closed:.0%} of the loss gap closed)",
            )
    g = np.linalg.norm(trajectory.grads, axis=1)
    if closed < 0.99 and g[-1] <= 1e-4 * max(float(g[0]), 1e-12):
        return Verdict(
            "good",
            "it settled where the gradient vanishes: a local minimum "
            f"({closed:.0%} of the gap to the global minimum closed)",
        )
    if closed < 0.99:
        return Verdict(
            "too small", f"only {closed:.1%} of the loss gap closed in {trajectory.steps} steps"
        )
    return Verdict("good", f"{closed:.2%} of the loss gap closed in {trajectory.steps} steps")


def _row(data: np.ndarray) -> Tensor:
    """One row of a batched parameter, seen by an optimiser as a parameter of its own: a
    tensor sharing the row's memory, so the optimiser's in-place update writes through to
    the batched tensor."""
    return from_numpy(data)


def momentum_map(
    surface: Surface,
    lrs: Sequence[float],
    momenta: Sequence[float],
    start: Sequence[float] | None = None,
    steps: int = 200,
    tol: float = 1e-6,
    nesterov: bool = False,
) -> np.ndarray:
    """Steps SGD with momentum needs to converge, for every (momentum, lr) pair at once.

    All ``len(momenta) * len(lrs)`` runs advance together: the points are two batched
    Tensors of shape (M, L), one backward() gives every gradient, and one
    :class:`descentlab.optim.SGD` steps them all. The learning rates differ along a row, so
    each run descends ``lr * f`` with ``lr=1``: SGD's buffer is linear in the gradient, so
    ``buf' = lr * buf`` and the update ``p -= buf'`` is exactly ``p -= lr * buf``. Each row
    is one parameter group with its own momentum.

    Args:
        lrs: L learning rates (> 0), momenta: M momentum values in [0, 1).
        steps: at most 5000; ``M * L`` at most 10000.
        tol: converged once ``f - f_min <= tol * (f(start) - f_min)``.

    Returns:
        (M, L) float array: the first step at which each run converged, ``inf`` if it never
        did within ``steps``, ``nan`` if it diverged.
    """
    from descentlab.optim import SGD

    lr_arr = np.asarray(lrs, dtype=DTYPE)
    mom_arr = np.asarray(momenta, dtype=DTYPE)
    steps = _check_count(steps, "steps", 1, 5000)
    if lr_arr.ndim != 1 or mom_arr.ndim != 1 or lr_arr.size * mom_arr.size > 10_000:
        raise ValueError(
            f"Invalid grid: {lr_arr.size} learning rates x {mom_arr.size} momenta "
            "(expected two 1-D lists with at most 10000 pairs)"
        )
    if not (np.all(lr_arr > 0) and np.all((mom_arr >= 0) & (mom_arr < 1))):
        raise ValueError("Invalid grid: expected every lr > 0 and every momentum in [0, 1)")
    if surface.min_value is None:
        raise ValueError(f"Invalid surface: {surface.name} has no minimum to converge to")
    m, n = mom_arr.size, lr_arr.size
    x0, y0 = start or surface.start
    x = _as_tensor(np.full((m, n), x0), requires_grad=True)
    y = _as_tensor(np.full((m, n), y0), requires_grad=True)
    rows = [(_row(x._data[i]), _row(y._data[i])) for i in range(m)]
    groups = [
        {"params": list(pair), "momentum": float(mu), "nesterov": bool(nesterov and mu > 0)}
        for pair, mu in zip(rows, mom_arr)
    ]
    opt = SGD(groups, lr=1.0)
    weights = _as_tensor(lr_arr[None, :])
    result = np.full((m, n), np.inf)
    gap0 = None
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps + 1):
            x.grad = y.grad = None
            values = surface(x, y)
            gap = values.detach().numpy() - surface.min_value
            if gap0 is None:
                gap0 = gap.copy()
            done = np.isinf(result) & (gap <= tol * gap0)
            result[done] = t
            bad = np.isinf(result) & ~(np.abs(gap) <= 1e6 * np.maximum(gap0, 1.0))
            result[bad] = np.nan
            if t == steps or not np.isinf(result).any():
                break
            (values * weights).sum().backward()
            for (rx, ry), i in zip(rows, range(m)):
                rx.grad, ry.grad = x.grad[i], y.grad[i]
            opt.step()
    return result
