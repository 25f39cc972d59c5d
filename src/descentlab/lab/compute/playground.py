"""The playground's run: a 2-D dataset, a network from the registry, trained by ``fit``.

- :class:`Settings` is what the user chose; :func:`validate` checks it (one sentence per
  mistake) and :func:`settings_to_query` / :func:`settings_from_query` write it to and read it
  from the page's address, so a link reproduces the set-up.
- :class:`Training` holds one run: data (:mod:`descentlab.data` and its ``PlaneFeatures``), the
  model (``registry.models`` "mlp"), the optimiser (``registry.optimizers``), the schedule
  and early stopping (``descentlab.train`` callbacks). :class:`Training` itself is the body of a
  server-side run (:mod:`descentlab.lab.runs`): it calls :func:`descentlab.train.fit` with a
  callback that waits at the run's checkpoint before every epoch and offers a frame after it.
- :meth:`Training.frame` is what the page draws: the output over the plane, every hidden
  neuron's output as a thumbnail, the weights, the curves and ``diagnose``'s verdict.
- :meth:`Training.edit_weight` changes one weight of a paused run (recorded, so that
  :meth:`Training.code` can replay it); :meth:`Training.code` prints the descentlab Python that
  reproduces the run, number for number.
"""

from __future__ import annotations

import base64
import io
import math
import re
from dataclasses import asdict, dataclass, fields, replace
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode

import numpy as np

import descentlab as dl
from descentlab import registry
from descentlab.data import (
    FEATURES,
    PlaneFeatures,
    multi_gaussian,
    plane,
    quadrants,
    train_val_test_split,
)
from descentlab.lab.compute.seeding import seeded
from descentlab.lab.runs import Control
from descentlab.train import Callback, EarlyStopping, LRSchedule, diagnose, evaluate, fit

__all__ = [
    "CLASSIFICATION",
    "REGRESSION",
    "Settings",
    "Training",
    "settings_from_query",
    "settings_to_query",
    "validate",
]

# name -> (generator, its noise at noise level 1)
CLASSIFICATION = {
    "circles": (partial(registry.datasets.build, "circles"), 0.3),
    "quadrants": (quadrants, 0.3),
    "moons": (partial(registry.datasets.build, "moons"), 0.5),
    "spirals": (partial(registry.datasets.build, "spirals"), 1.0),
}
REGRESSION = {"plane": (plane, 0.5), "multi_gaussian": (multi_gaussian, 0.5)}
DATASET_HELP = {
    "circles": "a circle inside a circle",
    "quadrants": "xor: the four quadrants, labelled by the sign of x1 * x2",
    "moons": "two interleaving half circles",
    "spirals": "two interleaved spiral arms",
    "plane": "regression: a tilted plane, (x1 + x2) / 2",
    "multi_gaussian": "regression: five Gaussian bumps of alternating sign",
}
CLASS_LOSSES = ("cross_entropy", "mse", "hinge", "l1")
REGRESSION_LOSSES = ("mse", "l1")
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
L2_RATES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1)
BATCH_SIZES = ("1", "4", "8", "16", "32", "64", "full")
PLAYGROUND_SCHEDULES = ("none", "step", "exponential", "cosine", "warmup")
SCHEDULE_HELP = {
    "none": "constant learning rate",
    "step": "halve the learning rate every quarter of the epochs",
    "exponential": "shrink it by a constant factor each epoch, to 1% at the last epoch",
    "cosine": "cosine decay to 0 over the epochs",
    "warmup": "linear warm-up from 10% over the first tenth of the epochs",
}
MAX_LAYERS = 8
MAX_WIDTH = 16
MAX_POINTS = 1000
MAX_EPOCHS = 2000
MAX_SEED = 10**6
MAX_PATIENCE = 200
GRID = 40  # the output is drawn on GRID x GRID points; neuron thumbnails on every other one
PADDING = 0.15  # the plane extends this fraction of the data's range beyond it
VIEW_FIELDS = ("show_test", "discretize")  # change the drawing, not the run


def choices(name: str) -> tuple:
    """The allowed values of the setting ``name`` (for the page's menus)."""
    return _CHOICES[name]


