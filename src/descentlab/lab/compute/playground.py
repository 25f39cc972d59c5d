"""The playground: train a small network on a 2-D dataset, a few epochs per request.

Everything a run needs is in two pieces of plain data, so the page keeps them in the browser
(a ``dcc.Store``) and the server holds nothing between requests:

- :class:`Settings`: what the user chose (dataset, network, loss, optimiser, schedule...),
  validated with one clear sentence per mistake, and written to and read from a URL query
  string so that a run can be shared;
- the run state (:func:`new_run`, :func:`train`): the model's weights, the optimiser's and the
  schedule's state dicts (arrays as base64), the epoch and the learning curves.

Each request rebuilds the dataset (deterministic in the settings' seed), the model
(``nn.Linear`` layers and activation modules from the training registries), the optimiser
(``descentlab.optim``, via the registry) and the schedule (``optim.lr_scheduler``), loads their
state, trains, and hands the new state back. Every epoch shuffles with its own seed, so a run
gives the same numbers however its epochs are split between requests.
"""

from __future__ import annotations

import base64
import math
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import numpy as np

import descentlab as dl
from descentlab.lab.compute.seeding import seeded

__all__ = [
    "ACTIVATIONS",
    "BATCH_SIZES",
    "DATASETS",
    "LEARNING_RATES",
    "LOSSES",
    "OPTIMIZERS",
    "REGULARIZERS",
    "REG_RATES",
    "SCHEDULES",
    "Settings",
    "Snapshot",
    "export_model",
    "new_run",
    "settings_from_query",
    "settings_to_query",
    "snapshot",
    "train",
    "validate",
]

DATASETS = ("circles", "xor", "moons", "spirals", "blobs")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "elu", "gelu", "silu", "softplus")
LOSSES = ("cross_entropy", "mse", "hinge", "l1")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
SCHEDULES = ("none", "step", "exponential", "cosine", "warmup")
REGULARIZERS = ("none", "l1", "l2")
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
BATCH_SIZES = ("1", "4", "8", "16", "32", "64", "full")

# One noise control for all datasets: the level in [0, 1] times each dataset's own scale
# (circles and moons in data units, spirals in radians of angle, blobs a cluster's std).
NOISE_SCALE = {"xor": 0.5, "circles": 0.3, "moons": 0.5, "spirals": 1.0, "blobs": 5.0}
CLASSES = {"xor": 2, "circles": 2, "moons": 2, "spirals": 2, "blobs": 3}

MAX_LAYERS = 6
MAX_NEURONS = 32
MAX_POINTS = 1000
MAX_EPOCHS = 2000
MAX_SEED = 10**6
GRID = 50  # the heatmap is GRID x GRID predictions
TICK_SECONDS = 0.25  # a request trains until this much time has passed...
MAX_EPOCHS_PER_REQUEST = 50  # ...or this many epochs
PADDING = 0.15  # the heatmap extends this fraction of the data's range beyond it


@dataclass(frozen=True)
class Settings:
    """Everything the user sets; the defaults learn ``circles`` in a few dozen epochs."""

    dataset: str = "circles"
    noise: float = 0.2
    n: int = 300
    train: int = 70  # percent of the points used for training; the rest is the test set
    seed: int = 1
    layers: int = 2
    neurons: int = 8
    activation: str = "tanh"
    loss: str = "cross_entropy"
    optimizer: str = "adam"
    lr: float = 0.03
    schedule: str = "none"
    epochs: int = 300
    batch: str = "16"
    reg: str = "none"
    reg_rate: float = 0.001

    @property
    def hidden(self) -> tuple[int, ...]:
        return (self.neurons,) * self.layers


_CHOICES: dict[str, tuple] = {
    "dataset": DATASETS,
    "activation": ACTIVATIONS,
    "loss": LOSSES,
    "optimizer": OPTIMIZERS,
    "schedule": SCHEDULES,
    "reg": REGULARIZERS,
    "batch": BATCH_SIZES,
    "lr": LEARNING_RATES,
    "reg_rate": REG_RATES,
}
_RANGES: dict[str, tuple[float, float]] = {
    "noise": (0.0, 1.0),
    "n": (50, MAX_POINTS),
    "train": (10, 90),
    "seed": (0, MAX_SEED),
    "layers": (0, MAX_LAYERS),
    "neurons": (1, MAX_NEURONS),
    "epochs": (10, MAX_EPOCHS),
}
_LABELS = {
    "noise": "The noise",
    "n": "The number of points",
    "train": "The training share (percent)",
    "seed": "The data seed",
    "layers": "The number of hidden layers",
    "neurons": "The number of neurons per layer",
    "epochs": "The number of epochs",
    "dataset": "The dataset",
    "activation": "The activation",
    "loss": "The loss",
    "optimizer": "The optimiser",
    "schedule": "The schedule",
    "reg": "The regularisation",
    "batch": "The batch size",
    "lr": "The learning rate",
    "reg_rate": "The regularisation rate",
}


