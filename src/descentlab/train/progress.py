"""Training progress for a terminal of any width, a log file or pipe, and a Jupyter notebook.

- In a terminal: one live line, ``epoch 3/20 ━━━━━━ loss 0.4321  val_loss 0.3456  ETA 0:00:12``,
  redrawn at most ``refresh_per_second`` times a second from the loop itself (no drawing thread
  competing with the loop for the GIL). The epoch, the loss, the last validation loss and the
  ETA are always there in full; accuracy, lr, elapsed time and the bar follow while the
  width allows (at 80 columns all but the widest fit).
- When the output is not a terminal (a pipe, a log file, CI): one full line per epoch, as
  Keras's ``verbose=2``: ``epoch 3/20 - 0.41s - loss 0.4321 - acc 88.10% - val_loss 0.3456 -
  val_acc 90.00% - lr 1.00e-03``.
- In a Jupyter notebook (an IPython kernel): the live line in the cell's output, updated in
  place, and at the end the learning curves inline (the History's SVG).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from descentlab.train.hooks import Callback

__all__ = ["ProgressBar", "epoch_line", "in_notebook", "status_line"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (an IPython kernel app), False in a terminal or script."""
    ipython = sys.modules.get("IPython")  # never import IPython just to ask
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _clock(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "-:--:--"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _metric(label: str, value: Any) -> str | None:
    if value is None or value != value:
        return None
    return f"{label} {value:.2%}" if label.endswith("acc") else f"{label} {value:.4f}"


def epoch_line(epochs: int, logs: dict[str, Any]) -> str:
    """One epoch in one line: ``epoch 3/20 - 0.41s - loss 0.4321 - acc 88.10% - ...``."""
    parts = [f"epoch {logs['epoch']}/{epochs}"]
    if "time" in logs:
        parts.append(f"{logs['time']:.2f}s")
    for key, label in (
        ("train_loss", "loss"),
        ("train_acc", "acc"),
        ("val_loss", "val_loss"),
        ("val_acc", "val_acc"),
    ):
        text = _metric(label, logs.get(key))
        if text:
            parts.append(text)
    if "lr" in logs:
        parts.append(f"lr {logs['lr']:.2e}")
    return " - ".join(parts)


def bar(width: int, fraction: float) -> str:
    """A bar of ``width`` cells, ``fraction`` of them full: ``━━━━━━╺─────``."""
    full = min(width, int(width * fraction))
    return "━" * full + ("╺" + "─" * (width - full - 1) if full < width else "")


def status_line(
    width: int, epoch: str, required: list[str], optional: list[str]
) -> tuple[str, int, str]:
    """Fit the live line into ``width`` columns: ``(left, bar width, right)``.

    ``required`` items (loss, val_loss, ETA) always stay, in full; ``optional`` ones (acc, lr,
    elapsed) join while they fit, then a bar of 10 to 30 cells if at least 10 are left.
    Below the width of the required items alone, labels shrink to their first letter.
    """
    sep = "  "
    right = sep.join(required)
    if len(epoch) + 1 + len(right) > width:  # very narrow: "e 3/20 l 0.4321 v 0.3456 ETA ..."
        short = [
            r if r.startswith("ETA") else r.split(" ")[0][0] + " " + r.split(" ")[-1]
            for r in required
        ]
        return epoch.replace("epoch ", "e "), 0, " ".join(short)
    for item in optional:
        if len(epoch) + 1 + len(right) + len(sep) + len(item) + 11 <= width:
            right += sep + item
    room = width - len(epoch) - len(right) - 2
    bar = min(30, room) if room >= 10 else 0
    return epoch, bar, right


class ProgressBar(Callback):
    """Progress of a fit: a live line in a terminal or notebook, one line per epoch otherwise.

    Args:
        refresh_per_second: the most redraws a second of the live line (an epoch's end
            included; the last values are drawn when training ends); between redraws a
            batch pays one clock read.
        console: a ``rich.console.Console`` (default: a new one on standard output). Its
            ``is_terminal`` and ``width`` decide the form.
        transient: remove the live line when training ends (terminals).
    """

    def __init__(self, refresh_per_second: float = 8.0, console=None, transient: bool = False):
        self.refresh_per_second = refresh_per_second
        self.console = console
        self.transient = transient
        self._live = None

    # ------------------------------------------------------------------ the three forms
    def on_train_begin(self, loop, logs: dict[str, Any]) -> None:
        from rich.console import Console

        console = self.console or Console()
        self._console = console
        self._notebook = in_notebook() and self.console is None
        self.mode = "live" if console.is_terminal or self._notebook else "lines"
        self._t0, self._step0 = time.perf_counter(), loop.step
        self._total = loop.epochs * loop.steps_per_epoch
        self._val: float | None = None
        self._val_acc: float | None = None
        self._next = 0.0
        self._stale: dict[str, Any] | None = None  # logs not drawn yet
        if self.mode == "live" and self._notebook:
            from IPython.display import display

            self._live = display({"text/plain": ""}, raw=True, display_id=True)
        elif self.mode == "live":
            from rich.live import Live

            self._live = Live("", console=console, auto_refresh=False, transient=self.transient)
            self._live.start()

    def _draw(self, loop, logs: dict[str, Any], refresh: bool = True) -> None:
        elapsed = time.perf_counter() - self._t0
        done = loop.step - self._step0
        eta = elapsed / done * (self._total - loop.step) if done else None
        required = [_metric("loss", logs.get("train_loss")) or "loss -"]
        if self._val is not None:
            required.append(_metric("val_loss", self._val))
        required.append(f"ETA {_clock(eta)}")
        optional = [_metric("acc", logs.get("train_acc")), _metric("val_acc", self._val_acc)]
        optional.append(f"lr {loop.current_lr:.2e}")
        optional = [o for o in optional if o] + [f"elapsed {_clock(elapsed)}"]
        epoch = f"epoch {max(loop.epoch, 1)}/{loop.epochs}"
        fraction = loop.step / max(self._total, 1)
        if self._notebook:
            line = "  ".join([epoch, bar(30, fraction), *required, *optional])
            self._live.update({"text/plain": line}, raw=True)
            return
        from rich.text import Text

        left, cells, right = status_line(self._console.width, epoch, required, optional)
        line = Text(left + " ", no_wrap=True, overflow="ignore")
        if cells:
            line.append(bar(cells, fraction), style="magenta")
            line.append(" ")
        line.append(right)
        self._live.update(line, refresh=refresh)

    def on_batch_end(self, loop, logs: dict[str, Any]) -> None:
        if self.mode != "live":
            return
        now = time.perf_counter()
        if now < self._next:
            return
        self._next = now + 1.0 / self.refresh_per_second
        self._stale = None
        self._draw(loop, logs)

    def on_epoch_end(self, loop, logs: dict[str, Any]) -> None:
        self._val = logs.get("val_loss", self._val)
        self._val_acc = logs.get("val_acc", self._val_acc)
        if self.mode == "lines":
            self._console.print(
                epoch_line(loop.epochs, logs), markup=False, highlight=False, soft_wrap=True
            )
            return
        # The epoch's values wait for the next redraw like a batch's (the last ones are drawn
        # at the end): a redraw costs 0.3 ms, and short epochs would otherwise pay one each
        # (fit's benchmark, 45 batches an epoch: 7 us a batch, measured).
        self._stale = logs
        self.on_batch_end(loop, logs)

    def on_train_end(self, loop, logs: dict[str, Any]) -> None:
        if self._live is None:
            return
        if self._stale is not None:  # stopping the live line draws it once more
            self._draw(loop, self._stale, refresh=False)
        if self._notebook:
            from IPython.display import display

            display(loop.history)
        else:
            self._live.stop()
        self._live = None
