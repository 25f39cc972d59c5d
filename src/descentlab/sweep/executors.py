"""Where trials run: in this process, one after another, or on a Dask cluster.

Both executors take a picklable top-level function and a list of jobs and yield
``(index, result)`` pairs as jobs finish. On Dask, a job whose worker dies is run again on
another worker by the scheduler (``distributed.scheduler.allowed-failures`` times); if it keeps
killing workers its result is an error dict, never an exception that stops the sweep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


class SerialExecutor:
    """Runs each job in this process, in order: the reference a parallel sweep must match."""

    description = "serially, in this process"
    dashboard = None

    def run(self, fn: Callable[[Any], Any], jobs: list[Any]) -> Iterator[tuple[int, Any]]:
        for i, job in enumerate(jobs):
            yield i, fn(job)

    def close(self) -> None:
        pass


class DaskExecutor:
    """Runs jobs on Dask: a ``LocalCluster`` of worker processes, or an existing scheduler.

    Args:
        workers: worker processes of the local cluster (one thread each).
        scheduler: a scheduler address (``tcp://HOST:8786``); when given, no cluster is started
            and ``workers`` is ignored.
    """

    def __init__(self, workers: int = 2, scheduler: str | None = None) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
            n = len(self.client.scheduler_info().get("workers", {}))
            self.description = f"on the Dask scheduler {scheduler} ({n} workers now)"
        else:
            self._cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address="127.0.0.1:0",
                silence_logs=40,
            )
            self.client = Client(self._cluster)
            self.description = f"on a Dask LocalCluster of {workers} worker processes"
        self.dashboard = self.client.dashboard_link

    def run(self, fn: Callable[[Any], Any], jobs: list[Any]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        futures = {self.client.submit(fn, job, pure=False): i for i, job in enumerate(jobs)}
        for future in as_completed(futures):
            i = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # KilledWorker and the like: the job, not the sweep
                result = {"state": "failed", "error": f"{type(exc).__name__}: {exc}"}
            yield i, result

    def worker_pids(self) -> dict[str, int]:
        """Each worker's process id (what a test kills to check that trials are retried)."""
        import os

        return self.client.run(os.getpid)

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(workers: int, scheduler: str | None = None):
    """``workers == 0`` and no scheduler: serial in this process; otherwise Dask."""
    if workers == 0 and not scheduler:
        return SerialExecutor()
    return DaskExecutor(workers, scheduler)


__all__ = ["DaskExecutor", "SerialExecutor", "make_executor"]
