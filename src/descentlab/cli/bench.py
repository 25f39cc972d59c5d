"""``descentlab bench [--only NAME ...] [--quick]``: training speed against NumPy and PyTorch.

Runs the benchmarks of ``descentlab.benchmarks`` (each framework's training step timed
round-robin in this process, best of the repeats; then each framework alone in a
subprocess, for its time there and its peak memory) and prints one table with
descentlab's samples/s and memory over each other's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from descentlab.cli import UsageError


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, received {text!r}")
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
        help="run only these benchmarks (tiny_mlp, mlp, cnn, and fit when bench/bench_fit.py "
        "exists)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer repeats and steps: a rough figure in seconds rather than a careful one",
    )
    parser.add_argument("--repeats", type=_positive, metavar="N", help="timed rounds")
    parser.add_argument(
        "--iterations", type=_positive, metavar="N", help="training steps per timed block"
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
    from descentlab import benchmarks
    from descentlab.benchmarks.common import describe_environment, environment, format_table

    names = benchmarks.available()
    selected = args.only or names
    unknown = [name for name in selected if name not in names]
    if unknown:
        raise UsageError(
            f"--only: unknown benchmark {', '.join(map(repr, unknown))} "
            f"(expected one of {', '.join(names)})"
        )
    selected = list(dict.fromkeys(selected))
    info = environment()
    print(describe_environment(info))
    if "fit" not in names:
        print("(no bench/bench_fit.py here: the fit benchmark is left out)")
    results = []
    for name in selected:
        try:
            module = benchmarks.load(name)
        except benchmarks.NotABenchmark as exc:
            if args.only:
                raise UsageError(str(exc)) from None
            print(f"({exc}: left out)")
            continue
        repeats = args.repeats or (3 if args.quick else getattr(module, "REPEATS", 7))
        iterations = args.iterations or getattr(module, "ITERATIONS", 100)
        if args.quick and not args.iterations:
            iterations = max(1, iterations // 5)
        memory_steps = args.memory_steps or (3 if args.quick else 10)
        print(f"{name}: {getattr(module, 'TITLE', name)} ...", flush=True)
        result = benchmarks.measure(
            name, repeats, iterations, not args.no_isolated, memory_steps, module
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
    if args.json:
        payload = {"environment": info, "results": [r.to_dict() for r in results]}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0
