"""descentlab.landscapes: the surfaces' values and gradients against PyTorch, their minima, the
grid, optimiser runs against torch.optim, the batched race and momentum map, and verdicts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import descentlab as dl
from descentlab import landscapes as L
from descentlab.optim import SGD

# the same formulas written for torch, the oracle
TORCH_SURFACES = {
    "bowl": lambda x, y: x**2 + y**2,
    "ravine": lambda x, y: x**2 + 10 * y**2,
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    "himmelblau": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
    "saddle": lambda x, y: x**2 - y**2,
    "beale": lambda x, y: (
        (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
    ),
}
TORCH_LOSSES = {
    "square": lambda w: w**2,
    "double_well": lambda w: w**4 - 3 * w**2 + w,
    "log_cosh": lambda w: torch.log(torch.cosh(w)),
    "logistic": lambda w: torch.nn.functional.softplus(-w),
    "abs": lambda w: w.abs(),
}


def torch_value_and_grad(fn, point):
    params = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in point]
    out = fn(*params)
    out.backward()
    return out.item(), np.array([p.grad.item() for p in params])


def test_registries_are_complete():
    assert set(L.SURFACES) == set(TORCH_SURFACES)
    assert set(L.LOSSES_1D) == set(TORCH_LOSSES)
    for surface in L.SURFACES.values():
        x0, x1, y0, y1 = surface.window
        assert x0 < surface.start[0] < x1 and y0 < surface.start[1] < y1, surface.name
        assert surface.formula and surface.lr > 0


@pytest.mark.parametrize("name", sorted(TORCH_SURFACES))
def test_surface_values_and_gradients_match_torch(name):
    surface = L.get_surface(name)
    rng = np.random.default_rng(0)
    x0, x1, y0, y1 = surface.window
    for x, y in zip(rng.uniform(x0, x1, 5), rng.uniform(y0, y1, 5)):
        value, grad = L.value_and_grad(surface, (x, y))
        t_value, t_grad = torch_value_and_grad(TORCH_SURFACES[name], (x, y))
        assert value == pytest.approx(t_value, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(grad, t_grad, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", sorted(TORCH_LOSSES))
def test_losses_1d_match_torch(name):
    loss = L.get_loss_1d(name)
    for w in np.linspace(*loss.window, 7) + 0.013:
        value, grad = L.value_and_grad(loss, [w])
        t_value, t_grad = torch_value_and_grad(TORCH_LOSSES[name], [w])
        assert value == pytest.approx(t_value, rel=1e-12, abs=1e-12)
        assert grad[0] == pytest.approx(t_grad[0], rel=1e-10, abs=1e-12)


def test_the_stable_forms_stay_finite_far_out():
    for name in ("log_cosh", "logistic"):
        value, grad = L.value_and_grad(L.get_loss_1d(name), [-800.0])
        assert np.isfinite(value) and np.isfinite(grad).all(), name


@pytest.mark.parametrize("name", [n for n, s in L.SURFACES.items() if s.minima])
def test_known_minima_are_minima(name):
    surface = L.get_surface(name)
    for point in surface.minima:
        value, grad = L.value_and_grad(surface, point)
        assert value == pytest.approx(surface.min_value, abs=1e-9)
        assert np.abs(grad).max() < 1e-4
    xs, ys, z = L.evaluate_grid(surface, 60)
    assert z.min() >= surface.min_value - 1e-12


def test_double_well_minimum():
    loss = L.get_loss_1d("double_well")
    value, grad = L.value_and_grad(loss, [loss.minima[0]])
    assert value == pytest.approx(loss.min_value, abs=1e-8) and abs(grad[0]) < 1e-7
    _, values = L.evaluate_curve(loss, 2001)
    assert values.min() >= loss.min_value - 1e-9


def test_evaluate_grid_rows_follow_y():
    surface = L.ravine(1.0, 100.0)
    xs, ys, z = L.evaluate_grid(surface, 5, window=(-1.0, 1.0, -2.0, 2.0))
    assert z.shape == (5, 5) and z.dtype == np.float64
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            assert z[i, j] == pytest.approx(x**2 + 100 * y**2)


def test_ravine_is_parameterised_and_names_are_checked():
    steep = L.get_surface("ravine", a=1, b=100)
    assert steep.formula == "x² + 100y²"
    assert L.value_and_grad(steep, (1.0, 1.0))[0] == 101.0
    with pytest.raises(ValueError, match=r"Invalid ravine coefficients: a=1.0, b=-1.0"):
        L.ravine(1, -1)
    with pytest.raises(ValueError, match=r"Unknown surface: 'bowel' \(expected one of bowl,"):
        L.get_surface("bowel")
    with pytest.raises(ValueError, match="only 'ravine' takes parameters"):
        L.get_surface("bowl", a=2)
    with pytest.raises(ValueError, match=r"Invalid steps: -1 \(expected 0 <= steps <= 100000\)"):
        L.descend(L.get_surface("bowl"), (1.0, 1.0), steps=-1)
    with pytest.raises(ValueError, match=r"^optimizer: expected one of sgd, .*, got 'lbfgs'"):
        L.descend(L.get_surface("bowl"), (1.0, 1.0), "lbfgs")


def test_descend_sgd_on_the_bowl_is_the_closed_form():
    # on x² + y² one step of w <- w - lr * 2w multiplies the point by (1 - 2 lr)
    run = L.descend(L.get_surface("bowl"), (2.0, -1.0), "sgd", steps=10, lr=0.1)
    expected = np.array([2.0, -1.0]) * 0.8 ** np.arange(11)[:, None]
    np.testing.assert_allclose(run.path, expected, rtol=1e-14)
    np.testing.assert_allclose(run.losses, (expected**2).sum(axis=1), rtol=1e-13)
    np.testing.assert_allclose(run.grads, 2 * expected, rtol=1e-14)
    assert not run.diverged and run.steps == 10


TORCH_OPTIM = {
    "sgd": lambda ps, o: torch.optim.SGD(ps, lr=o["lr"]),
    "momentum": lambda ps, o: torch.optim.SGD(ps, lr=o["lr"], momentum=o["momentum"]),
    "nesterov": lambda ps, o: torch.optim.SGD(
        ps, lr=o["lr"], momentum=o["momentum"], nesterov=True
    ),
    "adagrad": lambda ps, o: torch.optim.Adagrad(ps, lr=o["lr"]),
    "rmsprop": lambda ps, o: torch.optim.RMSprop(ps, lr=o["lr"], alpha=o["alpha"]),
    "adam": lambda ps, o: torch.optim.Adam(ps, lr=o["lr"], betas=o["betas"]),
    "adamw": lambda ps, o: torch.optim.AdamW(
        ps, lr=o["lr"], betas=o["betas"], weight_decay=o["weight_decay"]
    ),
}
RACE_OPTIONS = {
    "sgd": {"lr": 1e-3},
    "momentum": {"lr": 5e-4, "momentum": 0.9},
    "nesterov": {"lr": 5e-4, "momentum": 0.8},
    "adagrad": {"lr": 0.3},
    "rmsprop": {"lr": 0.01, "alpha": 0.9},
    "adam": {"lr": 0.05, "betas": (0.9, 0.99)},
    "adamw": {"lr": 0.05, "betas": (0.8, 0.999), "weight_decay": 0.1},
}


def torch_path(fn, start, name, options, steps):
    params = [torch.tensor([float(v)], dtype=torch.float64, requires_grad=True) for v in start]
    opt = TORCH_OPTIM[name](params, options)
    path = [[p.item() for p in params]]
    for _ in range(steps):
        opt.zero_grad()
        fn(*params).sum().backward()
        opt.step()
        path.append([p.item() for p in params])
    return np.array(path)


@pytest.mark.parametrize("name", sorted(RACE_OPTIONS))
def test_descend_matches_torch_optim_on_rosenbrock(name):
    surface = L.get_surface("rosenbrock")
    run = L.descend(surface, surface.start, name, 60, **RACE_OPTIONS[name])
    expected = torch_path(TORCH_SURFACES["rosenbrock"], surface.start, name, RACE_OPTIONS[name], 60)
    np.testing.assert_allclose(run.path, expected, rtol=1e-10, atol=1e-12)


def test_descend_takes_an_optimiser_factory():
    # the course's moving-average momentum: v <- b v + (1 - b) g; w <- w - lr v
    surface = L.get_surface("bowl")
    run = L.descend(
        surface, (1.0, 0.0), lambda ps: SGD(ps, lr=0.5, momentum=0.5, dampening=0.5), steps=2
    )
    # g0 = 2, buffer starts at g0 = 2 (torch's convention), w1 = 1 - 0.5 * 2 = 0
    # g1 = 0, v1 = 0.5 * 2 + 0.5 * 0 = 1, w2 = 0 - 0.5 * 1 = -0.5
    np.testing.assert_allclose(run.path[:, 0], [1.0, 0.0, -0.5])


def test_descend_stops_when_it_diverges():
    run = L.descend(L.get_surface("bowl"), (1.0, 1.0), "sgd", steps=500, lr=1.5, limit=1e6)
    assert run.diverged and run.steps < 500
    assert np.all(np.isfinite(run.losses)) and run.losses[-1] <= 1e6
    assert L.classify_run(run).label == "diverging"


def test_descend_many_is_separate_runs_advanced_together():
    surface = L.get_surface("himmelblau")
    options = {name: dict(o) for name, o in RACE_OPTIONS.items()}
    options["fast sgd"] = {"optimizer": "sgd", "lr": 0.05}  # diverges on Himmelblau
    many = L.descend_many(surface, surface.start, options, 80, limit=1e6)
    assert list(many) == list(options)
    for label, opts in options.items():
        opts = dict(opts)
        name = opts.pop("optimizer", label)
        one = L.descend(surface, surface.start, name, 80, limit=1e6, **opts)
        assert many[label].diverged == one.diverged, label
        np.testing.assert_allclose(many[label].path, one.path, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(many[label].losses, one.losses, rtol=1e-12, atol=1e-12)
    assert many["fast sgd"].diverged and not many["adam"].diverged


def test_momentum_map_matches_single_runs_and_the_stability_edge():
    surface = L.ravine(1.0, 10.0)
    lrs = np.array([0.005, 0.05, 0.12, 0.3])
    momenta = np.array([0.0, 0.5, 0.9])
    for nesterov in (False, True):
        steps = L.momentum_map(surface, lrs, momenta, steps=150, tol=1e-6, nesterov=nesterov)
        for i, m in enumerate(momenta):
            for j, lr in enumerate(lrs):
                kind = "nesterov" if nesterov and m > 0 else "momentum"
                run = L.descend(surface, surface.start, kind, 150, lr=lr, momentum=m)
                hit = np.flatnonzero(run.losses <= 1e-6 * run.losses[0])
                edge = 2 * (1 + m) / 20 / ((1 + 2 * m) if nesterov else 1)
                if np.isnan(steps[i, j]):
                    assert lr > edge, (nesterov, m, lr)
                elif np.isinf(steps[i, j]):
                    assert hit.size == 0
                else:
                    assert lr < edge and steps[i, j] == hit[0], (nesterov, m, lr)
    with pytest.raises(ValueError, match="every lr > 0"):
        L.momentum_map(surface, [0.0], [0.5])


@pytest.mark.parametrize(
    ("lr", "label"),
    [(0.001, "too small"), (0.3, "good"), (0.5, "good"), (0.9, "oscillating"), (1.1, "diverging")],
)
def test_classify_run_on_w_squared(lr, label):
    loss = L.get_loss_1d("square")
    run = L.descend(loss, [loss.start], "sgd", 40, lr=lr)
    assert L.classify_run(run, loss.min_value).label == label


def test_classify_run_calls_a_local_minimum_good():
    loss = L.get_loss_1d("double_well")
    run = L.descend(loss, [2.0], "sgd", 300, lr=0.02)
    assert run.path[-1, 0] == pytest.approx(1.1309, abs=1e-3)  # the right-hand valley
    verdict = L.classify_run(run, loss.min_value)
    assert verdict.label == "good" and "local minimum" in verdict.reason


def test_engine_dtype_is_untouched():
    before = dl.get_default_dtype()
    L.descend(L.get_surface("bowl"), (1.0, 1.0), steps=3, lr=0.1)
    assert dl.get_default_dtype() == before


def test_descent_and_race_steps_are_the_runs_one_lazy_step_at_a_time():
    surface = L.get_surface("himmelblau")
    calls = []

    def counted(x, y):
        calls.append(1)
        return surface(x, y)

    steps = L.descent_steps(counted, surface.start, "adam", 80, limit=1e6, lr=0.1)
    first = [next(steps) for _ in range(3)]
    assert len(calls) == 3  # each visit is computed only when asked for
    rest = list(steps)
    one = L.descend(surface, surface.start, "adam", 80, limit=1e6, lr=0.1)
    np.testing.assert_array_equal([v[0] for v in first + rest], one.path)
    np.testing.assert_array_equal([v[1] for v in first + rest], one.losses)
    np.testing.assert_array_equal([v[2] for v in first + rest], one.grads)
    options = {"adam": {"lr": 0.1}, "fast sgd": {"optimizer": "sgd", "lr": 0.05}}
    race = list(L.race_steps(surface, surface.start, options, 80, limit=1e6))
    many = L.descend_many(surface, surface.start, options, 80, limit=1e6)
    assert len(race) == 81
    for label in options:
        visits = [step[label] for step in race if label in step]
        np.testing.assert_array_equal([v[0] for v in visits], many[label].path)
    # the diverging run drops out of the steps and never comes back
    gone = min(i for i, step in enumerate(race) if "fast sgd" not in step)
    assert all("fast sgd" not in step for step in race[gone:])
    with pytest.raises(ValueError, match="Invalid start"):
        L.descent_steps(surface, (float("nan"), 0.0))  # checked at the call, not at next()
