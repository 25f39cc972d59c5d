"""The PNG plots of a run directory, written above ``train/`` (which never imports viz).

``descentlab train`` calls :func:`write_plots` after :func:`descentlab.train.experiment.run`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from descentlab.viz.boundary import plot_decision_boundary
from descentlab.viz.curves import plot_history
from descentlab.viz.gradients import plot_gradient_flow

__all__ = ["write_plots"]


def write_plots(exp, history, out: Path) -> list[Path]:
    """Write ``learning_curves.png``, ``decision_boundary.png`` (2-D inputs) and
    ``gradient_flow.png`` (with ``train.monitor_gradients``) into ``out``; return the paths.

    Args:
        exp: the :class:`~descentlab.train.experiment.Experiment` that trained.
        history: its :class:`~descentlab.train.history.History`.
        out: the run directory.
    """
    written = []
    name = exp.config["name"]
    path = out / "learning_curves.png"
    plot_history(history, path, title=name)
    written.append(path)
    if exp.in_shape == (2,):
        X = np.concatenate([p[0] for p in exp.splits if p is not None])
        y = np.concatenate([p[1] for p in exp.splits if p is not None])
        path = out / "decision_boundary.png"
        plot_decision_boundary(exp.model, X, y, path, title=f"{name}: decision boundary")
        written.append(path)
    cols = [c for c in history.columns if c.startswith("grad_norm/")]
    if cols:
        norms = {c.split("/", 1)[1]: history.last(c) for c in cols}
        path = out / "gradient_flow.png"
        plot_gradient_flow(norms, path, title=f"{name}: gradient norm per layer (last epoch)")
        written.append(path)
    return written
