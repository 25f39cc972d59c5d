"""A run killed with SIGKILL resumes from its last checkpoint and ends bit-identical to a run
that was never interrupted (same weights, history and metrics; only wall times differ)."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import descentlab as dl

CONFIG = """
name = "resume"
seed = 3

[data]
name = "digits"
n = 400
val = 0.2
test = 0.2

[model]
name = "mlp"
hidden = [32]
dropout = 0.1

[optim]
name = "adam"
lr = 0.003

[schedule]
name = "step"
step_size = 10
gamma = 0.7

[train]
epochs = 100
batch_size = 4
progress = false
plots = false

[early_stopping]
enabled = true
patience = 1000
restore_best_weights = true

[clip]
max_norm = 5.0

[checkpoint]
every = 1
"""


def train(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "descentlab", "train", "--no-progress", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def history_without_time(run: Path) -> list[dict]:
    rows = list(csv.DictReader(open(run / "history.csv")))
    return [{k: v for k, v in r.items() if k != "time"} for r in rows]


def test_kill_9_then_resume_matches_an_uninterrupted_run(tmp_path):
    cfg = tmp_path / "resume.toml"
    cfg.write_text(CONFIG)
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    reference = train(str(cfg), "--out", str(whole), cwd=tmp_path)

    proc = train(str(cfg), "--out", str(killed), cwd=tmp_path)
    ckpt = killed / "checkpoints" / "last.npz"
    deadline = time.monotonic() + 120
    while not ckpt.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.01)
    time.sleep(0.1)  # let it get somewhere into a later epoch
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    stopped_at = dl.train.load_checkpoint(ckpt).epoch
    assert 1 <= stopped_at < 100
    assert not (killed / "metrics.json").exists()

    resumed = train("--resume", str(killed), cwd=tmp_path)
    assert resumed.wait(timeout=240) == 0, resumed.stderr.read()
    assert reference.wait(timeout=240) == 0, reference.stderr.read()

    assert history_without_time(killed) == history_without_time(whole)
    assert len(history_without_time(whole)) == 100
    m_killed = json.loads((killed / "metrics.json").read_text())
    m_whole = json.loads((whole / "metrics.json").read_text())
    m_killed.pop("timing"), m_whole.pop("timing")
    assert m_killed == m_whole
    a = dl.train.load_checkpoint(killed / "checkpoints" / "last.npz")
    b = dl.train.load_checkpoint(whole / "checkpoints" / "last.npz")
    assert a.model_state.keys() == b.model_state.keys()
    for k in a.model_state:
        np.testing.assert_array_equal(a.model_state[k], b.model_state[k])
    assert a.step == b.step
    assert a.optimizer_state["state"].keys() == b.optimizer_state["state"].keys()
    for i, buffers in a.optimizer_state["state"].items():
        for name, value in buffers.items():
            np.testing.assert_array_equal(value, b.optimizer_state["state"][i][name])
