"""descentlab sweep: search spaces, pruning, Dask against serial, kill -9 and resume, retries."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from descentlab.cli import main
from descentlab.sweep import (
    DaskExecutor,
    ParamError,
    SerialExecutor,
    Sweep,
    SweepError,
    SweepSpec,
    parse_param,
)
from descentlab.sweep.trial import MedianPruning
from descentlab.train import StopTraining
from descentlab.train.config import load_config

TINY = ["data.name=xor", "data.n=120", "train.epochs=3", "train.batch_size=16"]
PARAMS = ["optim.lr=loguniform(1e-3,1e-1)", "model.hidden=choice([8],[16,16])"]


def tiny_spec(trials: int = 6, **kw) -> SweepSpec:
    base = load_config(None, TINY + kw.pop("extra", []))
    return SweepSpec(base=base, params=list(PARAMS), trials=trials, seed=3, wave=3, **kw)


def table(sweep: Sweep) -> list[tuple]:
    """Every slot's parameters, state and value: what must not depend on how trials ran."""
    return [
        (r["slot"], r["optim.lr"], json.dumps(r["model.hidden"]), r["state"], r["val_loss"])
        for r in sweep.rows()
    ]


# ---------------------------------------------------------------- search spaces
@pytest.mark.parametrize(
    "text, kind, args",
    [
        ("optim.lr=loguniform(1e-4,1e-1)", "loguniform", (1e-4, 0.1)),
        ("model.dropout=uniform(0, 0.5)", "uniform", (0, 0.5)),
        ("train.epochs=int(5, 40, 5)", "int", (5, 40, 5)),
        ("model.hidden=choice([32],[64,64])", "choice", ([32], [64, 64])),
        ("train.batch_size = choice(16, 32, 64)", "choice", (16, 32, 64)),
    ],
)
def test_param_grammar(text, kind, args):
    p = parse_param(text)
    assert (p.kind, p.args) == (kind, args)
    dist = p.distribution()
    if kind == "choice":
        assert [p.decode(c) for c in dist.choices] == list(args)


@pytest.mark.parametrize(
    "text, message",
    [
        ("optim.lr", "expected KEY=DIST(...)"),
        ("optim.lr=gauss(0,1)", "unknown distribution 'gauss'"),
        ("optim.lr=loguniform(0, 1)", "got low=0"),
        ("optim.lr=loguniform(1, 0.1)", "got low=1 >= high=0.1"),
        ("optim.lr=uniform(__import__('os'), 1)", "must be literal values"),
        ("optim.lr=loguniform(1e-4", "expected KEY=DIST(...)"),
        ("train.epochs=int(1.5, 4)", "non-integer bounds"),
        ("model.hidden=choice()", "got 0 values"),
        ("model.hidden=choice(1, 1)", "a value is repeated"),
    ],
)
def test_bad_params_are_one_clear_line(text, message):
    with pytest.raises(ParamError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_param(text)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--param", "optim.lr=loguniform(1e-4"], "--param optim.lr: expected KEY=DIST"),
        (["--param", "optim.nope=uniform(0,1)"], "optim.nope"),
        (["--param", "optim.lr=uniform(0.1,0.2)", "--trials", "0"], "--trials: allowed 1"),
        ([], "--param: give at least one"),
    ],
)
def test_cli_param_errors_exit_2(argv, message, capsys, tmp_path):
    code = main(["sweep", "--out", str(tmp_path / "s"), "--workers", "0", *argv])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and message in err, err


# ---------------------------------------------------------------- pruning
def test_median_pruning_stops_a_trial_worse_than_the_median():
    import optuna

    def finished(values):
        return optuna.trial.create_trial(
            value=min(values),
            intermediate_values=dict(enumerate(values, start=1)),
            distributions={},
            params={},
        )

    history = [finished([1.0, 0.8, 0.6]), finished([0.9, 0.7, 0.5]), finished([1.1, 0.9, 0.7])]

    stopped: list[str] = []

    def epochs(values):
        stopped.clear()
        pruner = MedianPruning("val_loss", "minimize", history, n_startup_trials=2)
        for v in values:
            try:
                pruner.on_epoch_end(None, {"val_loss": v})
            except StopTraining as stop:
                stopped.append(stop.reason)
                break
        return pruner

    assert not epochs([0.95, 0.6, 0.4]).pruned  # better than the median at every step
    assert stopped == []
    assert epochs([1.0, 2.0, 3.0]).pruned  # worse than the median (0.8) at step 2
    assert "pruned" in stopped[0]


