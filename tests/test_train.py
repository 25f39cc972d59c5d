"""descentlab.train: fit, History, callbacks, checkpoints, lr_find, on real data."""

import math
import warnings

import numpy as np
import pytest

import descentlab as dl
import descentlab.nn as nn
import descentlab.optim as optim
from descentlab.data import DataLoader, digits, moons, train_val_test_split, xor
from descentlab.optim.lr_scheduler import StepLR
from descentlab.train import (
    Checkpoint,
    CheckpointError,
    DivergenceWarning,
    EarlyStopping,
    GradientClipping,
    GradientMonitor,
    History,
    LRSchedule,
    ProgressBar,
    ReduceLROnPlateau,
    StopTraining,
    evaluate,
    fit,
    load_checkpoint,
    lr_find,
)


@pytest.fixture(scope="module")
def digits_split():
    X, y = digits()
    return train_val_test_split(X, y, val=0.15, test=0.15, seed=0)


def mlp(sizes, act=nn.ReLU, seed=0, dropout=0.0):
    dl.manual_seed(seed)
    layers = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), act()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(sizes[-2], sizes[-1]))


def no_time(h: History):
    return [{k: v for k, v in r.items() if k != "time"} for r in h.rows]


def same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(np.array_equal(sa[k], sb[k]) for k in sa)


def test_fit_solves_xor():
    X, y = xor()
    model = mlp([2, 8, 2], act=nn.Tanh)
    h = fit(
        model,
        "cross_entropy",
        optim.Adam(model.parameters(), lr=0.05),
        (X, y),
        epochs=300,
        batch_size="full",
    )
    assert h["train_acc"][-1] == 1.0
    with dl.no_grad():
        pred = model(dl.tensor(X)).data.argmax(1)
    np.testing.assert_array_equal(pred, [0, 1, 1, 0])


def test_fit_history_columns_and_values(digits_split):
    model = mlp([64, 32, 10])
    h = fit(
        model,
        "cross_entropy",
        optim.SGD(model.parameters(), lr=0.1),
        digits_split.train,
        digits_split.val,
        epochs=3,
        batch_size=64,
        seed=0,
    )
    assert h.columns[:9] == [
        "epoch",
        "train_loss",
        "train_acc",
        "val_loss",
        "val_acc",
        "lr",
        "grad_norm",
        "grad_norm_max",
        "time",
    ]
    assert h["epoch"] == [1, 2, 3] and h["lr"] == [0.1] * 3
    assert all(t > 0 for t in h["time"])
    assert all(0 < g <= m for g, m in zip(h["grad_norm"], h["grad_norm_max"]))
    assert h["train_loss"][2] < h["train_loss"][0]
    # val metrics are exactly an evaluation of the final model
    ev = evaluate(model, "cross_entropy", digits_split.val)
    assert ev["loss"] == pytest.approx(h["val_loss"][-1], rel=1e-6)
    assert ev["acc"] == h["val_acc"][-1]


def test_evaluate_against_numpy(digits_split):
    model = mlp([64, 10])
    Xv, yv = digits_split.val
    ev = evaluate(model, "cross_entropy", (Xv, yv), batch_size=50)
    W, b = (
        model[0].weight.data.numpy().astype(np.float64),
        model[0].bias.data.numpy().astype(np.float64),
    )
    z = Xv @ W.T + b
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    assert ev["loss"] == pytest.approx(-logp[np.arange(len(yv)), yv].mean(), rel=1e-5)
    assert ev["acc"] == np.mean(z.argmax(1) == yv) and ev["n"] == len(yv)


def test_fit_is_deterministic_for_a_seed(digits_split):
    runs = []
    for _ in range(2):
        model = mlp([64, 32, 10], dropout=0.2, seed=1)
        h = fit(
            model,
            "cross_entropy",
            optim.Adam(model.parameters(), lr=1e-3),
            digits_split.train,
            digits_split.val,
            epochs=2,
            batch_size=32,
            seed=4,
        )
        runs.append((model, h))
    assert no_time(runs[0][1]) == no_time(runs[1][1])
    assert same_weights(runs[0][0], runs[1][0])


