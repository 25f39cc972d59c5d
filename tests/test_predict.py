"""load_run and ``descentlab predict``: a trained run predicts what it was evaluated on, applies
its preprocessing (feature order, standardisation, original labels), and bad input is one line."""

from __future__ import annotations

import json

import numpy as np
import pytest

import descentlab as dl
from descentlab.cli import main
from descentlab.train import Preprocessing, RunError, TrainedModel, load_run
from descentlab.train.config import load_config
from descentlab.train.experiment import load_data, run


def _run(tmp_path_factory, name, *overrides):
    cfg = load_config(
        None, [f"name={name}", "train.progress=false", "train.plots=false", *overrides]
    )
    out = tmp_path_factory.mktemp(name) / name
    result = run(cfg, out)
    return out, cfg, result


@pytest.fixture(scope="module")
def moons(tmp_path_factory):
    return _run(
        tmp_path_factory,
        "moons",
        "data.name=moons",
        "data.n=300",
        "data.standardize=true",
        "model.hidden=[16]",
        "train.epochs=15",
        "optim.lr=0.05",
    )


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    return _run(
        tmp_path_factory,
        "cnn",
        "model.name=cnn",
        "model.channels=[4]",
        "data.n=200",
        "train.epochs=2",
        "early_stopping.enabled=true",
        "early_stopping.restore_best_weights=true",
    )


def _raw_splits(cfg):
    return load_data({**cfg, "data": {**cfg["data"], "standardize": False}})[0]


def test_a_loaded_run_predicts_what_the_run_measured(moons):
    out, cfg, result = moons
    trained = load_run(out)
    assert trained.checkpoint.name == "last.npz" and trained.epoch == 15
    X, y = _raw_splits(cfg).test  # raw inputs: load_run standardises them itself
    accuracy = float((trained.predict(X) == y).mean())
    assert accuracy == pytest.approx(result.metrics["test"]["acc"], abs=1e-12)
    proba = trained.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # The same numbers as the experiment's own model on standardised inputs.
    Xs = result.experiment.test[0]
    with dl.no_grad():
        expected = result.experiment.model(dl.tensor(Xs)).numpy()
    np.testing.assert_allclose(trained.logits(X), expected, rtol=1e-5, atol=1e-6)


def test_a_cnn_run_takes_flat_or_image_inputs_and_the_restored_best_weights(cnn):
    out, cfg, result = cnn
    trained = load_run(out)
    assert trained.checkpoint.name == "best.npz"  # early stopping restored the best weights
    assert trained.preprocessing.in_shape == (1, 8, 8)
    X, y = _raw_splits(cfg).test
    flat = X.reshape(len(X), -1)
    np.testing.assert_array_equal(trained.predict(flat), trained.predict(X))
    assert float((trained.predict(X) == y).mean()) == pytest.approx(result.metrics["test"]["acc"])
    assert load_run(out, checkpoint="last").checkpoint.name == "last.npz"


def _own_data_run(moons, tmp_path):
    """The moons run, as if trained on a file with columns a, b and labels 'blue'/'red'."""
    import shutil

    out, cfg, _ = moons
    run_dir = tmp_path / "own"
    shutil.copytree(out, run_dir)
    mean = [0.5, -0.25]
    std = [2.0, 4.0]
    prep = {
        "format": 1,
        "features": ["a", "b"],
        "mean": mean,
        "std": std,
        "target": "colour",
        "task": "classification",
        "classes": ["blue", "red"],
    }
    (run_dir / "preprocessing.json").write_text(json.dumps(prep))
    return run_dir, np.array(mean), np.array(std)