@dataclass(frozen=True)
class Settings:
    """Everything the user sets; the defaults learn ``circles`` in a few dozen epochs."""

    dataset: str = "circles"
    noise: float = 0.2
    n: int = 300
    train: int = 70  # percent of the points used for training; the rest is the test set
    seed: int = 1
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (8, 8)
    activation: str = "tanh"
    loss: str = "cross_entropy"
    optimizer: str = "adam"
    lr: float = 0.03
    l2: float = 0.0
    schedule: str = "none"
    epochs: int = 300
    batch: str = "16"
    patience: int = 0  # early stop after this many epochs without a better test loss (0: off)
    show_test: bool = True
    discretize: bool = False

    @property
    def regression(self) -> bool:
        return self.dataset in REGRESSION

    def run_part(self) -> Settings:
        """The settings without the view options: two runs with equal run parts are equal."""
        return replace(self, show_test=True, discretize=False)


FIELDS = [f.name for f in fields(Settings)]
DATASET_NAMES = (*CLASSIFICATION, *REGRESSION)
_LABELS = {
    "dataset": "The dataset",
    "noise": "The noise",
    "n": "The number of points",
    "train": "The training share (percent)",
    "seed": "The data seed",
    "features": "The input features",
    "hidden": "The hidden layers",
    "activation": "The activation",
    "loss": "The loss",
    "optimizer": "The optimiser",
    "lr": "The learning rate",
    "l2": "The L2 rate",
    "schedule": "The schedule",
    "epochs": "The number of epochs",
    "batch": "The batch size",
    "patience": "The early-stopping patience",
    "show_test": "Show test data",
    "discretize": "Discretize output",
}
_CHOICES: dict[str, tuple] = {
    "dataset": DATASET_NAMES,
    "activation": tuple(registry.activations.names()),  # the registry's names
    "loss": CLASS_LOSSES,
    "optimizer": tuple(registry.optimizers.names()),
    "schedule": PLAYGROUND_SCHEDULES,
    "batch": BATCH_SIZES,
}
_NUMBERS: dict[str, tuple[float, float]] = {
    "noise": (0.0, 1.0),
    "n": (50, MAX_POINTS),
    "train": (10, 90),
    "seed": (0, MAX_SEED),
    "epochs": (10, MAX_EPOCHS),
    "patience": (0, MAX_PATIENCE),
}


def _number(name: str, value: Any, whole: bool) -> float | int:
    label, (lo, hi) = _LABELS[name], _NUMBERS[name]
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{label} must be a number (received {value!r}).") from None
    if not math.isfinite(number) or not lo <= number <= hi:
        raise ValueError(f"{label} must be between {lo:g} and {hi:g} (received {value!r}).")
    if whole:
        if number != int(number):
            raise ValueError(f"{label} must be a whole number (received {value!r}).")
        return int(number)
    return number


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [str(part).strip() for part in value]
    raise ValueError


def _field(name: str, value: Any) -> Any:
    """One setting converted to its type and checked, or a ValueError in one sentence."""
    label = _LABELS[name]
    if name in ("lr", "l2"):
        allowed = LEARNING_RATES if name == "lr" else L2_RATES
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        match = [c for c in allowed if math.isclose(c, number, rel_tol=1e-9, abs_tol=1e-12)]
        if not match:
            shown = ", ".join(f"{c:g}" for c in allowed)
            raise ValueError(f"{label} must be one of {shown} (received {value!r}).")
        return match[0]
    if name in VIEW_FIELDS:
        if value in (True, False, "1", "0", "true", "false"):
            return value in (True, "1", "true")
        raise ValueError(f"{label} must be true or false (received {value!r}).")
    if name == "features":
        try:
            names = _listed(value)
        except ValueError:
            names = None
        if not names or any(n not in FEATURES for n in names) or len(set(names)) != len(names):
            raise ValueError(
                f"{label} must be some of {', '.join(FEATURES)}, each once (received {value!r})."
            )
        return tuple(n for n in FEATURES if n in names)
    if name == "hidden":
        try:
            widths = [int(w) for w in _listed(value)]
        except (ValueError, TypeError, OverflowError):
            widths = None
        if (
            widths is None
            or len(widths) > MAX_LAYERS
            or any(not 1 <= w <= MAX_WIDTH for w in widths)
        ):
            raise ValueError(
                f"{label} must be up to {MAX_LAYERS} widths from 1 to {MAX_WIDTH}, such as "
                f"8,8 (received {value!r})."
            )
        return tuple(widths)
    if name in _CHOICES:
        if not isinstance(value, str) or value not in _CHOICES[name]:
            raise ValueError(
                f"{label} must be one of {', '.join(_CHOICES[name])} (received {value!r})."
            )
        return value
    return _number(name, value, whole=name != "noise")


