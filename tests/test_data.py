"""descentlab.data: datasets, seeded splits and the DataLoader."""

import numpy as np
import pytest

import descentlab as dl
from descentlab import registry
from descentlab.data import (
    DataLoader,
    blobs,
    circles,
    digits,
    moons,
    spirals,
    train_val_test_split,
    xor,
)


def test_xor_is_the_truth_table():
    X, y = xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert X.dtype == np.float32 and y.dtype == np.int64


def test_noisy_xor_keeps_labels_of_its_corner():
    X, y = xor(n=400, noise=0.1, seed=3)
    corner = (X > 0.5).astype(int)
    agree = np.mean((corner[:, 0] ^ corner[:, 1]) == y)
    assert agree > 0.99  # a point only rarely crosses the middle with noise 0.1
    assert np.bincount(y).tolist() == [200, 200]


@pytest.mark.parametrize("fn", [moons, circles, spirals, blobs])
def test_toy_datasets_shapes_and_seeds(fn):
    X, y = fn(n=120, noise=0.1, seed=1)
    assert X.shape == (120, 2) and y.shape == (120,)
    assert X.dtype == np.float32 and y.dtype == np.int64
    X2, y2 = fn(n=120, noise=0.1, seed=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = fn(n=120, noise=0.1, seed=2)
    assert not np.array_equal(X, X3)


def test_moons_match_scikit_learn():
    from sklearn.datasets import make_moons

    X, y = moons(n=50, noise=0.2, seed=7)
    Xs, ys = make_moons(n_samples=50, noise=0.2, random_state=7)
    np.testing.assert_allclose(X, Xs.astype(np.float32))
    np.testing.assert_array_equal(y, ys)


def test_spirals_classes_and_geometry():
    _, y_odd = spirals(n=301, noise=0.0, classes=3, seed=0)
    assert np.bincount(y_odd).tolist() == [101, 100, 100]
    X, y = spirals(n=300, noise=0.0, classes=3, seed=0)
    r = np.linalg.norm(X, axis=1)
    assert r.max() == pytest.approx(1.0, abs=1e-6) and r.min() > 0.04
    # Without noise arm k is arm 0 rotated by 2 pi k / 3.
    a0 = X[y == 0]
    theta = 2 * np.pi / 3
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    np.testing.assert_allclose(a0 @ rot.T, X[y == 1], atol=1e-5)


def test_blobs_centers():
    X, y = blobs(n=90, centers=4, noise=0.5, seed=0)
    assert set(y.tolist()) == {0, 1, 2, 3}


def test_digits():
    X, y = digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y).min() > 170
    Xi, _ = digits(image=True, n=10)
    assert Xi.shape == (10, 1, 8, 8)
    np.testing.assert_array_equal(Xi.reshape(10, 64), X[:10])


def test_dataset_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"Invalid number of samples: n=0 \(expected an integer"):
        moons(n=0)
    with pytest.raises(ValueError, match=r"Invalid noise: -1"):
        xor(n=8, noise=-1)
    with pytest.raises(ValueError, match=r"^dataset: expected one of xor, moons, circles, "):
        registry.datasets.build("mnist")
    assert "digits" in registry.datasets and "DIGITS" in registry.datasets


def test_seed_none_draws_from_the_library_generator():
    dl.manual_seed(5)
    a = moons(n=30, seed=None)[0]
    dl.manual_seed(5)
    b = moons(n=30, seed=None)[0]
    np.testing.assert_array_equal(a, b)


def test_splits_sizes_disjoint_stratified_and_seeded():
    X = np.arange(1000).reshape(-1, 1)
    y = np.repeat([0, 1, 2, 3], 250)
    s = train_val_test_split(X, y, val=0.2, test=0.1, seed=0)
    n = [len(p[0]) for p in s]
    assert n == [700, 200, 100]
    ids = np.concatenate([p[0].ravel() for p in s])
    assert sorted(ids.tolist()) == list(range(1000))
    for X_part, y_part in s:
        np.testing.assert_array_equal(y[X_part.ravel()], y_part)
        assert np.ptp(np.bincount(y_part)) <= 1  # stratified: classes stay balanced
    s2 = train_val_test_split(X, y, val=0.2, test=0.1, seed=0)
    np.testing.assert_array_equal(s.train[0], s2.train[0])
    s3 = train_val_test_split(X, y, val=0.2, test=0.1, seed=1)
    assert not np.array_equal(s.train[0], s3.train[0])


