"""Shared benchmark machinery: interleaved timing, isolated runs, the result table.

Shared process. Every framework's training step runs in one process, round-robin: repeat r
times { run framework A n steps, then B n steps, then C n steps } and keep each one's best
block. Machine noise (another process, a frequency change) then hits all of them alike,
and the best block is the one least disturbed. Each block starts after a short idle gap
(``BLOCK_GAP``): OpenBLAS's worker threads keep spinning for about 0.1 s after NumPy's
last product, and PyTorch's for a while after its own, and without the gap they would
take a core from the framework timed next (measured: PyTorch's MLP step 20 % slower).

Isolated runs. The three frameworks also share the process's heap in that loop, and for
the CNN that changes the result: how much freed memory glibc keeps rather than returning
to the kernel (and faulting back in, page by page, on the next step) depends on everything
the process allocates. So each framework also runs alone in a worker subprocess of its own
(``python -m descentlab.benchmarks.isolated``), which gives the two other columns:

- time alone: the same round-robin of timed blocks, now across the worker processes (one
  runs a block while the others wait on their input), so each framework has a process to
  itself, as in a user's own training script, and noise still hits all alike;
- peak memory: the model and data are built and a small network of the same kinds of
  layers is trained for two steps (so thread pools, BLAS buffers and lazily loaded kernels
  exist before the measurement), the kernel's peak-RSS mark is reset
  (``/proc/self/clear_refs``), the full training steps run, and the result is
  ``VmHWM - VmRSS at the reset``: gradients, optimiser state, activations and temporaries,
  as the operating system sees them (allocator caching included). Linux only; elsewhere
  the memory column is left empty.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

StepFn = Callable[[], float]

# Order of the columns and rows everywhere: ours first, then the references.
FRAMEWORKS = ("descentlab", "numpy", "pytorch")
# Idle seconds before each timed block, so that the previous block's spinning worker
# threads (OpenBLAS spins about 0.1 s) have gone to sleep: see the module docstring.
BLOCK_GAP = 0.25
# The clock of the timed blocks: wall time, or this thread's CPU time after use_cpu_time().
CLOCK: Callable[[], float] = time.perf_counter
# Set in the isolated workers' environment when the parent measures CPU time.
CPU_TIME_VARIABLE = "DESCENTLAB_BENCH_CPU_TIME"


def use_cpu_time() -> None:
    """Time every framework on one thread, by this thread's CPU time.

    One BLAS thread, one PyTorch thread and ``time.thread_time``: each framework then works
    only on the calling thread, and its CPU time stays what it is on a quiet machine while
    other jobs share the cores (the wall clock does not). It measures one core, so it says
    nothing of how well a framework uses two.
    """
    global CLOCK
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    torch = torch_or_none()
    if torch is not None:
        torch.set_num_threads(1)
    CLOCK = time.thread_time
    os.environ[CPU_TIME_VARIABLE] = "1"


def torch_or_none() -> Any:
    """The ``torch`` module if it is installed, else None (the PyTorch column is optional).

    PyTorch is only ever a reference to measure against at run time: nothing in the library
    depends on it.
    """
    try:
        import torch
    except ImportError:
        return None
    return torch


def module_step(model: Any, loss_fn: Any, optimizer: Any, inputs: Any, targets: Any) -> StepFn:
    """One training step of a module: the same code for descentlab and PyTorch (same API)."""

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def build_steps(builders: Mapping[str, Callable[..., StepFn | None]],
                frameworks: Iterable[str] | None, *args: Any) -> dict[str, StepFn]:  # fmt: skip
    """framework -> step for those asked (default all) that this benchmark has and that are
    installed (whose builder returns a step)."""
    steps = {}
    for name in frameworks or builders:
        if name not in builders:
            continue
        fn = builders[name](*args)
        if fn is not None:
            steps[name] = fn
    return steps


def warm_up(
    steps: Mapping[str, StepFn], min_seconds: float = 0.1, max_calls: int = 50
) -> dict[str, float]:
    """Run each step until it is warm; return its seconds per call, for planning.

    The first call (first allocations, lazily built kernels) is not counted unless it took
    ``min_seconds`` or more (a slow step is then not run again); the next calls are timed
    until ``min_seconds`` have passed, at most ``max_calls`` of them.
    """
    estimates = {}
    for name, fn in steps.items():
        start = time.perf_counter()
        fn()
        first = time.perf_counter() - start
        if first >= min_seconds:
            estimates[name] = first
            continue
        calls, start = 0, time.perf_counter()
        while calls < max_calls and (calls == 0 or time.perf_counter() - start < min_seconds):
            fn()
            calls += 1
        estimates[name] = (time.perf_counter() - start) / calls
    return estimates


def time_interleaved(
    steps: Mapping[str, StepFn],
    repeats: int = 7,
    iterations: int = 100,
    warmup: int | None = None,
    gap: float | None = None,
) -> dict[str, float]:
    """Best seconds per call of each step function, measured round-robin in this process.

    Args:
        steps: name -> a function that runs one training step.
        repeats: rounds; each round times ``iterations`` calls of every function in turn.
        iterations: calls per timed block (the block's mean is one sample).
        warmup: untimed calls of each function first (default ``min(20, iterations)``).
        gap: idle seconds before each timed block (default ``BLOCK_GAP``).

    Returns:
        name -> the smallest block mean over the rounds, in seconds per call.
    """
    if repeats < 1 or iterations < 1:
        raise ValueError(
            f"time_interleaved: repeats and iterations must be >= 1, received "
            f"repeats={repeats}, iterations={iterations}"
        )
    warmup = min(20, iterations) if warmup is None else warmup
    gap = BLOCK_GAP if gap is None else gap
    for fn in steps.values():
        for _ in range(warmup):
            fn()
    best = {name: math.inf for name in steps}
    for _ in range(repeats):
        for name, fn in steps.items():
            if gap:
                time.sleep(gap)
            start = CLOCK()
            for _ in range(iterations):
                fn()
            best[name] = min(best[name], (CLOCK() - start) / iterations)
    return best


# ------------------------------------------------------------------------- memory
def _proc_status_kib(field_name: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise OSError(f"/proc/self/status has no {field_name} line")


def reset_peak_rss() -> int:
    """Reset the kernel's peak-RSS mark of this process; return the current RSS in bytes."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")  # 5: reset VmHWM to the current RSS (Linux >= 4.0)
    return _proc_status_kib("VmRSS") * 1024


def peak_rss() -> int:
    """The peak resident set size of this process since the last reset, in bytes."""
    return _proc_status_kib("VmHWM") * 1024


def memory_supported() -> bool:
    """Whether peak RSS can be reset and read here (Linux with a writable clear_refs)."""
    try:
        reset_peak_rss()
        peak_rss()
    except OSError:
        return False
    return True


class _Worker:
    """One ``descentlab.benchmarks.isolated`` subprocess, spoken to one line at a time."""

    def __init__(self, benchmark: str, framework: str) -> None:
        self.name = f"{benchmark}/{framework}"
        command = [sys.executable, "-m", "descentlab.benchmarks.isolated", benchmark, framework]
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.kill()
            _, err = self.process.communicate()
            raise RuntimeError(
                f"isolated run of {self.name} failed (exit {self.process.returncode}):\n"
                f"{err.strip()}"
            )
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"isolated run of {self.name}: {answer['error']}")
        return answer

    def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def measure_isolated(
    benchmark: str,
    frameworks: Iterable[str],
    memory_steps: int = 10,
    repeats: int = 7,
    iterations: int = 100,
    warmup: int | None = None,
    gap: float | None = None,
) -> tuple[dict[str, float], dict[str, int]]:
    """Each framework alone in its own worker process, timed round-robin across them.

    Every worker first measures its peak memory over ``memory_steps`` steps, then the
    workers take turns as in :func:`time_interleaved` (a process runs a block while the
    others wait on their input), so each framework has the process to itself and machine
    noise still hits all alike.

    Returns:
        ``(seconds, peak_bytes)``: framework -> best seconds per step, and framework ->
        peak RSS growth (frameworks that are not installed, or memory this platform cannot
        measure, are left out).
    """
    warmup = min(20, iterations) if warmup is None else warmup
    gap = BLOCK_GAP if gap is None else gap
    workers = {f: _Worker(benchmark, f) for f in frameworks}
    seconds: dict[str, float] = {}
    memory: dict[str, int] = {}
    try:
        ready = {f: w for f, w in workers.items() if w.read()["available"]}
        for framework, worker in ready.items():
            peak = worker.ask(f"memory {memory_steps}")["peak_bytes"]
            if peak is not None:
                memory[framework] = int(peak)
            worker.ask(f"run {warmup}")
        best = {framework: math.inf for framework in ready}
        for _ in range(repeats):
            for framework, worker in ready.items():
                if gap:
                    time.sleep(gap)
                best[framework] = min(best[framework], worker.ask(f"time {iterations}")["seconds"])
        seconds = best
    finally:
        for worker in workers.values():
            worker.close()
    return seconds, memory