def test_fit_argument_errors(digits_split):
    model = mlp([64, 10])
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"^epochs: expected an integer >= 1, got 0$"):
        fit(model, "cross_entropy", opt, digits_split.train, epochs=0)
    with pytest.raises(ValueError, match=r"^loss: expected one of cross_entropy, .*, got 'hinge2'"):
        fit(model, "hinge2", opt, digits_split.train)
    with pytest.raises(ValueError, match=r"^metrics: expected 'accuracy' or nothing, got 'f1'$"):
        fit(model, "cross_entropy", opt, digits_split.train, metrics=("f1",))


def test_metrics_off_and_regression_targets():
    X = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5], dtype=np.float32))[:, None]
    model = nn.Sequential(nn.Linear(3, 1))
    h = fit(
        model,
        "mse",
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        (X, y),
        epochs=30,
        batch_size=16,
        seed=0,
    )
    assert "train_acc" not in h and "val_acc" not in h
    assert h["val_loss"][-1] < 1e-3
    np.testing.assert_allclose(model[0].weight.data.ravel(), [1, -2, 0.5], atol=0.02)


# ------------------------------------------------------------------------------ callbacks
class StubLoop:
    def __init__(self, model):
        self.model, self.epoch = model, 0
        self.history = History()
        self.last_completed_epoch = 0


def test_early_stopping_patience_min_delta_and_restore():
    model = mlp([2, 2])
    es = EarlyStopping("val_loss", patience=2, min_delta=0.01, restore_best_weights=True)
    loop = StubLoop(model)
    es.on_train_begin(loop, {})
    weights_at = {}
    stop = None
    for epoch, v in enumerate([1.0, 0.8, 0.795, 0.9], start=1):
        loop.epoch = loop.last_completed_epoch = epoch
        model[0].weight.data[...] = epoch  # a different weight per epoch
        weights_at[epoch] = model.state_dict()
        try:
            es.on_epoch_end(loop, {"val_loss": v})
        except StopTraining as raised:
            stop = raised.reason
            break
    # 0.795 is not 0.01 better than 0.8: epochs 3 and 4 do not improve -> stop at 4
    assert es.best_epoch == 2 and es.stopped_epoch == 4 and epoch == 4
    assert "did not improve for 2 epochs (best 0.8 at epoch 2)" in stop
    es.on_train_end(loop, {})
    assert es.restored and same_weights_dict(model.state_dict(), weights_at[2])


def same_weights_dict(a, b):
    return all(np.array_equal(a[k], b[k]) for k in a)


def test_early_stopping_mode_max_and_missing_metric_warning():
    es = EarlyStopping("val_acc", patience=1)
    assert es.mode == "max"
    loop = StubLoop(mlp([2, 2]))
    es.on_train_begin(loop, {})
    with pytest.warns(RuntimeWarning, match=r"'val_acc' is not available \(available: train_loss"):
        es.on_epoch_end(loop, {"train_loss": 1.0})


def test_early_stopping_in_fit_restores_the_best_epoch():
    X, y = moons(n=120, noise=0.35, seed=0)
    s = train_val_test_split(X, y, val=0.4, test=0.0, seed=0)
    model = mlp([2, 128, 128, 2])
    es = EarlyStopping("val_loss", patience=5, restore_best_weights=True)
    h = fit(
        model,
        "cross_entropy",
        optim.Adam(model.parameters(), lr=0.02),
        s.train,
        s.val,
        epochs=200,
        batch_size=8,
        seed=0,
        callbacks=[es],
    )
    assert len(h) < 200 and h.stop_reason.startswith("early stopping at epoch")
    best = h.best_epoch("val_loss")
    assert es.best_epoch == best and es.restored and h.restored_epoch == best
    ev = evaluate(model, "cross_entropy", s.val)
    assert ev["loss"] == pytest.approx(h["val_loss"][best - 1], rel=1e-6)


