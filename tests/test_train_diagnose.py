"""diagnose(history) on learning curves made to show each case, at and past its thresholds."""

import importlib
import math

import numpy as np
import pytest

from descentlab.train import History, diagnose
from descentlab.train.diagnose import STATUSES

diagnose_module = importlib.import_module("descentlab.train.diagnose")


def curves(train, val=None, train_acc=None, lr=1e-2):
    cols = {"train_loss": list(train), "lr": [lr] * len(train)}
    if val is not None:
        cols["val_loss"] = list(val)
    if train_acc is not None:
        cols["train_acc"] = list(train_acc)
    return cols


def test_course_scenarios():
    # The three curves of the course's analyze_learning_curves example.
    good = curves(
        [2.0, 1.5, 1.0, 0.7, 0.5, 0.4, 0.35, 0.32, 0.30, 0.29],
        [2.1, 1.6, 1.1, 0.8, 0.6, 0.5, 0.45, 0.42, 0.40, 0.39],
    )
    over = curves(
        [2.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002],
        [2.1, 1.1, 0.6, 0.4, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8],
    )
    div = curves(
        [2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0],
        [2.1, 3.5, 6.0, 15.0, 30.0, 70.0, 150.0, 300.0, 700.0, 1500.0],
    )
    assert diagnose(good).status == "improving"  # val fell 35 % over the last 5 epochs
    d = diagnose(over)
    assert d.status == "overfitting" and d.best_epoch == 5
    assert "Stop at epoch 5" in d.suggestion
    d = diagnose(div)
    assert d.status == "diverging"
    assert "lr 0.01 -> 0.001" in d.suggestion


def test_diverging_on_nan_and_on_the_guard_flag():
    d = diagnose(curves([2.0, 1.0, math.nan]))
    assert d.status == "diverging" and "epoch 3" in d.explanation
    h = History([{"epoch": 1, "train_loss": 1.0}, {"epoch": 2, "train_loss": 0.5}])
    h.diverged, h.stop_reason = True, "Training diverged at epoch 2, step 9: loss = inf"
    d = diagnose(h)
    assert d.status == "diverging" and "step 9" in d.explanation


def test_rising_train_loss_is_divergence_even_when_finite():
    assert diagnose(curves([1.0, 0.9, 1.01])).status == "diverging"
    assert diagnose(curves([1.0, 0.9, 0.99])).status != "diverging"


def test_overfitting_needs_a_sustained_rise():
    base = [1.0, 0.6, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.08, 0.06]
    # best 0.40 at epoch 4; the last 5 epochs must all be more than 10 % above it (> 0.44).
    sustained = [1.0, 0.6, 0.45, 0.40, 0.42, 0.45, 0.46, 0.47, 0.48, 0.50]
    d = diagnose(curves(base, sustained))
    assert d.status == "overfitting" and d.best_epoch == 4
    assert d.explanation == (
        "Validation loss was lowest at epoch 4 (0.4) and has stayed more than 10% above it for "
        "the last 5 epochs (now 0.5), while the train loss fell from 0.3 to 0.06."
    )
    # One of the last five at 0.44 (not above 0.44): not sustained.
    assert diagnose(curves(base, sustained[:5] + [0.44] + sustained[6:])).status != "overfitting"
    # A 3-epoch bump at the end is not overfitting, however high.
    bump = [1.0, 0.6, 0.45, 0.40, 0.38, 0.37, 0.36, 0.6, 0.7, 0.8]
    assert diagnose(curves(base, bump)).status != "overfitting"
    # ... unless patience says 3 epochs are enough.
    assert diagnose(curves(base, bump), patience=3).status == "overfitting"


def test_both_losses_rising_is_not_called_overfitting():
    """The train loss rose too: the sentence must not claim it fell; it is instability."""
    train = [1.0, 0.6, 0.4, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]
    val = [1.0, 0.6, 0.45, 0.40, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7]
    d = diagnose(curves(train, val))
    assert d.status == "diverging"
    assert d.explanation == (
        "Both losses have risen since epoch 4: validation 0.4 -> 0.7, train 0.3 -> 0.6."
    )
    assert "fell" not in d.explanation and "falling" not in d.explanation


