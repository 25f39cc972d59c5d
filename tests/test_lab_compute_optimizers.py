"""Page 9, the optimiser race and the momentum map; 004 §3.3's SGD-vs-momentum run."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab import landscapes as L
from descentlab import registry
from descentlab.lab.compute import (
    optimizers,
)


def test_race_runs_each_optimiser_from_the_same_start():
    settings = optimizers.defaults("ravine")
    result = optimizers.race("ravine", [-2.0, 1.0], 80, settings)
    assert list(result["runs"]) == registry.optimizers.names()
    sgd = result["runs"]["sgd"]
    lr = settings["sgd"]["lr"]
    k = np.arange(81)
    np.testing.assert_allclose(sgd["path"][:, 0], -2.0 * (1 - 2 * lr) ** k, rtol=1e-10)
    np.testing.assert_allclose(sgd["path"][:, 1], (1 - 20 * lr) ** k, rtol=1e-9, atol=1e-300)
    adam = L.descend(L.get_surface("ravine"), (-2.0, 1.0), "adam", 80, lr=0.1, betas=(0.9, 0.999))
    np.testing.assert_allclose(result["runs"]["adam"]["path"], adam.path, rtol=1e-12)
    arrived = sgd["arrived_at"]
    assert sgd["losses"][arrived] <= 1e-6 * sgd["losses"][0] < sgd["losses"][arrived - 1]


def test_race_checks_every_setting():
    settings = optimizers.defaults("bowl")
    settings["adam"]["beta1"] = 1.0
    with pytest.raises(
        ValueError, match=r"^Adam's β1 must be a number from 0 to 0.9999 \(received 1.0\)"
    ):
        optimizers.race("bowl", [1.0, 1.0], 10, settings)
    settings = optimizers.defaults("bowl")
    settings["sgd"]["lr"] = 0
    with pytest.raises(ValueError, match="^SGD's lr must be a number above 0"):
        optimizers.race("bowl", [1.0, 1.0], 10, settings)
    with pytest.raises(ValueError, match="^The number of steps must be a whole number"):
        optimizers.race("bowl", [1.0, 1.0], 10_000, optimizers.defaults("bowl"))
    assert optimizers.race("bowl", [1.0, 1.0], 10, {})["runs"] == {}


def test_ravine_map_agrees_with_the_stability_edge():
    result = optimizers.ravine_map(10, nesterov=False, n=12)
    lrs, edge, steps = result["lrs"][None, :], result["edge"][:, None], result["steps"]
    assert steps.shape == (12, 12)
    assert not np.isnan(steps[lrs < 0.95 * edge]).any()  # inside the edge: never diverges
    assert np.isnan(steps[lrs > 1.2 * edge]).all()  # well outside: always diverges
    # plain gradient descent (momentum 0) is fastest near lr = 2 / (2 + 20), where the slow
    # and the steep directions shrink at the same rate
    row = np.where(np.isfinite(steps[0]), steps[0], np.inf)
    best = result["lrs"][int(np.argmin(row))]
    assert 2 / 22 / 1.7 < best < 2 / 22 * 1.7
    with pytest.raises(ValueError, match=r"^The ravine's b must be a number from 1 to 1000"):
        optimizers.ravine_map(0)