def test_own_data_preprocessing_is_applied(moons, tmp_path):
    run_dir, mean, std = _own_data_run(moons, tmp_path)
    trained = load_run(run_dir)
    X = np.random.default_rng(0).standard_normal((20, 2)) * 3
    with dl.no_grad():
        logits = trained.model(dl.tensor(((X - mean) / std).astype(np.float32))).numpy()
    expected = np.array(["blue", "red"], dtype=object)[logits.argmax(axis=1)]
    np.testing.assert_array_equal(trained.predict(X), expected)

    # The CLI takes the feature columns by name, in any order, and ignores the others.
    csv = tmp_path / "new.csv"
    lines = ["colour,b,a"] + [f"?,{b},{a}" for a, b in X]
    csv.write_text("\n".join(lines) + "\n")
    assert main(["predict", str(run_dir), str(csv), "--out", str(tmp_path / "p.csv")]) == 0
    rows = (tmp_path / "p.csv").read_text().splitlines()
    assert rows[0] == "prediction,p_blue,p_red"
    assert [r.split(",")[0] for r in rows[1:]] == list(expected)
    assert main(["predict", str(run_dir), str(csv), "--out", str(tmp_path / "p.json")]) == 0
    records = json.loads((tmp_path / "p.json").read_text())
    assert [r["prediction"] for r in records] == list(expected)
    assert records[0]["p_blue"] + records[0]["p_red"] == pytest.approx(1.0, abs=2e-6)


def test_regression_predicts_values():
    import descentlab.nn as nn

    lin = nn.Linear(2, 1)
    prep = Preprocessing(
        in_shape=(2,), mean=np.array([1.0, 2.0]), std=np.array([2.0, 2.0]), task="regression"
    )
    trained = TrainedModel(lin.eval(), prep, {}, None, 0)
    X = np.array([[3.0, 4.0], [1.0, 2.0]])
    w, b = (
        lin.weight.detach().numpy().astype(np.float64),
        lin.bias.detach().numpy().astype(np.float64),
    )
    np.testing.assert_allclose(trained.predict(X), ((X - [1, 2]) / 2) @ w.T[:, 0] + b, rtol=1e-6)
    with pytest.raises(RunError, match="this run is a regression; use predict"):
        trained.predict_proba(X)


def _cli_error(capsys, *argv) -> str:
    assert main(["predict", *map(str, argv)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("descentlab predict: error: ") and "\n" not in err
    return err


def test_cli_errors_are_one_line(moons, tmp_path, capsys):
    out, _, _ = moons
    run_dir, _, _ = _own_data_run(moons, tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,c\n1,2\n")
    assert "missing feature column(s) ['b'] (the model takes ['a', 'b'])" in _cli_error(
        capsys, run_dir, bad
    )
    bad.write_text("a,b\n1,x\n")
    assert "row 1, column 'b': 'x' is not a number" in _cli_error(capsys, run_dir, bad)
    npy = tmp_path / "x.npy"
    np.save(npy, np.ones((3, 5)))
    assert "inputs of shape (3, 5) do not fit this model (expected (N, 2))" in _cli_error(
        capsys, out, npy
    )
    np.save(npy, np.array(["a", "b"]))
    assert "the array has dtype <U1 (expected numbers)" in _cli_error(capsys, out, npy)
    assert "is not a run directory (it has no config.toml)" in _cli_error(capsys, tmp_path, npy)
    (tmp_path / "x.json").write_text("[]")
    assert "INPUT must be a .csv, .tsv or .npy file, got '.json'" in _cli_error(
        capsys, out, tmp_path / "x.json"
    )
    assert "input file not found" in _cli_error(capsys, out, tmp_path / "nope.csv")
    prep = json.loads((run_dir / "preprocessing.json").read_text())
    prep["std"] = [1.0, -2.0]
    (run_dir / "preprocessing.json").write_text(json.dumps(prep))
    assert "preprocessing.json: every std must be positive" in _cli_error(capsys, run_dir, bad)


def test_cli_prints_csv_to_stdout_for_a_headerless_file(moons, tmp_path, capsys):
    out, _, _ = moons
    csv = tmp_path / "plain.csv"
    csv.write_text("0.1,0.2\n1.5,-0.5\n")
    assert main(["predict", str(out), str(csv)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "prediction,p_0,p_1" and len(lines) == 3
    expected = load_run(out).predict(np.array([[0.1, 0.2], [1.5, -0.5]]))
    assert [int(line.split(",")[0]) for line in lines[1:]] == list(expected)
