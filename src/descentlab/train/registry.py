"""Registries keyed by name: datasets, models, activations, losses, optimisers, schedules.

The same names feed the config files, the command line's choices and the lab's menus
(scikit-learn's ``ACTIVATIONS`` / ``LOSS_FUNCTIONS`` habit). Each value is an :class:`Entry`
with a one-line ``help`` and a ``build`` function; ``build`` imports what it needs when called,
so importing this module costs nothing.

>>> sorted(OPTIMIZERS)
['adagrad', 'adam', 'adamw', 'momentum', 'nesterov', 'rmsprop', 'sgd']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descentlab.data import datasets as _ds


@dataclass(frozen=True)
class Entry:
    """A named choice: ``build(...)`` makes it; ``params`` are the config keys it reads."""

    name: str
    build: Callable[..., Any]
    help: str
    params: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)


def lookup(registry: dict[str, Entry], name: str, what: str) -> Entry:
    """``registry[name]``, or a ValueError naming ``what`` and the allowed names."""
    try:
        return registry[name]
    except (KeyError, TypeError):
        allowed = ", ".join(sorted(registry))
        raise ValueError(f"Unknown {what}: {name!r} (allowed: {allowed})") from None


# ---------------------------------------------------------------------------------- datasets
DATASETS: dict[str, Entry] = {
    "xor": Entry("xor", _ds.xor, _ds.DATASET_HELP["xor"], ("n", "noise", "seed"), {"n": 4}),
    "moons": Entry("moons", _ds.moons, _ds.DATASET_HELP["moons"], ("n", "noise", "seed")),
    "circles": Entry(
        "circles", _ds.circles, _ds.DATASET_HELP["circles"], ("n", "noise", "seed", "factor")
    ),
    "spirals": Entry(
        "spirals", _ds.spirals, _ds.DATASET_HELP["spirals"], ("n", "noise", "seed", "classes")
    ),
    "blobs": Entry(
        "blobs", _ds.blobs, _ds.DATASET_HELP["blobs"], ("n", "noise", "seed", "centers")
    ),
    "digits": Entry("digits", _ds.digits, _ds.DATASET_HELP["digits"], ("n", "image")),
}


# ------------------------------------------------------------------------------- activations
def _act(cls_name: str) -> Callable[[], Any]:
    def build():
        from descentlab import nn

        return getattr(nn, cls_name)()

    return build


ACTIVATIONS: dict[str, Entry] = {
    name: Entry(name, _act(cls), text)
    for name, cls, text in [
        ("relu", "ReLU", "max(0, x)"),
        ("leaky_relu", "LeakyReLU", "x if x > 0 else 0.01 x"),
        ("sigmoid", "Sigmoid", "1 / (1 + exp(-x))"),
        ("tanh", "Tanh", "hyperbolic tangent"),
        ("gelu", "GELU", "x * Phi(x), Gaussian error linear unit"),
        ("elu", "ELU", "x if x > 0 else exp(x) - 1"),
        ("softplus", "Softplus", "log(1 + exp(x))"),
        ("silu", "SiLU", "x * sigmoid(x)"),
        ("linear", "Identity", "x: no nonlinearity (the layers stay one linear map)"),
    ]
}


# ------------------------------------------------------------------------------------ models
def _mlp(
    in_shape: Sequence[int],
    n_outputs: int,
    hidden: Sequence[int] = (128, 64),
    activation: str = "relu",
    dropout: float = 0.0,
    **_: Any,
):
    """Linear -> activation (-> Dropout) for each hidden width, then Linear to the outputs."""
    from descentlab import nn

    act = lookup(ACTIVATIONS, activation, "activation")
    layers: list[Any] = []
    width = int(np.prod(in_shape))
    if len(in_shape) > 1:
        layers.append(nn.Flatten())
    for h in hidden:
        layers += [nn.Linear(width, h), act.build()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


def _cnn(
    in_shape: Sequence[int],
    n_outputs: int,
    channels: Sequence[int] = (16, 32),
    hidden: Sequence[int] = (),
    activation: str = "relu",
    dropout: float = 0.0,
    **_: Any,
):
    """[Conv2d 3x3 (padding 1) -> activation -> MaxPool2d 2] per channel count, Flatten, MLP."""
    from descentlab import nn

    if len(in_shape) != 3:
        raise ValueError(
            f"Invalid input for model 'cnn': shape {tuple(in_shape)} (expected images (C, H, W))"
        )
    act = lookup(ACTIVATIONS, activation, "activation")
    c, h, w = in_shape
    layers: list[Any] = []
    for out in channels:
        layers += [nn.Conv2d(c, out, 3, padding=1), act.build()]
        if min(h, w) >= 2:
            layers.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
        c = out
    layers.append(nn.Flatten())
    width = c * h * w
    for hd in hidden:
        layers += [nn.Linear(width, hd), act.build()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = hd
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


def _linear(in_shape: Sequence[int], n_outputs: int, **_: Any):
    """One Linear layer: softmax (multinomial logistic) regression with cross-entropy."""
    from descentlab import nn

    layers: list[Any] = [nn.Flatten()] if len(in_shape) > 1 else []
    return nn.Sequential(*layers, nn.Linear(int(np.prod(in_shape)), n_outputs))


MODELS: dict[str, Entry] = {
    "mlp": Entry("mlp", _mlp, "multilayer perceptron", ("hidden", "activation", "dropout")),
    "cnn": Entry(
        "cnn",
        _cnn,
        "small convolutional net for images",
        ("channels", "hidden", "activation", "dropout"),
    ),
    "linear": Entry("linear", _linear, "a single Linear layer (logistic regression)"),
}


# ------------------------------------------------------------------------------------ losses
def _cross_entropy(output, target):
    import descentlab.functional as F

    return F.cross_entropy(output, target)


def _one_hot_like(output, target):
    """Class indices (N,) -> one-hot rows matching ``output`` (N, C); float targets unchanged."""
    from descentlab import tensor

    t = np.asarray(getattr(target, "data", target))
    integer = np.issubdtype(t.dtype, np.integer)
    if integer and t.ndim == 1 and output.ndim == 2 and output.shape[1] > 1:
        eye = np.eye(output.shape[1], dtype=output.data.dtype)
        return tensor(eye[t])
    if t.shape != output.shape or integer:
        return tensor(t.reshape(output.shape).astype(output.data.dtype))
    return target


def _mse(output, target):
    import descentlab.functional as F

    return F.mse_loss(output, _one_hot_like(output, target))


def _l1(output, target):
    import descentlab.functional as F

    return F.l1_loss(output, _one_hot_like(output, target))


def _bce(output, target):
    """Binary cross-entropy on logits: one output column, 0/1 targets."""
    import descentlab.functional as F

    if output.ndim == 2 and output.shape[1] != 1:
        raise ValueError(
            f"Invalid output for loss 'bce_with_logits': shape {output.shape} "
            "(expected one logit per example: model outputs = 1)"
        )
    return F.binary_cross_entropy_with_logits(output, _one_hot_like(output, target))


def _hinge(output, target):
    import descentlab.functional as F

    return F.multi_margin_loss(output, target)


LOSSES: dict[str, Entry] = {
    "cross_entropy": Entry("cross_entropy", _cross_entropy, "softmax cross-entropy on logits"),
    "mse": Entry("mse", _mse, "mean squared error (class targets become one-hot)"),
    "l1": Entry("l1", _l1, "mean absolute error (class targets become one-hot)"),
    "bce_with_logits": Entry(
        "bce_with_logits", _bce, "binary cross-entropy on one logit (two classes)"
    ),
    "hinge": Entry("hinge", _hinge, "multi-class hinge (SVM) loss"),
}


# -------------------------------------------------------------------------------- optimizers
_OPT_KEYS = ("lr", "momentum", "dampening", "nesterov", "weight_decay", "betas", "eps", "alpha")


def _optimizer(cls_name: str, accepts: tuple[str, ...], fixed: dict[str, Any]):
    def build(params, **kw: Any):
        from descentlab import optim

        args = {**fixed, **{k: v for k, v in kw.items() if k in accepts and v is not None}}
        if "betas" in args:
            args["betas"] = tuple(args["betas"])
        return getattr(optim, cls_name)(params, **args)

    return build


_SGD = ("lr", "momentum", "dampening", "nesterov", "weight_decay")
OPTIMIZERS: dict[str, Entry] = {
    "sgd": Entry(
        "sgd", _optimizer("SGD", _SGD, {}), "plain gradient descent: w -= lr * g", _SGD, {"lr": 0.1}
    ),
    "momentum": Entry(
        "momentum",
        _optimizer("SGD", _SGD, {"momentum": 0.9}),
        "SGD with heavy-ball momentum 0.9: v = m v + g; w -= lr v",
        _SGD,
        {"lr": 0.01},
    ),
    "nesterov": Entry(
        "nesterov",
        _optimizer("SGD", _SGD, {"momentum": 0.9, "nesterov": True}),
        "SGD with Nesterov momentum 0.9 (gradient at the look-ahead point)",
        _SGD,
        {"lr": 0.01},
    ),
    "adagrad": Entry(
        "adagrad",
        _optimizer("Adagrad", ("lr", "weight_decay", "eps"), {}),
        "per-weight lr shrinking with the sum of squared gradients",
        ("lr", "weight_decay", "eps"),
        {"lr": 0.01},
    ),
    "rmsprop": Entry(
        "rmsprop",
        _optimizer("RMSprop", ("lr", "alpha", "eps", "weight_decay", "momentum"), {}),
        "per-weight lr from a moving average of squared gradients",
        ("lr", "alpha", "eps", "weight_decay", "momentum"),
        {"lr": 0.001},
    ),
    "adam": Entry(
        "adam",
        _optimizer("Adam", ("lr", "betas", "eps", "weight_decay"), {}),
        "momentum + RMSprop with bias correction",
        ("lr", "betas", "eps", "weight_decay"),
        {"lr": 0.001},
    ),
    "adamw": Entry(
        "adamw",
        _optimizer("AdamW", ("lr", "betas", "eps", "weight_decay"), {}),
        "Adam with decoupled weight decay",
        ("lr", "betas", "eps", "weight_decay"),
        {"lr": 0.001},
    ),
}


def build_optimizer(name: str, params, **kw: Any):
    """Optimiser by registry name; ``lr`` falls back to the entry's default when not given."""
    entry = lookup(OPTIMIZERS, name, "optimizer")
    kw = {k: v for k, v in kw.items() if v is not None}
    kw.setdefault("lr", entry.defaults["lr"])
    return entry.build(params, **kw)


