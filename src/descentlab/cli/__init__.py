"""The ``descentlab`` command line.

Each sub-command lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to the function
that runs it. Heavy imports (matplotlib, Dash, scikit-learn) happen inside those
functions, so ``descentlab --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import Any, NoReturn

COMMAND_MODULES = (
    "train",
    "predict",
    "export",
    "lr_find",
    "compare",
    "sweep",
    "config",
    "graph",
    "gradcheck",
    "lab",
    "bench",
    "rl",
    "som",
    "tree",
)


class UsageError(Exception):
    """A mistake in what the user asked for: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``descentlab train: error: --eps: expected ...``)."""

    def error(self, message: str) -> NoReturn:
        message = message.removeprefix("argument ")
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())}\n")


def typed(param: Any) -> Callable[[str], Any]:
    """An argparse ``type`` from a :class:`descentlab.registry.Param`: the text is read as a
    number (or a word), then checked; a mistake reads ``--eps: expected a number > 0, got 0``.
    """
    import math

    def convert(text: str) -> Any:
        from descentlab.registry import InvalidArgument

        value: Any = text
        if param.kind in ("int", "float"):
            try:
                value = int(text)
            except ValueError:
                try:
                    number = float(text)
                except ValueError:
                    pass
                else:  # 1e9 is an integer when it is one; never NaN or inf
                    is_int = math.isfinite(number) and number.is_integer()
                    value = int(number) if param.kind == "int" and is_int else number
        try:
            return param.check(value)
        except InvalidArgument as exc:
            raise argparse.ArgumentTypeError(f"expected {exc.allowed}, got {text!r}") from None

    convert.__name__ = param.kind
    return convert


def version() -> str:
    from descentlab import __version__

    return f"descentlab {__version__}"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="descentlab",
        description="Gradient descent and backpropagation from scratch.",
    )
    parser.add_argument("--version", action="version", version=version())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"descentlab.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"descentlab.cli.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # --help, --version and usage errors exit here
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from descentlab.registry import InvalidArgument

    try:
        return int(args.func(args) or 0)
    except (UsageError, InvalidArgument) as exc:
        print(f"descentlab {args.command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
