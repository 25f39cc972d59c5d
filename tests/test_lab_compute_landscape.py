"""Page 1, the loss landscape: grids, steps, statuses, the arrow and fitted views."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.lab.compute import (
    landscape,
)


def test_landscape_view_is_the_surface_on_a_grid():
    view = landscape.surface_view("himmelblau")
    xs, ys, z = view["xs"], view["ys"], view["z"]
    assert z.shape == (landscape.GRID, landscape.GRID)
    i, j = 17, 63
    assert z[i, j] == pytest.approx((xs[j] ** 2 + ys[i] - 11) ** 2 + (xs[j] + ys[i] ** 2 - 7) ** 2)
    assert view["log_scale"] and len(view["minima"]) == 4


def test_landscape_steps_are_gradient_descent():
    state = landscape.start_state("ravine", [2.0, 1.0])
    assert state["losses"] == [14.0] and state["grads"] == [[4.0, 20.0]]
    # x <- x - lr 2x, y <- y - lr 20y with lr = 0.04: (2, 1) -> (1.84, 0.2)
    state = landscape.step_state(state, 0.04)
    assert state["path"][-1] == pytest.approx([1.84, 0.2])
    assert state["losses"][-1] == pytest.approx(1.84**2 + 10 * 0.2**2)
    state = landscape.step_state(state, 0.04, steps=3)
    assert len(state["path"]) == 5 and state["status"] == ""
    arrow = landscape.arrow(state, 0.04)
    gx, gy = state["grads"][-1]
    direction = np.array([arrow["x1"] - arrow["x0"], arrow["y1"] - arrow["y0"]])
    assert np.dot(direction, [gx, gy]) < 0  # downhill
    assert direction[0] * gy - direction[1] * gx == pytest.approx(0, abs=1e-9)  # parallel
    # the arrow is the next step: its length is lr |grad f|
    assert np.hypot(*direction) == pytest.approx(0.04 * np.hypot(gx, gy))
    # and it hides where that step is under 0.5% of the view (4 units: 0.02)
    assert landscape.arrow(landscape.start_state("ravine", [0.001, 0.0]), 0.04) is None


def test_landscape_run_ends_with_a_status():
    state = landscape.start_state("bowl", [1.0, 1.0])
    assert landscape.step_state(state, 0.5)["status"] == "converged"  # lands on 0 exactly
    state = landscape.start_state("bowl", [1.0, 1.0])
    for _ in range(6):
        state = landscape.step_state(state, 2.0)  # each step multiplies the point by -3
    assert state["status"] == "left the view"
    state = landscape.start_state("bowl", [1.0, 1.0])
    assert landscape.step_state(state, 10.0, steps=50)["status"] in ("diverged", "left the view")
    with pytest.raises(ValueError, match="press Reset"):
        landscape.step_state({"surface": "bowl"}, 0.1)
    with pytest.raises(ValueError, match="The starting point x"):
        landscape.step_state({**state, "path": [[1e9, 0.0]], "status": ""}, 0.1)
    with pytest.raises(ValueError, match="The current point x"):
        landscape.step_state(
            {**state, "path": [[1.0, 0.0], [1e9, 0.0]], "losses": [1, 1], "grads": [[0, 0]] * 2},
            0.1,
        )


def test_landscape_states_never_share_lists():
    a = landscape.start_state("bowl", [1.0, 1.0])
    b = landscape.step_state(a, 0.1)
    assert len(a["path"]) == 1 and len(b["path"]) == 2


def test_landscape_reaches_004s_numbers_on_a_typed_formula():
    # 004 §1.3: x² + 2y² from (4, 3) with lr 0.1; x <- 0.8x, y <- 0.6y
    state = landscape.start_state("x**2 + 2*y**2", [4, 3])
    one = landscape.step_state(state, 0.1)
    assert one["path"][-1] == pytest.approx([3.2, 1.8]) and one["losses"][-1] == pytest.approx(
        16.72
    )
    fifteen = landscape.step_state(state, 0.1, steps=15)
    x, y = fifteen["path"][-1]
    assert (round(x, 4), round(y, 4), round(fifteen["losses"][-1], 4)) == (0.1407, 0.0014, 0.0198)
    assert fifteen["steps"] == 15 and fifteen["status"] == ""
    # the view holds the start, 15% beyond it
    x0, x1, y0, y1 = landscape.surface_view("x**2 + 2*y**2", [4, 3])["window"]
    assert (x0, x1) == pytest.approx((-4.6, 4.6)) and (y0, y1) == pytest.approx((-3.45, 3.45))


def test_run_stops_at_the_tolerance():
    state = landscape.start_state("bowl", [-2.5, 2.0])
    run = landscape.step_state(state, 0.1, steps=500, tol=1e-3)
    norms = [np.hypot(*g) for g in run["grads"]]
    assert run["status"] == "converged" and norms[-1] < 1e-3 <= norms[-2]
    # |grad| = 2|w| shrinks by 0.8 a step: log(1e-3 / 6.4) / log(0.8) -> 40 steps
    assert run["steps"] == 40