# --------------------------------------------------------------------------------- schedules
def _sched(cls_name: str, make_args: Callable[[dict], dict]):
    def build(optimizer, **kw: Any):
        from descentlab.optim import lr_scheduler

        return getattr(lr_scheduler, cls_name)(optimizer, **make_args(kw))

    return build


SCHEDULES: dict[str, Entry] = {
    "none": Entry("none", lambda optimizer, **kw: None, "constant learning rate"),
    "step": Entry(
        "step",
        _sched("StepLR", lambda k: {"step_size": k["step_size"], "gamma": k["gamma"]}),
        "multiply lr by gamma every step_size epochs",
        ("step_size", "gamma"),
    ),
    "exponential": Entry(
        "exponential",
        _sched("ExponentialLR", lambda k: {"gamma": k["gamma"]}),
        "multiply lr by gamma every epoch",
        ("gamma",),
    ),
    "cosine": Entry(
        "cosine",
        _sched("CosineAnnealingLR", lambda k: {"T_max": k["epochs"], "eta_min": k["eta_min"]}),
        "cosine decay from lr to eta_min over the run",
        ("eta_min",),
    ),
    "warmup": Entry(
        "warmup",
        _sched(
            "LinearLR",
            lambda k: {"start_factor": k["start_factor"], "total_iters": k["warmup_epochs"]},
        ),
        "linear warm-up from start_factor * lr to lr over warmup_epochs",
        ("start_factor", "warmup_epochs"),
    ),
    "onecycle": Entry(
        "onecycle",
        _sched(
            "OneCycleLR",
            lambda k: {"max_lr": k.get("max_lr") or 10 * k["lr"], "total_steps": k["total_steps"]},
        ),
        "one cycle: warm up to max_lr then anneal (stepped every batch)",
        ("max_lr",),
    ),
    "plateau": Entry(
        "plateau",
        lambda optimizer, **kw: None,
        "divide lr by 1/factor when val_loss stalls for patience epochs",
        ("factor", "patience", "min_lr"),
    ),
}

REGISTRIES: dict[str, dict[str, Entry]] = {
    "dataset": DATASETS,
    "model": MODELS,
    "activation": ACTIVATIONS,
    "loss": LOSSES,
    "optimizer": OPTIMIZERS,
    "schedule": SCHEDULES,
}
