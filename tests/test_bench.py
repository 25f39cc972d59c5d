"""The benchmarks and ``descentlab bench``: structure, not speed.

Each benchmark runs with tiny iteration counts; the tests check that the three
implementations train the same network (same losses step after step, so the speed ratios
compare like with like), that the table and JSON have the promised shape with finite
ratios, and that PyTorch is optional. No assertion here depends on timing.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from descentlab import benchmarks
from descentlab.benchmarks import cnn, common, fit, mlp, mnist1d, tiny_mlp
from descentlab.benchmarks.common import (
    FRAMEWORKS,
    HEADER,
    BenchResult,
    format_table,
    measure_isolated,
    memory_supported,
    table_rows,
    time_interleaved,
)
from descentlab.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
MODULES = {"tiny_mlp": tiny_mlp, "mlp": mlp, "cnn": cnn, "mnist1d": mnist1d, "fit": fit}

try:
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

EXPECTED = ["descentlab", "numpy", *(["pytorch"] if HAVE_TORCH else [])]


def expected(name: str) -> list[str]:
    """The frameworks benchmark ``name`` measures here (PyTorch only when installed)."""
    return [f for f in FRAMEWORKS if f in MODULES[name].BUILDERS and (HAVE_TORCH or f != "pytorch")]


@pytest.fixture(autouse=True)
def _no_idle_gap(monkeypatch):
    """The idle gap between timed blocks matters for figures, not for structure."""
    monkeypatch.setattr(common, "BLOCK_GAP", 0.0)


@pytest.mark.parametrize("name", list(MODULES))
def test_frameworks_train_the_same_network(name):
    """Same weights, data and update rule: every framework's losses agree step by step."""
    steps = MODULES[name].make_steps(small=True)  # the same layers, fewer numbers
    assert list(steps) == expected(name)
    losses = {fw: [step() for _ in range(3)] for fw, step in steps.items()}
    reference = np.array(losses["descentlab"])
    assert np.all(np.isfinite(reference))
    assert reference[-1] < reference[0]  # it trains
    for fw, values in losses.items():
        np.testing.assert_allclose(values, reference, rtol=2e-4, err_msg=f"{name}: {fw}")


@pytest.mark.parametrize("name", list(MODULES))
def test_measure_gives_finite_ratios(name):
    result = benchmarks.measure(name, repeats=1, iterations=1)
    assert result.name == name
    assert list(result.seconds) == expected(name)
    assert result.samples_per_step == MODULES[name].SAMPLES_PER_STEP
    for fw in expected(name):
        assert math.isfinite(result.seconds[fw]) and result.seconds[fw] > 0
        assert math.isfinite(result.speed_ratio(fw)) and result.speed_ratio(fw) > 0
    assert result.speed_ratio("descentlab") == 1.0
    rows = table_rows([result])
    assert [row[1] for row in rows] == expected(name)
    assert [row[0] for row in rows] == [name] + [""] * (len(expected(name)) - 1)
    assert all(len(row) == len(HEADER) for row in rows)


def test_table_worked_example():
    """Ratios are descentlab's samples/s (memory) over the row's, with the targets judged."""
    result = BenchResult(
        name="mlp",
        title="t",
        samples_per_step=128,
        seconds={"descentlab": 0.002, "numpy": 0.0019, "pytorch": 0.0025},
        speed_targets={"numpy": 0.9, "pytorch": 1.0},
        seconds_alone={"descentlab": 0.004, "numpy": 0.0019, "pytorch": 0.0025},
        memory={"descentlab": 6 * 2**20, "numpy": 5 * 2**20, "pytorch": 4 * 2**20},
        memory_targets={"pytorch": 1.2},
    )
    rows = table_rows([result])
    assert [len(row) for row in rows] == [len(HEADER)] * 3
    # In one process: numpy 0.0019 / 0.002 = 0.95 >= 0.9, pytorch 0.0025 / 0.002 = 1.25.
    # Alone: numpy 0.0019 / 0.004 = 0.475 and pytorch 0.0025 / 0.004 = 0.625 miss.
    # Memory: 6 / 5 = 1.2 and 6 / 4 = 1.5 > 1.2.
    assert rows[0] == (
        "mlp", "descentlab", "2.000", "64,000", "1.00", "32,000", "1.00", "", "6.0", "1.00", ""
    )  # fmt: skip
    assert rows[1] == (
        "", "numpy", "1.900", "67,368", "0.95", "67,368", "0.47", ">= 0.90 MISS", "5.0", "1.20",
        "",
    )  # fmt: skip
    assert rows[2][4:] == ("1.25", "51,200", "0.62", ">= 1.00 MISS", "4.0", "1.50", "<= 1.20 MISS")
    assert result.misses() == [
        "mlp: descentlab / numpy speed 0.475 each alone < target 0.90",
        "mlp: descentlab / pytorch speed 0.625 each alone < target 1.00",
        "mlp: descentlab / pytorch peak memory 1.500 > target 1.20",
    ]
    text = format_table([result]).splitlines()
    assert text[0].split()[:4] == ["benchmark", "framework", "ms/step", "samples/s"]
    assert len(text) == 2 + 3
    # Without the isolated runs, the alone and memory cells are empty.
    bare = BenchResult("cnn", "t", 64, {"descentlab": 0.01, "pytorch": 0.005}, {"pytorch": 0.5})
    assert table_rows([bare])[1] == (
        "", "pytorch", "5.000", "12,800", "0.50", "", "", ">= 0.50 ok", "", "", ""
    )  # fmt: skip


