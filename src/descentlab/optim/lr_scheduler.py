"""Learning-rate schedulers with the API and the numbers of ``torch.optim.lr_scheduler``.

A scheduler writes ``group["lr"]`` of every parameter group of its optimiser. Call
``scheduler.step()`` after ``optimizer.step()``: once per batch or once per epoch, as the
schedule is meant (``ReduceLROnPlateau.step(metric)`` once per evaluation). ``t`` below is
``last_epoch``, the number of ``step()`` calls so far; ``base_lr`` is ``group["initial_lr"]``,
the lr the group had when the first scheduler was attached.

Every scheduler but ReduceLROnPlateau is a function of the step: :meth:`LRScheduler.schedule`
returns one of :mod:`descentlab.optim.schedules` per group, and ``step()`` writes its value at
``t``. torch computes most of them recursively from the current lr instead; the two agree to
rounding (1e-10 relative, tested). The one difference: an lr you set by hand between steps is
overwritten by the schedule's value at the next step, where torch's recursion would build on it.

Example: five steps of linear warm-up, then cosine decay over the remaining 95::

    >>> import descentlab as dl
    >>> from descentlab.optim import SGD
    >>> from descentlab.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
    >>> w = dl.tensor([1.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> warmup = LinearLR(opt, start_factor=0.2, total_iters=5)
    >>> cosine = CosineAnnealingLR(opt, T_max=95)
    >>> sched = SequentialLR(opt, [warmup, cosine], milestones=[5])
    >>> lrs = []
    >>> for _ in range(100):
    ...     lrs.append(opt.param_groups[0]["lr"])
    ...     opt.step()       # after backward(), in real training
    ...     sched.step()
    >>> [round(lr, 4) for lr in lrs[:7]], round(lrs[-1], 6)
    ([0.02, 0.036, 0.052, 0.068, 0.084, 0.1, 0.1], 2.7e-05)
"""

from __future__ import annotations

import copy
import types
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from descentlab.errors import InvalidArgument, shown
from descentlab.optim import schedules as S
from descentlab.optim.monitor import Monitor
from descentlab.optim.optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "LinearLR",
    "CosineAnnealingLR",
    "SequentialLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
]


def _check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer: expected an Optimizer, got {type(optimizer).__name__}")