# ------------------------------------------------------------------------ results
@dataclass
class BenchResult:
    """One benchmark's measurements.

    Attributes:
        name: the benchmark's short name (``mlp``).
        title: one line saying what is trained.
        samples_per_step: training samples per step (the batch size).
        seconds: framework -> best seconds per step, all frameworks in one process.
        speed_targets: framework -> the least ``descentlab samples/s / its samples/s`` asked.
        seconds_alone: framework -> best seconds per step, each alone in a subprocess
            (missing when not measured).
        memory: framework -> peak RSS growth in bytes, alone in a subprocess (missing when
            not measured).
        memory_targets: framework -> the most ``descentlab memory / its memory`` allowed.
        iterations: steps per timed block; repeats: timed rounds (None: not recorded).
    """

    name: str
    title: str
    samples_per_step: int
    seconds: dict[str, float]
    speed_targets: dict[str, float] = field(default_factory=dict)
    seconds_alone: dict[str, float] = field(default_factory=dict)
    memory: dict[str, int] = field(default_factory=dict)
    memory_targets: dict[str, float] = field(default_factory=dict)
    iterations: int | None = None
    repeats: int | None = None

    def frameworks(self) -> list[str]:
        """The measured frameworks, descentlab first."""
        known = [f for f in FRAMEWORKS if f in self.seconds]
        return known + [f for f in self.seconds if f not in FRAMEWORKS]

    def samples_per_second(self, framework: str, alone: bool = False) -> float | None:
        seconds = (self.seconds_alone if alone else self.seconds).get(framework)
        return None if seconds is None else self.samples_per_step / seconds

    def speed_ratio(self, framework: str, alone: bool = False) -> float | None:
        """descentlab's samples/s over ``framework``'s (> 1: descentlab is faster)."""
        times = self.seconds_alone if alone else self.seconds
        if framework not in times or "descentlab" not in times:
            return None
        return times[framework] / times["descentlab"]

    def memory_ratio(self, framework: str) -> float | None:
        """descentlab's peak memory over ``framework``'s (< 1: descentlab uses less)."""
        ours, theirs = self.memory.get("descentlab"), self.memory.get(framework)
        if ours is None or theirs is None or theirs <= 0:
            return None
        return ours / theirs

    def misses(self) -> list[str]:
        """One sentence per target this result misses (empty when all are met)."""
        out = []
        for framework, least in self.speed_targets.items():
            for alone, where in ((False, "in one process"), (True, "each alone")):
                ratio = self.speed_ratio(framework, alone)
                if ratio is not None and ratio < least:
                    out.append(
                        f"{self.name}: descentlab / {framework} speed {ratio:.3f} {where} "
                        f"< target {least:.2f}"
                    )
        for framework, most in self.memory_targets.items():
            ratio = self.memory_ratio(framework)
            if ratio is not None and ratio > most:
                out.append(
                    f"{self.name}: descentlab / {framework} peak memory {ratio:.3f} > target "
                    f"{most:.2f}"
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "samples_per_step": self.samples_per_step,
            "repeats": self.repeats,
            "iterations": self.iterations,
            "frameworks": {
                f: {
                    "seconds_per_step": self.seconds[f],
                    "samples_per_second": self.samples_per_second(f),
                    "speed_ratio": self.speed_ratio(f),
                    "seconds_per_step_alone": self.seconds_alone.get(f),
                    "samples_per_second_alone": self.samples_per_second(f, alone=True),
                    "speed_ratio_alone": self.speed_ratio(f, alone=True),
                    "speed_target": self.speed_targets.get(f),
                    "peak_bytes": self.memory.get(f),
                    "memory_ratio": self.memory_ratio(f),
                    "memory_target": self.memory_targets.get(f),
                }
                for f in self.frameworks()
            },
        }


