"""A worker process that trains one framework alone, on command: peak memory and timings.

``python -m descentlab.benchmarks.isolated BENCHMARK FRAMEWORK`` builds the framework's
training step (after two steps of a small network of the same layers, so that thread pools,
BLAS buffers and lazily built kernels exist before anything is measured), prints one JSON
line ``{"ready": true, "available": ...}`` and then answers one JSON line per command read
from stdin:

- ``memory N``: reset the peak-RSS mark, run N steps, answer ``{"peak_bytes": ...}`` (the
  growth over the RSS at the reset; null where the platform cannot measure it). Send it
  first, before any other steps, so that it sees the training state being created.
- ``run N``: run N steps untimed, answer ``{}``.
- ``time N``: run N steps, answer ``{"seconds": ...}`` (per step; wall time, or CPU time
  on one thread when the parent set ``DESCENTLAB_BENCH_CPU_TIME=1``).

End of input ends the worker. ``descentlab.benchmarks.common.measure_isolated`` drives one
worker per framework round-robin; see that module for why.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from typing import Any

from descentlab.allocator import release_free_memory, tune_malloc
from descentlab.benchmarks import common, load
from descentlab.benchmarks.common import memory_supported, peak_rss, reset_peak_rss


def _answer(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def serve(benchmark: str, framework: str) -> int:
    tune_malloc()  # as in `descentlab bench`, which starts this worker
    if os.environ.get(common.CPU_TIME_VARIABLE) == "1":
        common.use_cpu_time()
    module = load(benchmark)
    warm = module.make_steps([framework], small=True)
    if framework not in warm:
        _answer({"ready": True, "available": False})
        return 0
    for _ in range(2):
        warm[framework]()
    del warm
    step = module.make_steps([framework])[framework]
    gc.collect()
    can_measure_memory = memory_supported()
    _answer({"ready": True, "available": True})
    for line in sys.stdin:
        command, _, count_text = line.strip().partition(" ")
        count = int(count_text or 0)
        if command == "memory":
            if not can_measure_memory:
                for _ in range(count):
                    step()
                _answer({"peak_bytes": None})
                continue
            gc.collect()
            release_free_memory()  # freed set-up memory must not hide what training needs
            baseline = reset_peak_rss()
            for _ in range(count):
                step()
            _answer({"peak_bytes": peak_rss() - baseline, "baseline_bytes": baseline})
        elif command == "run":
            for _ in range(count):
                step()
            _answer({})
        elif command == "time":
            start = common.CLOCK()
            for _ in range(count):
                step()
            _answer({"seconds": (common.CLOCK() - start) / max(count, 1)})
        else:
            _answer({"error": f"unknown command {command!r} (expected memory, run or time)"})
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(
            "usage: python -m descentlab.benchmarks.isolated BENCHMARK FRAMEWORK", file=sys.stderr
        )
        return 2
    return serve(*args)


if __name__ == "__main__":
    sys.exit(main())
