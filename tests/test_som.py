"""descentlab.som against MiniSom 2.3.6: the same weights after training, the same errors."""

import doctest

import numpy as np
import pytest
from minisom import MiniSom
from sklearn.datasets import load_digits

import descentlab.som as som_module
from descentlab.som import SOM

DIGITS = load_digits()
X = DIGITS.data / 16.0


@pytest.mark.parametrize(
    "decay, sigma_decay",
    [
        ("asymptotic_decay", "asymptotic_decay"),
        ("inverse_decay_to_zero", "inverse_decay_to_one"),
        ("linear_decay_to_zero", "linear_decay_to_one"),
    ],
)
def test_same_weights_and_errors_as_minisom_on_digits(decay, sigma_decay):
    kw = dict(sigma=3.0, learning_rate=0.5)
    ms = MiniSom(
        10, 10, 64, decay_function=decay, sigma_decay_function=sigma_decay, random_seed=1, **kw
    )
    ours = SOM(10, 10, 64, decay=decay, sigma_decay=sigma_decay, weights=ms.get_weights(), **kw)
    ms.train(X, 2000)  # samples in order: t mod n
    ours.train(X, 2000)
    np.testing.assert_allclose(ours.weights, ms.get_weights(), rtol=0, atol=1e-6)
    assert ours.quantization_error(X) == pytest.approx(ms.quantization_error(X), abs=1e-9)
    assert ours.topographic_error(X) == pytest.approx(ms.topographic_error(X), abs=1e-12)
    np.testing.assert_array_equal(ours.winners(X), np.array([ms.winner(x) for x in X], dtype=int))


def test_same_weights_as_minisom_in_random_order():
    ms = MiniSom(8, 8, 64, sigma=2.0, learning_rate=0.5, random_seed=3)
    w0 = ms.get_weights().copy()
    # MiniSom's random order: its generator, after drawing the weights, shuffles t mod n
    rng = np.random.RandomState(3)
    rng.rand(8, 8, 64)
    order = np.arange(1500) % len(X)
    rng.shuffle(order)
    ms.train_random(X, 1500)
    ours = SOM(8, 8, 64, sigma=2.0, learning_rate=0.5, weights=w0)
    ours.train(X, 1500, order=order)
    np.testing.assert_allclose(ours.weights, ms.get_weights(), rtol=0, atol=1e-6)


def test_one_step_by_hand():
    som = SOM(2, 2, 2, sigma=1.0, learning_rate=0.4, weights=np.zeros((2, 2, 2)))
    som.weights[1, 1] = [1.0, 1.0]
    x = np.array([0.9, 1.0])
    assert som.bmu(x) == (1, 1)
    # t = 5 of 10, asymptotic: lr = 0.4 / 2 = 0.2, sigma = 0.5, so h = exp(-2) per grid step
    som.update(x, (1, 1), t=5, steps=10)
    h = np.exp(-1 / (2 * 0.25))
    np.testing.assert_allclose(som.weights[1, 1], [1.0 - 0.2 * 0.1, 1.0])
    np.testing.assert_allclose(som.weights[0, 1], 0.2 * h * x)
    np.testing.assert_allclose(som.weights[0, 0], 0.2 * h * h * x)


def test_training_orders_the_map_and_records_snapshots():
    rng = np.random.default_rng(0)
    data = rng.uniform(0, 1, size=(500, 2))
    som = SOM(6, 6, 2, sigma=2.0, learning_rate=0.5, seed=0)
    run = som.train(data, 3000, order="random", record_every=500)
    assert run.steps.tolist() == [0, 500, 1000, 1500, 2000, 2500, 3000]
    assert run.weights.shape == (7, 6, 6, 2)
    assert np.all(np.diff(run.lr) < 0) and np.all(np.diff(run.sigma) < 0)
    assert run.quantization_error[-1] < 0.3 * run.quantization_error[0]
    assert som.topographic_error(data) < 0.1  # the grid unfolded over the square
    umat = som.distance_map()
    assert umat.shape == (6, 6) and umat.max() == 1.0


def test_stepwise_training_is_train_and_the_u_matrix_by_hand():
    data = np.random.default_rng(1).uniform(size=(50, 3))
    a = SOM(3, 4, 3, sigma=1.5, seed=2)
    b = SOM(3, 4, 3, sigma=1.5, seed=2)
    run = a.train(data, 120, order="random", record_every=40)
    pauses = [(t, b.weights.copy()) for t, _, _ in b.iter_train(data, 120, "random", every=40)]
    assert [t for t, _ in pauses] == [40, 80, 120]
    np.testing.assert_array_equal(np.array([w for _, w in pauses]), run.weights[1:])
    np.testing.assert_array_equal(run.order, b.order)
    line = SOM(1, 3, 1, weights=np.array([[[0.0], [1.0], [3.0]]]))
    # mean distance to grid neighbours: 1, (1 + 2) / 2, 2; scaled by the largest
    np.testing.assert_allclose(line.distance_map(), [[0.5, 0.75, 1.0]])


def test_digit_prototypes_carry_labels():
    som = SOM(8, 8, 64, sigma=2.0, learning_rate=0.5, seed=0)
    som.init_from_data(X)
    som.train(X, 3000, order="random")
    labels = som.unit_labels(X, DIGITS.target)
    assert set(labels.ravel()) >= set(range(10))
    win = som.winners(X)
    purity = np.mean(labels[win[:, 0], win[:, 1]] == DIGITS.target)
    assert purity > 0.8  # each unit's label is the label of most digits it wins


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"Invalid decay: 'fast' \(expected one of"):
        SOM(2, 2, 2, decay="fast")
    with pytest.raises(ValueError, match=r"Invalid sigma: 0"):
        SOM(2, 2, 2, sigma=0)
    with pytest.raises(ValueError, match=r"Invalid weights: shape \(2, 2\)"):
        SOM(2, 2, 2, weights=np.zeros((2, 2)))
    som = SOM(2, 2, 3)
    with pytest.raises(ValueError, match=r"Invalid data: shape \(4, 2\) \(expected \(n, 3\)\)"):
        som.train(np.zeros((4, 2)), 10)
    with pytest.raises(ValueError, match="Invalid order"):
        som.train(np.zeros((4, 3)), 10, order="shuffled")


def test_docstring_examples_run():
    assert doctest.testmod(som_module).failed == 0