def validate(**values: Any) -> Settings:
    """Settings from keyword values (missing ones take their defaults).

    Raises:
        ValueError: an unknown name, a value out of its range, or a loss that does not fit
            the dataset, in one sentence.
    """
    for key in values:
        if key not in FIELDS:
            raise ValueError(f"Unknown setting {key!r} (expected some of {', '.join(FIELDS)}).")
    settings = Settings(**{name: _field(name, value) for name, value in values.items()})
    if settings.regression and settings.loss not in REGRESSION_LOSSES:
        raise ValueError(
            f"The loss must be one of {', '.join(REGRESSION_LOSSES)} for the regression "
            f"dataset {settings.dataset} (received {settings.loss!r})."
        )
    return settings


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def settings_to_query(settings: Settings) -> str:
    """``?dataset=circles&noise=0.2&...&hidden=8,8``: the settings as a URL query string."""
    return "?" + urlencode([(k, _text(v)) for k, v in asdict(settings).items()], safe=",^*")


def settings_from_query(query: Any) -> tuple[Settings, str]:
    """Settings from a URL query string, and an error sentence ("" when all was well).

    Unknown names and bad values are skipped (their defaults are used) and reported.
    """
    if not isinstance(query, str | None):
        return Settings(), "The address must be text; the defaults were used instead."
    text = (query or "").lstrip("?")
    if len(text) > 2000:
        return Settings(), "The address's settings are too long (at most 2000 characters)."
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key not in FIELDS:
            problems.append(f"Unknown setting {key!r} in the address.")
            continue
        try:
            values[key] = _field(key, value)
        except ValueError as exc:
            problems.append(str(exc))
    try:
        settings = validate(**values)
    except ValueError as exc:  # the loss does not fit the dataset
        problems.append(str(exc))
        values["loss"] = REGRESSION_LOSSES[0]
        settings = validate(**values)
    message = problems[0].rstrip(".") + "; the default was used instead." if problems else ""
    return settings, message


# --------------------------------------------------------------------------- the training


@dataclass(frozen=True)
class Data:
    """A dataset split into train and test, the feature map, and the plane it is drawn on."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    features: PlaneFeatures
    bounds: tuple[float, float, float, float]  # x1 min, x1 max, x2 min, x2 max


def make_data(settings: Settings) -> Data:
    """The dataset of ``settings``, split with its seed, and the features fitted on train."""
    build, scale = {**CLASSIFICATION, **REGRESSION}[settings.dataset]
    X, y = build(n=settings.n, noise=settings.noise * scale, seed=settings.seed)
    test = round(1 - settings.train / 100, 6)
    split = train_val_test_split(X, y, val=0.0, test=test, seed=settings.seed)
    (X_train, y_train), (X_test, y_test) = split.train, split.test
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = PADDING * (hi - lo) + 1e-3
    bounds = (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
    features = PlaneFeatures(settings.features).fit(X_train)
    return Data(X_train, y_train, X_test, y_test, features, tuple(map(float, bounds)))


def _schedule_args(settings: Settings) -> dict[str, Any]:
    epochs = settings.epochs
    return {
        "none": {},
        "step": {"step_size": max(1, epochs // 4), "gamma": 0.5},
        "exponential": {"gamma": round(0.01 ** (1.0 / epochs), 6)},
        "cosine": {"epochs": epochs, "eta_min": 0.0},
        "warmup": {"start_factor": 0.1, "warmup_epochs": max(1, epochs // 10)},
    }[settings.schedule]


def _describe_params(text: str, layers: int) -> str:
    """Name fit's parameters in words: ``'2.weight'`` -> "the weights of hidden layer 2"."""

    def words(match: re.Match) -> str:
        layer, kind = int(match.group(1)) // 2 + 1, match.group(2)
        what = "weights" if kind == "weight" else "biases"
        where = "the output layer" if layer > layers else f"hidden layer {layer}"
        return f"the {what} of {where} ('{match.group(1)}.{kind}')"

    return re.sub(r"'(\d+)\.(weight|bias)'", words, text)


