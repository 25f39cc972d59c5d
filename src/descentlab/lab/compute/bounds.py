"""Validation of what a lab user typed or picked: one sentence when it is out of bounds.

Every page's compute functions call these before running anything, so that no input can
raise an unexpected error or make a request unbounded. The sentence names the field, what is
allowed and what was received, and ends with a full stop, ready for the page's error div.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


def show(value: Any) -> str:
    if value is None or value == "":
        return "nothing"
    return repr(value) if isinstance(value, str) else f"{value}"


def number(
    value: Any,
    label: str,
    low: float,
    high: float,
    *,
    integer: bool = False,
    open_low: bool = False,
) -> float:
    """``value`` as a float (an int if ``integer``) in ``[low, high]`` (``(low, high]`` if
    ``open_low``), else ``ValueError("<label> must be ... (received ...).")``."""
    kind = "a whole number" if integer else "a number"
    interval = f"{'above' if open_low else 'from'} {low:g} {'up to' if open_low else 'to'} {high:g}"
    message = f"{label} must be {kind} {interval} (received {show(value)})."
    if isinstance(value, bool):
        raise ValueError(message)
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(message) from None
    if not math.isfinite(x) or x > high or x < low or (open_low and x == low):
        raise ValueError(message)
    if integer:
        if x != int(x):
            raise ValueError(message)
        return int(x)
    return x


def choice(value: Any, label: str, options: Iterable[str]) -> str:
    """``value`` if it is one of ``options``, else a ``ValueError`` listing them."""
    options = list(options)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{label} must be one of {', '.join(options)} (received {show(value)}).")
    return value


def point(value: Any, label: str, window: tuple[float, float, float, float]) -> tuple[float, float]:
    """A 2-D point ``[x, y]`` inside ``window = (x_min, x_max, y_min, y_max)``."""
    x0, x1, y0, y1 = window
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"{label} must be a point [x, y] (received {show(value)}).")
    return (
        number(value[0], f"{label} x", x0, x1),
        number(value[1], f"{label} y", y0, y1),
    )
