"""The benchmarks and ``descentlab bench``: structure, not speed.

Each benchmark runs with tiny iteration counts; the tests check that the three
implementations train the same network (same losses step after step, so the speed ratios
compare like with like), that the table and JSON have the promised shape with finite
ratios, and that PyTorch is optional. No assertion here depends on timing.
"""

from __future__ import annotations

import json
import math
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from descentlab import benchmarks
from descentlab.benchmarks import cnn, common, mlp, tiny_mlp
from descentlab.benchmarks.common import (
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
MODULES = {"tiny_mlp": tiny_mlp, "mlp": mlp, "cnn": cnn}

try:
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

EXPECTED = ["descentlab", "numpy", *(["pytorch"] if HAVE_TORCH else [])]


@pytest.fixture(autouse=True)
def _no_idle_gap(monkeypatch):
    """The idle gap between timed blocks matters for figures, not for structure."""
    monkeypatch.setattr(common, "BLOCK_GAP", 0.0)


@pytest.mark.parametrize("name", list(MODULES))
def test_frameworks_train_the_same_network(name):
    """Same weights, data and update rule: every framework's losses agree step by step."""
    steps = MODULES[name].make_steps()
    assert list(steps) == EXPECTED
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
    assert list(result.seconds) == EXPECTED
    assert result.samples_per_step == MODULES[name].SAMPLES_PER_STEP
    for fw in EXPECTED:
        assert math.isfinite(result.seconds[fw]) and result.seconds[fw] > 0
        assert math.isfinite(result.speed_ratio(fw)) and result.speed_ratio(fw) > 0
    assert result.speed_ratio("descentlab") == 1.0
    rows = table_rows([result])
    assert [row[1] for row in rows] == EXPECTED
    assert [row[0] for row in rows] == [name] + [""] * (len(EXPECTED) - 1)
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
    assert payload["results"][1]["frameworks"]["pytorch" if HAVE_TORCH else "numpy"][
        "speed_target"
    ] in (1.0, 0.9)


def test_cli_rejects_unknown_benchmark(capsys):
    assert cli_main(["bench", "--only", "resnet"]) == 2
    err = capsys.readouterr().err
    assert "unknown benchmark 'resnet'" in err and "tiny_mlp, mlp, cnn" in err


def test_script_benchmark_joins_when_it_has_run(monkeypatch, tmp_path):
    script = tmp_path / "bench_fit.py"
    script.write_text(
        "SAMPLES_PER_STEP = 10\n"
        "def run(repeats=7, iterations=1):\n"
        "    return {'descentlab': 0.5, 'pytorch': 0.25}\n"
    )
    monkeypatch.setattr(benchmarks, "_script_path", lambda name: script)
    assert benchmarks.available()[-1] == "fit"
    result = benchmarks.measure("fit", repeats=1, iterations=1)
    assert result.samples_per_second("descentlab") == 20.0
    assert result.speed_ratio("pytorch") == 0.5
    script.write_text("X = 1\n")
    with pytest.raises(benchmarks.NotABenchmark, match="has no run"):
        benchmarks.load("fit")


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

    def fake_isolated(name, frameworks, memory_steps, repeats, iterations):
        calls.append((name, frameworks, memory_steps, repeats, iterations))
        return {f: 0.001 for f in frameworks}, {f: 2**20 for f in frameworks}

    monkeypatch.setattr(benchmarks, "measure_isolated", fake_isolated)
    result = benchmarks.measure("tiny_mlp", repeats=1, iterations=2, isolated=True)
    assert calls == [("tiny_mlp", EXPECTED, 10, 1, 2)]
    assert result.seconds_alone == {fw: 0.001 for fw in EXPECTED}
    assert result.memory == {fw: 2**20 for fw in EXPECTED}
    row = table_rows([result])[1]
    assert row[5] == "100,000" and row[8] == "1.0" and row[9] == "1.00"


def test_bench_script_runs(monkeypatch, capsys):
    """bench/bench_tiny_mlp.py is a thin script over the package's benchmark."""
    script = ROOT / "bench" / "bench_tiny_mlp.py"
    monkeypatch.syspath_prepend(str(script.parent))
    monkeypatch.setattr(
        sys, "argv", [str(script), "--repeats", "1", "--iterations", "1", "--no-isolated"]
    )
    monkeypatch.delitem(sys.modules, "common", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(script), run_name="__main__")
    sys.modules.pop("common", None)  # bench/common.py: not to be found by later imports
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "tiny_mlp" in out and "dl speed /" in out


def test_script_without_run_is_left_out_or_refused(monkeypatch, tmp_path, capsys):
    script = tmp_path / "bench_fit.py"
    script.write_text("def main():\n    return {}\n")
    monkeypatch.setattr(benchmarks, "_script_path", lambda name: script)
    assert cli_main(["bench", "--only", "fit"]) == 2
    assert "bench_fit.py has no run(repeats, iterations)" in capsys.readouterr().err
    monkeypatch.setattr(benchmarks, "BUILT_IN", ("tiny_mlp",))
    argv = ["bench", "--repeats", "1", "--iterations", "1", "--no-isolated"]
    assert cli_main(argv) == 0
    out = capsys.readouterr().out
    assert "bench_fit.py has no run" in out and "left out" in out
    assert "tiny_mlp " in out
