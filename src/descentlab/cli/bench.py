"""``descentlab bench [--only NAME ...] [--quick] [--check]``: speed against NumPy and PyTorch.

Runs the benchmarks of ``descentlab.benchmarks`` (each framework's training step timed
round-robin in this process, best of the repeats; then each framework alone in a
subprocess, for its time there and its peak memory) within a stated time budget, and
prints one table with descentlab's samples/s and memory over each other's. A missed target
is one line; with ``--check`` it also makes the exit status 1.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from descentlab.cli import UsageError

# Seconds per benchmark: the full run (7 rounds, then each framework alone) and --quick
# (3 rounds in this process only, shorter idle gaps).
BUDGET = 24.0
QUICK_BUDGET = 2.0
QUICK_REPEATS = 3
QUICK_GAP = 0.1
# Seconds a benchmark takes beyond its timing budget on a quiet two-core machine: building
# the networks, the warm-up, and (isolated) starting the workers and their memory runs.
# Measured: all five in 136 s for a budget of 120 s; --quick in 15 s for 10 s.
OVERHEAD = 3.5
QUICK_OVERHEAD = 1.0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, received {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, received {text!r}")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="training speed and memory against hand-written NumPy and PyTorch",
        description=(
            "Train the same networks from the same weights with descentlab, a hand-written "
            "NumPy version and PyTorch (when installed), interleaved in one process and then "
            "each alone in a process of its own, and print samples per second, peak memory "
            "and descentlab's ratios to each. Method and figures: docs/benchmarks.md."
        ),
        epilog="example: descentlab bench --only mlp cnn --quick",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only these benchmarks (tiny_mlp, mlp, cnn, mnist1d, fit)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_REPEATS} rounds in this process only (no isolated runs, no memory "
        f"column), about {QUICK_BUDGET:g} s per benchmark: a rough figure",
    )
    parser.add_argument(
        "--budget",
        type=_seconds,
        metavar="SECONDS",
        help=f"time for the whole run, shared equally by the benchmarks (default "
        f"{BUDGET:g} s each, {QUICK_BUDGET:g} s with --quick)",
    )
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="one thread for every framework, timed by CPU time: steady figures on a machine "
        "that other jobs share (but one core's, not two)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 when a target is missed (default: report it, exit 0)",
    )
    parser.add_argument("--repeats", type=_positive, metavar="N", help="timed rounds")
    parser.add_argument(
        "--iterations",
        type=_positive,
        metavar="N",
        help="training steps per timed block (default: as many as the budget allows)",
    )
    parser.add_argument(
        "--memory-steps",
        type=_positive,
        metavar="N",
        help="training steps over which each isolated run takes its peak memory (default 10)",
    )
    parser.add_argument(
        "--no-isolated",
        action="store_true",
        help="skip the isolated runs (each framework alone in a subprocess: its time there "
        "and its peak memory)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    from descentlab import benchmarks
    from descentlab.allocator import tune_malloc
    from descentlab.benchmarks.common import (
        describe_environment,
        environment,
        format_table,
        use_cpu_time,
    )

    names = benchmarks.available()
    selected = list(dict.fromkeys(args.only or names))
    unknown = [name for name in selected if name not in names]
    if unknown:
        raise UsageError(
            f"--only: expected benchmarks among {', '.join(names)}, received "
            f"{', '.join(map(repr, unknown))}"
        )
    tune_malloc()  # as `descentlab train` runs: freed arrays stay in the process
    if args.cpu_time:
        use_cpu_time()
    isolated = not (args.quick or args.no_isolated)
    each = (
        (args.budget / len(selected)) if args.budget else (QUICK_BUDGET if args.quick else BUDGET)
    )
    info = environment()
    print(describe_environment(info))
    if args.iterations:
        print(
            f"{len(selected)} benchmark(s), {args.iterations} steps per timed block: the time "
            f"depends on the step times (no budget)"
        )
    else:
        where = "in this process, then each framework alone" if isolated else "in this process"
        if args.cpu_time:
            where += ", CPU time on one thread"
        extra = OVERHEAD if isolated else QUICK_OVERHEAD
        total = (each + extra) * len(selected)
        clock = " (of CPU time: longer on a busy machine)" if args.cpu_time else ""
        print(
            f"{len(selected)} benchmark(s), about {total:.0f} s on a quiet machine{clock}: "
            f"{each:g} s each timed {where}, plus about {extra:g} s each to build and "
            f"warm up"
        )
    results = []
    for name in selected:
        module = benchmarks.load(name)
        print(f"{name}: {module.TITLE} ...", flush=True)
        result = benchmarks.measure(
            name,
            budget=each,
            repeats=args.repeats or (QUICK_REPEATS if args.quick else None),
            iterations=args.iterations,
            isolated=isolated,
            memory_steps=args.memory_steps or 10,
            gap=QUICK_GAP if args.quick else None,
        )
        results.append(result)
    print()
    print(format_table(results))
    print(
        "\nms/step and samples/s: all frameworks interleaved in this process, best block; "
        "alone: each framework in its own process. dl speed / X: descentlab's samples/s over "
        "X's (> 1: descentlab is faster). peak MiB: resident-set growth while training, "
        "alone; dl mem / X: descentlab's over X's."
    )
    misses = [line for result in results for line in result.misses()]
    for line in misses:
        print(f"target missed: {line}")
    print(f"finished in {time.perf_counter() - started:.0f} s")
    if args.json:
        payload = {"environment": info, "results": [r.to_dict() for r in results]}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if misses and args.check else 0
