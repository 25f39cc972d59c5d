"""Several configs trained side by side on the sweep's executors (``descentlab compare``).

``run_variants(configs, executor)`` trains each resolved config with
:func:`descentlab.train.experiment.run` (no run directory, no plots) on a
:class:`~descentlab.sweep.executors.SerialExecutor` or a Dask cluster, and returns, in the
configs' order, what a comparison reads: the history, the final metrics and the diagnosis.
Each config carries its own seed, so the numbers do not depend on where or in which order the
variants run.
"""

from __future__ import annotations

from typing import Any


def run_variant(config: dict[str, Any]) -> dict[str, Any]:
    """Train one config; ``{"history", "metrics", "diagnosis"}``, or ``{"error": sentence}``."""
    from descentlab.train.experiment import run

    try:
        result = run(config, None, progress=False)
    except ValueError as exc:  # a config or checkpoint mistake: the comparison reports it
        return {"error": str(exc)}
    return {"history": result.history, "metrics": result.metrics, "diagnosis": result.diagnosis}


def run_variants(configs: list[dict[str, Any]], executor, on_done=None) -> list[dict[str, Any]]:
    """Every config's result, in order; ``on_done(index, result)`` as each one finishes."""
    results: list[dict[str, Any] | None] = [None] * len(configs)
    for i, result in executor.run(run_variant, configs):
        results[i] = result
        if on_done is not None:
            on_done(i, result)
    return results  # type: ignore[return-value]


__all__ = ["run_variant", "run_variants"]
