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

COMMAND_MODULES = (
    "train",
    "predict",
    "export",
    "lr_find",
    "compare",
    "sweep",
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="descentlab",
        description="Gradient descent and backpropagation from scratch.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
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
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"descentlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
