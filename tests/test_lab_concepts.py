"""The concept pages' numbers: convolution, softmax cross-entropy, activations (oracles: torch,
closed forms)."""

import math

import numpy as np
import pytest
import torch

from descentlab.lab.compute import activations, convolution, softmax_ce


# ---------------------------------------------------------------- convolution
@pytest.mark.parametrize("image", convolution.IMAGES)
@pytest.mark.parametrize("kernel", sorted(convolution.KERNELS))
@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (1, 2), (3, 0)])
def test_convolution_matches_torch_and_the_written_out_sum(image, kernel, stride, padding):
    img = convolution.make_image(image)
    k = np.array(convolution.KERNELS[kernel], dtype=np.float64)
    c = convolution.convolve(img, k, stride, padding)
    ref = torch.nn.functional.conv2d(
        torch.tensor(img)[None, None], torch.tensor(k)[None, None], stride=stride, padding=padding
    )[0, 0].numpy()
    np.testing.assert_allclose(c.output, ref, rtol=1e-12, atol=1e-12)
    for index in range(c.positions):
        i, j = c.position(index)
        assert c.terms(i, j).sum() == pytest.approx(c.output[i, j], abs=1e-12)


def test_receptive_field_and_parameter_sharing_counts():
    c = convolution.convolve(convolution.make_image("square"), np.eye(3), stride=2, padding=1)
    assert c.output.shape == (4, 4)  # floor((8 + 2 - 3) / 2) + 1
    top, left, window = c.window(1, 2)
    assert (top, left) == (2, 4) and window.shape == (3, 3)
    counts = convolution.parameter_counts(8, 8, 3, 4, 4)
    assert counts == {"conv": 10, "dense": 8 * 8 * 4 * 4 + 16}


@pytest.mark.parametrize(
    "rows, message",
    [
        ([[1, 2, 3]], "3 rows of 3 numbers"),
        ([[1, 2, 3], [1, 2], [1, 2, 3]], "3 rows of 3 numbers"),
        ([[1, 2, 3], [1, 1e9, 3], [1, 2, 3]], r"Kernel weight \(2, 2\)"),
        ([[1, 2, 3], [1, "x", 3], [1, 2, 3]], r"Kernel weight \(2, 2\)"),
    ],
)
def test_bad_kernels_are_one_sentence(rows, message):
    with pytest.raises(ValueError, match=message):
        convolution.parse_kernel(rows)


# ---------------------------------------------------------------- softmax cross-entropy
@pytest.mark.parametrize(
    "logits, target", [([2.0, 1.0, 0.1], 1), ([0, 0], 2), ([-3, 8, 2.5, 0, 1], 4), ([40, -40], 2)]
)
def test_softmax_cross_entropy_matches_torch_and_p_minus_y(logits, target):
    r = softmax_ce.softmax_cross_entropy(logits, target)
    z = torch.tensor([logits], dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(z, torch.tensor([target - 1]))
    loss.backward()
    assert r.loss == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(r.probabilities, torch.softmax(z[0], 0).detach().numpy(), 1e-12)
    np.testing.assert_allclose(r.gradient, z.grad[0].numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.gradient, r.formula_gradient, rtol=1e-10, atol=1e-12)


def test_the_course_example_and_the_cost_of_a_confident_wrong_answer():
    r = softmax_ce.softmax_cross_entropy([2.0, 1.0, 0.1], 1)
    np.testing.assert_allclose(r.probabilities, [0.659001, 0.242433, 0.098566], atol=1e-6)
    assert r.loss == pytest.approx(math.log(math.exp(2) + math.exp(1) + math.exp(0.1)) - 2, 1e-12)
    # 002: "predicting 0.01 when the answer is 1" costs -log(0.01) = 4.605.
    wrong = softmax_ce.softmax_cross_entropy([0.0, math.log(99.0)], 1)
    assert wrong.probabilities[0] == pytest.approx(0.01) and wrong.loss == pytest.approx(
        4.60517, 1e-5
    )
    m = np.array([-5.0, 0.0, 5.0, 20.0])
    np.testing.assert_allclose(softmax_ce.loss_against_margin(m), np.log1p(np.exp(m)), 1e-12)


@pytest.mark.parametrize(
    "logits, target, message",
    [
        ([1.0], 1, "Give 2 to 10 logits"),
        ([1.0, 2.0], 3, "True class must be a whole number from 1 to 2"),
        ([1.0, float("nan")], 1, "Logit 2"),
        ("1,2", 1, "Give 2 to 10 logits"),
    ],
)
def test_bad_softmax_inputs_are_one_sentence(logits, target, message):
    with pytest.raises(ValueError, match=message):
        softmax_ce.softmax_cross_entropy(logits, target)


# ---------------------------------------------------------------- activations
CLOSED_FORMS = {
    "sigmoid": lambda x: (1 / (1 + np.exp(-x))) * (1 - 1 / (1 + np.exp(-x))),
    "tanh": lambda x: 1 - np.tanh(x) ** 2,
    "relu": lambda x: (x > 0).astype(float),
    "leaky_relu": lambda x: np.where(x > 0, 1.0, 0.01),
}


@pytest.mark.parametrize("name", activations.SHOWN)
def test_derivatives_from_backward_match_torch(name):
    c = activations.curve(name, -6, 6, 241)
    x = torch.tensor(c.x, requires_grad=True)
    fn = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": torch.nn.functional.leaky_relu,
        "gelu": torch.nn.functional.gelu,
    }[name]
    y = fn(x)
    y.sum().backward()
    np.testing.assert_allclose(c.value, y.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c.derivative, x.grad.numpy(), rtol=1e-10, atol=1e-12)
    if name in CLOSED_FORMS:
        np.testing.assert_allclose(c.derivative, CLOSED_FORMS[name](c.x), atol=1e-12)