def _per_group(name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """One value per parameter group: a list of that length, or one value repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, list | tuple):
        if len(value) != n:
            raise InvalidArgument(
                name, f"one value, or {n} (one per parameter group)", f"{len(value)} values"
            )
        return list(value)
    return [value] * n


def _check(name: str, value: Any, allowed: str, ok: bool) -> None:
    if not ok:
        raise InvalidArgument(name, allowed, shown(value))


def _positive_int(name: str, value: Any) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    _check(name, value, "a positive integer", ok)


class LRScheduler:
    """Base class: owns ``last_epoch``, ``base_lrs``, ``step()`` and the state dict.

    A subclass defines :meth:`schedule`, the lr of one group as a function of the step (the
    base class's is constant: ``base_lr``). Its state is its constructor's numbers and
    ``last_epoch``, so ``state_dict()`` is plain data.

    Args:
        optimizer: the optimiser whose ``group["lr"]`` values this scheduler sets.
        last_epoch: the index of the last step taken; -1 (default) starts the schedule. Pass
            another value only when resuming, with ``group["initial_lr"]`` already set.

    Constructing a scheduler takes its step 0: it sets ``group["lr"]`` at once.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param_groups[{i}]: expected an 'initial_lr' when resuming with "
                        f"last_epoch={last_epoch} (load the optimizer's state dict first), "
                        "got none"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self.step()

    def schedule(self, i: int) -> S.Schedule:
        """The lr of parameter group ``i`` as a function of the step ``t``."""
        return S.constant(self.base_lrs[i])

    def step(self) -> None:
        """Advance the schedule by one step and write the new lr into every group."""
        self._step_count += 1
        self.last_epoch += 1
        self._apply(self.last_epoch)

    def _apply(self, t: int) -> None:
        for group, lr in zip(self.optimizer.param_groups, self._lrs_at(t), strict=True):
            group["lr"] = lr
        self._last_lr = self._lrs_at(t)

    def _lrs_at(self, t: int) -> list[float]:
        return [self.schedule(i)(t) for i in range(len(self.optimizer.param_groups))]

    def get_lr(self) -> list[float]:
        """The lr of every group at the current step, ``last_epoch``."""
        return self._lrs_at(self.last_epoch)

    def get_last_lr(self) -> list[float]:
        """The lr of every group as this scheduler last set it."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """A copy of every attribute except the optimiser (plain data)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by :meth:`state_dict`, and the lr of that step.

        So the usual resume (a new optimiser loads its state, a new scheduler is built on it,
        which sets the lr of step 0, then loads its state) leaves the lr where it was saved.
        """
        self.__dict__.update(copy.deepcopy(state_dict))
        self._apply(self.last_epoch)


class LambdaLR(LRScheduler):
    """``lr_t = base_lr * lr_lambda(t)``.

    Args:
        optimizer: the optimiser.
        lr_lambda: a function of the step ``t`` (an int) giving a factor, or a list of such
            functions, one per parameter group.
        last_epoch: see :class:`LRScheduler`. Default: -1.

    ``state_dict()`` saves a callable object's ``__dict__`` but not a plain function or
    lambda (as PyTorch): re-create those when resuming.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        self.lr_lambdas = _per_group("lr_lambda", optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda: expected a function, got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def schedule(self, i: int) -> S.Schedule:
        base, fn = self.base_lrs[i], self.lr_lambdas[i]
        return lambda t: base * fn(t)

    def state_dict(self) -> dict[str, Any]:
        state = {
            k: copy.deepcopy(v)
            for k, v in self.__dict__.items()
            if k not in ("optimizer", "lr_lambdas")
        }
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else copy.deepcopy(fn.__dict__)
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        for fn, saved in zip(self.lr_lambdas, state_dict.get("lr_lambdas", [])):
            if saved is not None:
                fn.__dict__.update(copy.deepcopy(saved))
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "lr_lambdas"})


class StepLR(LRScheduler):
    """``lr_t = base_lr * gamma ** (t // step_size)``: decay by gamma every step_size steps.

    Args:
        optimizer: the optimiser.
        step_size: period of the decay, in steps (a positive int).
        gamma: multiplicative factor. Default: 0.1.
        last_epoch: see :class:`LRScheduler`. Default: -1.
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        _positive_int("step_size", step_size)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def schedule(self, i: int) -> S.Schedule:
        return S.step_decay(self.base_lrs[i], self.step_size, self.gamma)


class MultiStepLR(LRScheduler):
    """``lr_t = base_lr * gamma ** (number of milestones <= t)``.

    Args:
        optimizer: the optimiser.
        milestones: the steps at which to decay (a milestone listed twice decays twice).
        gamma: multiplicative factor. Default: 0.1.
        last_epoch: see :class:`LRScheduler`. Default: -1.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def schedule(self, i: int) -> S.Schedule:
        return S.multistep(self.base_lrs[i], self.milestones, self.gamma)


class ExponentialLR(LRScheduler):
    """``lr_t = base_lr * gamma ** t``.

    Args:
        optimizer: the optimiser.
        gamma: multiplicative factor per step.
        last_epoch: see :class:`LRScheduler`. Default: -1.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def schedule(self, i: int) -> S.Schedule:
        return S.exponential(self.base_lrs[i], self.gamma)


class LinearLR(LRScheduler):
    """Linear ramp of the factor: ``lr_t = base_lr * (s + (e - s) * min(t, T) / T)``.

    With ``s = start_factor``, ``e = end_factor``, ``T = total_iters``; after ``T`` steps the
    lr stays at ``base_lr * e``. With ``s < 1 = e`` this is linear warm-up.

    Args:
        optimizer: the optimiser.
        start_factor: factor at step 0, in (0, 1]. Default: 1/3.
        end_factor: factor from step T on, in [0, 1]. Default: 1.0.
        total_iters: T, the number of steps of the ramp. Default: 5.
        last_epoch: see :class:`LRScheduler`. Default: -1.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        _check("start_factor", start_factor, "a number in (0, 1]", 0 < start_factor <= 1)
        _check("end_factor", end_factor, "a number in [0, 1]", 0 <= end_factor <= 1)
        _positive_int("total_iters", total_iters)
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def schedule(self, i: int) -> S.Schedule:
        base = self.base_lrs[i]
        return S.linear(base * self.start_factor, base * self.end_factor, self.total_iters)


class CosineAnnealingLR(LRScheduler):
    """Cosine decay: ``lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``.

    After ``T_max`` steps the lr reaches ``eta_min``; stepped further it rises again along
    the same cosine (period ``2 * T_max``), as PyTorch's does (it has no restarts).

    Args:
        optimizer: the optimiser.
        T_max: the number of steps from ``base_lr`` down to ``eta_min``.
        eta_min: the minimum lr. Default: 0.
        last_epoch: see :class:`LRScheduler`. Default: -1.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        _positive_int("T_max", T_max)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def schedule(self, i: int) -> S.Schedule:
        return S.cosine(self.base_lrs[i], self.T_max, self.eta_min)


class SequentialLR(LRScheduler):
    """Run schedulers one after another: ``schedulers[k]`` from ``milestones[k-1]`` on.

    At each milestone the next scheduler restarts from its own step 0 (the schedules joined
    by :func:`descentlab.optim.schedules.join`). Warm-up then cosine::

        SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=w), CosineAnnealingLR(opt, n - w)],
                     milestones=[w])

    Args:
        optimizer: the optimiser, shared by every scheduler.
        schedulers: the schedulers, already constructed on ``optimizer``.
        milestones: the steps at which to switch; one fewer than the schedulers.
        last_epoch: see :class:`LRScheduler`. Default: -1.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        if len(schedulers) < 1:
            raise InvalidArgument("schedulers", "at least one scheduler", "none")
        for i, scheduler in enumerate(schedulers):
            if getattr(scheduler, "takes_metric", False):
                raise InvalidArgument(
                    f"schedulers[{i}]",
                    "a scheduler that steps without a metric",
                    type(scheduler).__name__,
                )
            if getattr(scheduler, "optimizer", None) is not optimizer:
                raise InvalidArgument(
                    f"schedulers[{i}]",
                    "a scheduler of the same optimizer",
                    f"a {type(scheduler).__name__} of another optimizer",
                )
        n = len(schedulers) - 1
        if len(milestones) != n:
            raise InvalidArgument(
                "milestones", f"{n} (one fewer than the schedulers)", str(len(milestones))
            )
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        super().__init__(optimizer, last_epoch)

    def schedule(self, i: int) -> S.Schedule:
        return S.join([s.schedule(i) for s in self._schedulers], self._milestones)

    def state_dict(self) -> dict[str, Any]:
        state = {
            k: copy.deepcopy(v)
            for k, v in self.__dict__.items()
            if k not in ("optimizer", "_schedulers")
        }
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        for scheduler, saved in zip(self._schedulers, state_dict["_schedulers"], strict=True):
            scheduler.load_state_dict(saved)
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "_schedulers"})


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith and Topin, 2017), stepped once per batch, as PyTorch's.

    With ``N = total_steps``, ``lr_0 = max_lr / div_factor`` and
    ``lr_min = lr_0 / final_div_factor``, the lr goes, along ``anneal(a, b)`` from a to b
    (:func:`~descentlab.optim.schedules.anneal`), through phases joined end to end::

        two phases (default):   lr_0 -> max_lr          steps 0 .. pct_start*N - 1
                                max_lr -> lr_min        .. N - 1
        three_phase=True:       lr_0 -> max_lr          steps 0 .. pct_start*N - 1
                                max_lr -> lr_0          .. 2*pct_start*N - 2
                                lr_0 -> lr_min          .. N - 1

    where ``anneal`` is ``b + (a - b) * (1 + cos(pi x)) / 2`` ("cos") or ``a + (b - a) x``
    ("linear"), ``x`` going from 0 to 1 over the phase. With ``cycle_momentum`` the momentum
    (``betas[0]`` for Adam-type optimisers) moves the opposite way, ``max_momentum ->
    base_momentum`` while the lr rises and back while it falls (staying at max_momentum in
    the third phase).

    Args:
        optimizer: the optimiser (its lr is overwritten).
        max_lr: the peak lr, or one per group.
        total_steps: N; or give ``epochs`` and ``steps_per_epoch`` (N = their product).
        epochs: number of epochs, used with ``steps_per_epoch``.
        steps_per_epoch: batches per epoch, used with ``epochs``.
        pct_start: fraction of the cycle spent raising the lr, a float in [0, 1].
            Default: 0.3.
        anneal_strategy: "cos" or "linear". Default: "cos".
        cycle_momentum: cycle the momentum too. Default: True.
        base_momentum: the lowest momentum (at max_lr), or one per group. Default: 0.85.
        max_momentum: the highest momentum (at the ends), or one per group. Default: 0.95.
        div_factor: ``lr_0 = max_lr / div_factor``. Default: 25.
        final_div_factor: ``lr_min = lr_0 / final_div_factor``. Default: 1e4.
        three_phase: use the three-phase schedule of the paper. Default: False.
        last_epoch: the index of the last batch; see :class:`LRScheduler`. Default: -1.

    Stepping more than N times raises ValueError.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.85,
        max_momentum: float | Sequence[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        if total_steps is not None:
            _positive_int("total_steps", total_steps)
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            _positive_int("epochs", epochs)
            _positive_int("steps_per_epoch", steps_per_epoch)
            self.total_steps = epochs * steps_per_epoch
        else:
            raise InvalidArgument(
                "total_steps", "a positive integer, or epochs and steps_per_epoch", "neither"
            )
        ok = isinstance(pct_start, float) and 0 <= pct_start <= 1
        _check("pct_start", pct_start, "a float in [0, 1]", ok)
        ok = anneal_strategy in ("cos", "linear")
        _check("anneal_strategy", anneal_strategy, "'cos' or 'linear'", ok)
        self.anneal_strategy = anneal_strategy
        n, rise = self.total_steps, float(pct_start * self.total_steps) - 1
        # Each phase: its last step, then (lr from, lr to, momentum from, momentum to) by key.
        if three_phase:
            self._ends = [rise, float(2 * pct_start * n) - 2, n - 1]
            self._keys = [
                ("initial_lr", "max_lr", "max_momentum", "base_momentum"),
                ("max_lr", "initial_lr", "base_momentum", "max_momentum"),
                ("initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._ends = [rise, n - 1]
            self._keys = [
                ("initial_lr", "max_lr", "max_momentum", "base_momentum"),
                ("max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, peak in zip(optimizer.param_groups, max_lrs, strict=True):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise InvalidArgument(
                    "cycle_momentum",
                    "an optimizer with momentum or betas, or cycle_momentum=False",
                    type(optimizer).__name__,
                )
            self.use_beta1 = "betas" in optimizer.defaults
            highs = _per_group("max_momentum", optimizer, max_momentum)
            lows = _per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for high, low, group in zip(highs, lows, optimizer.param_groups, strict=True):
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)

    def _phases(self, i: int, momentum: bool) -> S.Schedule:
        group = self.optimizer.param_groups[i]
        starts = [0.0, *self._ends[:-1]]
        pieces = [
            S.anneal(
                group[keys[2 * momentum]],
                group[keys[2 * momentum + 1]],
                end - start,
                self.anneal_strategy,
            )
            for keys, start, end in zip(self._keys, starts, self._ends, strict=True)
        ]
        return S.join(pieces, self._ends[:-1])

    def schedule(self, i: int) -> S.Schedule:
        return self._phases(i, momentum=False)

    def _apply(self, t: int) -> None:
        if t > self.total_steps:
            raise InvalidArgument(
                "step", f"at most total_steps = {self.total_steps} steps", f"step {t}"
            )
        super()._apply(t)
        if self.cycle_momentum:
            for i, group in enumerate(self.optimizer.param_groups):
                value = self._phases(i, momentum=True)(t)
                if self.use_beta1:
                    group["betas"] = (value, *group["betas"][1:])
                else:
                    group["momentum"] = value


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when a metric has stopped improving.

    ``step(metric)`` after each evaluation. A metric improves on the best so far when it beats
    it by the threshold (:class:`~descentlab.optim.monitor.Monitor`): ``metric < best * (1 -
    threshold)`` (mode "min", threshold_mode "rel"), ``metric < best - threshold`` ("min",
    "abs"), ``metric > best * (1 + threshold)`` ("max", "rel") or ``metric > best +
    threshold`` ("max", "abs"). After more than ``patience`` steps in a row without one, every
    group's lr becomes ``max(lr * factor, min_lr)`` (unless that changes it by less than eps),
    and the next ``cooldown`` steps count no bad steps.

    Args:
        optimizer: the optimiser.
        mode: "min" (lower is better) or "max". Default: "min".
        factor: the multiplier, < 1. Default: 0.1.
        patience: how many bad steps are tolerated. Default: 10.
        threshold: the margin an improvement needs. Default: 1e-4.
        threshold_mode: "rel" or "abs". Default: "rel".
        cooldown: steps to wait after a reduction before counting again. Default: 0.
        min_lr: the lower bound, or one per group. Default: 0.
        eps: a reduction smaller than this is skipped. Default: 1e-8.
    """

    #: ``step`` takes the monitored metric (the training loop's LRSchedule passes it).
    takes_metric = True

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        _check("factor", factor, "a number < 1", factor < 1.0)
        _check_optimizer(optimizer)
        self._monitor = Monitor(mode, threshold, threshold_mode)
        self.optimizer = optimizer
        self.factor = factor
        self.min_lrs = _per_group("min_lr", optimizer, min_lr)
        self.default_min_lr = None if isinstance(min_lr, list | tuple) else min_lr
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self.cooldown_counter = 0

    mode = property(lambda self: self._monitor.mode)
    threshold = property(lambda self: self._monitor.threshold)
    threshold_mode = property(lambda self: self._monitor.threshold_mode)

    @property
    def best(self) -> float:
        """The best metric so far."""
        return self._monitor.best

    @property
    def num_bad_epochs(self) -> int:
        """Steps since the metric last improved (0 during a cooldown)."""
        return self._monitor.wait

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def step(self, metrics: Any) -> None:  # type: ignore[override]
        """Record one evaluation of the metric (a number, or a one-element Tensor/array)."""
        current = float(metrics.item() if hasattr(metrics, "item") else metrics)
        self.last_epoch += 1
        self._monitor.update(current, self.last_epoch)
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self._monitor.wait = 0
        if self._monitor.wait > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self._monitor.wait = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise InvalidArgument(
                    "min_lr",
                    f"one value per parameter group ({len(groups)} now)",
                    f"{len(self.min_lrs)} values",
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def state_dict(self) -> dict[str, Any]:
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k[0] != "_"}
        del state["optimizer"]
        state["_last_lr"] = list(self._last_lr)
        monitor = self._monitor
        state.update(mode=monitor.mode, threshold=monitor.threshold)
        state.update(threshold_mode=monitor.threshold_mode, best=monitor.best)
        state["num_bad_epochs"] = monitor.wait
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = copy.deepcopy(dict(state_dict))
        self._monitor = Monitor(
            state.pop("mode"), state.pop("threshold"), state.pop("threshold_mode")
        )
        self._monitor.best = float(state.pop("best"))
        self._monitor.wait = int(state.pop("num_bad_epochs"))
        self.__dict__.update(state)
