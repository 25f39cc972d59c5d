"""descentlab.viz: every figure is drawn, written as a non-empty PNG, and shows the right data."""

import subprocess
import sys

import numpy as np
import pytest

import descentlab as dl
import descentlab.nn as nn
from descentlab import viz
from descentlab.train import History, LRFinderResult


def png_size(path):
    """(width, height) from the PNG header; the file must be a real, non-trivial PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def history(n=12, val=True, acc=True, lr_decay=False):
    rows = []
    for e in range(1, n + 1):
        r = {"epoch": e, "train_loss": 2.0 / e, "lr": 0.1 * (0.5 ** (e // 4) if lr_decay else 1)}
        if val:
            r["val_loss"] = 2.0 / e + 0.01 * (e - 6) ** 2
        if acc:
            r["train_acc"], r["val_acc"] = 1 - 0.5 / e, 1 - 0.6 / e
        rows.append(r)
    return History(rows)


def test_learning_curves(tmp_path):
    fig = viz.plot_history(history(lr_decay=True), tmp_path / "c.png", title="t")
    assert len(fig.axes) == 3  # loss, accuracy, lr
    loss_ax = fig.axes[0]
    labels = [line.get_label() for line in loss_ax.get_lines()]
    assert labels[:2] == ["train_loss", "val_loss"] and "best epoch 8" in labels
    np.testing.assert_allclose(loss_ax.get_lines()[0].get_ydata(), [2.0 / e for e in range(1, 13)])
    w, h = png_size(tmp_path / "c.png")
    assert w > 1000 and h > 300
    assert len(viz.plot_history(history(val=False, acc=False)).axes) == 1


def test_compare_overlay(tmp_path):
    fig = viz.plot_compare(
        {"sgd": history(), "adam": history(n=6)},
        tmp_path / "cmp.png",
        metrics=("train_loss", "val_acc", "missing"),
    )
    assert len(fig.axes) == 2
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["sgd", "adam"]
    png_size(tmp_path / "cmp.png")


def test_decision_boundary_of_a_known_linear_model(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2))
    with dl.no_grad():  # logit difference x1 - x2: class 1 above the diagonal
        model[0].weight.data[...] = [[1.0, 0.0], [0.0, 1.0]]
        model[0].bias.data[...] = 0.0
    X = np.array([[0.0, 1.0], [1.0, 0.0], [-1.0, 1.0], [1.0, -1.0]], dtype=np.float32)
    xx, yy, cls, conf = viz.grid_predictions(model, X, resolution=21)
    assert cls.shape == (21, 21)
    np.testing.assert_array_equal(cls, (yy > xx).astype(int))  # ties go to class 0
    assert conf.min() >= 0.5 - 1e-6 and conf.max() <= 1.0
    viz.plot_decision_boundary(model, X, np.array([1, 0, 1, 0]), tmp_path / "b.png")
    png_size(tmp_path / "b.png")
    one_logit = nn.Sequential(nn.Linear(2, 1))
    _, _, cls1, _ = viz.grid_predictions(one_logit, X, resolution=5)
    assert set(np.unique(cls1)) <= {0, 1}
    with pytest.raises(ValueError, match=r"expected \(n, 2\)"):
        viz.grid_predictions(model, np.zeros((3, 3)))


def test_landscape_with_paths(tmp_path):
    path = np.array([[-1.5, 0.3], [-1.0, -0.2], [0.0, 0.0]])
    fig = viz.plot_landscape(
        lambda X, Y: X**2 + 100 * Y**2,
        {"momentum": path},
        xlim=(-2, 1),
        ylim=(-0.5, 0.5),
        path=tmp_path / "l.png",
        minimum=(0, 0),
    )
    ax = fig.axes[0]
    line = next(li for li in ax.get_lines() if li.get_label() == "momentum")
    np.testing.assert_array_equal(line.get_xdata(), path[:, 0])
    png_size(tmp_path / "l.png")
    viz.plot_landscape(lambda X, Y: X + Y, None, log=False, path=tmp_path / "lin.png")
    png_size(tmp_path / "lin.png")


def test_gradient_flow(tmp_path):
    fig = viz.plot_gradient_flow(
        {"sigmoid": {"a": 1e-6, "b": 1e-2}, "relu": {"a": 0.5, "b": 0.4}}, tmp_path / "g.png"
    )
    ax = fig.axes[0]
    heights = sorted(p.get_height() for p in ax.patches)
    np.testing.assert_allclose(heights, [1e-6, 1e-2, 0.4, 0.5])
    assert ax.get_yscale() == "log"
    png_size(tmp_path / "g.png")
    viz.plot_gradient_flow({"0.weight": 1.0, "2.weight": 0.1}, tmp_path / "g1.png")
    png_size(tmp_path / "g1.png")


def test_lr_find_plot(tmp_path):
    lrs = list(np.geomspace(1e-7, 1, 50))
    losses = [2.3 - 2 / (1 + np.exp(-(np.log10(lr) + 3))) for lr in lrs]
    res = LRFinderResult(lrs, losses, losses, steepest=1e-3, valley=3e-4)
    fig = viz.plot_lr_find(res, tmp_path / "lr.png")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert "steepest 1.00e-03" in labels and "valley 3.00e-04" in labels
    png_size(tmp_path / "lr.png")


def test_matplotlib_stays_out_of_the_library_imports():
    code = (
        "import sys, descentlab, descentlab.data, descentlab.train, descentlab.nn;"
        "import descentlab.registry; from descentlab.train import config, experiment;"
        "print('matplotlib' in sys.modules, 'rich' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out == ["False", "False"]
