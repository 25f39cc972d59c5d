"""Page 11, vanishing gradients: per-layer gradient norms against PyTorch."""

from __future__ import annotations

import pytest
import torch

from descentlab import registry
from descentlab.lab.compute import vanishing as vc
from descentlab.lab.pages import vanishing as van_page


def test_sigmoid_gradients_vanish_and_relu_with_he_keeps_them():
    sigmoid = vc.layer_gradients(depth=10, activation="sigmoid", init="default")
    relu = vc.layer_gradients(depth=10, activation="relu", init="he")
    assert len(sigmoid.grad_norms) == 11
    assert sigmoid.ratio < 1e-5  # the first layer's gradient is tiny next to the output's
    assert relu.ratio > 1e-2
    # Each sigmoid layer shrinks the gradient on the way back.
    assert all(a < b for a, b in zip(sigmoid.grad_norms[:-1], sigmoid.grad_norms[1:]))


# the registry's activations as torch modules, with torch's defaults
TORCH_ACTIVATIONS = {
    "relu": torch.nn.ReLU,
    "leaky_relu": torch.nn.LeakyReLU,
    "sigmoid": torch.nn.Sigmoid,
    "tanh": torch.nn.Tanh,
    "gelu": torch.nn.GELU,
    "elu": torch.nn.ELU,
    "softplus": torch.nn.Softplus,
    "silu": torch.nn.SiLU,
    "linear": torch.nn.Identity,
}


def test_the_page_offers_every_registry_activation():
    assert vc.ACTIVATIONS == tuple(registry.activations.names())
    assert set(TORCH_ACTIVATIONS) == set(vc.ACTIVATIONS)


@pytest.mark.parametrize("activation", sorted(TORCH_ACTIVATIONS))
def test_layer_gradient_norms_match_pytorch(activation):
    from descentlab import nn
    from descentlab.data import spirals

    result = vc.layer_gradients(depth=3, activation=activation, init="xavier", width=8, seed=4)
    # Rebuild the same network (same seed, same init) and hand its weights to PyTorch.
    from descentlab.lab.compute.seeding import seeded

    def build():
        layers, fan_in = [], 2
        for _ in range(3):
            layers += [nn.Linear(fan_in, 8), registry.activations.build(activation)]
            fan_in = 8
        layers.append(nn.Linear(fan_in, 2))
        net = nn.Sequential(*layers)
        vc._initialise(net, activation, "xavier")
        return net

    net = seeded(4, build)
    X, y = spirals(n=vc.BATCH, noise=0.1, seed=4)
    h = torch.tensor(X, dtype=torch.float64)
    act = TORCH_ACTIVATIONS[activation]()
    weights = []
    for module in net:
        if isinstance(module, nn.Linear):
            w = torch.tensor(module.weight.data.numpy(), dtype=torch.float64, requires_grad=True)
            b = torch.tensor(module.bias.data.numpy(), dtype=torch.float64)
            weights.append(w)
            h = h @ w.T + b
        else:
            h = act(h)
    torch.nn.functional.cross_entropy(h, torch.tensor(y)).backward()
    expected = [w.grad.norm().item() for w in weights]
    assert result.grad_norms == pytest.approx(expected, rel=1e-4)


def test_vanishing_page_and_bounds():
    figure, summary, error = van_page.render(10, 32, "sigmoid", "default", 0)
    assert error == "" and "orders of magnitude" in summary
    assert figure["data"][0]["x"][0] == "layer 1" and figure["data"][0]["x"][-1] == "output"
    *_, error = van_page.render(500, 32, "sigmoid", "default", 0)
    assert error == "The depth must be a whole number from 1 to 30 (received 500)."
    *_, error = van_page.render(5, 32, "swish", "default", 0)
    assert error.startswith("The activation must be one of relu, leaky_relu, sigmoid, tanh, gelu")
