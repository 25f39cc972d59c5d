"""What a finished sweep leaves to read: results.csv, best.toml, a table and Optuna's plots."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from descentlab.sweep.study import Sweep
from descentlab.train import config as C

#: Optuna's matplotlib figures written to ``plots/``, with what each needs to be drawn.
PLOTS = {
    "optimization_history": ("plot_optimization_history", 1, 1),
    "parallel_coordinate": ("plot_parallel_coordinate", 2, 1),
    "slice": ("plot_slice", 1, 1),
    "contour": ("plot_contour", 2, 2),
    "param_importances": ("plot_param_importances", 2, 1),
}


def write_results(sweep: Sweep) -> list[Path]:
    """results.csv (one row per slot) and best.toml (the best trial's config, ready to train)."""
    folder = sweep.folder
    rows = sweep.rows()
    written = []
    if rows:
        path = folder / "results.csv"
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        written.append(path)
    best = sweep.best()
    if best is not None:
        cfg = sweep.trial_config(sweep.study.trials[best["trial"]].params)
        cfg["name"] = f"{cfg['name']}-best"
        path = folder / "best.toml"
        path.write_text(C.dumps(cfg))
        written.append(path)
    return written


def write_plots(sweep: Sweep) -> tuple[list[Path], list[str]]:
    """Optuna's matplotlib visualisations as PNGs; returns (written, lines saying what was not)."""
    import matplotlib

    matplotlib.use("Agg")
    import warnings

    import matplotlib.pyplot as plt
    import optuna.visualization.matplotlib as ovm
    from optuna.exceptions import ExperimentalWarning

    complete = [t for t in sweep.study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    n_params = len(sweep.params)
    out = sweep.folder / "plots"
    out.mkdir(exist_ok=True)
    written, skipped = [], []
    for name, (fn, min_trials, min_params) in PLOTS.items():
        if len(complete) < min_trials or n_params < min_params:
            skipped.append(
                f"{name}: needs {min_trials} complete trials and {min_params} parameters"
            )
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ExperimentalWarning)
                ax = getattr(ovm, fn)(sweep.study)
        except (ValueError, RuntimeError, ZeroDivisionError) as exc:
            skipped.append(f"{name}: {exc}")
            continue
        fig = ax.figure if hasattr(ax, "figure") else ax.flat[0].figure
        path = out / f"{name}.png"
        fig.savefig(path, dpi=90, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    return written, skipped


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def best_table(sweep: Sweep, limit: int = 10):
    """A rich Table of the best finished trials, best first."""
    from rich.table import Table

    key = sweep.spec.metric
    rows = [r for r in sweep.rows() if r[key] is not None and math.isfinite(r[key])]
    rows.sort(key=lambda r: r[key], reverse=sweep.spec.direction == "maximize")
    table = Table(title=f"best trials by {key} ({sweep.spec.direction})", title_justify="left")
    cols = ["slot", "state", key, *(p.key for p in sweep.params), "epochs"]
    for c in cols:
        table.add_column(c, justify="right" if c in ("slot", key, "epochs") else "left")
    for r in rows[:limit]:
        table.add_row(*(_cell(r[c]) for c in cols))
    return table


__all__ = ["PLOTS", "best_table", "write_plots", "write_results"]