HEADER = (
    "benchmark",
    "framework",
    "ms/step",
    "samples/s",
    "dl speed /",
    "alone samples/s",
    "dl speed /",
    "speed target",
    "peak MiB",
    "dl mem /",
    "mem target",
)


def table_rows(results: Iterable[BenchResult]) -> list[tuple[str, ...]]:
    """The table as rows of cells (strings), one row per benchmark and framework.

    ``ms/step``, ``samples/s`` and the first ``dl speed /`` come from the shared-process
    loop; ``alone samples/s`` and the second ``dl speed /`` from the isolated runs;
    ``dl speed /`` is descentlab's samples/s over this row's and ``dl mem /`` descentlab's
    peak memory over this row's. A speed target (``>= x``) is ``ok`` when both speed ratios
    meet it; a memory target reads ``<= x``.
    """
    rows = []
    for result in results:
        for i, framework in enumerate(result.frameworks()):
            speeds = [result.speed_ratio(framework), result.speed_ratio(framework, alone=True)]
            measured = [r for r in speeds if r is not None]
            speed_target = _target_cell(
                result.speed_targets.get(framework),
                min(measured) if measured else None,
                ">=",
                lambda r, t: r >= t,
            )
            peak = result.memory.get(framework)
            mem_target = _target_cell(
                result.memory_targets.get(framework),
                result.memory_ratio(framework),
                "<=",
                lambda r, t: r <= t,
            )
            rows.append(
                (
                    result.name if i == 0 else "",
                    framework,
                    f"{result.seconds[framework] * 1e3:.3f}",
                    _number(result.samples_per_second(framework), "{:,.0f}"),
                    _number(speeds[0], "{:.2f}"),
                    _number(result.samples_per_second(framework, alone=True), "{:,.0f}"),
                    _number(speeds[1], "{:.2f}"),
                    speed_target,
                    _number(None if peak is None else peak / 2**20, "{:.1f}"),
                    _number(result.memory_ratio(framework), "{:.2f}"),
                    mem_target,
                )
            )
    return rows


