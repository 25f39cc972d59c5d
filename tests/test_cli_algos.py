"""``descentlab rl``, ``som`` and ``tree``: run directories, summaries and one-line errors."""

import json

import numpy as np
import pytest

from descentlab.cli import main as cli


def test_rl_cliff_writes_a_run(tmp_path, capsys):
    out = tmp_path / "cliff"
    assert cli(["rl", "cliff", "--episodes", "300", "--no-progress", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "greedy return -13 (expected -13.0000; optimal policy -13.0000)" in text
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["env"] == "CliffWalking-v1" and metrics["greedy_return"] == -13.0
    rows = (out / "history.csv").read_text().splitlines()
    assert rows[0] == "episode,return,length,epsilon" and len(rows) == 301
    assert np.load(out / "q_table.npy").shape == (48, 4)
    assert 'method = "q_learning"' in (out / "config.toml").read_text()
    assert (out / "returns.png").stat().st_size > 2000
    assert (out / "q_values.png").stat().st_size > 2000


def test_rl_frozenlake_and_cartpole(tmp_path, capsys):
    out = tmp_path / "lake"
    args = ["rl", "frozenlake", "--episodes", "300", "--epsilon-decay", "200", "--alpha", "0.5"]
    assert cli([*args, "--no-progress", "--no-plots", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["expected_greedy_return"] == 1.0 and metrics["greedy_path"][-1] == 15
    out = tmp_path / "cart"
    assert cli(["rl", "cartpole", "--episodes", "5", "--no-progress", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["episodes_run"] == 5 and metrics["solved_at"] is None
    assert (out / "policy.safetensors").is_file()
    assert np.load(out / "episode_states.npy").shape[1] == 4
    assert "not solved" in capsys.readouterr().out


def test_som_matches_minisom(tmp_path, capsys):
    out = tmp_path / "som"
    args = ["som", "--rows", "5", "--cols", "5", "--steps", "600", "--minisom"]
    assert cli([*args, "--no-progress", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["minisom"]["max_weight_difference"] < 1e-6
    assert metrics["minisom"]["quantization_error"] == pytest.approx(
        metrics["quantization_error"], abs=1e-9
    )
    assert np.load(out / "weights.npy").shape == (5, 5, 64)
    assert (out / "prototypes.png").stat().st_size > 2000
    assert "largest weight difference" in capsys.readouterr().out


def test_tree_matches_sklearn(tmp_path, capsys):
    out = tmp_path / "tree"
    assert (
        cli(["tree", "--dataset", "moons", "--max-depth", "4", "--sklearn", "--out", str(out)]) == 0
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["same_tree_as_sklearn"] is True and metrics["depth"] == 4
    tree = json.loads((out / "tree.json").read_text())
    assert tree["nodes"][0]["samples"] == 210  # 70 % of 300
    assert (out / "decision_regions.png").stat().st_size > 2000
    assert "scikit-learn: the same tree" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["rl", "cliff", "--alpha", "2"], "descentlab rl: error: Invalid alpha: 2.0"),
        (["som", "--rows", "0"], "descentlab som: error: Invalid rows: 0"),
        (["tree", "--max-depth", "0"], "descentlab tree: error: Invalid max_depth: 0"),
    ],
)
def test_mistakes_are_one_line_errors(argv, message, tmp_path, capsys):
    assert cli([*argv, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and "\n" not in err
    assert not (tmp_path / "x").exists()
