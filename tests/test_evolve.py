"""descentlab.evolve: the GA's operators by hand, landscapes and networks it must solve, and
the evaluation count against gradient descent."""

import doctest

import numpy as np
import pytest

import descentlab as dl
import descentlab.evolve as evolve_module
from descentlab import landscapes as L
from descentlab import nn
from descentlab.data import moons, xor
from descentlab.evolve import (
    GeneticAlgorithm,
    NetworkProblem,
    descend_counting,
    evolve_network,
    evolve_surface,
    race,
    surface_loss,
)


def sphere(pop):
    return (pop**2).sum(axis=1)


def test_elitism_keeps_the_best_and_counts_evaluations():
    ga = GeneticAlgorithm(sphere, ([-5, -5], [5, 5]), population=20, elite=3, seed=1)
    run = ga.run(30)
    assert run.populations.shape == (31, 20, 2) and run.losses.shape == (31, 20)
    assert np.all(np.diff(run.best_loss) <= 0)  # elitism: the best never gets worse
    np.testing.assert_array_equal(run.evaluations, 20 + 17 * np.arange(31))
    for g in range(30):  # the elite of one generation are the first rows of the next
        best3 = np.sort(run.losses[g])[:3]
        np.testing.assert_array_equal(run.losses[g + 1][:3], best3)
    np.testing.assert_allclose(run.losses[-1], sphere(run.populations[-1]))
    assert np.all(np.abs(run.populations) <= 5)  # children stay in the box


def test_tournament_picks_the_best_entrant():
    ga = GeneticAlgorithm(sphere, ([-1], [1]), population=10, tournament=10, seed=0)
    assert set(ga.select(50).tolist()) == {int(np.argmin(ga.losses))}
    ga = GeneticAlgorithm(sphere, ([-1], [1]), population=10, tournament=1, seed=0)
    assert len(set(ga.select(200).tolist())) == 10  # size 1: uniform choice


def test_crossover_and_mutation_by_hand():
    p, q = np.zeros((2000, 3)), np.ones((2000, 3))
    ga = GeneticAlgorithm(sphere, ([-10] * 3, [10] * 3), crossover_rate=1.0, mutation_rate=0.0)
    child = ga.breed(p, q)  # BLX-0.5: each gene uniform in [-0.5, 1.5]
    assert child.min() >= -0.5 and child.max() <= 1.5 and abs(child.mean() - 0.5) < 0.05
    ga = GeneticAlgorithm(sphere, ([-10] * 3, [10] * 3), crossover="uniform", mutation_rate=0.0)
    ga.crossover_rate = 1.0
    assert set(np.unique(ga.breed(p, q))) == {0.0, 1.0}
    ga = GeneticAlgorithm(sphere, ([-10] * 3, [10] * 3), crossover_rate=0.0, mutation_rate=1.0)
    moved = ga.breed(p, q) - p  # no crossover: a mutated copy of p, sd 0.05 * 20 = 1
    assert moved.std() == pytest.approx(1.0, rel=0.05)


@pytest.mark.parametrize("name", ["bowl", "himmelblau", "rosenbrock", "beale"])
def test_ga_finds_the_minimum_of_each_surface(name):
    s = L.get_surface(name)
    run = evolve_surface(name, generations=300, target_loss=1e-3, seed=0)
    assert run.best_loss[-1] <= 1e-3
    dist = min(np.hypot(*(run.best[-1] - np.array(m))) for m in s.minima)
    assert dist < 0.1
    assert surface_loss(s)(run.best[-1:])[0] == pytest.approx(run.best_loss[-1])


def test_race_counts_evaluations_on_both_sides():
    r = race("himmelblau", 1e-3, generations=300, ga_options={"seed": 0})
    ga_n, gd_n = r["ga_evaluations"], r["gd_evaluations"]
    assert ga_n == r["ga"].evaluations[-1]  # the GA stopped at the target
    assert r["ga"].best_loss[-1] <= 1e-3 < r["ga"].best_loss[-2]
    assert r["gd"].losses[gd_n - 1] <= 1e-3 < r["gd"].losses[gd_n - 2]
    assert gd_n < ga_n  # a smooth bowl around the minimum: the gradient is worth its cost
    _, never = descend_counting("himmelblau", -1.0, max_steps=50)
    assert never is None


def test_network_genome_round_trip():
    dl.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2))
    X, y = xor()
    problem = NetworkProblem(model, X, y)
    assert problem.dim == 2 * 3 + 3 + 3 * 2 + 2
    g = problem.genome()
    import descentlab.functional as F

    with dl.no_grad():
        direct = F.cross_entropy(model(dl.tensor(X)), y).item()
    assert problem(g[None])[0] == pytest.approx(direct)
    problem.load(g + 1.0)
    np.testing.assert_allclose(problem.genome(), g + 1.0, rtol=1e-6)


def test_ga_solves_xor():
    dl.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))
    X, y = xor()
    run, problem = evolve_network(model, X, y, 100, target_loss=0.05, seed=0)
    assert problem.accuracy(run.best[-1]) == 1.0
    with dl.no_grad():
        pred = model(dl.tensor(X)).numpy().argmax(axis=1)
    np.testing.assert_array_equal(pred, [0, 1, 1, 0])  # the model holds the best genome


def test_ga_fits_moons():
    dl.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    X, y = moons(100, noise=0.1, seed=0)
    run, problem = evolve_network(model, X, y, 40, population=30, seed=0)
    Xt, yt = moons(500, noise=0.1, seed=1)
    assert problem.accuracy(run.best[-1]) >= 0.97
    assert problem.accuracy(run.best[-1], Xt, yt) >= 0.95


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"Invalid bounds"):
        GeneticAlgorithm(sphere, ([1], [0]))
    with pytest.raises(ValueError, match=r"Invalid elite: 10 \(expected 0 <= elite < 10\)"):
        GeneticAlgorithm(sphere, ([0], [1]), population=10, elite=10)
    with pytest.raises(ValueError, match=r"Invalid crossover: 'one_point'"):
        GeneticAlgorithm(sphere, ([0], [1]), crossover="one_point")
    with pytest.raises(ValueError, match=r"loss_fn returned shape \(\) \(expected \(50,\)"):
        GeneticAlgorithm(lambda pop: 0.0, ([0], [1]))


def test_docstring_examples_run():
    assert doctest.testmod(evolve_module).failed == 0
