"""Every file in examples/ runs (with small settings) and shows what it claims."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from descentlab.cli import main as cli
from descentlab.train.config import load_config

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def png_ok(path) -> bool:
    data = Path(path).read_bytes()
    return data.startswith(b"\x89PNG") and len(data) > 2000


def test_every_example_is_tested():
    tested = {
        "xor.py",
        "sgd_vs_momentum.py",
        "momentum_vs_nesterov.py",
        "gradient_clipping.py",
        "gradient_check.py",
        "vanishing_gradients.py",
        "q_learning_cliff.py",
        "reinforce_cartpole.py",
        "genetic_vs_gradient.py",
        "som_unfolding.py",
        "tree_depth.py",
        "digits_mlp.toml",
        "digits_cnn.toml",
        "xor.toml",
        "batch_size.toml",
        "early_stopping.toml",
        "course.ipynb",  # executed by tests/test_notebook.py
        "README.md",
    }
    assert {p.name for p in EXAMPLES.iterdir() if p.is_file()} == tested


@pytest.mark.parametrize(
    "name", ["digits_mlp", "digits_cnn", "xor", "batch_size", "early_stopping"]
)
def test_configs_are_valid(name):
    load_config(EXAMPLES / f"{name}.toml")


def test_digits_mlp_is_the_default():
    file_cfg = load_config(EXAMPLES / "digits_mlp.toml")
    default = load_config()
    file_cfg["optim"].pop("lr")  # the file states Adam's default lr explicitly
    assert file_cfg == default


def test_xor_script_solves_the_truth_table(tmp_path, capsys):
    res = load("xor").main(["--out", str(tmp_path)])
    assert res["solved"]
    np.testing.assert_array_equal(res["predictions"], [0, 1, 1, 0])
    assert png_ok(res["plot"])
    assert "solved: True" in capsys.readouterr().out


def test_xor_config_learns_with_a_boundary(tmp_path):
    out = tmp_path / "xor"
    assert (
        cli(
            [
                "train",
                str(EXAMPLES / "xor.toml"),
                "--no-progress",
                "--out",
                str(out),
                "--set",
                "train.epochs=60",
            ]
        )
        == 0
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["acc"] >= 0.95
    assert png_ok(out / "decision_boundary.png")


def test_sgd_vs_momentum_matches_the_course(tmp_path):
    ex = load("sgd_vs_momentum")
    res = ex.main(["--out", str(tmp_path)])  # asserts equality with the course's loop itself
    assert set(res["final_loss"]) == {"SGD", "SGD + momentum 0.9"}
    sgd, mom = res["final_loss"]["SGD"], res["final_loss"]["SGD + momentum 0.9"]
    assert round(mom, 3) == 0.386 and round(sgd, 4) == 0.0027  # the surprise it explains
    why = res["why"]
    # The printed reasons hold for the run: heavy ball's rate sqrt(b) is slower than SGD's
    # 1 - 2 lr in x, and the tuned pair beats SGD at its own best lr.
    assert why["rate"] ** 50 > 0.9**50 and abs(why["rate"] - 0.9486833) < 1e-6
    assert abs(why["tuned_momentum"] - 0.27) < 0.005 and abs(why["tuned_lr"] - 0.158) < 0.001
    assert why["tuned_final_loss"] < 1e-20 < why["best_sgd_final_loss"] < sgd < mom
    for number in ("0.386", "0.0027", "0.005", "0.949", "0.27", "0.158"):
        assert number in why["text"]
    # plain GD: x shrinks by (1 - 2 lr) per step, y reaches 0 in one step (1 - 20 lr = 0)
    assert res["final_loss"]["SGD"] == pytest.approx((10 * 0.9**50) ** 2, rel=1e-9)
    assert png_ok(res["plot"])


def test_momentum_vs_nesterov(tmp_path):
    res = load("momentum_vs_nesterov").main(["--out", str(tmp_path)])
    steps = res["steps_to_tol"]
    assert steps["gradient descent"] is None  # the ravine's long axis is too slow for GD
    assert steps["Nesterov 0.9"] < steps["momentum 0.9"] < 300
    assert png_ok(res["plot"])


def test_batch_size_experiment(tmp_path):
    out = tmp_path / "bs"
    assert (
        cli(
            [
                "compare",
                str(EXAMPLES / "batch_size.toml"),
                "--vary",
                "batch_size=1,8,32,128,full",
                "--set",
                "train.epochs=1",
                "--set",
                "data.n=300",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rows = (out / "compare.csv").read_text().splitlines()
    assert rows[0].startswith("batch_size,epochs,final_train_loss,final_val_acc")
    assert [r.split(",")[0] for r in rows[1:]] == ["1", "8", "32", "128", "full"]
    assert png_ok(out / "compare.png")


def test_early_stopping_restores_the_best_epoch(tmp_path):
    out = tmp_path / "es"
    assert (
        cli(
            [
                "train",
                str(EXAMPLES / "early_stopping.toml"),
                "--no-progress",
                "--out",
                str(out),
                "--set",
                "train.plots=false",
            ]
        )
        == 0
    )
    metrics = json.loads((out / "metrics.json").read_text())
    rows = (out / "history.csv").read_text().splitlines()
    assert metrics["stop_reason"].startswith("early stopping at epoch")
    assert len(rows) - 1 < 300
    # It really overfits: a sustained rise of the validation loss while the train loss fell.
    assert metrics["diagnosis"]["status"] == "overfitting", metrics["diagnosis"]
    header = rows[0].split(",")
    val = [float(r.split(",")[header.index("val_loss")]) for r in rows[1:]]
    best = int(np.argmin(val))
    assert metrics["best_epoch"] == best + 1
    assert metrics["val"]["loss"] == pytest.approx(val[best], rel=1e-6)  # weights restored


def test_digits_cnn_trains(tmp_path):
    out = tmp_path / "cnn"
    assert (
        cli(
            [
                "train",
                str(EXAMPLES / "digits_cnn.toml"),
                "--no-progress",
                "--out",
                str(out),
                "--set",
                "train.epochs=2",
                "--set",
                "data.n=500",
            ]
        )
        == 0
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["val"]["acc"] > 0.3  # chance is 0.1


def test_gradient_clipping_rescues_the_run(tmp_path, capsys):
    res = load("gradient_clipping").main(["--epochs", "3", "--out", str(tmp_path)])
    h = res["histories"]
    assert h["no clipping"].last("val_acc") < 0.2
    assert h["clip norm 1"].last("val_acc") > 0.8
    assert res["clip_fraction"]["clip norm 1"] > 0.5
    assert png_ok(res["plot"])


def test_gradient_check_passes_and_catches_the_bug(capsys):
    res = load("gradient_check").main(["--hidden", "6", "--n", "5"])
    verdicts = {title: max(errs.values()) for title, errs in res.items()}
    wrong = [t for t, e in verdicts.items() if e > 1e-7]
    assert wrong == ["hand-written NumPy backprop (ReLU derivative forgotten)"]
    assert verdicts[wrong[0]] > 1e-2


def test_vanishing_gradients(tmp_path):
    res = load("vanishing_gradients").main(["--epochs", "1", "--out", str(tmp_path)])
    assert res["ratio"]["sigmoid"] < 1e-4 < 1e-1 < res["ratio"]["relu"]
    assert len(res["norms"]["sigmoid"]) == 11
    assert png_ok(res["plot"])


def test_q_learning_cliff(tmp_path):
    res = load("q_learning_cliff").main(["--lake-episodes", "300", "--out", str(tmp_path)])
    assert res["cliff"]["q_learning"]["greedy_return"] == -13.0
    assert res["cliff"]["sarsa"]["greedy_return"] < -13.0
    assert res["frozenlake"]["optimal"] == pytest.approx(0.7402, abs=1e-4)
    assert png_ok(tmp_path / "cliff_sarsa.png") and png_ok(tmp_path / "frozenlake.png")


def test_reinforce_cartpole(tmp_path):
    res = load("reinforce_cartpole").main(["--episodes", "15", "--out", str(tmp_path)])
    assert len(res[0]["returns"]) == 15 and res[0]["solved_at"] is None
    assert res[0]["episode_states"].shape[1] == 4
    assert png_ok(tmp_path / "returns_seed0.png")


def test_genetic_vs_gradient(tmp_path):
    res = load("genetic_vs_gradient").main(
        ["--surfaces", "bowl", "--generations", "60", "--out", str(tmp_path)]
    )
    assert res["counts"]["bowl"]["gd"] < res["counts"]["bowl"]["ga"]
    np.testing.assert_array_equal(res["xor_predictions"], [0, 1, 1, 0])
    assert png_ok(tmp_path / "race.png")


def test_som_unfolding(tmp_path):
    res = load("som_unfolding").main(["--steps", "1500", "--size", "6", "--out", str(tmp_path)])
    qe = res["quantization_error"]
    assert qe[-1] < 0.5 * qe[0] and res["topographic_error"] < 0.1
    assert png_ok(res["plot"])


def test_tree_depth(tmp_path):
    res = load("tree_depth").main(["--depths", "1", "3", "--out", str(tmp_path)])
    assert all(row[4] for row in res["rows"])  # the same tree as scikit-learn's
    assert res["rows"][0][1] == 2 and res["rows"][1][2] > res["rows"][0][2]
    assert png_ok(tmp_path / "depth_3.png")
