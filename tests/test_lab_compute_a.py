"""The numbers behind lab pages 1-5 and 9, called directly (no browser): each against a closed
form, a hand-worked example or an independent computation, and every bad input's sentence."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab import landscapes as L
from descentlab import registry
from descentlab.lab.compute import (
    batch_size,
    bounds,
    gradient_check,
    landscape,
    learning_rate,
    numerical_gradient,
    optimizers,
)

# ---- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "The learning rate must be a number from 1e-06 to 10 (received -1)."),
        (None, "The learning rate must be a number from 1e-06 to 10 (received nothing)."),
        ("abc", "The learning rate must be a number from 1e-06 to 10 (received 'abc')."),
        (float("nan"), "The learning rate must be a number from 1e-06 to 10 (received nan)."),
        (True, "The learning rate must be a number from 1e-06 to 10 (received True)."),
    ],
)
def test_bad_numbers_get_one_sentence(value, message):
    with pytest.raises(ValueError) as info:
        landscape.check_lr(value)
    assert str(info.value) == message


def test_bounds_choices_integers_and_points():
    assert bounds.number("3", "Steps", 1, 5, integer=True) == 3
    with pytest.raises(
        ValueError, match=r"^Steps must be a whole number from 1 to 5 \(received 2.5\)"
    ):
        bounds.number(2.5, "Steps", 1, 5, integer=True)
    with pytest.raises(ValueError, match=r"^The surface must be one of bowl, ravine, rosenbrock"):
        landscape.check_surface("volcano")
    with pytest.raises(ValueError, match=r"^The starting point x must be a number from -3 to 3"):
        landscape.start_state("bowl", [7.0, 0.0])


# ---- page 1: the landscape ------------------------------------------------------------------


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
    arrow = landscape.arrow(state)
    gx, gy = state["grads"][-1]
    direction = np.array([arrow["x1"] - arrow["x0"], arrow["y1"] - arrow["y0"]])
    assert np.dot(direction, [gx, gy]) < 0  # downhill
    assert direction[0] * gy - direction[1] * gx == pytest.approx(0, abs=1e-9)  # parallel
    assert np.hypot(*direction) == pytest.approx(0.15 * 4.0)  # the window's smaller side is 4


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
    with pytest.raises(ValueError, match="The current point x"):
        landscape.step_state({**state, "path": [[1e9, 0.0]], "status": ""}, 0.1)


def test_landscape_states_never_share_lists():
    a = landscape.start_state("bowl", [1.0, 1.0])
    b = landscape.step_state(a, 0.1)
    assert len(a["path"]) == 1 and len(b["path"]) == 2


# ---- pages 2 and 3: numerical gradients ------------------------------------------------------


def test_centred_difference_is_exact_on_a_quadratic_and_o_h2_on_a_quartic():
    view = numerical_gradient.view("square", 2.0, 0.5)
    assert view["analytic"] == 4.0 and view["numerical"] == pytest.approx(4.0, abs=1e-12)
    assert view["minus"] == [1.5, 2.25] and view["plus"] == [2.5, 6.25]
    # L = w⁴ - 3w² + w: the centred difference overshoots by L'''(w) h²/6 = 4 w h² exactly
    w, h = 1.5, 0.01
    view = numerical_gradient.view("double_well", w, h)
    assert view["analytic"] == pytest.approx(4 * w**3 - 6 * w + 1)
    assert view["numerical"] - view["analytic"] == pytest.approx(4 * w * h**2, rel=1e-5)
    t0, t1 = view["tangent"]
    assert (t1[1] - t0[1]) / (t1[0] - t0[0]) == pytest.approx(view["analytic"])
    with pytest.raises(
        ValueError, match=r"The step h must be a number from 1e-08 to 2 \(received 0\)"
    ):
        numerical_gradient.view("square", 1.0, 0)
    with pytest.raises(ValueError, match=r"^w must be a number from -3 to 3 \(received 5\)"):
        numerical_gradient.view("square", 5, 0.1)


def test_error_curves_show_truncation_and_round_off():
    curves = gradient_check.error_curves("double_well", 1.5)
    f32, f64 = curves["float32"], curves["float64"]
    # the best h sits near the cube root of each machine epsilon (5e-3 and 6e-6)
    assert 1e-3 <= f32["best_h"] <= 3e-2 and 1e-6 <= f64["best_h"] <= 1e-4
    assert f64["relative"].min() < 1e-9 < f32["relative"].min() < 1e-5
    hs = curves["hs"]
    big = hs >= 1e-2  # truncation: the centred difference is L' + 4 w h² exactly
    excess = 4 * 1.5 * hs[big] ** 2
    expected = excess / (5.5 + excess)
    np.testing.assert_allclose(f64["relative"][big], expected, rtol=1e-3)
    tiny = hs < 1e-8  # round-off: float32 cannot even tell w + h from w
    assert np.all(f32["relative"][tiny] == 1.0)


def test_side_by_side_and_the_bands():
    side = gradient_check.side_by_side("log_cosh", 1e-4)
    np.testing.assert_allclose(side["analytic"], np.tanh(side["ws"]), rtol=1e-12)
    np.testing.assert_allclose(side["numerical"], np.tanh(side["ws"]), atol=1e-8)
    check = gradient_check.check_at("abs", 1e-6, 1e-5)  # probes straddle the kink
    assert check["float64"]["band"].startswith("wrong")
    check = gradient_check.check_at("double_well", 0.7, 1e-5)
    assert check["float64"]["band"].startswith("agree")
    assert [gradient_check.band(e).split(":")[0] for e in (1e-9, 1e-5, 1e-3, 0.5)] == [
        "agree",
        "close",
        "suspect",
        "wrong",
    ]


# ---- page 4: the learning rate ---------------------------------------------------------------


def test_learning_rate_verdicts_follow_the_curvature():
    # w²: curvature 2, so lr 0.1 is fine; ravine x² + 10y²: curvature 20 along y, so the same
    # lr = 2/20 sits on the edge (oscillating) and lr = 0.12 diverges
    result = learning_rate.compare("square", "ravine", 0.1, 30)
    assert result["one"]["verdict"] == "good"
    assert result["two"]["verdict"] == "oscillating"
    path = result["one"]["path"][:, 0]
    np.testing.assert_allclose(path, 2.0 * 0.8 ** np.arange(31), rtol=1e-12)
    result = learning_rate.compare("square", "ravine", 0.12, 30)
    assert (result["one"]["verdict"], result["two"]["verdict"]) == ("good", "diverging")
    result = learning_rate.compare("square", "bowl", 0.001, 30)
    assert result["one"]["verdict"] == result["two"]["verdict"] == "too small"
    with pytest.raises(
        ValueError, match=r"^The number of steps must be a whole number from 1 to 300"
    ):
        learning_rate.compare("square", "bowl", 0.1, 0)


# ---- page 5: batch sizes ----------------------------------------------------------------------


def test_batch_runs_are_real_training_loops():
    result = batch_size.compare(16, 2, 0.1, seed=3)
    full, mini, sgd = result["runs"]
    n = batch_size.N
    assert [r["batch_size"] for r in result["runs"]] == [n, 16, 1]
    assert [r["updates"] for r in result["runs"]] == [2, 2 * -(-n // 16), 2 * n]
    # the full batch is plain gradient descent on the MSE, worked here in NumPy
    x, y = (v.astype(np.float64) for v in batch_size.dataset(3))
    w, b = batch_size.START
    for step in range(2):
        r = w * x + b - y
        w, b = w - 0.1 * np.mean(2 * r * x), b - 0.1 * np.mean(2 * r)
        assert full["path"][step + 1] == pytest.approx([w, b], rel=1e-6)
    # the loss recorded is the full-data MSE at each point
    pw, pb = sgd["path"][-1]
    assert sgd["losses"][-1] == pytest.approx(np.mean((pw * x + pb - y) ** 2), rel=1e-9)
    # the least-squares answer, and stochastic steps get near it first
    ws, bs = result["least_squares"]
    design = np.stack([x, np.ones_like(x)], axis=1)
    assert [ws, bs] == pytest.approx(np.linalg.lstsq(design, y, rcond=None)[0], rel=1e-10)
    assert ws == pytest.approx(batch_size.TRUE_W, abs=0.2) and bs == pytest.approx(-1, abs=0.2)
    assert max(sgd["losses"][-1], mini["losses"][-1]) < full["losses"][-1] / 10
    half_sgd = np.searchsorted(sgd["epochs_seen"], 0.5)  # after half the data has been seen
    half_mini = np.searchsorted(mini["epochs_seen"], 0.5)
    assert sgd["losses"][half_sgd] < mini["losses"][half_mini] / 5
    # the grid is the same MSE
    grid = result["grid"]
    i, j = 10, 40
    direct = np.mean((grid["ws"][j] * x + grid["bs"][i] - y) ** 2)
    assert grid["z"][i, j] == pytest.approx(direct, rel=1e-6)


def test_batch_runs_are_seeded():
    a = batch_size.compare(8, 1, 0.05, seed=1)
    b = batch_size.compare(8, 1, 0.05, seed=1)
    c = batch_size.compare(8, 1, 0.05, seed=2)
    np.testing.assert_array_equal(a["runs"][1]["path"], b["runs"][1]["path"])
    assert not np.array_equal(a["runs"][1]["path"], c["runs"][1]["path"])
    with pytest.raises(ValueError, match=r"^The batch size must be a whole number from 1 to 100"):
        batch_size.compare(0, 1, 0.05)
    with pytest.raises(ValueError, match=r"^The learning rate must be a number from 0.001 to 1"):
        batch_size.compare(8, 1, 5)


# ---- page 9: the race and the map -------------------------------------------------------------


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
