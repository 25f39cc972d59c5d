"""descentlab.optim.lr_scheduler against torch.optim.lr_scheduler, step for step.

Each case builds the same scheduler on a descentlab optimiser and on a torch optimiser, both
with two parameter groups of different lr, steps both 80 times and compares the lr (and the
momentum or beta1, where a scheduler cycles it) of every group after every step, to 1e-10
(torch computes most schedules recursively, descentlab as functions of the step).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as tsched

import descentlab as dl
from descentlab import optim
from descentlab.optim import lr_scheduler as sched

N_STEPS = 80
RTOL = 1e-10


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny tensors: torch's thread pool only adds spin-waits on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def dl_optimizer(name: str = "SGD", **kwargs):
    groups = [
        {"params": [dl.tensor(np.ones(2), dtype=np.float64, requires_grad=True)]},
        {"params": [dl.tensor(np.ones(3), dtype=np.float64, requires_grad=True)], "lr": 0.03},
    ]
    return getattr(optim, name)(groups, lr=0.1, **kwargs)


def torch_optimizer(name: str = "SGD", **kwargs):
    groups = [
        {"params": [torch.ones(2, dtype=torch.float64, requires_grad=True)]},
        {"params": [torch.ones(3, dtype=torch.float64, requires_grad=True)], "lr": 0.03},
    ]
    return getattr(torch.optim, name)(groups, lr=0.1, **kwargs)


def _momenta(opt) -> list[float]:
    return [g["betas"][0] if "betas" in g else g.get("momentum", 0.0) for g in opt.param_groups]


def run(opt, scheduler, steps: int, metrics=None) -> list[tuple[list[float], list[float]]]:
    """(lrs, momenta) of every group: after construction, then after each step."""
    trace = [([g["lr"] for g in opt.param_groups], _momenta(opt))]
    for t in range(steps):
        opt.step()  # no gradients: a no-op that keeps torch's call-order check quiet
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[t])
        trace.append(([g["lr"] for g in opt.param_groups], _momenta(opt)))
    return trace


def assert_same_trace(ours, theirs) -> None:
    assert len(ours) == len(theirs)
    for t, ((lr, mom), (tlr, tmom)) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(lr, tlr, rtol=RTOL, atol=0, err_msg=f"lr after step {t}")
        np.testing.assert_allclose(mom, tmom, rtol=RTOL, atol=0, err_msg=f"momentum, step {t}")


def _lambda_lrs(optimizer):
    return [lambda t: 0.95**t, lambda t: 1.0 / (1 + t // 7)]


def _warmup_cosine(mod, optimizer):
    warmup = mod.LinearLR(optimizer, start_factor=0.1, total_iters=10)
    cosine = mod.CosineAnnealingLR(optimizer, T_max=70, eta_min=1e-4)
    return mod.SequentialLR(optimizer, [warmup, cosine], milestones=[10])


def _three_stage(mod, optimizer):
    schedulers = [
        mod.LambdaLR(optimizer, lambda t: 0.5 if t < 5 else 1.0),
        mod.ExponentialLR(optimizer, gamma=0.9),
        mod.StepLR(optimizer, step_size=7, gamma=0.5),
    ]
    return mod.SequentialLR(optimizer, schedulers, milestones=[20, 45])


# (optimizer name, optimizer kwargs, function (module, optimizer) -> scheduler)
CASES = {
    "StepLR": ("SGD", {}, lambda m, o: m.StepLR(o, step_size=10)),
    "StepLR-gamma": ("SGD", {}, lambda m, o: m.StepLR(o, step_size=3, gamma=0.8)),
    "MultiStepLR": ("SGD", {}, lambda m, o: m.MultiStepLR(o, milestones=[5, 20, 20, 61])),
    "ExponentialLR": ("SGD", {}, lambda m, o: m.ExponentialLR(o, gamma=0.93)),
    "CosineAnnealingLR": ("SGD", {}, lambda m, o: m.CosineAnnealingLR(o, T_max=N_STEPS)),
    # T_max < steps: past the minimum the lr rises again (torch's special branch).
    "CosineAnnealingLR-past-T_max": (
        "Adam",
        {},
        lambda m, o: m.CosineAnnealingLR(o, T_max=25, eta_min=0.001),
    ),
    "LinearLR-warmup": (
        "SGD",
        {},
        lambda m, o: m.LinearLR(o, start_factor=0.05, total_iters=30),
    ),
    "LinearLR-decay": (
        "SGD",
        {},
        lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=50),
    ),
    "LambdaLR": ("SGD", {}, lambda m, o: m.LambdaLR(o, lr_lambda=_lambda_lrs(o))),
    "SequentialLR-warmup-cosine": ("AdamW", {}, _warmup_cosine),
    "SequentialLR-three-stages": ("SGD", {}, _three_stage),
    "OneCycleLR-SGD": (
        "SGD",
        {"momentum": 0.9},
        lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.2], total_steps=N_STEPS),
    ),
    "OneCycleLR-linear-epochs": (
        "SGD",
        {"momentum": 0.9, "nesterov": True},
        lambda m, o: m.OneCycleLR(
            o,
            max_lr=0.5,
            epochs=8,
            steps_per_epoch=10,
            pct_start=0.25,
            anneal_strategy="linear",
            base_momentum=0.8,
            max_momentum=[0.9, 0.99],
            div_factor=10.0,
            final_div_factor=100.0,
        ),
    ),
    "OneCycleLR-three-phase-Adam": (
        "Adam",
        {},
        lambda m, o: m.OneCycleLR(o, max_lr=0.01, total_steps=N_STEPS, three_phase=True),
    ),
    "OneCycleLR-RMSprop-no-momentum-cycle": (
        "RMSprop",
        {},
        lambda m, o: m.OneCycleLR(o, max_lr=0.05, total_steps=N_STEPS + 5, cycle_momentum=False),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_lr_sequence_matches_torch(case: str) -> None:
    opt_name, opt_kwargs, make = CASES[case]
    opt, topt = dl_optimizer(opt_name, **opt_kwargs), torch_optimizer(opt_name, **opt_kwargs)
    ours = run(opt, make(sched, opt), N_STEPS)
    theirs = run(topt, make(tsched, topt), N_STEPS)
    assert len({tuple(lrs) for lrs, _ in theirs}) > 3  # the schedule really moved
    assert_same_trace(ours, theirs)
    assert [g["initial_lr"] for g in opt.param_groups] == [
        g["initial_lr"] for g in topt.param_groups
    ]


METRICS = [
    1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.79, 0.79, 0.79,
    0.79, 0.7999, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6,
] * 4  # fmt: skip

PLATEAU_CASES = {
    "min-rel": {"patience": 2},
    "min-rel-no-threshold": {"patience": 1, "threshold": 0.0},
    "min-abs-cooldown": {"patience": 1, "threshold": 0.05, "threshold_mode": "abs", "cooldown": 2},
    "max-rel": {"mode": "max", "patience": 0, "factor": 0.5},
    "max-abs-min_lr": {
        "mode": "max",
        "patience": 1,
        "threshold_mode": "abs",
        "factor": 0.3,
        "min_lr": [0.01, 0.02],
    },
    "min_lr-scalar-eps": {"patience": 0, "factor": 0.5, "min_lr": 0.002, "eps": 1e-3},
}


@pytest.mark.parametrize("case", list(PLATEAU_CASES))
def test_reduce_lr_on_plateau_matches_torch(case: str) -> None:
    kwargs = PLATEAU_CASES[case]
    opt, topt = dl_optimizer(momentum=0.5), torch_optimizer(momentum=0.5)
    metrics = [-m for m in METRICS] if kwargs.get("mode") == "max" else METRICS
    ours_s = sched.ReduceLROnPlateau(opt, **kwargs)
    theirs_s = tsched.ReduceLROnPlateau(topt, **kwargs)
    ours = run(opt, ours_s, len(metrics), metrics)
    theirs = run(topt, theirs_s, len(metrics), metrics)
    assert len({tuple(lrs) for lrs, _ in theirs}) > 2
    assert_same_trace(ours, theirs)
    assert ours_s.get_last_lr() == theirs_s.get_last_lr()
    assert ours_s.num_bad_epochs == theirs_s.num_bad_epochs and ours_s.best == theirs_s.best


def test_plateau_accepts_a_scalar_tensor_metric() -> None:
    opt = dl_optimizer()
    plateau = sched.ReduceLROnPlateau(opt, patience=0)
    plateau.step(dl.tensor(1.0))
    plateau.step(np.float64(2.0))
    assert plateau.get_last_lr() == pytest.approx([0.01, 0.003])


# ------------------------------------------------------------------------- state dicts
@pytest.mark.parametrize(
    "case",
    ["StepLR", "MultiStepLR", "CosineAnnealingLR-past-T_max", "SequentialLR-warmup-cosine"]
    + ["OneCycleLR-three-phase-Adam", "LambdaLR"],
)
def test_state_dict_round_trip_continues_identically(case: str) -> None:
    opt_name, opt_kwargs, make = CASES[case]
    opt = dl_optimizer(opt_name, **opt_kwargs)
    straight = run(opt, make(sched, opt), N_STEPS)

    opt1 = dl_optimizer(opt_name, **opt_kwargs)
    first = make(sched, opt1)
    head = run(opt1, first, 33)
    saved_opt, saved_sched = opt1.state_dict(), first.state_dict()
    run(opt1, first, 5)  # must not leak into the saved state

    opt2 = dl_optimizer(opt_name, **opt_kwargs)
    second = make(sched, opt2)
    opt2.load_state_dict(saved_opt)
    second.load_state_dict(json.loads(json.dumps(saved_sched)))  # checkpoints store JSON
    assert [g["lr"] for g in opt2.param_groups] == head[-1][0]  # the lr of the saved step
    tail = run(opt2, second, N_STEPS - 33)
    assert head + tail[1:] == straight


def test_plateau_state_dict_round_trip() -> None:
    opt = dl_optimizer()
    plateau = sched.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    run(opt, plateau, 12, METRICS)
    saved = json.loads(json.dumps(plateau.state_dict()))
    other = sched.ReduceLROnPlateau(dl_optimizer(), patience=5)
    other.load_state_dict(saved)
    assert (other.best, other.num_bad_epochs, other.patience) == (0.79, plateau.num_bad_epochs, 1)


@pytest.mark.parametrize(
    "make",
    [
        lambda m, o, last: m.CosineAnnealingLR(o, T_max=40, last_epoch=last),
        lambda m, o, last: m.LinearLR(o, start_factor=0.1, total_iters=20, last_epoch=last),
        lambda m, o, last: m.ExponentialLR(o, gamma=0.9, last_epoch=last),
        lambda m, o, last: m.StepLR(o, step_size=4, last_epoch=last),
    ],
    ids=["CosineAnnealingLR", "LinearLR", "ExponentialLR", "StepLR"],
)
def test_resuming_with_last_epoch_continues_the_schedule(make) -> None:
    """Nine steps, the optimiser's state dict into a new optimiser, a scheduler built there
    with last_epoch=9: it goes on exactly as torch's uninterrupted run. (torch's own resumed
    scheduler repeats the lr of step 9 at step 10, then builds on it recursively.)"""
    topt = torch_optimizer()
    straight = run(topt, make(tsched, topt, -1), 40)
    first = dl_optimizer()
    head = run(first, make(sched, first, -1), 9)
    second = dl_optimizer()
    second.load_state_dict(first.state_dict())
    resumed = run(second, make(sched, second, 9), 30)
    assert_same_trace(head + resumed, straight)


# ------------------------------------------------------------------ schedule + optimiser
def test_training_with_onecycle_matches_torch() -> None:
    """A scheduler drives the optimiser's lr and momentum: whole runs agree with torch."""
    rng = np.random.default_rng(0)
    X, y, w0 = rng.standard_normal((32, 3)), rng.standard_normal(32), rng.standard_normal(3)
    Xd, yd = dl.tensor(X, dtype=np.float64), dl.tensor(y, dtype=np.float64)
    w = dl.tensor(w0, dtype=np.float64, requires_grad=True)
    tw = torch.tensor(w0, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    topt = torch.optim.SGD([tw], lr=0.1, momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=0.05, total_steps=60)
    ts = tsched.OneCycleLR(topt, max_lr=0.05, total_steps=60)
    for _ in range(60):
        opt.zero_grad()
        ((Xd @ w - yd) ** 2).mean().backward()
        opt.step()
        s.step()
        topt.zero_grad()
        ((torch.from_numpy(X) @ tw - torch.from_numpy(y)) ** 2).mean().backward()
        topt.step()
        ts.step()
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-10)


