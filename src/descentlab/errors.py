"""One message shape for a value that is not allowed: the argument, what is allowed, what was got.

Every check of a user's input (an optimiser option, a schedule's argument, a config key, a
command-line flag) raises :class:`InvalidArgument`, a ``ValueError`` whose text is one line::

    <argument>: expected <allowed>, got <received>

>>> raise InvalidArgument("lr", "a number >= 0", shown(-0.1))
Traceback (most recent call last):
...
descentlab.errors.InvalidArgument: lr: expected a number >= 0, got -0.1
>>> shown((0.9, float("nan"))), shown("mean"), shown(True)
('(0.9, nan)', "'mean'", 'True')

This module imports nothing from descentlab, so every layer can use it.
"""

from __future__ import annotations

import numbers
from typing import Any

__all__ = ["InvalidArgument", "invalid", "shown"]

_MAX_SHOWN = 80


def invalid(argument: str, allowed: str, received: str) -> str:
    """The message: ``"<argument>: expected <allowed>, got <received>"``, on one line."""
    text = f"{argument}: expected {allowed}, got {received}"
    return " ".join(text.split())


def shown(value: Any) -> str:
    """A value as a message shows it: numbers plainly (``-0.1``, ``nan``), strings quoted,
    tuples and lists element by element; at most 80 characters."""
    if isinstance(value, bool | str) or value is None:
        text = repr(value)
    elif isinstance(value, numbers.Real):
        text = str(float(value)) if not isinstance(value, numbers.Integral) else str(int(value))
    elif isinstance(value, tuple | list):
        inner = ", ".join(shown(v) for v in value)
        text = f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    else:
        text = type(value).__name__
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


class InvalidArgument(ValueError):
    """A value that is not allowed; its text is :func:`invalid`'s one line.

    Attributes:
        argument: what was wrong (``"lr"``, ``"optim.lr"``, ``"--eps"``).
        allowed: what is allowed (``"a number >= 0"``).
        received: what was given, as text (``"-0.1"``; see :func:`shown`).
    """

    def __init__(self, argument: str, allowed: str, received: str) -> None:
        self.argument, self.allowed, self.received = argument, allowed, received
        super().__init__(invalid(argument, allowed, received))
