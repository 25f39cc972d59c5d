"""Decision boundaries of a 2-D classifier."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from descentlab.viz._figure import new_figure, save


def grid_predictions(model, X: np.ndarray, resolution: int = 200, padding: float = 0.5):
    """Evaluate ``model`` on a ``resolution x resolution`` grid covering ``X`` (n, 2).

    Returns:
        xx, yy: (R, R) grid coordinates; cls: (R, R) predicted class; conf: (R, R) probability
        of the predicted class (softmax of C > 1 logits, sigmoid of one logit).
    """
    import descentlab as dl

    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"Invalid X for a decision boundary: shape {X.shape} (expected (n, 2))")
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    pts = np.stack([xx.ravel(), yy.ravel()], axis=1)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with dl.no_grad():
            out = model(dl.tensor(pts))._data.astype(np.float64)
    finally:
        if was_training:
            model.train()
    if out.ndim == 1 or out.shape[1] == 1:
        p1 = 1.0 / (1.0 + np.exp(-out.reshape(-1)))
        cls = (p1 > 0.5).astype(int)
        conf = np.where(cls == 1, p1, 1 - p1)
    else:
        z = np.exp(out - out.max(axis=1, keepdims=True))
        prob = z / z.sum(axis=1, keepdims=True)
        cls = prob.argmax(axis=1)
        conf = prob.max(axis=1)
    shape = xx.shape
    return xx, yy, cls.reshape(shape), conf.reshape(shape)


def plot_decision_boundary(
    model,
    X: np.ndarray,
    y: np.ndarray,
    path: str | Path | None = None,
    resolution: int = 200,
    title: str | None = None,
):
    """Colour the plane by the model's predicted class (shade = confidence), draw the boundary
    and scatter the data coloured by its true class."""
    xx, yy, cls, conf = grid_predictions(model, X, resolution)
    y = np.asarray(y).reshape(-1)
    k = int(max(cls.max(), y.max())) + 1
    fig, ax = new_figure(size=(5.5, 5.0))
    cmap = "tab10"
    ax.contourf(xx, yy, cls, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.25, vmin=0, vmax=9)
    ax.contourf(xx, yy, conf, levels=10, cmap="Greys", alpha=0.15)
    if k > 1:
        ax.contour(xx, yy, cls, levels=np.arange(k) + 0.5, colors="k", linewidths=1.0)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=0, vmax=9, edgecolors="k", s=25)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    if title:
        ax.set_title(title)
    return save(fig, path)
