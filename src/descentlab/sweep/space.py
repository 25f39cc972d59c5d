"""Search spaces: ``--param KEY=DIST(...)`` parsed into Optuna distributions.

The grammar is a single call with literal arguments, read with :mod:`ast` (never ``eval``)::

    optim.lr=loguniform(1e-4, 1e-1)      a float, uniform in log space
    model.dropout=uniform(0, 0.5)        a float, uniform
    train.epochs=int(5, 40)              an integer in [5, 40]; int(5, 40, 5) steps by 5
    model.width=logint(8, 256)           an integer, uniform in log space
    train.batch_size=choice(16, 32, 64)  one of the values (numbers, strings, booleans, lists)
    model.hidden=choice([32], [64, 64])

Optuna's categorical distribution holds only scalars, so a list choice is stored as its JSON
text (``"[64, 64]"``) and decoded back when the trial's config is built.
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass
from typing import Any

#: The distributions ``--param`` accepts, with the arguments each takes.
DISTRIBUTIONS = {
    "loguniform": "loguniform(low, high), 0 < low < high",
    "uniform": "uniform(low, high), low < high",
    "int": "int(low, high[, step]), integers low <= high",
    "logint": "logint(low, high), integers 1 <= low < high",
    "choice": "choice(v1, v2, ...), at least one value",
}

MAX_PARAM_TEXT = 1000
MAX_CHOICES = 1000


class ParamError(ValueError):
    """A ``--param`` that cannot be read: one line naming what was wrong and what is allowed."""


@dataclass(frozen=True)
class Param:
    """One searched config key: its dotted name, the distribution's name and its arguments."""

    key: str
    kind: str
    args: tuple[Any, ...]

    def distribution(self):
        """The Optuna distribution this parameter samples from."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        a = self.args
        if self.kind == "loguniform":
            return FloatDistribution(float(a[0]), float(a[1]), log=True)
        if self.kind == "uniform":
            return FloatDistribution(float(a[0]), float(a[1]))
        if self.kind == "int":
            return IntDistribution(int(a[0]), int(a[1]), step=int(a[2]) if len(a) > 2 else 1)
        if self.kind == "logint":
            return IntDistribution(int(a[0]), int(a[1]), log=True)
        return CategoricalDistribution([encode_choice(v) for v in a])

    def decode(self, value: Any) -> Any:
        """A sampled value as the config wants it (list choices come back as lists)."""
        return decode_choice(value) if self.kind == "choice" else value

    def grid(self) -> list[Any]:
        """Every value of a grid search along this key (choices only)."""
        if self.kind != "choice":
            raise ParamError(
                f"--param {self.key}: a grid sweep needs choice(...) for every key, "
                f"got {self.kind}(...)"
            )
        return [encode_choice(v) for v in self.args]

    def text(self) -> str:
        return f"{self.key}={self.kind}({', '.join(json.dumps(v) for v in self.args)})"


def encode_choice(value: Any) -> Any:
    """A choice value as Optuna can store it: scalars as they are, lists as JSON text."""
    return json.dumps(value) if isinstance(value, list | dict) else value


def decode_choice(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value


def parse_param(text: str) -> Param:
    """``"optim.lr=loguniform(1e-4,1e-1)"`` -> ``Param("optim.lr", "loguniform", (1e-4, 0.1))``.

    Raises:
        ParamError: the text is not ``KEY=DIST(args)`` with a known distribution and valid
            literal arguments.
    """
    usage = "expected KEY=DIST(...) with DIST one of " + ", ".join(DISTRIBUTIONS)
    if not isinstance(text, str) or len(text) > MAX_PARAM_TEXT:
        raise ParamError(f"--param: {usage}, got a text of over {MAX_PARAM_TEXT} characters")
    key, sep, rhs = text.partition("=")
    key = key.strip()
    if not sep or not key or "\0" in text:
        raise ParamError(f"--param: {usage} (e.g. optim.lr=loguniform(1e-4,1e-1)), got {text!r}")
    try:
        node = ast.parse(rhs.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ParamError(f"--param {key}: {usage}, got {rhs.strip()!r}") from None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)) or node.keywords:
        raise ParamError(f"--param {key}: {usage}, got {rhs.strip()!r}")
    kind = node.func.id
    if kind not in DISTRIBUTIONS:
        raise ParamError(f"--param {key}: unknown distribution {kind!r} ({usage})")
    try:
        args = tuple(ast.literal_eval(a) for a in node.args)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        raise ParamError(
            f"--param {key}: the arguments of {kind}(...) must be literal values "
            f"({DISTRIBUTIONS[kind]}), got {rhs.strip()!r}"
        ) from None
    _check_args(key, kind, args)
    return Param(key, kind, args)


def _check_args(key: str, kind: str, args: tuple[Any, ...]) -> None:
    def bad(why: str) -> ParamError:
        return ParamError(f"--param {key}: {why}; allowed: {DISTRIBUTIONS[kind]}")

    if kind == "choice":
        if not args or len(args) > MAX_CHOICES:
            raise bad(f"got {len(args)} values")
        if len({json.dumps(v, sort_keys=True) for v in args}) != len(args):
            raise bad("a value is repeated")
        for v in args:
            if not isinstance(v, bool | int | float | str | list) or v is None:
                raise bad(f"got {v!r} ({type(v).__name__})")
        return
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in args)
    wanted = (2, 3) if kind == "int" else (2,)
    if len(args) not in wanted or not numbers or not all(math.isfinite(v) for v in args):
        raise bad(f"got {args!r}")
    low, high = args[0], args[1]
    if kind in ("int", "logint") and not all(float(v).is_integer() for v in args):
        raise bad(f"got non-integer bounds {args!r}")
    if kind == "int" and (low > high or (len(args) == 3 and args[2] < 1)):
        raise bad(f"got {args!r}")
    if kind in ("uniform", "loguniform", "logint") and not low < high:
        raise bad(f"got low={low!r} >= high={high!r}")
    if kind in ("loguniform",) and low <= 0:
        raise bad(f"got low={low!r}")
    if kind == "logint" and low < 1:
        raise bad(f"got low={low!r}")


def parse_params(texts: list[str]) -> list[Param]:
    """Every ``--param``; a key given twice is an error."""
    params = [parse_param(t) for t in texts]
    seen: set[str] = set()
    for p in params:
        if p.key in seen:
            raise ParamError(f"--param {p.key}: given twice; give each key once")
        seen.add(p.key)
    return params


def extreme_values(param: Param) -> list[Any]:
    """Values to validate the base config with before any trial runs (ends and every choice)."""
    if param.kind == "choice":
        return list(param.args)
    low, high = param.args[0], param.args[1]
    if param.kind in ("int", "logint"):
        return [int(low), int(high)]
    return [float(low), float(high)]


__all__ = [
    "DISTRIBUTIONS",
    "Param",
    "ParamError",
    "decode_choice",
    "encode_choice",
    "extreme_values",
    "parse_param",
    "parse_params",
]