class _Pacer(Callback):
    """Hands the run's checkpoint to ``fit``: wait before every epoch, offer a frame after."""

    runs_last = True

    def __init__(self, training: Training, control: Control) -> None:
        self.training, self.control = training, control

    def on_train_begin(self, loop, logs) -> None:
        self.training.loop = loop

    def on_epoch_begin(self, loop, logs) -> None:
        self.control.checkpoint()

    def on_epoch_end(self, loop, logs) -> None:
        self.control.publish(self.training.frame)


class Training:
    """One playground run (see the module docstring). Not thread-safe by itself: the run
    manager calls :meth:`frame` and :meth:`edit_weight` only while the body is parked."""

    def __init__(self, settings: Settings) -> None:
        self.settings = s = settings.run_part()
        self.data = make_data(s)
        self.inputs = len(s.features)
        self.outputs = 1 if s.regression else 2
        self.model = seeded(
            s.seed,
            lambda: registry.models.build(
                "mlp", (self.inputs,), self.outputs, hidden=s.hidden, activation=s.activation
            ),
        )
        self.optimizer = registry.optimizers.build(
            s.optimizer, self.model.parameters(), lr=s.lr, weight_decay=s.l2 or None
        )
        self.train_xy = (self.data.features(self.data.X_train), self.data.y_train)
        self.test_xy = (self.data.features(self.data.X_test), self.data.y_test)
        self.grid = self._grid()
        inputs = self.data.features(self.grid).reshape(GRID, GRID, -1)
        self.input_thumbs = [_colours(inputs[::2, ::2, k]) for k in range(self.inputs)]
        self.loop = None
        self.edits: list[tuple[int, int, int, int, float]] = []  # epoch, layer, to, from, w
        self.early: EarlyStopping | None = None
        self.message = ""
        start = self._evaluate()
        self.start = {"train_loss": start[0], "val_loss": start[1]}

    # ------------------------------------------------------------------------ training
    def callbacks(self) -> list[Callback]:
        """fit's callbacks for the settings: the schedule and early stopping, if chosen."""
        s, out = self.settings, []
        if s.schedule != "none":
            sched = registry.schedules.build(s.schedule, self.optimizer, **_schedule_args(s))
            out.append(LRSchedule(sched))
        if s.patience:
            self.early = EarlyStopping("val_loss", patience=s.patience, restore_best_weights=True)
            out.append(self.early)
        return out

    def __call__(self, control: Control) -> str:
        """The run's body: publish epoch 0, ``fit`` (paced by ``control``), say how it ended."""
        control.publish(self.frame, force=True)
        s = self.settings
        history = fit(
            self.model,
            registry.losses.build(s.loss),
            self.optimizer,
            self.train_xy,
            self.test_xy,
            epochs=s.epochs,
            batch_size=s.batch if s.batch == "full" else int(s.batch),
            seed=s.seed,
            metrics=() if s.regression else ("accuracy",),
            callbacks=[*self.callbacks(), _Pacer(self, control)],
        )
        if history.diverged:
            self.message = _describe_params(history.stop_reason, len(s.hidden))
        elif history.stop_reason:
            self.message = history.stop_reason[0].upper() + history.stop_reason[1:] + "."
            if self.early is not None and self.early.restored:
                self.message += f" The weights of epoch {self.early.best_epoch} were restored."
        else:
            self.message = f"Finished {s.epochs} epochs."
        control.publish(self.frame, force=True)
        return self.message

    @property
    def epoch(self) -> int:
        return 0 if self.loop is None else len(self.loop.history)

    def _evaluate(self) -> tuple[float, float]:
        loss = registry.losses.build(self.settings.loss)
        with np.errstate(all="ignore"):
            return (
                evaluate(self.model, loss, self.train_xy)["loss"],
                evaluate(self.model, loss, self.test_xy)["loss"],
            )

    def edit_weight(self, layer: int, to: int, source: int, value: float) -> dict[str, Any]:
        """Set the weight from unit ``source`` to unit ``to`` of Linear layer ``layer``.

        Layers count from 0 (inputs -> hidden layer 1); the change is recorded with the
        epoch so that :meth:`code` replays it. Returns the new frame.

        Raises:
            ValueError: the layer, the units or the value are out of range.
        """
        weights = self.model[2 * layer].weight if 0 <= layer <= len(self.settings.hidden) else None
        if weights is None or not (0 <= to < weights.shape[0] and 0 <= source < weights.shape[1]):
            raise ValueError(
                f"The weight must be in the network (received layer {layer}, from {source} "
                f"to {to})."
            )
        if not isinstance(value, int | float) or not math.isfinite(value) or abs(value) > 100:
            raise ValueError(f"A weight must be a number from -100 to 100 (received {value!r}).")
        with dl.no_grad():
            weights[to, source] = float(value)
        self.edits.append((self.epoch, layer, to, source, float(value)))
        return self.frame()

    # --------------------------------------------------------------------------- frames
    def _grid(self) -> np.ndarray:
        x0, x1, y0, y1 = self.data.bounds
        gx, gy = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID))
        return np.stack([gx.ravel(), gy.ravel()], axis=1)

    def _outputs_over_plane(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """The output to draw (GRID, GRID) and every layer's (GRID, GRID, width) values.

        The output is the probability of class 1 (softmax of the two logits) or the
        regression value; the layers are each hidden activation, then the raw outputs.
        """
        import descentlab.functional as F

        h = dl.tensor(self.data.features(self.grid))
        layers = []
        with dl.no_grad(), np.errstate(all="ignore"):
            for k, module in enumerate(self.model):
                h = module(h)
                if k % 2 == 1:
                    layers.append(h.detach().numpy().reshape(GRID, GRID, -1))
            layers.append(h.detach().numpy().reshape(GRID, GRID, -1))
            out = (
                F.softmax(h, dim=1).detach().numpy()[:, 1]
                if self.outputs == 2
                else h.detach().numpy()[:, 0]
            )
        return out.reshape(GRID, GRID), layers

    def frame(self) -> dict[str, Any]:
        """What the page draws now (plain JSON-ready data).

        Keys: ``epoch``, ``epochs``, ``z`` (GRID x GRID output: the probability of class 1,
        or the regression value), ``sprite`` (one PNG data URI holding every node's thumbnail
        of its output over the plane: inputs, hidden neurons, then the outputs (two logits
        for classes, one value for regression), placed as :func:`node_positions` says),
        ``weights`` (per Linear layer, its (out, in) matrix), ``history`` (epoch,
        train_loss, val_loss, train_acc, val_acc from epoch 0), ``verdict`` (diagnose's
        sentence), ``lr``, ``message`` and ``edited``.
        """
        out, layers = self._outputs_over_plane()
        centre = 0.5 if self.outputs == 2 else 0.0
        thumbs = [
            self.input_thumbs,
            *[[_colours(h[::2, ::2, j]) for j in range(h.shape[2])] for h in layers],
        ]
        verdict = ""
        if self.loop is not None and len(self.loop.history) >= 1:
            d = diagnose(self.loop.history)
            verdict = f"{d.status}: {d.explanation} {d.suggestion}"
        return {
            "epoch": self.epoch,
            "epochs": self.settings.epochs,
            "z": _rounded(out, 3, fill=centre),
            "sprite": _sprite(thumbs),
            "weights": [
                _rounded(self.model[2 * k].weight.detach().numpy(), 3)
                for k in range(len(self.settings.hidden) + 1)
            ],
            "history": self._history(),
            "verdict": verdict,
            "lr": float(self.optimizer.param_groups[0]["lr"]),
            "message": self.message,
            "edited": bool(self.edits),
        }

    def _history(self) -> dict[str, list]:
        rows = [] if self.loop is None else self.loop.history.rows
        out: dict[str, list] = {"epoch": [0], **{k: [self.start.get(k)] for k in _CURVES}}
        for row in rows:
            out["epoch"].append(row["epoch"])
            for key in _CURVES:
                value = row.get(key)
                out[key].append(None if value is None or not math.isfinite(value) else value)
        return out

    # ----------------------------------------------------------------------------- code
    def code(self, epochs: int | None = None) -> str:
        """The descentlab program that reproduces this run up to ``epochs`` (default: now).

        It prints ``train loss ..., test loss ...`` with the numbers the page shows for that
        epoch (at epoch 0 it trains the whole run).
        """
        epochs = self.epoch if epochs is None else epochs
        return _code(self.settings, epochs or self.settings.epochs, self.edits, self.model)


_CURVES = ("train_loss", "val_loss", "train_acc", "val_acc")

# The thumbnails' colours: TensorFlow Playground's orange (negative) and blue (positive).
_NEG, _MID, _POS = np.array([245, 147, 34]), np.array([232, 234, 235]), np.array([8, 119, 189])
THUMB = GRID // 2  # a thumbnail's side in pixels (every other grid point)
UNIT = 30  # pixels per unit of the diagram's coordinates
COLUMN_GAP = 3.0  # units between two columns of nodes (rows are one unit apart)


def _rounded(values: np.ndarray, digits: int, fill: float = 0.0) -> list:
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=fill, posinf=1e6, neginf=-1e6)
    return np.round(v, digits).tolist()


