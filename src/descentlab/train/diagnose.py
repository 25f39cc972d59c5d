"""Read a learning curve: is training diverging, underfitting, overfitting, done, or not yet?

The rules, checked in this order (``n`` epochs, ``L`` the train loss, ``V`` the validation loss,
``w = min(window, n - 1)``):

1. **diverging**: the run stopped on NaN/Inf, a loss is not finite, the last train loss is
   above the first one (``L[-1] > L[0]``), or both losses have risen for ``patience`` epochs
   since the best validation epoch -- the learning rate is too high.
2. **overfitting** (needs ``V``): a sustained rise. With ``b`` the best validation epoch, each
   of the last ``patience`` (5) epochs is after ``b`` and has ``V > V[b] + overfit_tol * |V[b]|``
   (10 % above the minimum, by default), while the train loss fell from epoch ``b`` to the
   end -- stop at epoch ``b``. A bump shorter than ``patience`` epochs is not overfitting.
3. **underfitting**: the train loss has plateaued (see 4) while it is still high: the last train
   accuracy is below ``underfit_acc`` (0.9) when accuracy was recorded, else
   ``L[-1] > underfit_ratio * L[0]`` (0.25: not even a fourfold drop) -- add capacity or raise lr.
4. **converged**: over the last ``w`` epochs the monitored loss (``V`` if present, else ``L``)
   improved by less than ``plateau_tol`` (1 %) of its value ``w`` epochs ago, or it is below
   ``loss_floor`` (1e-3: nothing left to gain).
5. **improving**: otherwise -- train longer. Runs shorter than ``MIN_EPOCHS`` (3) epochs that
   are not diverging are always "improving": too short to judge.

Every sentence of an explanation is computed from the history it describes (which way each
loss moved, from what to what), so it is true of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from descentlab.train.history import History

WINDOW = 5
PLATEAU_TOL = 0.01
OVERFIT_TOL = 0.10
UNDERFIT_ACC = 0.90
UNDERFIT_RATIO = 0.25
LOSS_FLOOR = 1e-3
PATIENCE = 5
MIN_EPOCHS = 3

STATUSES = ("diverging", "overfitting", "underfitting", "converged", "improving")


@dataclass(frozen=True)
class Diagnosis:
    """``status`` (one of :data:`STATUSES`), a one-line ``explanation``, a concrete
    ``suggestion``, and ``best_epoch`` (1-based, by validation loss when there is one)."""

    status: str
    explanation: str
    suggestion: str
    best_epoch: int | None = None

    def __str__(self) -> str:
        return f"{self.status.upper()}: {self.explanation} Suggestion: {self.suggestion}"


def diagnose(
    history: History | dict,
    *,
    window: int = WINDOW,
    plateau_tol: float = PLATEAU_TOL,
    overfit_tol: float = OVERFIT_TOL,
    underfit_acc: float = UNDERFIT_ACC,
    underfit_ratio: float = UNDERFIT_RATIO,
    patience: int = PATIENCE,
    loss_floor: float = LOSS_FLOOR,
) -> Diagnosis:
    """Diagnose a learning curve (see the module docstring for the exact rules).

    Args:
        history: a :class:`History`, or a dict of columns such as
            ``{"train_loss": [...], "val_loss": [...], "train_acc": [...], "lr": [...]}``.

    Returns:
        A :class:`Diagnosis`; ``str(d)`` is one line: status, explanation, suggestion.
    """
    if not isinstance(history, History):
        cols = {k: list(v) for k, v in history.items()}
        n = max((len(v) for v in cols.values()), default=0)
        history = History([{k: v[i] for k, v in cols.items() if i < len(v)} for i in range(n)])
    lr = history.last("lr")

    def lr_hint(factor: float) -> str:
        return f" (lr {lr:.3g} -> {lr * factor:.3g})" if math.isfinite(lr) else ""

    lower_lr = "Lower the learning rate by 10x" + lr_hint(0.1) + ", or clip gradients by norm."
    if history.diverged and history.stop_reason and "train_loss" not in history:
        # Diverged in the first steps: no finite loss to read, the stop reason says it all.
        return Diagnosis("diverging", history.stop_reason.rstrip(".") + ".", lower_lr, None)
    if len(history) == 0 or "train_loss" not in history:
        raise ValueError("Cannot diagnose: the history has no 'train_loss' values")
    L = history.array("train_loss")
    n = len(L)
    V = history.array("val_loss") if "val_loss" in history else None
    best = history.best_epoch("val_loss") if V is not None else history.best_epoch("train_loss")

    # 1. diverging
    bad = [np.nonzero(~np.isfinite(a))[0] for a in (L, V) if a is not None]
    first_bad = min((int(b[0]) for b in bad if len(b)), default=None)
    rising = V is not None and best is not None and _sustained_rise(V, best, patience, overfit_tol)
    both_rise = rising and L[-1] > L[best - 1]
    if history.diverged or first_bad is not None or L[-1] > L[0] or both_rise:
        if history.diverged and history.stop_reason:
            why = history.stop_reason.rstrip(".") + "."
        elif first_bad is not None:
            why = f"The loss became NaN/Inf at epoch {first_bad + 1}."
        elif L[-1] > L[0]:
            why = f"The train loss rose from {L[0]:.4g} to {L[-1]:.4g}."
        else:
            why = (
                f"Both losses have risen since epoch {best}: validation {V[best - 1]:.4g} -> "
                f"{V[-1]:.4g}, train {L[best - 1]:.4g} -> {L[-1]:.4g}."
            )
        return Diagnosis("diverging", why, lower_lr, best)

    if n < MIN_EPOCHS:
        return Diagnosis(
            "improving",
            f"Only {n} epoch{'s' if n > 1 else ''}: too few to judge a plateau or overfitting.",
            f"Train for more epochs (at least {max(MIN_EPOCHS, window + 1)}).",
            best,
        )
    w = max(1, min(window, n - 1))
    # 2. overfitting: a sustained rise of V while L fell
    if rising:
        vb, lb = V[best - 1], L[best - 1]
        return Diagnosis(
            "overfitting",
            f"Validation loss was lowest at epoch {best} ({vb:.4g}) and has stayed more than "
            f"{overfit_tol:.0%} above it for the last {patience} epochs (now {V[-1]:.4g}), while "
            f"the train loss fell from {lb:.4g} to {L[-1]:.4g}.",
            f"Stop at epoch {best} (EarlyStopping(patience={patience}, "
            "restore_best_weights=True)), or add regularisation (weight decay, dropout) "
            "or more data.",
            best,
        )

    monitored = V if V is not None else L
    ref = monitored[-1 - w] if n > 1 else monitored[0]
    gain = (ref - monitored[-1]) / max(abs(ref), 1e-12) if n > 1 else math.inf
    plateau = gain < plateau_tol or abs(monitored[-1]) < loss_floor
    train_gain = (L[-1 - w] - L[-1]) / max(abs(L[-1 - w]), 1e-12) if n > 1 else math.inf
    train_plateau = train_gain < plateau_tol

    # 3. underfitting
    acc = history.last("train_acc")
    if math.isfinite(acc):
        high, measure = acc < underfit_acc, f"train accuracy {acc:.1%} < {underfit_acc:.0%}"
    else:
        high = L[-1] > underfit_ratio * L[0]
        measure = f"train loss {L[-1]:.4g} > {underfit_ratio:g} x first epoch's {L[0]:.4g}"
    if train_plateau and high:
        return Diagnosis(
            "underfitting",
            f"The train loss has stopped falling while still high ({measure}).",
            "Add capacity (wider or deeper layers), train with a larger learning rate"
            + lr_hint(3.0)
            + ", or check the features.",
            best,
        )

    # 4. converged / 5. improving
    which = "validation" if V is not None else "train"
    if plateau:
        if abs(monitored[-1]) < loss_floor:
            why = f"The {which} loss is {monitored[-1]:.2g}, below {loss_floor:g}."
        elif gain <= 0:
            why = (
                f"The {which} loss did not improve over the last {w} epochs "
                f"({ref:.4g} -> {monitored[-1]:.4g})."
            )
        else:
            why = (
                f"The {which} loss improved by only {gain:.1%} (less than {plateau_tol:.0%}) over "
                f"the last {w} epochs ({ref:.4g} -> {monitored[-1]:.4g})."
            )
        return Diagnosis(
            "converged",
            why,
            f"Training is done: keep the weights of epoch {best}; more epochs will not help.",
            best,
        )
    last_step = (
        "and is still falling"
        if monitored[-1] < monitored[-2]
        else f"though it rose in the last epoch ({monitored[-2]:.4g} -> {monitored[-1]:.4g})"
    )
    return Diagnosis(
        "improving",
        f"The {which} loss fell {gain:.1%} over the last {w} epochs ({ref:.4g} -> "
        f"{monitored[-1]:.4g}) {last_step}.",
        f"Train for more epochs (e.g. {max(2 * n, n + 10)}).",
        best,
    )


def _sustained_rise(V: np.ndarray, best: int, patience: int, tol: float) -> bool:
    """Each of the last ``patience`` values comes after the best epoch and is more than
    ``tol`` (relative) above the best value."""
    if len(V) - best < patience or patience < 1:
        return False
    vb = V[best - 1]
    return bool(np.all(V[-patience:] > vb + tol * abs(vb)))
