"""descentlab.nn.init: fans and gains equal torch's; every initialiser draws the distribution
torch's draws (bounds, mean, standard deviation, Kolmogorov-Smirnov), and every layer's default
initialisation equals torch's.

The samples are large (about 10^5 values) and seeded, so the tolerances below are many
standard errors wide and the tests are deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

import descentlab as dl
import descentlab.nn as nn
from descentlab.nn import init

SHAPE = (300, 400)  # 120,000 samples: fan_in = 400, fan_out = 300


@pytest.fixture(autouse=True)
def _seed():
    dl.manual_seed(0)
    torch.manual_seed(0)


@pytest.mark.parametrize(
    "shape", [(3, 4), (8, 3, 5), (16, 3, 3, 3), (2, 5, 1, 1), (4, 1, 2, 3, 2), (7, 0)]
)
def test_fan_in_and_fan_out_equal_torchs(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.calculate_fan_in_and_fan_out(shape) == expected


def test_fan_needs_two_dimensions():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions \(got shape \(5,\)\)"):
        init.calculate_fan_in_and_fan_out((5,))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(np.zeros(5))


@pytest.mark.parametrize(
    "name, param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
    ],
)
def test_gain_equals_torchs(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-15
    )


def test_gain_rejects_unknown_names():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def _check_uniform(values: np.ndarray, low: float, high: float) -> None:
    values = np.asarray(values)
    n = values.size
    width = high - low
    assert values.min() >= low and values.max() <= high
    assert values.min() < low + 1e-3 * width and values.max() > high - 1e-3 * width
    sd = width / math.sqrt(12)
    assert abs(values.mean() - (low + high) / 2) < 5 * sd / math.sqrt(n)
    assert values.std() == pytest.approx(sd, rel=0.01)
    assert stats.kstest(values.ravel(), stats.uniform(low, width).cdf).pvalue > 1e-3


def _check_normal(values: np.ndarray, mean: float, std: float) -> None:
    values = np.asarray(values)
    n = values.size
    assert abs(values.mean() - mean) < 5 * std / math.sqrt(n)
    assert values.std() == pytest.approx(std, rel=0.015)
    assert stats.kstest(values.ravel(), stats.norm(mean, std).cdf).pvalue > 1e-3


# (our initialiser, torch's, kwargs, "uniform" or "normal", expected bound or std)
FAN_IN, FAN_OUT = SHAPE[1], SHAPE[0]
CASES = [
    ("xavier_uniform", {}, "uniform", math.sqrt(6 / (FAN_IN + FAN_OUT))),
    ("xavier_uniform", {"gain": 2.0}, "uniform", 2 * math.sqrt(6 / (FAN_IN + FAN_OUT))),
    ("xavier_normal", {}, "normal", math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ("xavier_normal", {"gain": 0.5}, "normal", 0.5 * math.sqrt(2 / (FAN_IN + FAN_OUT))),
    # The default a=0 with 'leaky_relu' is ReLU's gain, sqrt(2).
    ("kaiming_uniform", {}, "uniform", math.sqrt(6 / FAN_IN)),
    ("kaiming_uniform", {"a": 0.3}, "uniform", math.sqrt(6 / (1 + 0.09) / FAN_IN)),
    ("kaiming_uniform", {"a": math.sqrt(5)}, "uniform", 1 / math.sqrt(FAN_IN)),
    (
        "kaiming_uniform",
        {"mode": "fan_out", "nonlinearity": "relu"},
        "uniform",
        math.sqrt(6 / FAN_OUT),
    ),
    ("kaiming_normal", {}, "normal", math.sqrt(2 / FAN_IN)),
    ("kaiming_normal", {"nonlinearity": "relu"}, "normal", math.sqrt(2 / FAN_IN)),
    (
        "kaiming_normal",
        {"a": 0.2, "mode": "fan_out", "nonlinearity": "leaky_relu"},
        "normal",
        math.sqrt(2 / (1 + 0.04) / FAN_OUT),
    ),
    ("kaiming_normal", {"nonlinearity": "tanh"}, "normal", 5 / 3 / math.sqrt(FAN_IN)),
]


@pytest.mark.parametrize("name, kwargs, kind, scale", CASES, ids=lambda c: str(c))
def test_initialisers_draw_torchs_distribution(name, kwargs, kind, scale):
    ours = getattr(init, name + "_")(np.empty(SHAPE), **kwargs)
    theirs = getattr(torch.nn.init, name + "_")(torch.empty(SHAPE, dtype=torch.float64), **kwargs)
    theirs = theirs.numpy()
    if kind == "uniform":
        _check_uniform(ours, -scale, scale)
        _check_uniform(theirs, -scale, scale)  # the expected value is torch's too
    else:
        _check_normal(ours, 0.0, scale)
        _check_normal(theirs, 0.0, scale)
    # Same spread as torch's own sample, within sampling error.
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)


def test_basic_initialisers():
    t = dl.zeros(*SHAPE)
    assert init.uniform_(t, -2.0, 3.0) is t
    _check_uniform(t.data, -2.0, 3.0)
    _check_normal(init.normal_(np.empty(SHAPE), 1.5, 0.3), 1.5, 0.3)
    np.testing.assert_array_equal(init.zeros_(np.ones((3, 2))), np.zeros((3, 2)))
    np.testing.assert_array_equal(init.ones_(np.zeros(4)), np.ones(4))
    np.testing.assert_array_equal(init.constant_(np.zeros(2), 0.25), np.full(2, 0.25))
    with pytest.raises(ValueError, match="expected a <= b, got a=1, b=0"):
        init.uniform_(np.zeros(2), 1, 0)
    with pytest.raises(ValueError, match="expected std >= 0"):
        init.normal_(np.zeros(2), 0.0, -1.0)
    with pytest.raises(ValueError, match="Invalid mode: 'fan_avg'"):
        init.kaiming_uniform_(np.zeros((2, 2)), mode="fan_avg")
    with pytest.raises(TypeError, match="floating-point"):
        init.zeros_(np.zeros(3, dtype=np.int64))
    with pytest.raises(TypeError, match="expected a Tensor, Parameter or np.ndarray, got list"):
        init.zeros_([1.0, 2.0])


def test_init_writes_in_place_keeps_dtype_and_is_reproducible():
    p = nn.Parameter(np.zeros((20, 30), dtype=np.float32))
    data = p.data
    dl.manual_seed(3)
    init.kaiming_normal_(p)
    assert p.data.numpy() is data.numpy() and p.dtype == np.float32 and p.requires_grad
    first = p.data.numpy().copy()
    dl.manual_seed(3)
    init.kaiming_normal_(p)
    np.testing.assert_array_equal(p.data, first)
    init.kaiming_normal_(p)
    assert not np.array_equal(p.data, first)


def test_zero_size_tensor_is_left_alone():
    assert init.kaiming_uniform_(np.empty((0, 3))).shape == (0, 3)


# ---------------------------------------------------------- default layer initialisation


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda: nn.Linear(400, 300), lambda: torch.nn.Linear(400, 300)),
        (lambda: nn.Conv2d(16, 32, 5), lambda: torch.nn.Conv2d(16, 32, 5)),
        (lambda: nn.Conv1d(20, 64, 7), lambda: torch.nn.Conv1d(20, 64, 7)),
    ],
    ids=["Linear", "Conv2d", "Conv1d"],
)
def test_default_weight_and_bias_init_equal_torchs(ours, theirs):
    layer = ours()
    fan_in, _ = init.calculate_fan_in_and_fan_out(layer.weight.shape)
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) and PyTorch's bias rule
    _check_uniform(layer.weight.data.numpy().astype(np.float64), -bound, bound)
    t_layer = theirs()
    assert tuple(t_layer.weight.shape) == layer.weight.shape
    t_weight = t_layer.weight.detach().numpy().astype(np.float64)
    _check_uniform(t_weight, -bound, bound)
    assert layer.weight.data.std() == pytest.approx(t_weight.std(), rel=0.02)
    # The bias is small (one value per output); pool several layers to test it.
    biases = np.concatenate([ours().bias.data for _ in range(400 // layer.bias.numel() + 1)])
    t_bias = np.concatenate([theirs().bias.detach().numpy() for _ in range(4)])
    assert np.abs(biases).max() <= bound and np.abs(t_bias).max() <= bound
    assert biases.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    assert stats.kstest(biases, stats.uniform(-bound, 2 * bound).cdf).pvalue > 1e-3


def test_norm_layers_start_like_torchs():
    for ours, theirs in [
        (nn.BatchNorm1d(5), torch.nn.BatchNorm1d(5)),
        (nn.BatchNorm2d(5), torch.nn.BatchNorm2d(5)),
        (nn.LayerNorm((2, 3)), torch.nn.LayerNorm((2, 3))),
    ]:
        t_state = theirs.state_dict()
        for key, value in ours.state_dict().items():
            np.testing.assert_array_equal(value, t_state[key].numpy(), err_msg=key)


def test_layers_respect_the_default_dtype():
    previous = dl.get_default_dtype()
    try:
        dl.set_default_dtype(np.float64)
        assert nn.Conv2d(1, 2, 3).weight.dtype == np.float64
        assert nn.BatchNorm2d(2).running_mean.dtype == np.float64
        dl.set_default_dtype(np.float32)
        assert nn.Linear(2, 2).weight.dtype == np.float32
        assert nn.LayerNorm(3).bias.dtype == np.float32
    finally:
        dl.set_default_dtype(previous)


def test_reset_parameters_redraws_from_the_library_generator():
    dl.manual_seed(11)
    a = nn.Linear(5, 4)
    dl.manual_seed(11)
    b = nn.Linear(5, 4)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    a.reset_parameters()
    assert not np.array_equal(a.weight.data, b.weight.data)