def _number(value: float | None, spec: str) -> str:
    return "" if value is None else spec.format(value)


def _target_cell(target: float | None, ratio: float | None, sign: str, met) -> str:
    if target is None:
        return ""
    if ratio is None:
        return f"{sign} {target:.2f}"
    return f"{sign} {target:.2f} {'ok' if met(ratio, target) else 'MISS'}"


def format_table(results: Iterable[BenchResult]) -> str:
    """The results as one aligned plain-text table (see :func:`table_rows`)."""
    rows = [HEADER, *table_rows(results)]
    widths = [max(len(row[c]) for row in rows) for c in range(len(HEADER))]
    lines = []
    for k, row in enumerate(rows):
        cells = [
            cell.ljust(width) if c < 2 else cell.rjust(width)
            for c, (cell, width) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ---------------------------------------------------------------------- machine
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine() or "unknown"


def environment() -> dict[str, Any]:
    """What the figures depend on: CPU, cores, NumPy and its BLAS, PyTorch and its threads."""
    import platform

    import numpy as np

    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["blas"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy: no mode="dicts"; the BLAS stays unnamed
        info["blas"] = "unknown"
    try:
        from threadpoolctl import threadpool_info

        threads = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
        info["blas_threads"] = max(threads) if threads else None
    except ImportError:
        info["blas_threads"] = None
    torch = torch_or_none()
    info["pytorch"] = None if torch is None else torch.__version__
    info["pytorch_threads"] = None if torch is None else torch.get_num_threads()
    return info


def describe_environment(info: dict[str, Any]) -> str:
    """``environment()`` as two lines of text."""
    blas_threads = info.get("blas_threads")
    threads = f", {blas_threads} BLAS threads" if blas_threads else ""
    torch = (
        f"PyTorch {info['pytorch']} ({info['pytorch_threads']} threads)"
        if info.get("pytorch")
        else "PyTorch not installed (its column is left out)"
    )
    return (
        f"{info['cpu']}, {info['cores']} cores; Python {info['python']}\n"
        f"NumPy {info['numpy']} with {info['blas']}{threads}; {torch}"
    )
