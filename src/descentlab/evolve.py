"""A genetic algorithm: a population of candidate solutions improved by selection and variation.

Each generation keeps a population of ``P`` real vectors (genomes) and their losses (lower is
fitter), then builds the next one:

    elitism      the ``elite`` best genomes pass on unchanged (and are not evaluated again)
    selection    each parent is the best of ``tournament`` distinct genomes drawn at random
    crossover    with probability ``crossover_rate`` two parents p, q make a child by blending,
                 child_i = p_i + u_i (q_i - p_i) with u_i ~ U(-alpha, 1 + alpha)   (BLX-alpha),
                 or by ``"uniform"`` crossover (each gene from p or q with probability 1/2);
                 otherwise the child is a copy of p
    mutation     each gene moves by N(0, (mutation_scale * range_i)^2) with probability
                 ``mutation_rate`` (``range_i``: the width of the search box in that dimension)
    bounds       children are clipped to the search box

A function evaluation is one genome's loss; :class:`GARun` counts them per generation, so a GA
can be compared with gradient descent (one loss and one gradient per step, counted by
:func:`descend_counting`) on the same landscape: :func:`race`.

>>> import numpy as np
>>> ga = GeneticAlgorithm(lambda pop: (pop**2).sum(axis=1), bounds=([-5, -5], [5, 5]), seed=0)
>>> run = ga.run(generations=40)
>>> bool(run.best_loss[-1] < 1e-3), int(run.evaluations[0]), int(run.evaluations[1])
(True, 50, 98)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import descentlab as dl
from descentlab import landscapes as L

__all__ = [
    "CROSSOVERS",
    "GARun",
    "GeneticAlgorithm",
    "NetworkProblem",
    "descend_counting",
    "evolve_network",
    "evolve_surface",
    "race",
    "surface_loss",
]

CROSSOVERS = ("blend", "uniform")


@dataclass
class GARun:
    """A GA run as plain arrays (generation 0 is the random initial population).

    Attributes:
        populations: (G + 1, P, d) every generation's genomes.
        losses: (G + 1, P) their losses.
        best: (G + 1, d) the best genome so far at each generation.
        best_loss: (G + 1,) its loss (never increases, thanks to elitism).
        evaluations: (G + 1,) function evaluations used up to and including each generation.
    """

    populations: np.ndarray
    losses: np.ndarray
    best: np.ndarray
    best_loss: np.ndarray
    evaluations: np.ndarray

    def evaluations_to(self, loss: float) -> int | None:
        """Evaluations used when the best loss first reached ``loss`` (None if never)."""
        hit = np.flatnonzero(self.best_loss <= loss)
        return int(self.evaluations[hit[0]]) if len(hit) else None


class GeneticAlgorithm:
    """A real-valued GA minimising ``loss_fn`` over a box.

    Args:
        loss_fn: ``loss_fn(genomes (n, d)) -> losses (n,)``; one call evaluates n genomes.
        bounds: ``(low, high)``, each of length d: the box the initial population is drawn
            from (uniformly) and children are clipped to.
        population: P, genomes per generation.
        elite: the best genomes copied unchanged into the next generation.
        tournament: genomes per selection tournament.
        crossover: ``"blend"`` (BLX-alpha) or ``"uniform"``.
        crossover_rate: probability that a child comes from two parents rather than one.
        alpha: BLX-alpha's reach beyond the parents.
        mutation_rate: probability that a gene is mutated.
        mutation_scale: the mutation's standard deviation, as a fraction of the box width.
        seed: seeds everything random.
    """

    def __init__(
        self,
        loss_fn: Callable[[np.ndarray], np.ndarray],
        bounds: tuple[Sequence[float], Sequence[float]],
        *,
        population: int = 50,
        elite: int = 2,
        tournament: int = 3,
        crossover: str = "blend",
        crossover_rate: float = 0.9,
        alpha: float = 0.5,
        mutation_rate: float = 0.2,
        mutation_scale: float = 0.05,
        seed: int | None = 0,
    ):
        low, high = (np.asarray(b, dtype=np.float64).ravel() for b in bounds)
        if low.shape != high.shape or not np.all(low < high):
            raise ValueError(f"Invalid bounds: {bounds!r} (expected (low, high) with low < high)")
        if population < 2:
            raise ValueError(f"Invalid population: {population!r} (expected >= 2)")
        if not 0 <= elite < population:
            raise ValueError(f"Invalid elite: {elite!r} (expected 0 <= elite < {population})")
        if not 1 <= tournament <= population:
            raise ValueError(f"Invalid tournament: {tournament!r} (expected 1..{population})")
        if crossover not in CROSSOVERS:
            raise ValueError(f"Invalid crossover: {crossover!r} (expected blend or uniform)")
        for name, v in (("crossover_rate", crossover_rate), ("mutation_rate", mutation_rate)):
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"Invalid {name}: {v!r} (expected 0 <= {name} <= 1)")
        self.loss_fn = loss_fn
        self.low, self.high = low, high
        self.size, self.elite, self.tournament = int(population), int(elite), int(tournament)
        self.crossover, self.crossover_rate, self.alpha = crossover, crossover_rate, alpha
        self.mutation_rate, self.mutation_scale = mutation_rate, mutation_scale
        self.rng = np.random.default_rng(seed)
        self.population = self.rng.uniform(low, high, size=(self.size, len(low)))
        self.losses = self._evaluate(self.population)
        self.evaluations = self.size

    def _evaluate(self, genomes: np.ndarray) -> np.ndarray:
        losses = np.asarray(self.loss_fn(genomes), dtype=np.float64)
        if losses.shape != (len(genomes),):
            raise ValueError(
                f"loss_fn returned shape {losses.shape} (expected ({len(genomes)},), one loss "
                "per genome)"
            )
        return np.where(np.isfinite(losses), losses, np.inf)  # a NaN loss is the worst

    def select(self, n: int) -> np.ndarray:
        """Indices of ``n`` tournament winners, each the best of ``tournament`` distinct
        genomes drawn at random: (n,)."""
        entrants = np.argsort(self.rng.random((n, self.size)), axis=1)[:, : self.tournament]
        return entrants[np.arange(n), np.argmin(self.losses[entrants], axis=1)]

    def breed(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Children of parent rows ``p`` and ``q`` (n, d): crossover, then mutation."""
        n, d = p.shape
        if self.crossover == "blend":
            u = self.rng.uniform(-self.alpha, 1 + self.alpha, size=(n, d))
            mixed = p + u * (q - p)
        else:
            mixed = np.where(self.rng.random((n, d)) < 0.5, p, q)
        cross = self.rng.random((n, 1)) < self.crossover_rate
        child = np.where(cross, mixed, p)
        mutate = self.rng.random((n, d)) < self.mutation_rate
        noise = self.rng.normal(0.0, self.mutation_scale * (self.high - self.low), size=(n, d))
        return np.clip(child + mutate * noise, self.low, self.high)

    def step(self) -> None:
        """Advance one generation."""
        order = np.argsort(self.losses, kind="stable")
        keep = order[: self.elite]
        n = self.size - self.elite
        children = self.breed(self.population[self.select(n)], self.population[self.select(n)])
        child_losses = self._evaluate(children)
        self.evaluations += n
        self.population = np.concatenate([self.population[keep], children])
        self.losses = np.concatenate([self.losses[keep], child_losses])

    def run(self, generations: int, target_loss: float | None = None) -> GARun:
        """Run ``generations`` generations (fewer if the best loss reaches ``target_loss``)."""
        pops, losses, evals = [self.population.copy()], [self.losses.copy()], [self.evaluations]
        for _ in range(generations):
            if target_loss is not None and self.losses.min() <= target_loss:
                break
            self.step()
            pops.append(self.population.copy())
            losses.append(self.losses.copy())
            evals.append(self.evaluations)
        pops_a, losses_a = np.array(pops), np.array(losses)
        best_idx = np.argmin(losses_a, axis=1)
        best = pops_a[np.arange(len(pops_a)), best_idx]
        best_loss = np.minimum.accumulate(losses_a.min(axis=1))
        return GARun(pops_a, losses_a, best, best_loss, np.array(evals))