def _field(name: str, value: Any) -> Any:
    """One setting, converted to its type and checked, or a ValueError in one sentence."""
    label = _LABELS[name]
    default = getattr(Settings(), name)
    if name in ("lr", "reg_rate"):
        allowed = _CHOICES[name]
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        match = [c for c in allowed if math.isclose(c, number, rel_tol=1e-9, abs_tol=1e-12)]
        if not match:
            shown = ", ".join(f"{c:g}" for c in allowed)
            raise ValueError(f"{label} must be one of {shown} (received {value!r}).")
        return match[0]
    if name in _CHOICES:
        text = str(value)
        if text not in _CHOICES[name]:
            raise ValueError(
                f"{label} must be one of {', '.join(_CHOICES[name])} (received {value!r})."
            )
        return text
    lo, hi = _RANGES[name]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{label} must be a number (received {value!r}).") from None
    if not np.isfinite(number) or not lo <= number <= hi:
        raise ValueError(f"{label} must be between {lo:g} and {hi:g} (received {value!r}).")
    if isinstance(default, int):
        if number != int(number):
            raise ValueError(f"{label} must be a whole number (received {value!r}).")
        return int(number)
    return number


def validate(**values: Any) -> Settings:
    """Settings from keyword values (missing ones take their defaults).

    Raises:
        ValueError: an unknown name or a value out of its range, in one sentence.
    """
    names = {f.name for f in fields(Settings)}
    for key in values:
        if key not in names:
            raise ValueError(
                f"Unknown setting {key!r} (expected some of {', '.join(sorted(names))})."
            )
    out = {name: _field(name, value) for name, value in values.items()}
    return Settings(**out)


def settings_to_query(settings: Settings) -> str:
    """``?dataset=circles&noise=0.2&...``: the settings as a URL query string."""
    pairs = []
    for name, value in asdict(settings).items():
        pairs.append((name, f"{value:g}" if isinstance(value, float) else str(value)))
    return "?" + urlencode(pairs)


def settings_from_query(query: str | None) -> tuple[Settings, str]:
    """Settings from a URL query string, and an error sentence ("" when all was well).

    Unknown names and bad values are skipped (their defaults are used) and reported.
    """
    values: dict[str, Any] = {}
    problems: list[str] = []
    names = {f.name for f in fields(Settings)}
    text = (query or "").lstrip("?")
    if len(text) > 2000:
        return Settings(), "The address's settings are too long (at most 2000 characters)."
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key not in names:
            problems.append(f"Unknown setting {key!r} in the address.")
            continue
        try:
            values[key] = _field(key, value)
        except ValueError as exc:
            problems.append(str(exc))
    message = ""
    if problems:
        message = problems[0].rstrip(".") + "; the default was used instead."
    return Settings(**values), message


# ----------------------------------------------------------------------------- data, model


@dataclass(frozen=True)
class Data:
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray  # the inputs are standardised with these before the network sees them
    std: np.ndarray
    classes: int
    bounds: tuple[float, float, float, float]  # x0 min, x0 max, x1 min, x1 max (raw units)


def make_data(settings: Settings) -> Data:
    """The dataset of ``settings``, split into train and test, with standardisation stats."""
    from descentlab.data import train_val_test_split
    from descentlab.train.registry import DATASETS as REGISTRY

    kwargs: dict[str, Any] = {
        "n": settings.n,
        "noise": settings.noise * NOISE_SCALE[settings.dataset],
        "seed": settings.seed,
    }
    if settings.dataset == "blobs":
        kwargs["centers"] = CLASSES["blobs"]
    X, y = REGISTRY[settings.dataset].build(**kwargs)
    X = X.astype(np.float32)
    test = 1.0 - settings.train / 100.0
    splits = train_val_test_split(X, y, val=0.0, test=test, seed=settings.seed)
    (X_train, y_train), (X_test, y_test) = splits.train, splits.test
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0) + 1e-6
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = PADDING * (hi - lo) + 1e-3
    bounds = (
        float(lo[0] - pad[0]),
        float(hi[0] + pad[0]),
        float(lo[1] - pad[1]),
        float(hi[1] + pad[1]),
    )
    return Data(X_train, y_train, X_test, y_test, mean, std, CLASSES[settings.dataset], bounds)


