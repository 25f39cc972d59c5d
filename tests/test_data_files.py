"""Your own data: CSV/TSV/NPY/NPZ tables, the task inferred, bounded reading, and the CLI route."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from descentlab.cli import main
from descentlab.data import train_val_test_split
from descentlab.data.files import DataFileError, load_table


def write(path, text: str):
    path.write_text(text)
    return path


def test_csv_with_string_labels_is_classification(tmp_path):
    p = write(tmp_path / "t.csv", "b,label,a\n1,yes,0.5\n2,no,-1\n3,yes,2\n")
    t = load_table(p, "label")
    assert t.features == ["b", "a"] and t.task == "classification" and t.classes == ["no", "yes"]
    np.testing.assert_array_equal(t.y, [1, 0, 1])
    assert t.X.dtype == np.float32 and t.X.tolist() == [[1, 0.5], [2, -1], [3, 2]]
    X, y = t  # unpacks like a generated dataset
    assert X is t.X and y is t.y


def test_task_is_inferred_and_can_be_overridden(tmp_path):
    few = write(tmp_path / "few.tsv", "x\ty\n" + "".join(f"{i}\t{i % 3}\n" for i in range(30)))
    t = load_table(few, "y")
    assert t.task == "classification" and t.classes == [0, 1, 2] and t.y.dtype == np.int64
    many = write(tmp_path / "many.csv", "x,y\n" + "".join(f"{i},{i * 7}\n" for i in range(30)))
    assert load_table(many, "y").task == "regression"
    assert load_table(many, "y", task="classification").classes[:2] == [0, 7]
    floats = write(tmp_path / "f.csv", "x,y\n1,0.5\n2,1.5\n")
    t = load_table(floats, "y")
    assert t.task == "regression" and t.y.dtype == np.float32 and t.classes is None
    assert load_table(few, "y", task="regression").y.tolist()[:3] == [0.0, 1.0, 2.0]


def test_npy_and_npz(tmp_path):
    a = np.array([[0.1, 1.0, 0], [0.2, 2.0, 1], [0.3, 3.0, 1]])
    np.save(tmp_path / "a.npy", a)
    t = load_table(tmp_path / "a.npy", "-1")
    assert t.features == ["x0", "x1"] and t.target == "x2" and t.classes == [0, 1]
    np.savez(tmp_path / "b.npz", X=a[:, :2], y=np.array(["cat", "dog", "cat"]))
    t = load_table(tmp_path / "b.npz", "y")
    assert t.classes == ["cat", "dog"] and t.y.tolist() == [0, 1, 0] and t.X.shape == (3, 2)


BAD = [
    ("empty.csv", "", "data file empty.csv: expected a header row, got an empty file"),
    (
        "h.csv",
        "a,b\n",
        "data file h.csv: expected at least one row of data after the header, got none",
    ),
    (
        "r.csv",
        "a,b\n1,2\n3\n",
        "data file r.csv: expected 2 fields per row (the header's), got 1 at line 3",
    ),
    (
        "m.csv",
        "a,b\n1,x\n,y\n",
        "data file m.csv: expected a value in every row of feature 'a', got a missing value "
        "at row 2",
    ),
    (
        "n.csv",
        "a,b\nred,x\n1,y\n",
        "data file n.csv: expected numbers in feature 'a', got 'red' at row 1",
    ),
    ("d.csv", "a,a,b\n1,2,x\n", "data file d.csv: expected distinct column names, got 'a' twice"),
    (
        "z.csv",
        "a,b\n1\x002,x\n",
        "data file z.csv: expected a text file, got a NUL byte (a binary file?)",
    ),
    (
        "t.csv",
        "a,b\n1,x\n2,x\n",
        "data file t.csv: expected 2 to 1000 classes in the target 'b', got 1",
    ),
    ("u.csv", "a,b\n1,x\n", "data file u.csv: expected a target among the columns a, b, got 'c'"),
    (
        "q.csv",
        'a,b\n"1,x\n',
        "data file q.csv: expected well-formed CSV, got unexpected end of data at line 2",
    ),
    (
        "inf.csv",
        "a,b\ninf,x\n1,y\n",
        "data file inf.csv: expected finite numbers in feature 'a', got 'inf' at row 1",
    ),
    (
        "f.xlsx",
        "a",
        "data file f.xlsx: expected a .csv, .tsv, .txt, .npy, .npz or .parquet file, got '.xlsx'",
    ),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD, ids=[b[0] for b in BAD])
def test_malformed_files_are_one_clear_line(tmp_path, name, text, message):
    target = "c" if name == "u.csv" else "b"
    with pytest.raises(DataFileError) as exc:
        load_table(write(tmp_path / name, text), target)
    assert str(exc.value) == message


def test_array_files_are_bounded_and_never_unpickled(tmp_path):
    bomb = tmp_path / "bomb.npy"  # a header declaring 8 TB in a file of 200 bytes
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }"
    bomb.write_bytes(b"\x93NUMPY\x01\x00" + len(header.ljust(117) + "\n").to_bytes(2, "little")
                     + (header.ljust(117) + "\n").encode() + b"\0" * 16)  # fmt: skip
    with pytest.raises(DataFileError, match=r"^data file bomb.npy: expected an array no larger"):
        load_table(bomb, "0")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(
        DataFileError, match=r"expected a numeric array \(bool, int or float\), got dtype object"
    ):
        load_table(tmp_path / "obj.npy", "0")
    with pytest.raises(DataFileError, match=r"^data file junk.npz: expected a .npz archive"):
        load_table(write(tmp_path / "junk.npz", "not a zip"), "y")


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.text(alphabet=st.sampled_from(list('ab,;"\n\r\t 0123.-e\x00xé')), max_size=80))
def test_fuzz_the_csv_reader(tmp_path, text):
    p = tmp_path / "fuzz.csv"
    p.write_text(text, encoding="utf-8")
    try:
        t = load_table(p, "a")
    except DataFileError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(("data file fuzz.csv: ", "data.target"))
    else:
        assert t.X.shape == (len(t.y), len(t.features)) and np.all(np.isfinite(t.X))


def test_train_on_a_csv_from_the_cli(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 2)) * [1.0, 50.0] + [3.0, -20.0]
    label = np.where(X[:, 0] - 3 > 0, "up", "down")
    rows = "".join(f"{float(a)!r},{lab},{float(b)!r}\n" for (a, b), lab in zip(X, label))
    data = write(tmp_path / "mine.csv", "f1,kind,f2\n" + rows)
    out = tmp_path / "run"
    argv = ["train", "--data", str(data), "--target", "kind", "--out", str(out), "--no-progress"]
    argv += ["--set", "train.epochs=3", "--set", "model.hidden=[8]", "--set", "train.plots=false"]
    assert main(argv) == 0
    prep = json.loads((out / "preprocessing.json").read_text())
    assert set(prep) == {"format", "features", "mean", "std", "target", "task", "classes"}
    assert prep["format"] == 1 and prep["features"] == ["f1", "f2"] and prep["target"] == "kind"
    assert prep["task"] == "classification" and prep["classes"] == ["down", "up"]
    # the scaler comes from the training split only (the same seeded split the run made)
    y = (label == "up").astype(np.int64)
    train = train_val_test_split(X.astype(np.float32), y, val=0.15, test=0.15, seed=0).train[0]
    np.testing.assert_allclose(prep["mean"], train.astype(np.float64).mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(prep["std"], train.astype(np.float64).std(axis=0), rtol=1e-6)
    assert "run directory" in capsys.readouterr().out
    assert main(["train", "--target", "kind"]) == 2
    assert "--target/--task: expected --data FILE with them" in capsys.readouterr().err
