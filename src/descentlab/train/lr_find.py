"""The learning-rate range test (Smith 2015; fastai's ``lr_find``).

Train for up to ``num_steps`` mini-batches while the lr grows exponentially from ``start_lr``
to ``end_lr``: ``lr_i = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))``. Record the
loss, smooth it with a bias-corrected exponential moving average
``s_i = beta s_{i-1} + (1 - beta) loss_i``, ``smoothed_i = s_i / (1 - beta^(i+1))``, and stop
early once ``smoothed_i > diverge * min(smoothed)`` or the loss is NaN/Inf. Afterwards the model's
weights, the optimizer's state and lr, and the generators are put back as they were.

Two suggestions:

- **steepest**: the lr where the smoothed loss falls fastest against log(lr) (most negative
  ``d smoothed / d log lr``), ignoring the first and last ``skip`` points;
- **valley** (fastai): the longest run of steadily falling loss; the lr two thirds of the way
  down it. It is usually the safer choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from descentlab.data.loader import DataLoader
from descentlab.train.loop import _resolve_loss


@dataclass
class LRFinderResult:
    """``lrs`` and ``losses`` (smoothed) per step, ``raw_losses``, the ``steepest`` and
    ``valley`` suggestions, and ``stopped_early`` (divergence cut the sweep short)."""

    lrs: list[float]
    losses: list[float]
    raw_losses: list[float]
    steepest: float | None
    valley: float | None
    stopped_early: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def suggestion(self) -> float | None:
        """The valley rule's lr (falls back to steepest descent)."""
        return self.valley if self.valley is not None else self.steepest


def steepest_lr(lrs: np.ndarray, losses: np.ndarray, skip: int = 2) -> float | None:
    """lr at the most negative slope of ``losses`` against ``log(lrs)``."""
    n = len(losses)
    if n < 2 * skip + 3:
        skip = 0
    if n < 3:
        return None
    slope = np.gradient(losses, np.log(lrs))
    inner = slope[skip : n - skip] if skip else slope
    return float(lrs[skip + int(np.argmin(inner))])


def valley_lr(lrs: np.ndarray, losses: np.ndarray) -> float | None:
    """fastai's valley rule: the longest decreasing subsequence, then 2/3 of the way along."""
    n = len(losses)
    if n < 3:
        return None
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
        if lds[max_end] < lds[i]:
            max_end = i
            max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[min(idx, n - 1)])


def lr_find(
    model,
    loss,
    optimizer,
    train,
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    beta: float = 0.98,
    diverge: float = 4.0,
    batch_size: int = 32,
    seed: int | None = None,
) -> LRFinderResult:
    """Run the lr range test and restore the model and optimizer afterwards.

    Args:
        model, loss, optimizer: as for :func:`descentlab.train.fit` (``loss`` may be a name).
        train: a :class:`DataLoader` or ``(X, y)`` arrays (shuffled mini-batches of
            ``batch_size``); it is cycled if it has fewer than ``num_steps`` batches.
        start_lr, end_lr: the range, ``0 < start_lr < end_lr``.
        num_steps: lrs tried (one batch each).
        beta: smoothing of the loss (0: none).
        diverge: stop when the smoothed loss exceeds ``diverge`` x its minimum.

    Returns:
        :class:`LRFinderResult`; ``descentlab.viz.plot_lr_find(result, path)`` draws it.
    """
    import descentlab as dl
    from descentlab.random import get_rng_state, set_rng_state

    if not 0 < start_lr < end_lr:
        raise ValueError(
            f"Invalid lr range: start_lr={start_lr}, end_lr={end_lr} (expected 0 < start < end)"
        )
    if num_steps < 3:
        raise ValueError(f"Invalid num_steps: {num_steps} (expected num_steps >= 3)")
    if not 0 <= beta < 1:
        raise ValueError(f"Invalid beta: {beta} (expected 0 <= beta < 1)")
    loss_fn = _resolve_loss(loss)
    loader = (
        train
        if isinstance(train, DataLoader)
        else DataLoader(*train, batch_size=batch_size, shuffle=True, seed=seed)
    )
    model_state = model.state_dict()
    opt_state = optimizer.state_dict()
    rng_state = get_rng_state()
    loader_state = loader.state_dict()
    factor = (end_lr / start_lr) ** (1 / (num_steps - 1))
    lrs: list[float] = []
    raw: list[float] = []
    smooth: list[float] = []
    avg, best, stopped = 0.0, math.inf, False
    was_training = getattr(model, "training", True)
    model.train()
    try:
        batches = iter(loader)
        for i in range(num_steps):
            lr = start_lr * factor**i
            for g in optimizer.param_groups:
                g["lr"] = lr
            try:
                xb, yb = next(batches)
            except StopIteration:
                batches = iter(loader)
                xb, yb = next(batches)
            with dl.enable_grad():
                out = model(xb)
                loss_t = loss_fn(out, yb)
                optimizer.zero_grad()
                loss_t.backward()
            value = loss_t.item()
            lrs.append(lr)
            raw.append(value)
            if not math.isfinite(value):
                smooth.append(math.inf)
                stopped = True
                break
            avg = beta * avg + (1 - beta) * value
            s = avg / (1 - beta ** (i + 1))
            smooth.append(s)
            best = min(best, s)
            if s > diverge * best:
                stopped = True
                break
            optimizer.step()
    finally:
        optimizer.zero_grad()
        model.load_state_dict(model_state)
        optimizer.load_state_dict(opt_state)
        set_rng_state(rng_state)
        loader.load_state_dict(loader_state)
        model.train(was_training)
    lr_arr, s_arr = np.asarray(lrs), np.asarray(smooth)
    # Judge the curve before it blew up: drop the diverged tail.
    keep = len(s_arr)
    if stopped and keep > 1:
        keep -= 1
    finite = np.isfinite(s_arr[:keep])
    lr_ok, s_ok = lr_arr[:keep][finite], s_arr[:keep][finite]
    return LRFinderResult(
        lrs=lrs,
        losses=smooth,
        raw_losses=raw,
        steepest=steepest_lr(lr_ok, s_ok),
        valley=valley_lr(lr_ok, s_ok),
        stopped_early=stopped,
    )
