"""The genetic-algorithm page: a GA against gradient descent on one landscape.

Both minimise the same surface of :mod:`descentlab.landscapes` to the same target loss; the
race counts function evaluations (:func:`descentlab.evolve.race`): a GA generation costs one
evaluation per new genome, a gradient-descent step one loss and one gradient. The page draws
each generation's population over the contour next to the gradient-descent path.
"""

from __future__ import annotations

from typing import Any

from descentlab import landscapes
from descentlab.lab.compute import bounds

MAX_GENERATIONS = 300
MAX_POPULATION = 200
GRID = 80


def surfaces() -> list[str]:
    """The named surfaces the race offers (the landscapes' registry)."""
    return list(landscapes.SURFACES)


def race_frames(
    surface: Any, target: Any, population: Any, generations: Any, mutation: Any, seed: Any = 0
) -> dict[str, Any]:
    """Run the race once and return plain data: the contour, every generation, the GD path."""
    from descentlab.evolve import race

    bounds.choice(surface, "Surface", surfaces())
    target = bounds.number(target, "Target loss", -1e6, 1e6)
    population = bounds.number(population, "Population", 4, MAX_POPULATION, integer=True)
    generations = bounds.number(generations, "Generations", 1, MAX_GENERATIONS, integer=True)
    mutation = bounds.number(mutation, "Mutation rate", 0.0, 1.0)
    seed = bounds.number(seed, "Seed", 0, 2**31 - 1, integer=True)
    s = landscapes.get_surface(surface)
    result = race(
        s,
        target,
        generations=generations,
        ga_options={"population": population, "mutation_rate": mutation, "seed": seed},
        gd_options={"max_steps": 5000},
    )
    ga, gd = result["ga"], result["gd"]
    xs, ys, z = landscapes.evaluate_grid(s, GRID)
    return {
        "surface": surface,
        "target": target,
        "xs": xs,
        "ys": ys,
        "z": z,
        "populations": ga.populations,
        "best_loss": ga.best_loss,
        "evaluations": ga.evaluations,
        "gd_path": gd.path,
        "gd_losses": gd.losses,
        "ga_evaluations": result["ga_evaluations"],
        "gd_evaluations": result["gd_evaluations"],
    }


__all__ = ["MAX_GENERATIONS", "MAX_POPULATION", "race_frames", "surfaces"]