def test_time_interleaved_runs_each_step_round_robin():
    calls: list[str] = []
    best = time_interleaved(
        {"a": lambda: calls.append("a") or 0.0, "b": lambda: calls.append("b") or 0.0},
        repeats=2,
        iterations=3,
        warmup=1,
        gap=0.0,
    )
    assert calls == ["a", "b"] + ["a"] * 3 + ["b"] * 3 + ["a"] * 3 + ["b"] * 3
    assert set(best) == {"a", "b"} and all(v >= 0 for v in best.values())
    with pytest.raises(ValueError, match="repeats and iterations must be >= 1"):
        time_interleaved({"a": lambda: 0.0}, repeats=0)


def test_pytorch_column_is_optional(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    result = benchmarks.measure("mlp", repeats=1, iterations=1)
    assert list(result.seconds) == ["descentlab", "numpy"]
    assert "pytorch" not in format_table([result])


def test_cli_prints_one_table_and_writes_json(tmp_path, capsys):
    out_file = tmp_path / "bench.json"
    argv = ["bench", "--only", "tiny_mlp", "mlp", "--repeats", "1", "--iterations", "1"]
    code = cli_main([*argv, "--no-isolated", "--json", str(out_file)])
    assert code == 0
    text = capsys.readouterr().out
    assert "NumPy" in text and "cores" in text
    table = [line for line in text.splitlines() if line.startswith(("tiny_mlp ", "mlp "))]
    assert len(table) == 2
    payload = json.loads(out_file.read_text())
    assert [r["name"] for r in payload["results"]] == ["tiny_mlp", "mlp"]
    for r in payload["results"]:
        assert list(r["frameworks"]) == EXPECTED
        for row in r["frameworks"].values():
            assert math.isfinite(row["speed_ratio"]) and math.isfinite(row["samples_per_second"])
    reference = "pytorch" if HAVE_TORCH else "numpy"
    row = payload["results"][1]["frameworks"][reference]
    assert row["speed_target"] == mlp.SPEED_TARGETS[reference]


def test_cli_rejects_unknown_benchmark(capsys):
    assert cli_main(["bench", "--only", "resnet"]) == 2
    err = capsys.readouterr().err
    assert "--only: expected benchmarks among tiny_mlp, mlp, cnn, mnist1d, fit" in err
    assert "received 'resnet'" in err


def test_isolated_workers_time_and_count_the_training_state():
    seconds, memory = measure_isolated(
        "mlp", ["descentlab"], memory_steps=2, repeats=2, iterations=2, warmup=1, gap=0.0
    )
    assert list(seconds) == ["descentlab"]
    assert math.isfinite(seconds["descentlab"]) and seconds["descentlab"] > 0
    if not memory_supported():
        assert memory == {}
        return
    params = sum(p.nbytes for p in mlp.initial_weights())
    # At least the gradients and the momentum buffers (one parameter-sized set each),
    # and far below anything absurd.
    assert 2 * params <= memory["descentlab"] < 200 * 2**20


def test_isolated_worker_reports_its_failure():
    with pytest.raises(RuntimeError, match="isolated run of nonexistent/descentlab failed"):
        measure_isolated("nonexistent", ["descentlab"], repeats=1, iterations=1)


def test_measure_with_isolated_runs_fills_every_column(monkeypatch):
    calls = []

    def fake_isolated(name, frameworks, memory_steps, repeats, iterations, gap):
        calls.append((name, frameworks, memory_steps, repeats, iterations))
        return {f: 0.001 for f in frameworks}, {f: 2**20 for f in frameworks}

    monkeypatch.setattr(benchmarks, "measure_isolated", fake_isolated)
    result = benchmarks.measure("tiny_mlp", repeats=1, iterations=2, isolated=True)
    assert calls == [("tiny_mlp", EXPECTED, 10, 1, 2)]
    assert result.seconds_alone == {fw: 0.001 for fw in EXPECTED}
    assert result.memory == {fw: 2**20 for fw in EXPECTED}
    row = table_rows([result])[1]
    assert row[5] == "100,000" and row[8] == "1.0" and row[9] == "1.00"


def test_plan_fits_the_budget():
    # 10 s, no gap: 5 rounds of 2 s; a round of n steps of both takes n * 0.04 s: n = 50.
    assert benchmarks.plan({"a": 0.01, "b": 0.03}, 10.0, repeats=5, isolated=False) == (
        benchmarks.Plan(repeats=5, iterations=50)
    )
    # Isolated: (24 - 4) s of start-up overhead, halved for the second pass: 10 s, then
    # 5 rounds of 2 s, minus two gaps of 0.25 s: 1.5 s = 150 steps of 0.01 s.
    chosen = benchmarks.plan({"a": 0.005, "b": 0.005}, 24.0, repeats=5, isolated=True, gap=0.25)
    assert chosen == benchmarks.Plan(repeats=5, iterations=150)
    # A step slower than the budget allows: fewer rounds, one step each.
    assert benchmarks.plan({"a": 1.0}, 2.5, repeats=7, isolated=False) == benchmarks.Plan(2, 1)
    assert benchmarks.plan({"a": 9.0}, 1.0, repeats=7, isolated=False) == benchmarks.Plan(1, 1)


def test_every_benchmark_lives_in_the_package():
    """An installed wheel has them all: nothing is loaded from outside the package."""
    package = Path(benchmarks.__file__).parent
    assert benchmarks.available() == list(MODULES)
    for name in benchmarks.available():
        module = benchmarks.load(name)
        assert Path(module.__file__).parent == package
        assert module.NAME == name and module.TITLE and module.SAMPLES_PER_STEP >= 1
    with pytest.raises(ValueError, match="expected one of tiny_mlp"):
        benchmarks.load("bench_fit")


def test_cli_states_its_time_and_reports_misses_without_failing(capsys):
    argv = ["bench", "--only", "tiny_mlp", "mnist1d", "--quick", "--budget", "0.2"]
    assert cli_main(argv) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    # Before any benchmark runs, one line says how long the run takes.
    stated = next(i for i, line in enumerate(lines) if "benchmark(s), about" in line)
    assert stated < next(i for i, line in enumerate(lines) if line.startswith("tiny_mlp:"))
    assert (
        "2 benchmark(s), about 2 s on a quiet machine: 0.1 s each timed in this process, "
        "plus about 1 s each to build and warm up"
    ) in out
    assert "finished in" in lines[-1]
    assert "left out" not in out and "has no run" not in out


def test_cli_check_makes_a_missed_target_fail(monkeypatch, capsys):
    monkeypatch.setattr(tiny_mlp, "SPEED_TARGETS", {"numpy": 1e6})  # cannot be met
    argv = ["bench", "--only", "tiny_mlp", "--quick", "--repeats", "1", "--iterations", "1"]
    assert cli_main(argv) == 0
    out = capsys.readouterr().out
    assert "target missed: tiny_mlp: descentlab / numpy speed" in out
    assert "1 benchmark(s), 1 steps per timed block" in out
    assert cli_main([*argv, "--check"]) == 1
    capsys.readouterr()
    monkeypatch.setattr(tiny_mlp, "SPEED_TARGETS", {"numpy": 1e-6})  # always met
    assert cli_main([*argv, "--check"]) == 0
    assert "target missed" not in capsys.readouterr().out


def test_cli_rejects_a_budget_that_is_not_positive(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["bench", "--budget", "0"])
    assert exit_info.value.code == 2
    assert "expected a number of seconds > 0, received '0'" in capsys.readouterr().err


def test_cli_cpu_time_runs_every_framework_on_one_thread(monkeypatch, capsys):
    monkeypatch.setattr(common, "CLOCK", common.CLOCK)  # restored after the test
    monkeypatch.delenv(common.CPU_TIME_VARIABLE, raising=False)
    argv = ["bench", "--only", "tiny_mlp", "--cpu-time", "--repeats", "1", "--iterations", "2"]
    assert cli_main([*argv, "--no-isolated"]) == 0
    out = capsys.readouterr().out
    assert common.CLOCK is time.thread_time
    assert "1 BLAS threads" in out and "(1 threads" in out
    # Isolated workers, started after this, are told to use the same clock.
    assert common.os.environ[common.CPU_TIME_VARIABLE] == "1"
    assert "tiny_mlp " in out and "dl speed /" in out