def build_model(settings: Settings, classes: int, init_seed: int | None = None):
    """``Linear -> activation`` per hidden layer, then ``Linear`` to one logit per class."""
    from descentlab import nn
    from descentlab.train.registry import ACTIVATIONS as REGISTRY

    def build():
        layers: list[Any] = []
        width = 2
        for h in settings.hidden:
            layers += [nn.Linear(width, h), REGISTRY[settings.activation].build()]
            width = h
        layers.append(nn.Linear(width, classes))
        return nn.Sequential(*layers)

    return build() if init_seed is None else seeded(init_seed, build)


def _build_optimizer(settings: Settings, model):
    from descentlab.train.registry import build_optimizer

    return build_optimizer(settings.optimizer, list(model.parameters()), lr=settings.lr)


def _build_schedule(settings: Settings, optimizer):
    """The schedule over ``settings.epochs`` epochs (stepped once per epoch), or None."""
    from descentlab.train.registry import SCHEDULES as REGISTRY

    epochs = settings.epochs
    kwargs = {
        "none": {},
        "step": {"step_size": max(1, epochs // 4), "gamma": 0.5},
        "exponential": {"gamma": 0.01 ** (1.0 / epochs)},
        "cosine": {"epochs": epochs, "eta_min": 0.0},
        "warmup": {"start_factor": 0.1, "warmup_epochs": max(1, epochs // 10)},
    }[settings.schedule]
    return REGISTRY[settings.schedule].build(optimizer, **kwargs)


SCHEDULE_HELP = {
    "none": "constant learning rate",
    "step": "halve the learning rate every quarter of the epochs",
    "exponential": "shrink it by a constant factor each epoch, to 1% at the last epoch",
    "cosine": "cosine decay to 0 over the epochs",
    "warmup": "linear warm-up from 10% over the first tenth of the epochs",
}


def _loss_fn(settings: Settings):
    from descentlab.train.registry import LOSSES as REGISTRY

    return REGISTRY[settings.loss].build


def _penalty(settings: Settings, model):
    from descentlab import nn

    if settings.reg == "none" or settings.reg_rate == 0:
        return None
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    penalty = nn.l1_penalty if settings.reg == "l1" else nn.l2_penalty
    return penalty(weights, settings.reg_rate)


# --------------------------------------------------------------------------- serialisation


def _encode(array: np.ndarray) -> dict[str, Any]:
    array = np.ascontiguousarray(array)
    return {
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "b64": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def _decode(blob: dict[str, Any]) -> np.ndarray:
    dtype = np.dtype(blob["dtype"])
    if dtype.kind not in "fiub":
        raise ValueError(f"Stored array has dtype {dtype} (expected numbers).")
    raw = base64.b64decode(blob["b64"].encode("ascii"), validate=True)
    return np.frombuffer(raw, dtype=dtype).reshape(blob["shape"]).copy()


def _pack(value: Any) -> Any:
    """Optimiser / schedule state as JSON-ready data: arrays become base64 blobs."""
    if isinstance(value, np.ndarray):
        return {"__array__": _encode(value)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {"__dict__": [[_pack(k), _pack(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return {"__tuple__" if isinstance(value, tuple) else "__list__": [_pack(v) for v in value]}
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    return value


def _unpack(value: Any) -> Any:
    if isinstance(value, dict):
        if "__array__" in value:
            return _decode(value["__array__"])
        if "__dict__" in value:
            return {_unpack(k): _unpack(v) for k, v in value["__dict__"]}
        if "__tuple__" in value:
            return tuple(_unpack(v) for v in value["__tuple__"])
        if "__list__" in value:
            return [_unpack(v) for v in value["__list__"]]
        if "__float__" in value:
            return float(value["__float__"])
        raise ValueError("Stored state has an unknown entry.")
    return value


# ------------------------------------------------------------------------------------ runs


def new_run(settings: Settings) -> dict[str, Any]:
    """A fresh run: weights initialised from the settings' seed, epoch 0, empty curves."""
    data = make_data(settings)
    model = build_model(settings, data.classes, init_seed=settings.seed)
    optimizer = _build_optimizer(settings, model)
    schedule = _build_schedule(settings, optimizer)
    run = _save_run(settings, model, optimizer, schedule, epoch=0)
    run["history"] = {
        "epoch": [],
        "train_loss": [],
        "test_loss": [],
        "train_acc": [],
        "test_acc": [],
    }
    run["diverged"] = ""
    first = _evaluate(settings, model, data)
    for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
        run["history"][key].append(first[key])
    run["history"]["epoch"].append(0)
    return run


def _save_run(settings: Settings, model, optimizer, schedule, epoch: int) -> dict[str, Any]:
    return {
        "settings": asdict(settings),
        "epoch": epoch,
        "params": {name: _encode(array) for name, array in model.state_dict().items()},
        "optimizer": _pack(optimizer.state_dict()),
        "schedule": None if schedule is None else _pack(schedule.state_dict()),
    }


def _load_run(settings: Settings, run: dict[str, Any], classes: int):
    model = build_model(settings, classes)
    try:
        model.load_state_dict({name: _decode(blob) for name, blob in run["params"].items()})
    except RuntimeError as exc:  # Module.load_state_dict's error, as in PyTorch
        raise ValueError(f"The stored weights do not fit the settings: {exc}") from None
    optimizer = _build_optimizer(settings, model)
    optimizer.load_state_dict(_unpack(run["optimizer"]))
    schedule = _build_schedule(settings, optimizer)
    if schedule is not None and run.get("schedule") is not None:
        schedule.load_state_dict(_unpack(run["schedule"]))
    return model, optimizer, schedule


def _forward(model, data: Data, X: np.ndarray):
    return model(dl.tensor((X - data.mean) / data.std))


def _evaluate(settings: Settings, model, data: Data) -> dict[str, float]:
    from descentlab.train.loop import evaluate

    loss = _loss_fn(settings)
    norm = lambda X: ((X - data.mean) / data.std).astype(np.float32)  # noqa: E731
    with np.errstate(all="ignore"):
        train = evaluate(model, loss, (norm(data.X_train), data.y_train))
        test = evaluate(model, loss, (norm(data.X_test), data.y_test))
    return {
        "train_loss": train["loss"],
        "test_loss": test["loss"],
        "train_acc": train["acc"],
        "test_acc": test["acc"],
    }


def _divergence(settings: Settings, epoch: int, what: str) -> str:
    lr = f"{settings.lr:g}"
    if settings.lr >= 1 or (
        settings.optimizer in ("sgd", "momentum", "nesterov") and settings.lr >= 0.3
    ):
        why = (
            f"with learning rate {lr} each {settings.optimizer} step overshoots the minimum by "
            "more than it gains, so the weights grow until the numbers overflow"
        )
    elif settings.reg != "none" and settings.reg_rate >= 1:
        why = (
            f"the {settings.reg.upper()} rate {settings.reg_rate:g} pulls the weights so hard "
            f"that, at learning rate {lr}, every step overshoots zero and they grow instead"
        )
    else:
        why = f"at learning rate {lr} the updates grew until the numbers overflowed"
    return (
        f"Training diverged at epoch {epoch}: the {what} became {{value}} because {why}. "
        "Press Reset and lower the learning rate."
    )


def train(run: dict[str, Any], epochs: int | None = None, seconds: float | None = None):
    """Continue ``run`` by up to ``epochs`` epochs (and at most ``seconds`` of training).

    One epoch is one pass over the training set in mini-batches of ``settings.batch``,
    shuffled with the seed ``(seed, epoch)``; each step is ``loss = loss_fn(model(x), y)
    (+ penalty)``, ``zero_grad``, ``backward``, ``optimizer.step()``; the schedule steps once
    per epoch. Training stops early at ``settings.epochs`` or when the loss or a weight stops
    being finite; then ``run["diverged"]`` says why in one sentence.

    Returns:
        The new run (a new dict; ``run`` is not modified).
    """
    from descentlab.data import DataLoader

    settings = validate(**run["settings"])
    if run.get("diverged"):
        return run
    epochs = MAX_EPOCHS_PER_REQUEST if epochs is None else int(epochs)
    epochs = max(0, min(epochs, MAX_EPOCHS_PER_REQUEST, settings.epochs - run["epoch"]))
    seconds = TICK_SECONDS if seconds is None else seconds
    data = make_data(settings)
    model, optimizer, schedule = _load_run(settings, run, data.classes)
    loss_fn = _loss_fn(settings)
    X = ((data.X_train - data.mean) / data.std).astype(np.float32)
    batch = len(X) if settings.batch == "full" else int(settings.batch)
    history = {key: list(values) for key, values in run["history"].items()}
    epoch = run["epoch"]
    diverged = ""
    start = time.perf_counter()
    model.train()
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            loader = DataLoader(
                X, data.y_train, batch_size=batch, shuffle=True, seed=settings.seed * 100003 + epoch
            )
            for xb, yb in loader:
                loss = loss_fn(model(xb), yb)
                penalty = _penalty(settings, model)
                if penalty is not None:
                    loss = loss + penalty
                if not math.isfinite(loss.item()):
                    diverged = _divergence(settings, epoch + 1, "loss").format(
                        value=_word(loss.item())
                    )
                    break
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            if not diverged and not all(np.isfinite(p._data).all() for p in model.parameters()):
                diverged = _divergence(settings, epoch + 1, "weights").format(value="inf or nan")
            if diverged:
                break
            epoch += 1
            if schedule is not None:
                schedule.step()
            metrics = _evaluate(settings, model, data)
            history["epoch"].append(epoch)
            for key, value in metrics.items():
                history[key].append(value)
            if time.perf_counter() - start > seconds:
                break
    new = _save_run(settings, model, optimizer, schedule, epoch)
    new["history"] = history
    new["diverged"] = diverged
    return new


def _word(value: float) -> str:
    return "nan" if math.isnan(value) else "infinite"


# ------------------------------------------------------------------------------- snapshots


@dataclass(frozen=True)
class Snapshot:
    """What the page draws for a run: the heatmap grid and the numbers beside it.

    ``z`` is (GRID, GRID): for two classes the probability of class 1 (softmax of the two
    logits), for more the predicted class index. ``xs``/``ys`` are the grid's coordinates.
    """

    xs: list[float]
    ys: list[float]
    z: list[list[float]]
    classes: int
    epoch: int
    lr: float
    metrics: dict[str, float]


def snapshot(run: dict[str, Any]) -> Snapshot:
    """The decision surface of the run's current weights on a GRID x GRID grid."""
    import descentlab.functional as F

    settings = validate(**run["settings"])
    data = make_data(settings)
    model, optimizer, _ = _load_run(settings, run, data.classes)
    model.eval()
    x0, x1, y0, y1 = data.bounds
    xs = np.linspace(x0, x1, GRID)
    ys = np.linspace(y0, y1, GRID)
    gx, gy = np.meshgrid(xs, ys)
    points = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    with dl.no_grad(), np.errstate(all="ignore"):
        logits = _forward(model, data, points)
        if data.classes == 2:
            z = F.softmax(logits, dim=1)._data[:, 1]
        else:
            z = logits._data.argmax(axis=1).astype(np.float64)
    z = np.where(np.isfinite(z), z, 0.5).reshape(GRID, GRID)
    history = run["history"]
    metrics = {
        key: history[key][-1] for key in ("train_loss", "test_loss", "train_acc", "test_acc")
    }
    return Snapshot(
        xs.tolist(),
        ys.tolist(),
        np.round(z, 4).tolist(),
        data.classes,
        run["epoch"],
        float(optimizer.param_groups[0]["lr"]),
        metrics,
    )


def export_model(run: dict[str, Any]) -> bytes:
    """The run's model as a descentlab ``.npz`` file (``dl.save(model.state_dict(), ...)``).

    The metadata holds the settings, the epoch, the layer sizes and the input
    standardisation (``x_net = (x - input_mean) / input_std``), so the file is enough to
    rebuild the model and use it.
    """
    from descentlab.serialization import save

    settings = validate(**run["settings"])
    data = make_data(settings)
    model, _, _ = _load_run(settings, run, data.classes)
    metadata = {
        "kind": "descentlab-playground",
        "settings": asdict(settings),
        "epoch": run["epoch"],
        "layers": [2, *settings.hidden, data.classes],
        "activation": settings.activation,
        "input_mean": data.mean.tolist(),
        "input_std": data.std.tolist(),
        "query": settings_to_query(settings),
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        save(model.state_dict(), path, metadata=metadata)
        return path.read_bytes()


def load_exported(blob: bytes):
    """Rebuild the model from :func:`export_model`'s bytes; returns (model, metadata)."""
    from descentlab.serialization import load

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        path.write_bytes(blob)
        arrays, metadata = load(path, with_metadata=True)
    settings = validate(**metadata["settings"])
    model = build_model(settings, metadata["layers"][-1])
    model.load_state_dict(arrays)
    return model, metadata