# -- landscapes ---------------------------------------------------------------------------


def surface_loss(surface: L.Surface) -> Callable[[np.ndarray], np.ndarray]:
    """``genomes (n, 2) -> f(x, y) (n,)``: the surface's own Tensor code, all genomes at once."""

    def loss(genomes: np.ndarray) -> np.ndarray:
        with dl.no_grad():
            x = dl.tensor(genomes[:, 0], dtype=np.float64)
            y = dl.tensor(genomes[:, 1], dtype=np.float64)
            return np.broadcast_to(surface(x, y).detach().numpy(), (len(genomes),)).copy()

    return loss


def _surface(surface: str | L.Surface) -> L.Surface:
    return L.get_surface(surface) if isinstance(surface, str) else surface


def evolve_surface(
    surface: str | L.Surface,
    generations: int = 100,
    target_loss: float | None = None,
    **options: Any,
) -> GARun:
    """Minimise a 2-D surface of :mod:`descentlab.landscapes` over its view window."""
    s = _surface(surface)
    x0, x1, y0, y1 = s.window
    ga = GeneticAlgorithm(surface_loss(s), bounds=([x0, y0], [x1, y1]), **options)
    return ga.run(generations, target_loss)


def descend_counting(
    surface: str | L.Surface,
    target_loss: float,
    *,
    start: Sequence[float] | None = None,
    optimizer: str = "sgd",
    max_steps: int = 10_000,
    **options: Any,
) -> tuple[L.Trajectory, int | None]:
    """Gradient descent on a surface, and the evaluations it took to reach ``target_loss``.

    Each point of the path costs one evaluation of ``f`` and one of its gradient (a forward
    and a backward pass); the count is the number of points visited up to the first with
    ``f <= target_loss`` (the start counts as one), None if the run never got there. The
    trajectory returned ends at that point.
    ``options`` (``lr``, ``momentum``...) go to the optimiser; ``lr`` defaults to the
    surface's own.
    """
    s = _surface(surface)
    options.setdefault("lr", s.lr)
    steps = min(16, max_steps)
    while True:  # rerun with twice the steps until the target is hit: at most 2x the work
        traj = L.descend(s, s.start if start is None else start, optimizer, steps, **options)
        hit = np.flatnonzero(traj.losses <= target_loss)
        if len(hit) or steps >= max_steps or traj.diverged:
            break
        steps = min(2 * steps, max_steps)
    if len(hit):
        return L.Trajectory(
            traj.path[: hit[0] + 1], traj.losses[: hit[0] + 1], traj.grads[: hit[0] + 1]
        ), int(hit[0]) + 1
    return traj, None