def test_every_sentence_is_true_of_its_history():
    # improving and still falling
    d = diagnose(curves([1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.25]))
    assert d.explanation == (
        "The train loss fell 68.8% over the last 5 epochs (0.8 -> 0.25) and is still falling."
    )
    # improving over the window but up in the last epoch: it does not say "still falling"
    d = diagnose(curves([1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.32]))
    assert d.status == "improving" and "still falling" not in d.explanation
    assert d.explanation.endswith("though it rose in the last epoch (0.3 -> 0.32).")
    # converged, slightly better
    d = diagnose(curves([2.0, 1.0, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.0995]))
    assert d.explanation == (
        "The train loss improved by only 0.5% (less than 1%) over the last 5 epochs "
        "(0.1 -> 0.0995)."
    )
    # converged, slightly worse: it does not say "improved"
    d = diagnose(curves([2.0, 1.0, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1005]))
    assert d.status == "converged"
    assert d.explanation == "The train loss did not improve over the last 5 epochs (0.1 -> 0.1005)."
    # diverging: rose from first to last
    d = diagnose(curves([1.0, 0.9, 1.2]))
    assert d.explanation == "The train loss rose from 1 to 1.2."
    # underfitting
    d = diagnose(curves([2.3, 2.0, 1.9, 1.9, 1.9, 1.9, 1.9, 1.9], train_acc=[0.3] * 8))
    assert d.explanation == (
        "The train loss has stopped falling while still high (train accuracy 30.0% < 90%)."
    )


def test_divergence_in_the_first_epoch_is_diagnosed_not_an_error():
    h = History([{"epoch": 1, "train_loss": math.nan, "lr": 1e300}])
    h.diverged, h.stop_reason = True, "Training diverged at epoch 1, step 1: loss = nan"
    d = diagnose(h)
    assert d.status == "diverging" and d.explanation == h.stop_reason + "."


def test_underfitting_by_accuracy_and_by_loss_ratio():
    flat_high = [2.3, 2.0, 1.9, 1.9, 1.9, 1.9, 1.9, 1.9]
    d = diagnose(curves(flat_high, train_acc=[0.3] * 8))
    assert d.status == "underfitting" and "capacity" in d.suggestion
    assert "lr 0.01 -> 0.03" in d.suggestion
    # Plateau at a low loss with high accuracy is convergence, not underfitting.
    flat_low = [2.3, 0.5, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]
    assert diagnose(curves(flat_low, train_acc=[0.99] * 8)).status == "converged"
    # Without accuracy: above 25 % of the first loss is "high".
    assert diagnose(curves([1.0, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3])).status == "underfitting"
    assert diagnose(curves([1.0, 0.5, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2])).status == "converged"


def test_converged_versus_improving_at_the_plateau_tolerance():
    flat = [1.0, 0.5, 0.2] + [0.1] * 6
    d = diagnose(curves(flat, [x + 0.02 for x in flat]))
    assert d.status == "converged" and "keep the weights of epoch" in d.suggestion
    falling = [1.0, 0.5, 0.2, 0.1, 0.08, 0.06, 0.05, 0.04, 0.03]
    d = diagnose(curves(falling))
    assert d.status == "improving" and "Train for more epochs" in d.suggestion
    # 0.9 % better over the window: a plateau; 1.1 %: still improving.
    v = [2.0, 1.0, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1]  # compared with 5 epochs before the last
    assert diagnose(curves(v + [0.1 * (1 - 0.009)])).status == "converged"
    assert diagnose(curves(v + [0.1 * (1 - 0.011)])).status == "improving"


def test_a_tiny_loss_is_converged():
    falling = [0.5, 0.05, 0.01, 0.005, 0.002, 0.001, 0.0008, 0.0005]
    d = diagnose(curves(falling, train_acc=[1.0] * 8))
    assert d.status == "converged" and "below 0.001" in d.explanation
    assert diagnose(curves(falling), loss_floor=1e-4).status == "improving"


def test_too_short_runs_are_improving():
    d = diagnose(curves([2.3, 2.29]))
    assert d.status == "improving" and "too few" in d.explanation


def test_every_status_is_reachable_and_printable():
    cases = {
        "diverging": curves([1, 2, 3, 4]),
        "overfitting": curves(
            [1, 0.5, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02], [1, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]
        ),
        "underfitting": curves([2] + [1.9] * 6, train_acc=[0.2] * 7),
        "converged": curves([2] + [0.1] * 6, train_acc=[1.0] * 7),
        "improving": curves([2, 1, 0.5, 0.25, 0.12]),
    }
    for status, cols in cases.items():
        d = diagnose(cols)
        assert d.status == status
        line = str(d)
        assert line.startswith(status.upper()) and "\n" not in line and "Suggestion:" in line
    assert set(cases) == set(STATUSES)


def test_thresholds_are_documented_constants():
    doc = diagnose_module.__doc__
    for text in ("overfit_tol", "10 %", "underfit_acc", "0.9", "plateau_tol", "1 %", "0.25"):
        assert text in doc
    h = History([{"train_loss": v} for v in np.linspace(1, 0.5, 8)])
    assert diagnose(h, plateau_tol=0.5).status == "underfitting"


def test_empty_history_is_an_error():
    with pytest.raises(ValueError, match="no 'train_loss'"):
        diagnose(History())