def test_saturation_numbers():
    assert activations.curve("sigmoid").max_derivative == pytest.approx(0.25)
    assert activations.curve("tanh").max_derivative == pytest.approx(1.0)
    assert activations.curve("sigmoid").derivative_at(5.0) < 0.007
    assert activations.curve("relu").derivative_at(0.0) == 0.0  # PyTorch's convention


def test_relu_units_die_and_leaky_relu_units_do_not():
    relu = activations.dead_units("relu", lr=4.0, epochs=8)
    leaky = activations.dead_units("leaky_relu", lr=4.0, epochs=8)
    assert relu.no_gradient[-1] >= 10  # a third of the 32 units get no gradient at all
    assert relu.no_gradient[-1] <= relu.inactive[-1]
    assert max(leaky.no_gradient) == 0  # inactive Leaky ReLU units still learn
    # Once dead, a ReLU unit never comes back: the count never falls.
    assert all(b >= a for a, b in zip(relu.no_gradient[1:], relu.no_gradient[2:], strict=False))
    calm = activations.dead_units("relu", lr=0.5, epochs=8)
    assert calm.no_gradient[-1] <= 2 and calm.final_accuracy > 0.9


# ---------------------------------------------------------------- Kohonen map and CART pages
def test_kohonen_page_numbers_are_the_librarys():
    from descentlab.lab.compute import som_map
    from descentlab.som import SOM

    data = som_map.shape_data("ring", n=200)
    m = som_map.train_map(data, 6, 300, 3.0, 0.5, seed=1)
    again = SOM(6, 6, 2, sigma=3.0, learning_rate=0.5, seed=1)
    again.weights = data.mean(0) + 0.05 * again.rng.standard_normal(again.weights.shape)
    again.train(data, 300, order="random")
    np.testing.assert_allclose(m.run.weights[-1], again.weights, rtol=0, atol=0)
    assert m.run.quantization_error[-1] < 0.5 * m.run.quantization_error[0]  # it unfolded
    xs, ys = som_map.grid_lines(m.run.weights[-1])
    assert len(xs) == len(ys) == 2 * 6 * 7  # 6 rows + 6 columns of 6 units, each ending in None
    with pytest.raises(ValueError, match="Map side must be a whole number from 2 to 15"):
        som_map.train_map(data, 99, 300, 3.0, 0.5)


def test_cart_page_regions_and_gini():
    from descentlab.lab.compute import cart

    X, y = cart.dataset("moons")
    view = cart.grow(X, y, 4)
    gx, gy = np.meshgrid(view.xs, view.ys)
    expected = view.tree.predict(np.stack([gx.ravel(), gy.ravel()], 1)).reshape(gx.shape)
    np.testing.assert_array_equal(view.regions, expected)
    assert [d for d, *_ in view.by_depth] == [1, 2, 3, 4]
    train_acc = [a for _, a, _, _ in view.by_depth]
    assert train_acc == sorted(train_acc)  # a deeper tree never fits the training data worse
    root = view.tree.nodes[0]
    p = np.array(root.value) / root.samples
    assert root.impurity == pytest.approx(1 - (p**2).sum(), abs=1e-12)
    assert "gini = " in cart.node_label(view.tree, 0)
