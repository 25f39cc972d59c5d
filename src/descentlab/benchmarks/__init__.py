"""Speed benchmarks: descentlab against hand-written NumPy and PyTorch, side by side.

Each benchmark is a module of this package with the same small interface::

    NAME, TITLE, SAMPLES_PER_STEP, SPEED_TARGETS, MEMORY_TARGETS, REPEATS
    make_steps(frameworks=None, small=False) -> {framework: step()}   # one training step each

``measure(name)`` times one into a :class:`~descentlab.benchmarks.common.BenchResult`:
all frameworks interleaved in this process and optionally each alone in a subprocess,
with as many steps per timed block as fit the time budget it is given (the step times are
measured first, during the warm-up). ``descentlab bench`` prints the results as one
table. PyTorch is optional: its column is left out when it is not installed.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from types import ModuleType

from descentlab.benchmarks import common
from descentlab.benchmarks.common import (
    BenchResult,
    measure_isolated,
    time_interleaved,
    warm_up,
)

NAMES = ("tiny_mlp", "mlp", "cnn", "mnist1d", "fit")
# Seconds an isolated run spends outside its timed blocks: starting the worker processes
# (importing descentlab and torch), building the networks, the warm-up and memory steps.
ISOLATED_OVERHEAD = 4.0


def available() -> list[str]:
    """The names of the benchmarks, in the order ``descentlab bench`` runs them."""
    return list(NAMES)


def load(name: str) -> ModuleType:
    """The benchmark module called ``name`` (one of :func:`available`)."""
    if name not in NAMES:
        raise ValueError(f"benchmark: expected one of {', '.join(NAMES)}, received {name!r}")
    return importlib.import_module(f"descentlab.benchmarks.{name}")


@dataclass(frozen=True)
class Plan:
    """How one benchmark is timed: ``repeats`` rounds of ``iterations`` steps per framework."""

    repeats: int
    iterations: int


def plan(
    step_seconds: dict[str, float],
    budget: float,
    repeats: int,
    isolated: bool,
    gap: float = 0.0,
) -> Plan:
    """The steps per timed block that make one benchmark take about ``budget`` seconds.

    Args:
        step_seconds: framework -> seconds per step, measured during the warm-up.
        budget: seconds for this benchmark's timed blocks, idle gaps and isolated runs.
        repeats: rounds; each times one block of every framework, after a ``gap`` idle.
        isolated: whether the blocks run a second time, each framework in its own process,
            after about ``ISOLATED_OVERHEAD`` seconds of start-up.

    Returns:
        The plan: fewer rounds when ``repeats`` rounds of one step each do not fit, and
        at least one round of one step (a budget too small for that is overrun).

    >>> plan({"a": 0.01, "b": 0.03}, budget=10.0, repeats=5, isolated=False, gap=0.0)
    Plan(repeats=5, iterations=50)
    >>> plan({"a": 2.0}, budget=3.0, repeats=7, isolated=False)  # one step per round fits
    Plan(repeats=1, iterations=1)
    """
    timed = max(budget - (ISOLATED_OVERHEAD if isolated else 0.0), 0.0)
    if isolated:
        timed /= 2
    one_round = gap * len(step_seconds) + sum(step_seconds.values())
    repeats = max(1, min(repeats, int(timed / one_round)))
    per_round = timed / repeats - gap * len(step_seconds)
    iterations = int(per_round / max(sum(step_seconds.values()), 1e-9))
    return Plan(repeats, max(1, iterations))


def measure(
    name: str,
    budget: float = 20.0,
    repeats: int | None = None,
    iterations: int | None = None,
    isolated: bool = False,
    memory_steps: int = 10,
    gap: float | None = None,
) -> BenchResult:
    """Time benchmark ``name`` in this process, and optionally each framework alone.

    Args:
        budget: about how many seconds the timing may take (see :func:`plan`); ignored
            when ``iterations`` is given.
        repeats: timed rounds (default the module's ``REPEATS``).
        iterations: steps per timed block (default: as many as fit ``budget``).
        isolated: also run each framework alone in a worker subprocess, timed
            round-robin across the workers: its time per step there and its peak memory.
        memory_steps: training steps over which an isolated run takes the peak memory.
        gap: idle seconds before each timed block (default ``common.BLOCK_GAP``).
    """
    module = load(name)
    repeats = repeats or getattr(module, "REPEATS", 7)
    gap = common.BLOCK_GAP if gap is None else gap
    steps = module.make_steps()
    started = time.perf_counter()
    step_seconds = warm_up(steps)
    if iterations is None:
        remaining = budget - (time.perf_counter() - started)
        chosen = plan(step_seconds, remaining, repeats, isolated, gap)
        repeats, iterations = chosen.repeats, chosen.iterations
    seconds = time_interleaved(steps, repeats, iterations, warmup=0, gap=gap)
    del steps
    result = BenchResult(
        name=module.NAME,
        title=module.TITLE,
        samples_per_step=int(module.SAMPLES_PER_STEP),
        seconds=seconds,
        speed_targets=dict(module.SPEED_TARGETS),
        memory_targets=dict(module.MEMORY_TARGETS),
        iterations=iterations,
        repeats=repeats,
    )
    if isolated:
        result.seconds_alone, result.memory = measure_isolated(
            name, list(result.seconds), memory_steps, repeats, iterations, gap=gap
        )
    return result
