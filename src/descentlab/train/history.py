"""History: one row of metrics per epoch, as Keras's ``History.history``."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

#: Columns every fit writes, in this order; callbacks may add more (``clip_fraction`` ...).
CORE_COLUMNS = (
    "epoch",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "lr",
    "grad_norm",
    "grad_norm_max",
    "time",
)


class History:
    """Per-epoch metrics of a training run.

    ``history["val_loss"]`` is the list of one column (NaN where an epoch has no value),
    ``history.rows`` the list of per-epoch dicts, ``len(history)`` the number of epochs.

    Columns written by :func:`descentlab.train.fit`: ``epoch`` (1-based), ``train_loss`` and
    ``train_acc`` (running means over the epoch's batches, weighted by batch size), ``val_loss``
    and ``val_acc`` (on the whole validation set after the epoch, in eval mode), ``lr`` (the
    learning rate used during the epoch), ``grad_norm`` / ``grad_norm_max`` (mean and largest
    global L2 norm of the gradient over the epoch's steps, before any clipping) and ``time``
    (wall seconds for the epoch, validation included).

    ``stop_reason`` says why training stopped early (None when it ran every epoch),
    ``diverged`` whether the divergence guard stopped it, ``restored_epoch`` which epoch's
    weights EarlyStopping put back (None: the last epoch's weights were kept).
    """

    def __init__(self, rows: Iterable[Mapping[str, float]] = ()) -> None:
        self.rows: list[dict[str, float]] = [dict(r) for r in rows]
        self.stop_reason: str | None = None
        self.diverged: bool = False
        self.restored_epoch: int | None = None

    def append(self, row: Mapping[str, float]) -> None:
        self.rows.append(dict(row))

    @property
    def columns(self) -> list[str]:
        seen = [c for c in CORE_COLUMNS if any(c in r for r in self.rows)]
        for r in self.rows:
            seen.extend(k for k in r if k not in seen)
        return seen

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, key: str) -> bool:
        return any(key in r and not _isnan(r[key]) for r in self.rows)

    def __getitem__(self, key: str) -> list[float]:
        if not any(key in r for r in self.rows):
            raise KeyError(f"No column {key!r} in history (columns: {', '.join(self.columns)})")
        return [r.get(key, math.nan) for r in self.rows]

    def get(self, key: str, default=None):
        return self[key] if key in self else default

    def array(self, key: str) -> np.ndarray:
        return np.asarray(self[key], dtype=np.float64)

    @property
    def history(self) -> dict[str, list[float]]:
        """Column name -> list of values (Keras's ``History.history``)."""
        return {c: self[c] for c in self.columns}

    def best_epoch(self, monitor: str = "val_loss", mode: str = "auto") -> int | None:
        """1-based epoch with the best ``monitor`` value (min for losses, max for accuracies)."""
        if monitor not in self:
            return None
        values = self.array(monitor)
        mode = resolve_mode(monitor, mode)
        values = np.where(np.isnan(values), np.inf if mode == "min" else -np.inf, values)
        i = int(np.argmin(values) if mode == "min" else np.argmax(values))
        return int(self.rows[i].get("epoch", i + 1))

    def last(self, key: str, default: float = math.nan) -> float:
        for r in reversed(self.rows):
            if key in r and not _isnan(r[key]):
                return float(r[key])
        return default

    def to_dict(self) -> dict:
        return {
            "rows": self.rows,
            "stop_reason": self.stop_reason,
            "diverged": self.diverged,
            "restored_epoch": self.restored_epoch,
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> History:
        h = cls(d.get("rows", ()))
        h.stop_reason = d.get("stop_reason")
        h.diverged = bool(d.get("diverged", False))
        h.restored_epoch = d.get("restored_epoch")
        return h

    def to_csv(self, path: str | Path) -> None:
        """Write one line per epoch; empty cells for missing values."""
        cols = self.columns
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(cols)
            for r in self.rows:
                w.writerow(["" if _isnan(r.get(c)) else _fmt(r[c]) for c in cols])

    @classmethod
    def from_csv(cls, path: str | Path) -> History:
        with open(path, newline="") as f:
            rows = [
                {k: float(v) if k != "epoch" else int(v) for k, v in r.items() if v != ""}
                for r in csv.DictReader(f)
            ]
        return cls(rows)

    def __repr__(self) -> str:
        return f"History(epochs={len(self)}, columns={self.columns})"

    def _repr_svg_(self) -> str | None:
        """The loss curves, for Jupyter (``display(history)``; ``fit`` shows them at the end)."""
        from descentlab.train.curves_svg import loss_curves_svg

        columns = {c: self[c] for c in ("train_loss", "val_loss") if c in self}
        if not columns:
            return None
        epochs = [float(r.get("epoch", i + 1)) for i, r in enumerate(self.rows)]
        return loss_curves_svg(epochs, columns)


def _isnan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _fmt(v) -> str:
    return repr(float(v)) if isinstance(v, float | np.floating) else str(v)


def resolve_mode(monitor: str, mode: str = "auto") -> str:
    """'min' or 'max': 'auto' means max for accuracy-like names, min otherwise."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"Invalid mode: {mode!r} (expected 'auto', 'min' or 'max')")
    if mode != "auto":
        return mode
    return "max" if "acc" in monitor else "min"
