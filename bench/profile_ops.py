"""Where descentlab's training step spends its time: per op, forward and backward.

Wraps every op's forward and backward (and the optimiser's update of each parameter group) with a
timer, runs the benchmark's descentlab step, and prints one row per (op, pass): time per
step, calls per step and minor page faults per step. The default clock is this thread's
CPU time: with ``--threads 1`` (BLAS on one thread, so every op runs on this thread) the
figures hold on a busy machine too. ``--wall`` uses the wall clock instead, for multi-threaded
BLAS on a quiet machine.

Run: ``python bench/profile_ops.py cnn --threads 1`` (or ``mlp``, ``tiny_mlp``).
"""

from __future__ import annotations

import argparse
import collections
import resource
import time
from collections.abc import Callable
from typing import Any

from descentlab import benchmarks
from descentlab.ops import (
    arithmetic,
    base,
    conv,
    matmul,
    pool,
    reduce,
    select,
    shape,
    softmax,
    unary,
)
from descentlab.optim import adam, sgd

OP_MODULES = (arithmetic, conv, matmul, pool, reduce, select, shape, softmax, unary)


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


CLOCK = time.thread_time


class Recorder:
    def __init__(self) -> None:
        self.seconds: dict[tuple[str, str], float] = collections.defaultdict(float)
        self.faults: dict[tuple[str, str], int] = collections.defaultdict(int)
        self.calls: collections.Counter = collections.Counter()

    def timed(self, key: tuple[str, str], fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            faults, start = _faults(), CLOCK()
            out = fn(*args, **kwargs)
            self.seconds[key] += CLOCK() - start
            self.faults[key] += _faults() - faults
            self.calls[key] += 1
            return out

        return wrapper

    def clear(self) -> None:
        self.seconds.clear()
        self.faults.clear()
        self.calls.clear()


def instrument(recorder: Recorder) -> None:
    seen: set[type] = set()
    for module in OP_MODULES:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, base.Op) and value is not base.Op:
                if value in seen:
                    continue
                seen.add(value)
                for method in ("forward", "backward"):
                    fn = recorder.timed((value.name, method), getattr(value, method))
                    setattr(value, method, staticmethod(fn))
    for name, cls in (("sgd", sgd.SGD), ("adam", adam.Adam)):
        cls._update_group = recorder.timed((name, "update"), cls._update_group)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmark", choices=benchmarks.available())
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, help="BLAS threads")
    parser.add_argument("--wall", action="store_true", help="time with the wall clock")
    args = parser.parse_args()
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.threads)
    recorder = Recorder()
    instrument(recorder)
    step = benchmarks.load(args.benchmark).make_steps(["descentlab"])["descentlab"]
    for _ in range(5):
        step()
    recorder.clear()
    faults, start = _faults(), CLOCK()
    for _ in range(args.steps):
        step()
    total = (CLOCK() - start) / args.steps
    total_faults = (_faults() - faults) / args.steps
    n = args.steps
    print(
        f"descentlab {args.benchmark}: {total * 1e3:.3f} ms/step "
        f"({'wall clock' if args.wall else 'CPU time of this thread'}), "
        f"{total_faults:.0f} page faults/step"
    )
    print(f"{'op':>16} {'pass':<9} {'ms/step':>8} {'calls':>6} {'faults':>7}")
    ranked = sorted(recorder.seconds.items(), key=lambda item: -item[1])
    for (name, phase), seconds in ranked:
        calls = recorder.calls[(name, phase)] // n
        faults_per_step = recorder.faults[(name, phase)] / n
        print(f"{name:>16} {phase:<9} {seconds / n * 1e3:8.3f} {calls:6d} {faults_per_step:7.0f}")
    inside = sum(recorder.seconds.values()) / n
    print(f"{'outside ops':>16} {'':<9} {(total - inside) * 1e3:8.3f}  (engine, modules, Python)")


if __name__ == "__main__":
    main()