def test_gradient_clipping_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(4, 3)).astype(np.float32) * 5, rng.normal(size=3).astype(np.float32)]

    class Loop:
        grad_params = [dl.tensor(np.zeros_like(g), requires_grad=True) for g in grads]

    for p, g in zip(Loop.grad_params, grads):
        p.grad = dl.from_numpy(g.copy())
    clip = GradientClipping(max_norm=1.0)
    clip.on_train_begin(Loop, {})
    clip.on_epoch_begin(Loop, {})
    clip.on_after_backward(Loop, {})
    tp = [torch.zeros(g.shape, requires_grad=True) for g in grads]
    for t, g in zip(tp, grads):
        t.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_norm_(tp, 1.0)
    for p, t in zip(Loop.grad_params, tp):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-6)
    assert clip.clipped_steps == 1

    for p, g in zip(Loop.grad_params, grads):
        p.grad = dl.from_numpy(g.copy())
    byval = GradientClipping(clip_value=0.5)
    byval.on_after_backward(Loop, {})
    for t, g in zip(tp, grads):
        t.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_value_(tp, 0.5)
    for p, t in zip(Loop.grad_params, tp):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())


def test_gradient_clipping_in_fit_reports_fraction(digits_split):
    model = mlp([64, 32, 10])
    clip = GradientClipping(max_norm=0.5)
    h = fit(
        model,
        "cross_entropy",
        optim.SGD(model.parameters(), lr=0.05),
        digits_split.train,
        epochs=2,
        batch_size=64,
        seed=0,
        callbacks=[clip],
    )
    assert 0 < clip.clip_fraction <= 1 and clip.total_steps == 2 * 20
    assert h["clip_fraction"][0] > 0
    with pytest.raises(
        ValueError,
        match=r"^GradientClipping: expected max_norm \(by global norm\) or clip_value "
        r"\(by value\), got neither$",
    ):
        GradientClipping()


def test_divergence_guard_names_epoch_step_and_first_layer():
    X = np.array([[1.0, 2.0], [1e30, 1.0]], dtype=np.float32)  # overflows in the loss
    y = np.zeros((2, 1), dtype=np.float32)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    with dl.no_grad():
        model[0].weight.data[...] = 1.0
        model[2].weight.data[...] = 1.0
    before = model.state_dict()
    with pytest.warns(DivergenceWarning) as rec, np.errstate(over="ignore", invalid="ignore"):
        h = fit(
            model,
            "mse",
            optim.SGD(model.parameters(), lr=0.01),
            (X, y),
            epochs=5,
            batch_size=1,
            shuffle=False,
        )
    msg = next(str(w.message) for w in rec if w.category is DivergenceWarning)
    assert msg.startswith("Training diverged at epoch 1, step 2 (batch 2 of 2): loss = inf")
    assert "the gradient of '2.weight' blew up first" in msg and "0.weight" in msg
    assert h.diverged and h.stop_reason == msg and math.isinf(h["train_loss"][-1])
    # the bad step was not taken: weights are those after step 1, all finite
    assert all(np.isfinite(v).all() for v in model.state_dict().values())
    assert not same_weights_dict(model.state_dict(), before)


def test_lr_schedule_and_plateau(digits_split):
    model = mlp([64, 10])
    opt = optim.SGD(model.parameters(), lr=0.4)
    h = fit(
        model,
        "cross_entropy",
        opt,
        digits_split.train,
        epochs=5,
        batch_size=256,
        seed=0,
        callbacks=[LRSchedule(StepLR(opt, step_size=2, gamma=0.5))],
    )
    assert h["lr"] == [0.4, 0.4, 0.2, 0.2, 0.1]
    model = mlp([64, 10])
    opt = optim.SGD(model.parameters(), lr=1e-12)  # the val loss cannot improve
    plateau = ReduceLROnPlateau("val_loss", factor=0.5, patience=1)
    h = fit(
        model,
        "cross_entropy",
        opt,
        digits_split.train,
        digits_split.val,
        epochs=5,
        batch_size=512,
        seed=0,
        callbacks=[plateau],
    )
    # epoch 1 sets the best; bad epochs 2 and 3 exceed patience 1 -> halve after epoch 3
    assert h["lr"] == pytest.approx([1e-12, 1e-12, 1e-12, 5e-13, 5e-13])