def _colours(values: np.ndarray, centre: float = 0.0) -> np.ndarray:
    """(h, w) values -> (h, w, 3) colours: orange below ``centre``, blue above, pale at it.

    Values are scaled by their largest distance from ``centre`` (so a neuron's pattern shows
    whatever its range); rows are flipped so that the image's top is the plane's top.
    """
    v = np.nan_to_num(np.asarray(values, dtype=np.float64) - centre)
    v = v / max(float(np.abs(v).max()), 1e-9)
    t = np.abs(v)[..., None]
    rgb = np.where(v[..., None] < 0, _MID + t * (_NEG - _MID), _MID + t * (_POS - _MID))
    return rgb[::-1].astype(np.uint8)


def node_positions(columns: list[int]) -> list[list[tuple[float, float]]]:
    """Diagram coordinates of every node: column ``c`` at x = COLUMN_GAP * c, rows at y = 0, 1...

    ``columns`` holds the number of nodes per column (inputs, each hidden layer, outputs);
    each column is centred vertically and its row 0 is at the top. A node's thumbnail is
    ``THUMB / UNIT`` units wide, centred on its position.
    """
    rows = max(columns)
    return [
        [(COLUMN_GAP * c, (rows - 1) / 2 + (k - 1) / 2 - r) for r in range(k)]
        for c, k in enumerate(columns)
    ]


