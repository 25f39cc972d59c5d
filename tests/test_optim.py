"""descentlab.optim against torch.optim, worked examples, convergence and bookkeeping.

Every optimiser runs 60 steps on the same small MLP (4-8-8-3, tanh, cross-entropy, float64,
mini-batches) from the same weights as torch.optim; gradients come from descentlab's engine
on our side and torch's autograd on theirs, and all parameters and state buffers must agree.
"""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest
import torch

import descentlab as dl
import descentlab.functional as F
from descentlab import optim
from descentlab.optim import SGD, Adagrad, Adam, AdamW, RMSprop

SIZES = (4, 8, 8, 3)
N_STEPS = 60
RTOL = 1e-9
ATOL = 1e-12


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny tensors: torch's thread pool only adds spin-waits on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ----------------------------------------------------------------------------- the MLP
def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((64, SIZES[0]))
    y = rng.integers(0, SIZES[-1], size=64)
    return X, y


def init_weights(seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    weights = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        weights.append(rng.uniform(-1, 1, (n_out, n_in)) / np.sqrt(n_in))
        weights.append(rng.uniform(-1, 1, n_out) / np.sqrt(n_in))
    return weights


def batch(X: np.ndarray, y: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    i = (step % 4) * 16
    return X[i : i + 16], y[i : i + 16]


def dl_loss(params: list, xb: np.ndarray, yb: np.ndarray):
    h = dl.tensor(xb, dtype=np.float64)
    for k in range(0, len(params), 2):
        h = h @ params[k].T + params[k + 1]
        if k + 2 < len(params):
            h = h.tanh()
    return F.cross_entropy(h, yb)


def torch_loss(params: list, xb: np.ndarray, yb: np.ndarray):
    h = torch.from_numpy(xb)
    for k in range(0, len(params), 2):
        h = h @ params[k].T + params[k + 1]
        if k + 2 < len(params):
            h = torch.tanh(h)
    return torch.nn.functional.cross_entropy(h, torch.from_numpy(yb))


def dl_params(weights: list[np.ndarray]) -> list:
    return [dl.tensor(w.copy(), dtype=np.float64, requires_grad=True) for w in weights]


def torch_params(weights: list[np.ndarray]) -> list:
    return [torch.tensor(w.copy(), dtype=torch.float64, requires_grad=True) for w in weights]


def dl_train(opt, params, steps: range, sched=None) -> None:
    X, y = make_data()
    for t in steps:
        opt.zero_grad()
        dl_loss(params, *batch(X, y, t)).backward()
        opt.step()
        if sched is not None:
            sched.step()


def torch_train(opt, params, steps: range, sched=None) -> None:
    X, y = make_data()
    for t in steps:
        opt.zero_grad()
        torch_loss(params, *batch(X, y, t)).backward()
        opt.step()
        if sched is not None:
            sched.step()


def assert_same_params(ours: list, theirs: list, rtol: float = RTOL) -> None:
    for i, (p, q) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(
            p.data, q.detach().numpy(), rtol=rtol, atol=ATOL, err_msg=f"parameter {i}"
        )


def assert_same_state(opt, topt, ours: list, theirs: list) -> None:
    for i, (p, q) in enumerate(zip(ours, theirs)):
        mine, ref = opt.state[p], topt.state[q]
        assert set(mine) == set(ref), f"parameter {i}: buffers {sorted(mine)} != {sorted(ref)}"
        for name, value in ref.items():
            if name == "step":
                assert mine[name] == int(value.item())
            else:
                np.testing.assert_allclose(
                    mine[name], value.numpy(), rtol=RTOL, atol=ATOL, err_msg=f"{i}:{name}"
                )


# ------------------------------------------------------------ number for number vs torch
CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("SGD", {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01, "betas": (0.8, 0.99), "maximize": True}),
]


@pytest.mark.parametrize(
    "name, kwargs", CASES, ids=[f"{n}-{'-'.join(map(str, k))}" for n, k in CASES]
)
def test_matches_torch(name: str, kwargs: dict) -> None:
    weights = init_weights()
    ours, theirs = dl_params(weights), torch_params(weights)
    opt = getattr(optim, name)(ours, **kwargs)
    topt = getattr(torch.optim, name)(theirs, **kwargs)
    dl_train(opt, ours, range(N_STEPS))
    torch_train(topt, theirs, range(N_STEPS))
    # The run must have moved the weights, or the comparison proves nothing.
    assert max(np.abs(p.data - w).max() for p, w in zip(ours, weights)) > 1e-2
    assert_same_params(ours, theirs)
    assert_same_state(opt, topt, ours, theirs)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_param_groups_with_their_own_options(name: str) -> None:
    weights = init_weights()
    ours, theirs = dl_params(weights), torch_params(weights)
    extra = {"SGD": {"momentum": 0.9}, "RMSprop": {"momentum": 0.5}}.get(name, {})

    def groups(ps: list) -> list[dict]:
        return [
            {"params": ps[:2], "lr": 0.03},
            {"params": ps[2:4]},
            {"params": ps[4:], "lr": 0.001, "weight_decay": 0.1},
        ]

    opt = getattr(optim, name)(groups(ours), lr=0.01, **extra)
    topt = getattr(torch.optim, name)(groups(theirs), lr=0.01, **extra)
    assert [g["lr"] for g in opt.param_groups] == [0.03, 0.01, 0.001]
    dl_train(opt, ours, range(N_STEPS))
    torch_train(topt, theirs, range(N_STEPS))
    assert_same_params(ours, theirs)


def test_frozen_parameter_is_skipped_as_in_torch() -> None:
    """A parameter whose grad is None is left alone and gets no state."""
    weights = init_weights()
    ours, theirs = dl_params(weights), torch_params(weights)
    opt = Adam(ours, lr=0.01)
    topt = torch.optim.Adam(theirs, lr=0.01)
    X, y = make_data()
    for t in range(20):
        opt.zero_grad()
        topt.zero_grad()
        dl_loss(ours, *batch(X, y, t)).backward()
        torch_loss(theirs, *batch(X, y, t)).backward()
        ours[0].grad = None
        theirs[0].grad = None
        opt.step()
        topt.step()
    np.testing.assert_array_equal(ours[0].data, weights[0])
    assert ours[0] not in opt.state and len(opt.state) == len(ours) - 1
    assert_same_params(ours, theirs)


def test_add_param_group_mid_training_matches_torch() -> None:
    weights = init_weights()
    ours, theirs = dl_params(weights), torch_params(weights)
    opt = SGD(ours[:4], lr=0.05, momentum=0.9)
    topt = torch.optim.SGD(theirs[:4], lr=0.05, momentum=0.9)
    dl_train(opt, ours, range(10))
    torch_train(topt, theirs, range(10))
    opt.add_param_group({"params": ours[4:], "lr": 0.2, "nesterov": True, "momentum": 0.5})
    topt.add_param_group({"params": theirs[4:], "lr": 0.2, "nesterov": True, "momentum": 0.5})
    dl_train(opt, ours, range(10, 40))
    torch_train(topt, theirs, range(10, 40))
    assert_same_params(ours, theirs)


# ------------------------------------------------------------------------- state dicts
@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
        lambda ps: Adagrad(ps, lr=0.1, lr_decay=0.01),
        lambda ps: RMSprop(ps, lr=0.01, centered=True, momentum=0.9),
        lambda ps: Adam(ps, lr=0.01, amsgrad=True),
        lambda ps: AdamW([{"params": ps[:3], "lr": 0.02}, {"params": ps[3:]}], lr=0.01),
    ],
    ids=["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"],
)
def test_state_dict_round_trip_continues_identically(make) -> None:
    weights = init_weights()
    straight = dl_params(weights)
    opt = make(straight)
    dl_train(opt, straight, range(60))

    first = dl_params(weights)
    opt1 = make(first)
    dl_train(opt1, first, range(25))
    saved = opt1.state_dict()
    # The state dict is plain data: integer keys, ndarray buffers, int steps; a copy.
    assert sorted(saved["state"]) == list(range(len(first)))
    assert saved["param_groups"][-1]["params"][-1] == len(first) - 1
    for buffers in saved["state"].values():
        for name, value in buffers.items():
            assert isinstance(value, int) if name == "step" else isinstance(value, np.ndarray)
    json.dumps(saved["param_groups"])  # options are JSON-friendly (for checkpoints)

    resumed = [
        dl.tensor(p.data.numpy().copy(), dtype=np.float64, requires_grad=True) for p in first
    ]
    dl_train(opt1, first, range(25, 30))  # must not leak into `saved`
    # As a checkpoint hands it back: options through JSON, string keys, 0-d array steps.
    restored = {
        "param_groups": json.loads(json.dumps(saved["param_groups"])),
        "state": {
            str(i): {k: np.asarray(v) for k, v in buffers.items()}
            for i, buffers in saved["state"].items()
        },
    }
    opt2 = make(resumed)
    opt2.load_state_dict(restored)
    dl_train(opt2, resumed, range(25, 60))
    for p, q in zip(straight, resumed):
        np.testing.assert_array_equal(p.data, q.data)