def test_gradient_monitor_norms_and_dead_relus(digits_split):
    model = mlp([64, 16, 10])
    with dl.no_grad():
        model[0].bias.data[:4] = -1e3  # 4 of 16 hidden units can never fire
    mon = GradientMonitor()
    h = fit(
        model,
        "cross_entropy",
        optim.SGD(model.parameters(), lr=0.01),
        digits_split.train,
        epochs=2,
        batch_size=64,
        seed=0,
        callbacks=[mon],
    )
    rec = mon.records[-1]
    assert set(rec["grad_norms"]) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert rec["dead_relu"] == {"1": 0.25}
    assert h["dead_relu"] == [0.25, 0.25]
    assert h.last("grad_norm/2.weight") == pytest.approx(rec["grad_norms"]["2.weight"])
    assert list(mon.layer_norms()) == ["0.weight", "2.weight"]


def _fit_with_progress(digits_split, console, epochs=2):
    model = mlp([64, 10])
    return fit(
        model,
        "cross_entropy",
        optim.SGD(model.parameters(), lr=0.1),
        digits_split.train,
        digits_split.val,
        epochs=epochs,
        batch_size=128,
        seed=0,
        callbacks=[ProgressBar(console=console, refresh_per_second=1e6)],
    )


def _screen_lines(raw: str) -> list[str]:
    """What a terminal shows line by line: ANSI codes removed, each redraw a line."""
    import re

    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)
    return [line for line in re.split(r"[\r\n]", text) if line.strip()]


@pytest.mark.parametrize("width", [80, 40, 160])
def test_progress_bar_fits_the_terminal_with_epoch_loss_val_loss_and_eta(digits_split, width):
    import io

    from rich.console import Console

    out = io.StringIO()
    _fit_with_progress(digits_split, Console(file=out, force_terminal=True, width=width))
    lines = _screen_lines(out.getvalue())
    assert len(lines) > 4 and all(len(line) <= width for line in lines)
    assert not any("…" in line for line in lines)
    last = lines[-1]
    epoch = r"epoch 2/2 " if width >= 60 else r"e 2/2 "
    loss, val = (r"loss \d\.\d{4}", r"val_loss \d\.\d{4}") if width >= 60 else (r"l \d", r"v \d")
    import re

    assert re.search(epoch, last) and re.search(loss, last) and re.search(val, last), last
    assert re.search(r"ETA \d+:\d\d:\d\d", last), last
    if width == 80:
        assert re.search(r"acc \d+\.\d\d%", last) and "━" in last, last
    if width == 160:
        assert "val_acc" in last and "lr 1.00e-01" in last and "elapsed" in last, last


def test_progress_bar_redraws_at_its_rate_and_draws_the_last_values_at_the_end(digits_split):
    import io
    import re

    from rich.console import Console

    out = io.StringIO()
    model = mlp([64, 10])
    h = fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), digits_split.train,
            digits_split.val, epochs=3, batch_size=128, seed=0,
            callbacks=[ProgressBar(console=Console(file=out, force_terminal=True, width=120),
                                   refresh_per_second=1e-3)])  # fmt: skip
    lines = _screen_lines(out.getvalue())
    assert lines[0].startswith("epoch 1/3") and "val_loss" not in lines[0]  # the first batch
    assert len(lines) == 2, "\n".join(lines)  # no redraw at the epochs' ends: once more, at the end
    assert lines[-1].startswith("epoch 3/3"), lines
    assert re.search(rf"val_loss {h.last('val_loss'):.4f}", lines[-1]), lines


