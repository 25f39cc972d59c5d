"""Speed benchmarks: descentlab against hand-written NumPy and PyTorch, side by side.

Each benchmark is a module with the same small interface::

    NAME, TITLE, SAMPLES_PER_STEP, SPEED_TARGETS, MEMORY_TARGETS, REPEATS, ITERATIONS
    make_steps(frameworks=None, small=False) -> {framework: step()}   # one training step each
    run(repeats, iterations) -> {framework: best seconds per step}

``measure(name)`` times one into a :class:`~descentlab.benchmarks.common.BenchResult`
(all frameworks interleaved in this process, and optionally each alone in a subprocess);
``descentlab bench`` prints them as one table. The scripts in the repository's ``bench/``
folder call these modules. PyTorch is optional: its column is left out when it is not
installed.

A training-loop benchmark in the repository's ``bench/bench_fit.py`` joins the table when it
exists (in a source checkout) and exposes ``run(repeats, iterations) -> {framework: seconds}``.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

from descentlab.benchmarks.common import BenchResult, measure_isolated

BUILT_IN = ("tiny_mlp", "mlp", "cnn")
# Benchmarks that live as scripts in the repository's bench/ folder, not in the package.
SCRIPTS = {"fit": "bench_fit.py"}


class NotABenchmark(ValueError):
    """A benchmark script exists but does not expose the interface ``measure`` needs."""


def _script_path(name: str) -> Path | None:
    # src/descentlab/benchmarks/__init__.py -> the repository root is three folders up.
    path = Path(__file__).resolve().parents[3] / "bench" / SCRIPTS[name]
    return path if path.is_file() else None


def available() -> list[str]:
    """The benchmarks that can run here: the built-in ones, then any found script."""
    return [*BUILT_IN, *(name for name in SCRIPTS if _script_path(name) is not None)]


def load(name: str) -> ModuleType:
    """The benchmark module called ``name`` (one of :func:`available`)."""
    if name in BUILT_IN:
        return importlib.import_module(f"descentlab.benchmarks.{name}")
    path = _script_path(name) if name in SCRIPTS else None
    if path is None:
        raise ValueError(f"Unknown benchmark: {name!r} (expected one of {', '.join(available())})")
    spec = importlib.util.spec_from_file_location(f"descentlab_bench_{name}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "run", None)):
        raise NotABenchmark(
            f"benchmark {name!r}: {path.name} has no run(repeats, iterations) -> "
            f"{{framework: seconds per step}} function"
        )
    return module


def measure(
    name: str,
    repeats: int | None = None,
    iterations: int | None = None,
    isolated: bool = False,
    memory_steps: int = 10,
    module: ModuleType | None = None,
) -> BenchResult:
    """Time benchmark ``name`` in this process, and optionally each framework alone.

    Args:
        repeats: timed rounds (default the module's ``REPEATS``).
        iterations: steps per timed block (default the module's ``ITERATIONS``).
        isolated: also run each framework alone in a worker subprocess (built-in
            benchmarks only), timed round-robin across the workers: its time per step there
            and its peak memory.
        memory_steps: training steps over which an isolated run takes the peak memory.
        module: the already loaded module of ``name`` (default: load it).
    """
    module = module or load(name)
    repeats = repeats if repeats is not None else getattr(module, "REPEATS", 7)
    iterations = iterations if iterations is not None else getattr(module, "ITERATIONS", 100)
    seconds = module.run(repeats, iterations)
    if not isinstance(seconds, dict) or "descentlab" not in seconds:
        raise ValueError(
            f"benchmark {name!r}: run() must return {{framework: seconds per step}} with a "
            f"'descentlab' entry, received {seconds!r}"
        )
    result = BenchResult(
        name=getattr(module, "NAME", name),
        title=getattr(module, "TITLE", (module.__doc__ or name).strip().splitlines()[0]),
        samples_per_step=int(getattr(module, "SAMPLES_PER_STEP", 1)),
        seconds={k: float(v) for k, v in seconds.items()},
        speed_targets=dict(getattr(module, "SPEED_TARGETS", {})),
        memory_targets=dict(getattr(module, "MEMORY_TARGETS", {})),
    )
    if isolated and name in BUILT_IN:
        result.seconds_alone, result.memory = measure_isolated(
            name, list(result.seconds), memory_steps, repeats, iterations
        )
    return result