def test_a_pruned_trial_is_recorded_as_pruned(tmp_path):
    # Two sane learning rates finish; lr=1e-5 learns far slower: pruned after the warm-up.
    spec = tiny_spec(3, extra=["train.epochs=6"])
    spec.params = ["optim.lr=choice(0.01, 0.02, 0.00001)", "model.hidden=choice([8])"]
    spec.sampler, spec.wave, spec.n_warmup_steps = "grid", 1, 1
    sweep = Sweep.create(spec, tmp_path / "s")
    sweep.run(SerialExecutor())
    rows = {r["optim.lr"]: r for r in sweep.rows()}
    assert rows[0.01]["state"] == "complete"
    assert rows[0.02]["state"] == "complete"
    assert rows[1e-5]["state"] == "pruned"
    assert rows[1e-5]["epochs"] < 6


# ---------------------------------------------------------------- Dask against serial
@pytest.fixture(scope="module")
def dask2():
    executor = DaskExecutor(workers=2)
    yield executor
    executor.close()


def test_two_dask_workers_give_the_serial_sweeps_trials(tmp_path, dask2):
    serial = Sweep.create(tiny_spec(), tmp_path / "serial")
    serial.run(SerialExecutor())
    parallel = Sweep.create(tiny_spec(), tmp_path / "dask")
    parallel.run(dask2)
    assert len(table(serial)) == 6
    assert table(parallel) == table(serial)
    pids = {t.user_attrs["pid"] for t in parallel.study.trials}
    assert os.getpid() not in pids  # the trials really ran in the workers


def test_a_killed_worker_has_its_trial_retried(tmp_path, dask2):
    spec = tiny_spec(2, extra=["train.epochs=40", "data.n=200"])
    spec.prune = False
    sweep = Sweep.create(spec, tmp_path / "s")
    killed = []

    def kill_first_worker():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for marker in (tmp_path / "s" / "trials").glob("*/worker.json"):
                pid = json.loads(marker.read_text())["pid"]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.05)

    import threading

    t = threading.Thread(target=kill_first_worker)
    t.start()
    sweep.run(dask2)
    t.join()
    assert killed, "no trial started"
    rows = sweep.rows()
    assert [r["slot"] for r in rows] == [0, 1]
    assert all(r["state"] == "complete" for r in rows)
    assert killed[0] not in {tr.user_attrs["pid"] for tr in sweep.study.trials}


# ---------------------------------------------------------------- kill -9 and --resume
def test_kill_9_of_the_coordinator_then_resume(tmp_path):
    slower = ["train.epochs=30"]  # trials long enough to be killed in the middle of the sweep
    reference = Sweep.create(tiny_spec(extra=slower), tmp_path / "reference")
    reference.run(SerialExecutor())

    folder = tmp_path / "killed"
    argv = [sys.executable, "-m", "descentlab", "sweep", "--workers", "0", "--no-plots"]
    args = [*argv, "--out", str(folder), "--trials", "6", "--seed", "3", "--wave", "3"]
    for s in TINY + slower:
        args += ["--set", s]
    for p in PARAMS:
        args += ["--param", p]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(folder.glob("trials/*/metrics.json"))) >= 2:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished_before = len(Sweep.open(folder).final_trials())
    assert finished_before < 6, "the sweep finished before it could be killed"

    code = main(["sweep", "--resume", str(folder), "--workers", "0", "--no-plots"])
    assert code == 0
    resumed = Sweep.open(folder)
    assert table(resumed) == table(reference)
    finished = [t for t in resumed.study.trials if resumed._finished(t)]
    assert sorted(t.user_attrs["slot"] for t in finished) == list(range(6))  # each once
    with open(folder / "results.csv") as f:
        assert len(list(csv.DictReader(f))) == 6
    assert (folder / "best.toml").is_file()
    assert load_config(folder / "best.toml")["data"]["name"] == "xor"


def test_resume_refuses_a_folder_that_is_not_a_sweep(tmp_path, capsys):
    assert main(["sweep", "--resume", str(tmp_path), "--workers", "0"]) == 2
    assert "not a sweep folder" in capsys.readouterr().err


def test_a_sweep_folder_is_not_created_twice(tmp_path):
    Sweep.create(tiny_spec(), tmp_path / "s")
    with pytest.raises(SweepError, match="already holds a sweep"):
        Sweep.create(tiny_spec(), tmp_path / "s")


def test_cli_sweep_writes_results_best_config_and_plots(tmp_path, capsys):
    out = tmp_path / "s"
    argv = ["sweep", "--out", str(out), "--workers", "0", "--trials", "3", "--seed", "1"]
    for s in TINY:
        argv += ["--set", s]
    for p in PARAMS:
        argv += ["--param", p]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "best trials by val_loss" in text and "3/3 done" in text
    for name in ("optimization_history", "slice", "parallel_coordinate"):
        assert (out / "plots" / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "best.toml").is_file()