def race(
    surface: str | L.Surface,
    target_loss: float,
    *,
    generations: int = 200,
    ga_options: dict[str, Any] | None = None,
    gd_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A GA and gradient descent minimise the same surface to ``target_loss``.

    Returns ``{"ga": GARun, "gd": Trajectory, "ga_evaluations": int | None,
    "gd_evaluations": int | None}``: the evaluations each needed to reach the target.
    """
    ga = evolve_surface(surface, generations, target_loss, **(ga_options or {}))
    traj, gd_evals = descend_counting(surface, target_loss, **(gd_options or {}))
    return {
        "ga": ga,
        "gd": traj,
        "ga_evaluations": ga.evaluations_to(target_loss),
        "gd_evaluations": gd_evals,
    }


# -- network weights ----------------------------------------------------------------------


class NetworkProblem:
    """A network's weights as one genome: its loss on a dataset, for a GA to minimise.

    Args:
        model: a :class:`descentlab.nn.Module`; its parameters, flattened in
            ``named_parameters()`` order, are the genome.
        X, y: the data (n, features) and class indices (n,).
        loss_fn: ``loss_fn(logits, targets) -> scalar Tensor`` (default: cross-entropy).
    """

    def __init__(self, model: Any, X: np.ndarray, y: np.ndarray, loss_fn: Any = None):
        import descentlab.functional as F

        self.model = model
        self.params = list(model.parameters())
        self.shapes = [p.shape for p in self.params]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.X = dl.tensor(np.asarray(X, dtype=np.float32))
        self.y = np.asarray(y, dtype=np.int64)
        self.loss_fn = loss_fn or F.cross_entropy

    @property
    def dim(self) -> int:
        return sum(self.sizes)

    def genome(self) -> np.ndarray:
        """The model's current weights as one vector: (dim,)."""
        return np.concatenate([p.detach().numpy().ravel() for p in self.params]).astype(np.float64)

    def load(self, genome: np.ndarray) -> None:
        """Write ``genome`` (dim,) into the model's parameters."""
        offset = 0
        for p, shape, size in zip(self.params, self.shapes, self.sizes):
            p.detach().numpy()[...] = genome[offset : offset + size].reshape(shape)
            offset += size

    def __call__(self, genomes: np.ndarray) -> np.ndarray:
        """Loss of each genome (n, dim): (n,); the model ends holding the last genome."""
        out = np.empty(len(genomes))
        with dl.no_grad():
            for i, g in enumerate(genomes):
                self.load(g)
                out[i] = self.loss_fn(self.model(self.X), self.y).item()
        return out

    def accuracy(
        self, genome: np.ndarray, X: np.ndarray | None = None, y: np.ndarray | None = None
    ) -> float:
        """Accuracy of the network with weights ``genome`` (on the training data by default)."""
        self.load(genome)
        Xt = self.X if X is None else dl.tensor(np.asarray(X, dtype=np.float32))
        yt = self.y if y is None else np.asarray(y)
        with dl.no_grad():
            pred = self.model(Xt).detach().numpy().argmax(axis=1)
        return float(np.mean(pred == yt))


def evolve_network(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    generations: int = 200,
    *,
    weight_range: float = 5.0,
    target_loss: float | None = None,
    **options: Any,
) -> tuple[GARun, NetworkProblem]:
    """Evolve ``model``'s weights (each in ``[-weight_range, weight_range]``) to fit ``(X, y)``.

    Returns the run and the problem; the model is left holding the best genome.
    """
    problem = NetworkProblem(model, X, y)
    bounds = (np.full(problem.dim, -weight_range), np.full(problem.dim, weight_range))
    run = GeneticAlgorithm(problem, bounds, **options).run(generations, target_loss)
    problem.load(run.best[-1])
    return run, problem
