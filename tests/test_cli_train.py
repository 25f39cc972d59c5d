"""descentlab train / lr-find / compare: run directories, output, errors and exit codes."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from descentlab.cli import main
from descentlab.train.history import History

PNG = b"\x89PNG\r\n\x1a\n"

SMALL = [
    "--set",
    "data.name=moons",
    "--set",
    "data.n=200",
    "--set",
    "data.noise=0.2",
    "--set",
    "model.hidden=[16]",
    "--set",
    "optim.lr=0.02",
    "--set",
    "train.epochs=4",
    "--set",
    "train.batch_size=16",
    "--set",
    "name=small",
]


def png_ok(path: Path) -> bool:
    data = path.read_bytes()
    return data.startswith(PNG) and len(data) > 2000


def test_default_example_reaches_96_percent(tmp_path, capsys):
    # `descentlab train` with no config: the digits MLP, the real thing.
    assert main(["train", "--no-progress", "--out", str(tmp_path / "run")]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test"]["acc"] >= 0.96
    assert metrics["epochs_run"] == 30
    out = capsys.readouterr().out
    assert "digits-mlp: results" in out and "diagnosis:" in out and "suggestion:" in out
    for name in (
        "config.toml",
        "history.csv",
        "metrics.json",
        "learning_curves.png",
        "checkpoints/last.npz",
        "checkpoints/best.npz",
    ):
        assert (tmp_path / "run" / name).stat().st_size > 0, name
    assert png_ok(tmp_path / "run" / "learning_curves.png")
    assert len(History.from_csv(tmp_path / "run" / "history.csv")) == 30


def test_train_small_run_dir_plots_and_progress(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *SMALL, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "epoch 4/4" in text  # the progress bar's last frame
    cfg = (out / "config.toml").read_text()
    assert 'name = "moons"' in cfg and "hidden = [16]" in cfg and "lr = 0.02" in cfg
    rows = list(csv.DictReader(open(out / "history.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2", "3", "4"]
    assert set(json.loads((out / "metrics.json").read_text())) >= {
        "train",
        "val",
        "test",
        "best_epoch",
        "diagnosis",
        "timing",
        "stop_reason",
    }
    assert png_ok(out / "learning_curves.png") and png_ok(out / "decision_boundary.png")


def test_resume_a_finished_run_changes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *SMALL, "--no-progress", "--out", str(out)]) == 0
    before = json.loads((out / "metrics.json").read_text())
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "--no-progress"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert said.startswith(f"the run in {out} already finished its 4 epochs; nothing to resume")
    after = json.loads((out / "metrics.json").read_text())
    assert before == after
    # a changed model is refused unless --force; forced, the saved weights do not fit it
    assert main(["train", "--resume", str(out), "--set", "model.hidden=[8]"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "descentlab train: error: --resume: expected the run's own [model] (or --force to "
        "continue on a changed one), got model.hidden changed from [16] to [8]\n"
    )
    argv = ["train", "--resume", str(out), "--set", "model.hidden=[8]", "--set", "train.epochs=9"]
    assert main([*argv, "--force"]) == 2
    err = capsys.readouterr().err
    assert "the saved weights do not fit this model" in err and err.count("\n") == 1
    # and --set train.epochs extends it
    assert main(["train", "--resume", str(out), "--no-progress", "--set", "train.epochs=6"]) == 0
    assert len(History.from_csv(out / "history.csv")) == 6


def test_default_run_dir_is_fresh(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert main(["train", *SMALL, "--set", "train.epochs=1", "--no-progress"]) == 0
    assert (tmp_path / "runs" / "small").is_dir() and (tmp_path / "runs" / "small-2").is_dir()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--set", "optim.lrr=0.1"], "optim.lrr: expected a key of [optim] (alpha,"),
        (["--set", "optim.lr=fast"], "optim.lr: expected a number > 0, got 'fast' (a string)"),
        (
            ["--set", "data.name=mnist"],
            "data.name: expected one of xor, moons, circles, spirals, blobs, digits, file, got "
            "'mnist' (a string)",
        ),
        (["--set", "optim.name=lbfgs"], "optim.name: expected one of sgd, momentum,"),
        (["missing.toml"], "config file: expected an existing TOML file, got missing.toml"),
        (
            ["--resume", "nowhere"],
            "--resume: expected a run directory holding config.toml, got nowhere",
        ),
        (
            ["--set", "optim.name=sgd", "--set", "optim.nesterov=true"],
            "nesterov: expected False, or True with momentum > 0 and dampening = 0, got True "
            "with momentum=0.0, dampening=0.0",
        ),
    ],
)
def test_config_errors_are_one_line_and_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"descentlab train: error: {message}"
        + err[len("descentlab train: error: ") + len(message) :]
    )
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_config_error_in_a_real_process(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[optim]\nname = "adam"\nlr = "high"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "descentlab", "train", str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "descentlab train: error: optim.lr: expected a number > 0, got 'high' (a string)\n"
    )


def test_lr_find_command(tmp_path, capsys):
    out = tmp_path / "lr"
    assert main(["lr-find", *SMALL, "--steps", "40", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "steepest descent: lr = " in text and "valley (suggested): lr = " in text
    assert png_ok(out / "lr_find.png")
    rows = list(csv.DictReader(open(out / "lr_find.csv")))
    assert float(rows[0]["lr"]) == 1e-7 and len(rows) <= 40
    assert main(["lr-find", "--start-lr", "1", "--end-lr", "0.1"]) == 2
    assert "expected 0 < start < end" in capsys.readouterr().err


def test_compare_command(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = [
        "compare",
        *SMALL,
        "--vary",
        "optimizer=sgd,nesterov,adam",
        "--out",
        str(out),
        "--no-progress",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "compare optimizer" in text and "nesterov" in text
    rows = list(csv.DictReader(open(out / "compare.csv")))
    assert [r["optimizer"] for r in rows] == ["sgd", "nesterov", "adam"]
    assert all(
        float(r["seconds_per_epoch"]) > 0 and 0 <= float(r["final_val_acc"]) <= 1 for r in rows
    )
    assert png_ok(out / "compare.png")
    assert len(History.from_csv(out / "history_optimizer_adam.csv")) == 4
    # the course's batch-size experiment, in small
    out2 = tmp_path / "bs"
    assert (
        main(
            [
                "compare",
                *SMALL,
                "--vary",
                "batch_size=1,32,full",
                "--out",
                str(out2),
                "--no-progress",
                "--workers",
                "0",
            ]
        )
        == 0
    )
    rows = list(csv.DictReader(open(out2 / "compare.csv")))
    assert [r["batch_size"] for r in rows] == ["1", "32", "full"]


def test_compare_on_dask_workers_gives_the_serial_numbers(tmp_path, capsys):
    """compare's variants run on the sweep's executors: 2 Dask workers or this process."""
    tables = {}
    for workers in ("2", "0"):
        out = tmp_path / f"w{workers}"
        argv = ["compare", *SMALL, "--vary", "lr=0.01,0.05", "--out", str(out)]
        assert main([*argv, "--workers", workers]) == 0
        tables[workers] = [
            (r["lr"], r["final_train_loss"], r["final_val_acc"])
            for r in csv.DictReader(open(out / "compare.csv"))
        ]
    text = capsys.readouterr().out
    assert "variants run on a Dask LocalCluster of 2 worker processes" in text
    assert "variants run serially, in this process" in text
    assert tables["2"] == tables["0"] and len(tables["0"]) == 2


@pytest.mark.parametrize(
    ("vary", "message"),
    [
        ("optimizer", "--vary: expected KEY=V1,V2,... (e.g. optimizer=sgd,adam), got 'optimizer'"),
        ("optimizer=sgd,foo", "optim.name: expected one of sgd, momentum, nesterov"),
        (
            "batch_size=0,8",
            "train.batch_size: expected an integer >= 1 and <= 10,000,000 or 'full', got 0",
        ),
    ],
)
def test_compare_errors(vary, message, capsys):
    assert main(["compare", "--vary", vary]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"descentlab compare: error: {message}") and err.count("\n") == 1