def test_progress_is_one_full_line_per_epoch_when_not_a_terminal(digits_split):
    import io

    from rich.console import Console

    out = io.StringIO()
    h = _fit_with_progress(digits_split, Console(file=out, force_terminal=False, width=40), 3)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3  # no live redraws, no control codes
    for epoch, line in enumerate(lines, start=1):
        row = h.rows[epoch - 1]
        assert line.startswith(f"epoch {epoch}/3 - {row['time']:.2f}s - loss ")
        assert f"loss {row['train_loss']:.4f} - acc {row['train_acc']:.2%}" in line
        assert line.endswith(
            f"val_loss {row['val_loss']:.4f} - val_acc {row['val_acc']:.2%} - lr 1.00e-01"
        )


def _resumable_run(split, ckdir, epochs, resume=None):
    model = mlp([64, 32, 10], dropout=0.2, seed=3)
    opt = optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(*split.train, batch_size=64, shuffle=True, seed=11)
    cbs = [
        LRSchedule(StepLR(opt, 2, 0.5)),
        EarlyStopping(patience=20, restore_best_weights=True),
        GradientClipping(max_norm=2.0),
        GradientMonitor(),
        Checkpoint(ckdir),
    ]
    h = fit(
        model, "cross_entropy", opt, loader, split.val, epochs=epochs, callbacks=cbs, resume=resume
    )
    return model, h


def test_resume_is_bit_exact(tmp_path, digits_split):
    full_model, full_h = _resumable_run(digits_split, tmp_path / "a", 5)
    _resumable_run(digits_split, tmp_path / "b", 2)  # "interrupted" after epoch 2
    ck = load_checkpoint(tmp_path / "b")
    assert ck.epoch == 2 and len(ck.history) == 2 and ck.step == 2 * 20
    model, h = _resumable_run(digits_split, tmp_path / "b", 5, resume=tmp_path / "b")
    assert no_time(h) == no_time(full_h)
    assert same_weights(model, full_model)
    last_a = load_checkpoint(tmp_path / "a" / "last.npz")
    last_b = load_checkpoint(tmp_path / "b" / "last.npz")
    assert same_weights_dict(last_a.model_state, last_b.model_state)
    assert last_a.epoch == last_b.epoch == 5


def test_best_checkpoint_and_errors(tmp_path, digits_split):
    model = mlp([64, 10])
    h = fit(
        model,
        "cross_entropy",
        optim.SGD(model.parameters(), lr=0.2),
        digits_split.train,
        digits_split.val,
        epochs=4,
        batch_size=128,
        seed=0,
        callbacks=[Checkpoint(tmp_path, every=3)],
    )
    best = load_checkpoint(tmp_path / "best.npz")
    assert best.epoch == h.best_epoch("val_loss")
    assert load_checkpoint(tmp_path).epoch == 4  # the last epoch is always saved
    dl.save({"w": np.ones(2)}, tmp_path / "plain.npz")
    with pytest.raises(CheckpointError, match="not a training checkpoint"):
        load_checkpoint(tmp_path / "plain.npz")
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "missing.npz")
    other = mlp([64, 10], seed=9)
    load_checkpoint(tmp_path / "best.npz", model=other)
    assert same_weights_dict(other.state_dict(), best.model_state)


# -------------------------------------------------------------------------------- lr_find
def test_lr_find_sweeps_suggests_and_restores(digits_split):
    model = mlp([64, 32, 10])
    opt = optim.SGD(model.parameters(), lr=0.123, momentum=0.9)
    before = model.state_dict()
    dl.manual_seed(42)
    state = dl.random.get_rng_state()
    res = lr_find(
        model,
        "cross_entropy",
        opt,
        digits_split.train,
        end_lr=100.0,
        num_steps=80,
        beta=0.8,
        seed=0,
    )
    assert same_weights_dict(model.state_dict(), before)
    assert opt.param_groups[0]["lr"] == 0.123 and len(opt.state) == 0
    assert dl.random.get_rng_state() == state
    assert res.lrs[0] == 1e-7 and res.lrs[1] / res.lrs[0] == pytest.approx((100 / 1e-7) ** (1 / 79))
    assert res.stopped_early and res.lrs[-1] < 100  # SGD + momentum blows up long before 100
    assert 1e-4 < res.valley < 1.0 and 1e-4 < res.steepest < 1.0
    assert res.suggestion == res.valley
    i = int(np.argmin(res.losses))
    assert res.losses[i] < res.losses[0] - 0.3  # the loss does fall somewhere in the sweep