# ------------------------------------------------------------------------------- errors
def test_invalid_arguments() -> None:
    """One message shape: the argument, what is allowed, what was got."""
    opt = dl_optimizer()
    cases = [
        (lambda: sched.StepLR(opt, step_size=0), "step_size: expected a positive integer, got 0"),
        (
            lambda: sched.LinearLR(opt, start_factor=0.0),
            "start_factor: expected a number in (0, 1], got 0.0",
        ),
        (
            lambda: sched.LinearLR(opt, end_factor=1.5),
            "end_factor: expected a number in [0, 1], got 1.5",
        ),
        (
            lambda: sched.ReduceLROnPlateau(opt, factor=1.0),
            "factor: expected a number < 1, got 1.0",
        ),
        (
            lambda: sched.ReduceLROnPlateau(opt, mode="mean"),
            "mode: expected 'min' or 'max', got 'mean'",
        ),
        (
            lambda: sched.ReduceLROnPlateau(opt, min_lr=[0, 0, 0]),
            "min_lr: expected one value, or 2 (one per parameter group), got 3 values",
        ),
        (
            lambda: sched.LambdaLR(opt, [lambda t: 1.0]),
            "lr_lambda: expected one value, or 2 (one per parameter group), got 1 values",
        ),
        (
            lambda: sched.OneCycleLR(opt, max_lr=0.1),
            "total_steps: expected a positive integer, or epochs and steps_per_epoch, got neither",
        ),
        (
            lambda: sched.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=1),
            "pct_start: expected a float in [0, 1], got 1",
        ),
        (
            lambda: sched.OneCycleLR(opt, max_lr=[0.1], total_steps=10),
            "max_lr: expected one value, or 2 (one per parameter group), got 1 values",
        ),
        (
            lambda: sched.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="exp"),
            "anneal_strategy: expected 'cos' or 'linear', got 'exp'",
        ),
        (
            lambda: sched.OneCycleLR(dl_optimizer("Adagrad"), max_lr=0.1, total_steps=10),
            "cycle_momentum: expected an optimizer with momentum or betas, or "
            "cycle_momentum=False, got Adagrad",
        ),
        (
            lambda: sched.SequentialLR(opt, [sched.StepLR(opt, 2)], milestones=[3]),
            "milestones: expected 0 (one fewer than the schedulers), got 1",
        ),
        (
            lambda: sched.SequentialLR(opt, [sched.ReduceLROnPlateau(opt)], milestones=[]),
            "schedulers[0]: expected a scheduler that steps without a metric, got "
            "ReduceLROnPlateau",
        ),
        (
            lambda: sched.SequentialLR(opt, [sched.StepLR(dl_optimizer(), 2)], milestones=[]),
            "schedulers[0]: expected a scheduler of the same optimizer, got a StepLR of another "
            "optimizer",
        ),
        (
            lambda: sched.SequentialLR(opt, [], milestones=[]),
            "schedulers: expected at least one scheduler, got none",
        ),
    ]
    for make, message in cases:
        with pytest.raises(ValueError) as info:
            make()
        assert str(info.value) == message
    with pytest.raises(TypeError, match="^optimizer: expected an Optimizer, got list$"):
        sched.StepLR([], step_size=3)
    with pytest.raises(KeyError, match="expected an 'initial_lr' when resuming"):
        sched.StepLR(dl_optimizer(), step_size=2, last_epoch=4)
    one = sched.OneCycleLR(dl_optimizer(), max_lr=0.1, total_steps=3)
    for _ in range(3):
        one.step()
    with pytest.raises(
        ValueError, match=r"^step: expected at most total_steps = 3 steps, got step 4$"
    ):
        one.step()


def test_closed_forms_agree_with_the_recursions() -> None:
    """The documented closed forms are what the recursive steps compute."""
    cases = [
        (lambda o: sched.StepLR(o, step_size=4, gamma=0.5), lambda b, t: b * 0.5 ** (t // 4)),
        (lambda o: sched.ExponentialLR(o, gamma=0.9), lambda b, t: b * 0.9**t),
        (
            lambda o: sched.LinearLR(o, start_factor=0.25, total_iters=8),
            lambda b, t: b * (0.25 + 0.75 * min(t, 8) / 8),
        ),
        (
            lambda o: sched.CosineAnnealingLR(o, T_max=30, eta_min=0.01),
            lambda b, t: 0.01 + (b - 0.01) * (1 + math.cos(math.pi * t / 30)) / 2,
        ),
    ]
    for make, closed in cases:
        opt = dl_optimizer()
        trace = run(opt, make(opt), 50)
        for t, (lrs, _) in enumerate(trace):
            np.testing.assert_allclose(lrs, [closed(0.1, t), closed(0.03, t)], rtol=1e-10)