def test_split_zero_fractions_and_errors():
    X, y = moons(n=40)
    s = train_val_test_split(X, y, val=0.0, test=0.0)
    assert s.val is None and s.test is None and len(s.train[0]) == 40
    with pytest.raises(ValueError, match=r"val \+ test = 1 \(expected val \+ test < 1\)"):
        train_val_test_split(X, y, val=0.5, test=0.5)
    with pytest.raises(ValueError, match="Invalid test fraction: 1.5"):
        train_val_test_split(X, y, test=1.5)


def _epoch(loader):
    return [(xb.data.numpy().copy(), yb.data.numpy().copy()) for xb, yb in loader]


def test_loader_batch_modes():
    X = np.arange(20, dtype=np.float64).reshape(10, 2)
    y = np.arange(10)
    full = DataLoader(X, y, batch_size=None)
    assert len(full) == 1 and _epoch(full)[0][0].shape == (10, 2)
    assert len(DataLoader(X, y, batch_size="full")) == 1
    sgd = DataLoader(X, y, batch_size=1)
    assert len(sgd) == 10 and all(xb.shape == (1, 2) for xb, _ in _epoch(sgd))
    mini = DataLoader(X, y, batch_size=4)
    assert len(mini) == 3 and [len(b[1]) for b in _epoch(mini)] == [4, 4, 2]
    dropped = DataLoader(X, y, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(b[1]) for b in _epoch(dropped)] == [4, 4]
    xb, yb = next(iter(mini))
    assert isinstance(xb, dl.Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64


def test_loader_shuffles_every_epoch_covering_all_examples():
    X = np.arange(50, dtype=np.float32).reshape(50, 1)
    y = np.arange(50)
    loader = DataLoader(X, y, batch_size=8, shuffle=True, seed=0)
    e1, e2 = _epoch(loader), _epoch(loader)
    order1 = np.concatenate([b[1] for b in e1])
    order2 = np.concatenate([b[1] for b in e2])
    assert sorted(order1.tolist()) == list(range(50)) == sorted(order2.tolist())
    assert not np.array_equal(order1, order2)
    for xb, yb in e1:  # X and y stay paired
        np.testing.assert_array_equal(xb.ravel(), yb)
    again = DataLoader(X, y, batch_size=8, shuffle=True, seed=0)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in _epoch(again)]), order1)


def test_loader_state_dict_resumes_the_permutation_sequence():
    X, y = np.zeros((30, 1)), np.arange(30)
    a = DataLoader(X, y, batch_size=7, shuffle=True, seed=3)
    _epoch(a)
    state = a.state_dict()
    expected = np.concatenate([b[1] for b in _epoch(a)])
    b = DataLoader(X, y, batch_size=7, shuffle=True, seed=99)
    b.load_state_dict(state)
    np.testing.assert_array_equal(np.concatenate([b_[1] for b_ in _epoch(b)]), expected)


def test_loader_without_seed_uses_library_generator_and_full_batch_is_not_shuffled():
    X, y = np.zeros((12, 1)), np.arange(12)
    dl.manual_seed(1)
    a = np.concatenate([b[1] for b in _epoch(DataLoader(X, y, batch_size=5, shuffle=True))])
    dl.manual_seed(1)
    b = np.concatenate([b[1] for b in _epoch(DataLoader(X, y, batch_size=5, shuffle=True))])
    np.testing.assert_array_equal(a, b)
    full = DataLoader(X, y, batch_size=None, shuffle=True, seed=0)
    np.testing.assert_array_equal(_epoch(full)[0][1], y)


def test_loader_errors():
    with pytest.raises(ValueError, match=r"Invalid batch_size: 0 \(expected batch_size >= 1\)"):
        DataLoader(np.zeros((3, 1)), np.zeros(3), batch_size=0)
    with pytest.raises(ValueError, match="X and y differ in length: 3 and 2"):
        DataLoader(np.zeros((3, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="Invalid batch_size: 'half'"):
        DataLoader(np.zeros((3, 1)), np.zeros(3), batch_size="half")