def test_lr_find_suggestion_trains_well(digits_split):
    model = mlp([64, 32, 10])
    opt = optim.SGD(model.parameters(), lr=1e-6)
    res = lr_find(model, "cross_entropy", opt, digits_split.train, num_steps=60, seed=0)
    for g in opt.param_groups:
        g["lr"] = res.suggestion
    h = fit(
        model,
        "cross_entropy",
        opt,
        digits_split.train,
        digits_split.val,
        epochs=5,
        batch_size=32,
        seed=0,
    )
    assert 1e-3 < res.suggestion < 1.0 and h.last("val_acc") > 0.8  # lr 1e-6 stays near 10 %


def test_lr_find_errors(digits_split):
    model = mlp([64, 10])
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="expected 0 < start < end"):
        lr_find(model, "cross_entropy", opt, digits_split.train, start_lr=1.0, end_lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lr_find(model, "cross_entropy", opt, digits_split.train, num_steps=5)


def test_train_imports_nothing_above_it():
    """train/ sits below viz/, the lab and the CLI: no module of it imports them."""
    import ast
    from pathlib import Path

    import descentlab.train

    above = ("descentlab.viz", "descentlab.lab", "descentlab.cli", "matplotlib")
    for path in Path(descentlab.train.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any(n.startswith(above) for n in names), (path.name, names)


def test_history_draws_its_loss_curves_as_svg_for_notebooks():
    import xml.etree.ElementTree as ET

    h = History(
        [
            {"epoch": 1, "train_loss": 1.0, "val_loss": 1.2},
            {"epoch": 2, "train_loss": 0.5, "val_loss": 0.7},
            {"epoch": 3, "train_loss": 0.25, "val_loss": math.nan},
        ]
    )
    root = ET.fromstring(h._repr_svg_())
    lines = {
        e.get("data-column"): e.get("points") for e in root.iter() if e.tag.endswith("polyline")
    }
    assert set(lines) == {"train_loss", "val_loss"}
    train = [tuple(map(float, p.split(","))) for p in lines["train_loss"].split()]
    val = [tuple(map(float, p.split(","))) for p in lines["val_loss"].split()]
    assert len(train) == 3 and len(val) == 2  # the NaN is left out
    xs, ys = zip(*train)
    assert xs[0] < xs[1] < xs[2] and ys[0] < ys[1] < ys[2]  # falling loss: lower on screen
    assert val[0][1] == min(y for _, y in train + val)  # 1.2, the highest value, at the top
    assert History([{"epoch": 1, "lr": 0.1}])._repr_svg_() is None


def test_fit_in_a_notebook_shows_a_live_line_then_the_curves(monkeypatch, digits_split):
    from descentlab.train import progress

    shown = []

    class Handle:
        def update(self, data, raw=False):
            shown.append(("update", data["text/plain"]))

    def display(obj, raw=False, display_id=False):
        shown.append(("display", obj))
        return Handle()

    import IPython.display

    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", display)
    import descentlab.train.loop as loop_module

    monkeypatch.setattr(loop_module, "in_notebook", lambda: True)
    model = mlp([64, 10])
    h = fit(
        model,
        "cross_entropy",
        optim.SGD(model.parameters(), lr=0.1),
        digits_split.train,
        digits_split.val,
        epochs=2,
        batch_size=256,
    )
    updates = [text for kind, text in shown if kind == "update"]
    assert updates and updates[-1].startswith("epoch 2/2") and "val_loss" in updates[-1]
    assert shown[-1] == ("display", h) and h._repr_svg_().startswith("<svg")