def sprite_box(columns: list[int]) -> tuple[float, float, float, float]:
    """The diagram area the sprite covers: x0, x1, y0, y1 (half a unit around the nodes)."""
    return -0.5, COLUMN_GAP * (len(columns) - 1) + 0.5, -0.5, max(columns) - 0.5


def _sprite(thumbs: list[list[np.ndarray]]) -> str:
    """Every node's thumbnail in one transparent PNG covering :func:`sprite_box`."""
    from PIL import Image

    columns = [len(col) for col in thumbs]
    x0, x1, y0, y1 = sprite_box(columns)
    canvas = np.zeros((round((y1 - y0) * UNIT), round((x1 - x0) * UNIT), 4), dtype=np.uint8)
    for col, spots in zip(thumbs, node_positions(columns), strict=True):
        for image, (x, y) in zip(col, spots, strict=True):
            h, w = image.shape[:2]
            left = round((x - x0) * UNIT - w / 2)
            top = round((y1 - y) * UNIT - h / 2)
            canvas[top : top + h, left : left + w, :3] = image
            canvas[top : top + h, left : left + w, 3] = 255
    buffer = io.BytesIO()
    Image.fromarray(canvas, "RGBA").save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _code(settings: Settings, epochs: int, edits: list, model) -> str:
    """The Python of :meth:`Training.code` (see there)."""
    s = settings
    scale = {**CLASSIFICATION, **REGRESSION}[s.dataset][1]
    data_args = f"n={s.n}, noise={round(s.noise * scale, 10)!r}, seed={s.seed}"
    train, data = ["fit"], ["PlaneFeatures", "train_val_test_split"]
    if s.dataset in ("quadrants", *REGRESSION):
        data.append(s.dataset)
        make = f"{s.dataset}({data_args})"
    else:
        make = f'registry.datasets.build("{s.dataset}", {data_args})'
    callbacks = []
    if s.schedule != "none":
        train.append("LRSchedule")
        args = ", ".join(f"{k}={v!r}" for k, v in _schedule_args(s).items())
        callbacks.append(f'LRSchedule(registry.schedules.build("{s.schedule}", optimizer, {args}))')
    if s.patience:
        train.append("EarlyStopping")
        callbacks.append(
            f'EarlyStopping("val_loss", patience={s.patience}, restore_best_weights=True)'
        )
    first = [e for e in edits if e[0] == 0]
    later = [e for e in edits if e[0] > 0]
    if later:
        train.append("Callback")
        callbacks.append("Edits()")
    opt_args = f"lr={s.lr!r}" + (f", weight_decay={s.l2!r}" if s.l2 else "")
    lines = [
        f"# The playground's run, up to epoch {epochs} of {s.epochs}.",
        "import descentlab as dl",
        "from descentlab import nn, registry",
        f"from descentlab.data import {', '.join(sorted(data))}",
        f"from descentlab.train import {', '.join(sorted(train))}",
        "",
        f"X, y = {make}",
        f"split = train_val_test_split(X, y, val=0.0, test={round(1 - s.train / 100, 6)!r}, "
        f"seed={s.seed})",
        "(X_train, y_train), (X_test, y_test) = split.train, split.test",
        f"features = PlaneFeatures({list(s.features)!r}).fit(X_train)",
        "",
        f"dl.manual_seed({s.seed})  # the initial weights",
        "model = nn.Sequential(",
        *[f"    {_module_code(m)}," for m in model],
        ")",
        f'optimizer = registry.optimizers.build("{s.optimizer}", model.parameters(), {opt_args})',
    ]
    if first:
        lines.append("with dl.no_grad():  # the weights edited before training")
        lines += [f"    model[{2 * lay}].weight[{i}, {j}] = {w!r}" for _, lay, i, j, w in first]
    if later:
        table = ", ".join(f"({e}, {lay}, {i}, {j}, {w!r})" for e, lay, i, j, w in later)
        lines += [
            "",
            "",
            "class Edits(Callback):",
            '    """The weights edited on the page: (after epoch, layer, to, from, value)."""',
            "",
            "    runs_last = True",
            f"    edits = [{table}]",
            "",
            "    def on_epoch_end(self, loop, logs):",
            "        with dl.no_grad():",
            "            for epoch, layer, i, j, value in self.edits:",
            "                if epoch == loop.epoch:",
            "                    loop.model[2 * layer].weight[i, j] = value",
            "",
        ]
    batch = '"full"' if s.batch == "full" else s.batch
    metrics = ", metrics=()" if s.regression else ""
    lines += [
        "",
        "history = fit(",
        f'    model, "{s.loss}", optimizer, (features(X_train), y_train),',
        "    (features(X_test), y_test),",
        f"    epochs={epochs}, batch_size={batch}, seed={s.seed}{metrics},",
    ]
    if callbacks:
        lines.append(f"    callbacks=[{', '.join(callbacks)}],")
    lines += [
        ")",
        "train_loss, test_loss = history['train_loss'][-1], history['val_loss'][-1]",
        'print(f"train loss {train_loss:.6g}, test loss {test_loss:.6g}")',
    ]
    return "\n".join(lines) + "\n"


def _module_code(module) -> str:
    from descentlab import nn

    if isinstance(module, nn.Linear):
        return f"nn.Linear({module.in_features}, {module.out_features})"
    return f"nn.{type(module).__name__}()"
