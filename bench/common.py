"""Shared helpers for the scripts in this folder.

The benchmarks themselves live in the package (``descentlab.benchmarks``) so that the
installed ``descentlab bench`` command can run them; this module re-exports the timing and
table helpers for scripts here, and ``main(name)`` runs one benchmark as the CLI does.
"""

from __future__ import annotations

import sys

from descentlab.benchmarks.common import (
    BenchResult,
    describe_environment,
    environment,
    format_table,
    measure_isolated,
    time_interleaved,
)

__all__ = [
    "BenchResult",
    "describe_environment",
    "environment",
    "format_table",
    "main",
    "measure_isolated",
    "time_interleaved",
]


def main(name: str) -> None:
    """Run benchmark ``name`` with this script's arguments (``--quick``, ``--no-isolated``...)."""
    from descentlab.cli import main as cli_main

    sys.exit(cli_main(["bench", "--only", name, *sys.argv[1:]]))