ADAM_FLAT_CASES = [
    {"lr": 0.01},
    {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1},
    {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
]


@pytest.mark.parametrize("kwargs", ADAM_FLAT_CASES, ids=["plain", "amsgrad", "adamw-max"])
def test_adam_over_flat_buffers_is_adam_one_parameter_at_a_time(kwargs) -> None:
    """A group of several parameters is updated over flat buffers; a group of one parameter
    goes through the per-parameter update: the numbers must be the same, bit for bit, and the
    state must hold arrays of each parameter's shape that the next steps keep updating."""
    weights = init_weights()
    together, apart = dl_params(weights), dl_params(weights)
    opt = Adam(together, **kwargs)
    ref = Adam([{"params": [p]} for p in apart], **kwargs)
    dl_train(opt, together, range(3))
    held = opt.state[together[0]]["exp_avg"]  # a view of the flat buffer, kept by the user
    before = held.copy()
    dl_train(opt, together, range(3, 20))
    dl_train(ref, apart, range(20))
    assert not np.array_equal(held, before) and held is opt.state[together[0]]["exp_avg"]
    for p, q in zip(together, apart):
        np.testing.assert_array_equal(p.data, q.data)
        for name, value in ref.state[q].items():
            mine = opt.state[p][name]
            assert np.shape(mine) == np.shape(value), name
            np.testing.assert_array_equal(mine, value, err_msg=name)


def test_adam_honours_state_replaced_by_hand_and_skipped_parameters() -> None:
    weights = init_weights()
    together, apart = dl_params(weights), dl_params(weights)
    opt, ref = Adam(together, lr=0.01), Adam([{"params": [p]} for p in apart], lr=0.01)
    X, y = make_data()
    for t in range(12):
        for o, params in ((opt, together), (ref, apart)):
            o.zero_grad()
            dl_loss(params, *batch(X, y, t)).backward()
            if t in (6, 7):
                params[1].grad = None  # this parameter falls one step behind the others
            if t == 2:  # a buffer replaced by hand is the one the next step reads
                o.state[params[2]]["exp_avg"] = np.full_like(params[2].data.numpy(), 0.5)
            o.step()
    assert opt.state[together[1]]["step"] == 10 and opt.state[together[0]]["step"] == 12
    for p, q in zip(together, apart):
        np.testing.assert_array_equal(p.data, q.data)
        for name in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_array_equal(opt.state[p][name], ref.state[q][name])


def test_load_state_dict_restores_options_and_casts_buffers() -> None:
    p64 = dl.tensor(np.ones(3), dtype=np.float64, requires_grad=True)
    p64.grad = dl.tensor([1.0, 2.0, 3.0], dtype=np.float64)
    opt = SGD([p64], lr=0.5, momentum=0.9)
    opt.step()
    saved = opt.state_dict()
    p32 = dl.tensor(np.ones(3), dtype=np.float32, requires_grad=True)
    opt32 = SGD([p32], lr=0.1)
    opt32.load_state_dict(saved)
    assert opt32.param_groups[0]["lr"] == 0.5 and opt32.param_groups[0]["momentum"] == 0.9
    assert opt32.param_groups[0]["params"][0] is p32
    assert opt32.state[p32]["momentum_buffer"].dtype == np.float32


def test_load_state_dict_refuses_mismatches() -> None:
    ps = dl_params(init_weights())
    saved = SGD(ps, lr=0.1).state_dict()
    with pytest.raises(
        ValueError,
        match=r"^state_dict: expected 2 parameter groups \(this optimiser's\), got 1 groups$",
    ):
        SGD([{"params": ps[:2]}, {"params": ps[2:]}], lr=0.1).load_state_dict(saved)
    with pytest.raises(
        ValueError,
        match=r"^state_dict group 0: expected 3 parameters \(this optimiser's group 0\), "
        r"got 6 parameters$",
    ):
        SGD(ps[:3], lr=0.1).load_state_dict(saved)
    opt = SGD(ps, lr=0.1, momentum=0.9)
    for p in ps:
        p.grad = dl.ones_like(p)
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["momentum_buffer"] = np.zeros(5)
    with pytest.raises(
        ValueError,
        match=r"^state_dict state of parameter 0 \('momentum_buffer'\): expected the parameter's "
        r"shape \(8, 4\), got shape \(5,\)$",
    ):
        SGD(ps, lr=0.1, momentum=0.9).load_state_dict(saved)


# ------------------------------------------------------------- updates in place, grads read only
ALL_SETTINGS = [
    (SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    (SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "maximize": True}),
    (SGD, {"lr": 0.1}),
    (Adagrad, {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
    (RMSprop, {"lr": 0.1, "centered": True, "momentum": 0.9, "weight_decay": 0.1}),
    (RMSprop, {"lr": 0.1, "maximize": True}),
    (Adam, {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    (AdamW, {"lr": 0.1}),
]


@pytest.mark.parametrize("cls, kwargs", ALL_SETTINGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_step_updates_data_in_place_and_never_writes_grad(cls, kwargs, dtype) -> None:
    rng = np.random.default_rng(3)
    a = dl.tensor(rng.standard_normal((3, 4)), dtype=dtype, requires_grad=True)
    b = dl.tensor(rng.standard_normal((3, 4)), dtype=dtype, requires_grad=True)
    shared = rng.standard_normal((3, 4)).astype(dtype)
    a.grad = dl.from_numpy(shared)
    b.grad = dl.from_numpy(shared)  # aliased: an in-place write to one grad would corrupt the other
    before = shared.copy()
    data_a, view_a, start_a = a.data, a.data[0], a.data.numpy().copy()
    opt = cls([a, b], **kwargs)
    for _ in range(3):
        opt.step()
    np.testing.assert_array_equal(shared, before)
    assert a.numpy(force=True) is data_a.numpy() and a.data.dtype == dtype
    assert not np.array_equal(view_a, start_a[0])  # a view of the data sees the update
    for buffers in opt.state.values():
        for name, value in buffers.items():
            if name != "step":
                assert value.dtype == dtype, name


def test_zero_grad() -> None:
    ps = dl_params(init_weights())
    opt = SGD(ps, lr=0.1)
    for p in ps:
        p.grad = dl.ones_like(p)
    old = ps[0].grad
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in ps)
    assert old.all(), "zeros are a new array: an aliased grad is not cleared in place"
    opt.zero_grad()
    assert all(p.grad is None for p in ps)


def test_step_returns_the_closure_loss() -> None:
    w = dl.tensor([3.0], dtype=np.float64, requires_grad=True)
    opt = SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with dl.no_grad():  # the closure still records its graph
        loss = opt.step(closure)
    assert loss.item() == 9.0
    assert w.data[0] == 3.0 - 0.25 * 6.0


# ---------------------------------------------------------------- the course's two forms
def _quadratic_grad(w: np.ndarray) -> np.ndarray:
    """Gradient of f(x, y) = x^2 + 10 y^2, the course's elongated valley."""
    return np.array([2.0, 20.0]) * w


def test_heavy_ball_is_sgd_momentum() -> None:
    """v <- beta*v - lr*g; w <- w + v (v_0 = 0) is SGD(momentum=beta), step for step."""
    beta, lr = 0.9, 0.02
    w_course, v = np.array([-4.0, 2.0]), np.zeros(2)
    p = dl.tensor([-4.0, 2.0], dtype=np.float64, requires_grad=True)
    opt = SGD([p], lr=lr, momentum=beta)
    for _ in range(60):
        v = beta * v - lr * _quadratic_grad(w_course)
        w_course = w_course + v
        p.grad = dl.from_numpy(_quadratic_grad(p.data.numpy()))
        opt.step()
        np.testing.assert_allclose(p.data, w_course, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(-lr * opt.state[p]["momentum_buffer"], v, rtol=1e-12)
    assert np.abs(w_course).max() < 0.5  # it converged: the test compared a real trajectory


def test_moving_average_momentum_is_sgd_with_dampening() -> None:
    """v <- beta*v + (1-beta)*g; w <- w - lr*v is SGD(momentum=beta, dampening=beta).

    From v_0 = 0 (the course) it needs a zero buffer before the first step; SGD's default
    buffer starts at the first gradient instead, which changes the first step only.
    """
    beta, lr = 0.9, 0.05
    w_course, v = np.array([-4.0, 2.0]), np.zeros(2)
    p = dl.tensor([-4.0, 2.0], dtype=np.float64, requires_grad=True)
    opt = SGD([p], lr=lr, momentum=beta, dampening=beta)
    opt.state[p]["momentum_buffer"] = np.zeros_like(p.data.numpy())
    for _ in range(60):
        v = beta * v + (1 - beta) * _quadratic_grad(w_course)
        w_course = w_course - lr * v
        p.grad = dl.from_numpy(_quadratic_grad(p.data.numpy()))
        opt.step()
        np.testing.assert_allclose(p.data, w_course, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(opt.state[p]["momentum_buffer"], v, rtol=1e-12)
    assert np.abs(w_course).max() < 0.5

    # Default start: the buffer is g_1 (not (1-beta)*g_1); afterwards the same recursion.
    q = dl.tensor([-4.0, 2.0], dtype=np.float64, requires_grad=True)
    opt = SGD([q], lr=lr, momentum=beta, dampening=beta)
    w, v = np.array([-4.0, 2.0]), _quadratic_grad(np.array([-4.0, 2.0]))
    w = w - lr * v
    q.grad = dl.from_numpy(_quadratic_grad(q.data.numpy()))
    opt.step()
    np.testing.assert_allclose(q.data, w, rtol=1e-12)
    for _ in range(30):
        v = beta * v + (1 - beta) * _quadratic_grad(w)
        w = w - lr * v
        q.grad = dl.from_numpy(_quadratic_grad(q.data.numpy()))
        opt.step()
    np.testing.assert_allclose(q.data, w, rtol=1e-12, atol=1e-14)


def test_one_sgd_momentum_step_by_hand() -> None:
    # w = [1, -2], L = sum(w^2), so g = 2w. lr = 0.1, momentum = 0.9, weight_decay = 0.5.
    # step 1: d = g + 0.5 w = [2.5, -5.0];  b = d = [2.5, -5.0]
    #         w = w - 0.1 b = [1 - 0.25, -2 + 0.5] = [0.75, -1.5]
    # step 2: d = 2w + 0.5w = 2.5w = [1.875, -3.75]
    #         b = 0.9 b + d = [2.25 + 1.875, -4.5 - 3.75] = [4.125, -8.25]
    #         w = w - 0.1 b = [0.75 - 0.4125, -1.5 + 0.825] = [0.3375, -0.675]
    w = dl.tensor([1.0, -2.0], dtype=np.float64, requires_grad=True)
    opt = SGD([w], lr=0.1, momentum=0.9, weight_decay=0.5)
    for expected in ([0.75, -1.5], [0.3375, -0.675]):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
        np.testing.assert_allclose(w.data, expected, rtol=1e-15)
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], [4.125, -8.25], rtol=1e-15)


# ---------------------------------------------------------------------------- convergence
def _minimise(opt_factory, loss_fn, start: list[float], steps: int) -> np.ndarray:
    w = dl.tensor(start, dtype=np.float64, requires_grad=True)
    opt = opt_factory([w])
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(w).backward()
        opt.step()
    return w.data


def _parabola(w):
    # f(x, y) = (x - 1)^2 + 10 (y + 2)^2, minimum 0 at (1, -2)
    return ((w - dl.tensor([1.0, -2.0], dtype=np.float64)) ** 2 * np.array([1.0, 10.0])).sum()


@pytest.mark.parametrize(
    "factory, steps",
    [
        (lambda ps: SGD(ps, lr=0.04), 300),
        (lambda ps: SGD(ps, lr=0.02, momentum=0.9), 300),
        (lambda ps: SGD(ps, lr=0.02, momentum=0.9, nesterov=True), 300),
        (lambda ps: Adagrad(ps, lr=1.0), 300),
        (lambda ps: RMSprop(ps, lr=0.01), 800),
        (lambda ps: Adam(ps, lr=0.1), 500),
        (lambda ps: AdamW(ps, lr=0.1, weight_decay=0.0), 500),
    ],
    ids=["SGD", "SGD-momentum", "SGD-nesterov", "Adagrad", "RMSprop", "Adam", "AdamW"],
)
def test_minimises_a_parabola(factory, steps: int) -> None:
    w = _minimise(factory, _parabola, [-3.0, 2.0], steps)
    np.testing.assert_allclose(w, [1.0, -2.0], atol=1e-2)


def test_adam_minimises_rosenbrock() -> None:
    # f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1), from (-1.5, 2)
    def rosenbrock(w):
        x, y = w[0], w[1]
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    w = _minimise(lambda ps: Adam(ps, lr=0.02), rosenbrock, [-1.5, 2.0], 3000)
    np.testing.assert_allclose(w, [1.0, 1.0], atol=1e-2)


# ------------------------------------------------------------------------------- errors
# One message shape (the argument, what is allowed, what was got), pinned in full.
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda ps: SGD(ps, lr=-0.1), "lr: expected a number >= 0, got -0.1"),
        (lambda ps: SGD(ps, momentum=-0.5), "momentum: expected a number >= 0, got -0.5"),
        (lambda ps: SGD(ps, weight_decay=-1.0), "weight_decay: expected a number >= 0, got -1.0"),
        (lambda ps: SGD(ps, dampening="x"), "dampening: expected a number, got 'x'"),
        (
            lambda ps: SGD(ps, momentum=0.9, dampening=0.1, nesterov=True),
            "nesterov: expected False, or True with momentum > 0 and dampening = 0, got True "
            "with momentum=0.9, dampening=0.1",
        ),
        (
            lambda ps: SGD(ps, nesterov=True),
            "nesterov: expected False, or True with momentum > 0 and dampening = 0, got True "
            "with momentum=0.0, dampening=0.0",
        ),
        (lambda ps: SGD(ps, maximize=1), "maximize: expected True or False, got 1"),
        (
            lambda ps: Adam(ps, betas=(1.0, 0.999)),
            "betas: expected two numbers in [0, 1), (beta1, beta2), got (1.0, 0.999)",
        ),
        (
            lambda ps: AdamW(ps, betas=(0.9, -0.1)),
            "betas: expected two numbers in [0, 1), (beta1, beta2), got (0.9, -0.1)",
        ),
        (
            lambda ps: Adam(ps, betas=(0.9,)),
            "betas: expected two numbers in [0, 1), (beta1, beta2), got (0.9)",
        ),
        (lambda ps: Adam(ps, eps=-1e-8), "eps: expected a number >= 0, got -1e-08"),
        (lambda ps: Adam(ps, lr=float("nan")), "lr: expected a number >= 0, got nan"),
        (lambda ps: Adam(ps, amsgrad=None), "amsgrad: expected True or False, got None"),
        (lambda ps: Adagrad(ps, lr_decay=-1), "lr_decay: expected a number >= 0, got -1"),
        (
            lambda ps: Adagrad(ps, initial_accumulator_value=-1),
            "initial_accumulator_value: expected a number >= 0, got -1",
        ),
        (lambda ps: RMSprop(ps, alpha=-0.1), "alpha: expected a number >= 0, got -0.1"),
        (lambda ps: RMSprop(ps, centered="yes"), "centered: expected True or False, got 'yes'"),
        (
            lambda ps: SGD([{"params": ps[:2], "lr": -1.0}]),
            "lr: expected a number >= 0, got -1.0",
        ),
        (lambda ps: SGD([]), "params: expected at least one Tensor, got an empty list"),
        (
            lambda ps: SGD([ps[0], ps[0]]),
            "params: expected each Tensor once, got a group with duplicates",
        ),
        (
            lambda ps: SGD([{"params": ps[:2]}, {"params": ps[1:]}]),
            "params: expected each Tensor in one group, got a Tensor already in another group",
        ),
        (
            lambda ps: SGD([ps[0] * 2], lr=0.1),
            "params: expected leaf Tensors, got a Tensor computed from others (a non-leaf)",
        ),
        (
            lambda ps: SGD([{"lr": 0.1}]),
            "param_group: expected a dict with a 'params' entry, got keys ['lr']",
        ),
    ],
)
def test_invalid_arguments_raise_value_error(make, message: str) -> None:
    ps = dl_params(init_weights())
    with pytest.raises(ValueError) as info:
        make(ps)
    assert str(info.value) == message


def test_invalid_params_raise_type_error() -> None:
    ps = dl_params(init_weights())
    cases = [
        (
            lambda: SGD(ps[0], lr=0.1),
            "params: expected an iterable of Tensors or of dicts, got Tensor",
        ),
        (
            lambda: SGD([{"params": set(ps)}], lr=0.1),
            "params: expected an ordered collection (a set changes order between runs), got a set",
        ),
        (lambda: SGD([np.ones(3)], lr=0.1), "params: expected Tensors, got ndarray"),
        (
            lambda: SGD([dl.tensor(np.arange(3))], lr=0.1),
            "params: expected floating-point Tensors, got a Tensor of int64",
        ),
        (lambda: SGD(ps).add_param_group([ps[0]]), "param_group: expected a dict, got list"),
    ]
    for make, message in cases:
        with pytest.raises(TypeError) as info:
            make()
        assert str(info.value) == message


def test_repr_lists_the_groups() -> None:
    ps = dl_params(init_weights())
    text = repr(SGD([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.5}], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "Parameter Group 1" in text and "lr: 0.5" in text


def test_docstring_examples_run() -> None:
    import descentlab.errors as errors
    import descentlab.optim.lr_scheduler as lr_scheduler
    import descentlab.optim.monitor as monitor
    import descentlab.optim.schedules as schedules
    import descentlab.optim.sgd as sgd

    for module in (sgd, lr_scheduler, optim, schedules, monitor, errors):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0 and result.attempted > 0, module.__name__


@pytest.mark.parametrize(
    "name, options",
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9}),
        ("Adagrad", {"lr": 0.1}),
        ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
        ("Adam", {"lr": 0.1, "amsgrad": True}),
        ("AdamW", {"lr": 0.1}),
    ],
)
def test_zero_dimensional_parameters_match_torch(name, options):
    ours = dl.tensor(1.5, requires_grad=True, dtype=np.float64)
    theirs = torch.tensor(1.5, requires_grad=True, dtype=torch.float64)
    opt_ours = getattr(optim, name)([ours], **options)
    opt_theirs = getattr(torch.optim, name)([theirs], **options)
    for _ in range(5):
        for p, o in ((ours, opt_ours), (theirs, opt_theirs)):
            o.zero_grad()
            (p * p * p).backward()
            o.step()
    assert isinstance(ours.data.numpy(), np.ndarray) and ours.shape == ()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10)
