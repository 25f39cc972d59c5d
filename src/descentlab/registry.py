"""The one table of named components: datasets, models, activations, losses, optimisers,
schedules and surfaces.

Every name a user can type (in a config, on the command line, in a lab menu) is listed here
once, with its builder, its typed parameters and their defaults, and a line of help. The config
schema (:mod:`descentlab.train.config`), the CLI's choices, ``descentlab config``, the lab's
menus and ``docs/config.md`` are generated from it (scikit-learn's ``ACTIVATIONS`` /
``LOSS_FUNCTIONS`` habit, with the parameters attached).

Seven :class:`Registry` objects, one per kind::

    datasets  models  activations  losses  optimizers  schedules  surfaces

each with the same small API:

>>> from descentlab import registry
>>> registry.optimizers.names()
['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw']
>>> registry.optimizers.get("Adam").name          # names are case-insensitive
'adam'
>>> registry.optimizers.defaults("momentum")
{'lr': 0.01, 'momentum': 0.9}
>>> sorted(registry.optimizers.params("adam"))
['betas', 'eps', 'lr', 'weight_decay']
>>> registry.optimizers.params("adam")["lr"].allowed()
'a number > 0'
>>> import descentlab as dl
>>> opt = registry.optimizers.build("sgd", [dl.zeros(2, requires_grad=True)], lr=0.5)
>>> opt.param_groups[0]["lr"]
0.5
>>> try:
...     registry.optimizers.build("adam", [], momentum=0.9)
... except registry.InvalidArgument as exc:
...     print(exc)
momentum: expected a parameter of optimizer 'adam' (betas, eps, lr, weight_decay), got 'momentum'

Builders import what they need when called, so importing this module costs little. An unknown
name, an unknown parameter or a value out of range raises :class:`InvalidArgument` with one
line in the project's one shape: the argument, what is allowed, what was received.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from descentlab.errors import InvalidArgument, invalid

__all__ = [
    "KINDS",
    "Entry",
    "InvalidArgument",
    "Param",
    "Registry",
    "activations",
    "datasets",
    "describe",
    "invalid",
    "losses",
    "models",
    "optimizers",
    "schedules",
    "surfaces",
]


# ------------------------------------------------------------------------------ one message
# InvalidArgument and invalid() live at the bottom of the house (descentlab.errors), so the
# optimisers and schedules below this module raise the same class with the same text.


def describe(value: Any) -> str:
    """A received value as a message shows it: ``-1``, ``'fast' (a string)``, ``[0.9] (a list)``.

    Numbers print bare; other types say their type so ``"1"`` and ``1`` are told apart. Long
    values are cut to 60 characters.
    """
    if isinstance(value, bool):
        kind = "a boolean"
    elif isinstance(value, int | float | np.integer | np.floating):
        text = repr(value) if isinstance(value, int | float) else repr(value.item())
        return text if len(text) <= 60 else text[:57] + "..."
    elif isinstance(value, str):
        kind = "a string"
    elif isinstance(value, list | tuple):
        kind = "a list"
    elif isinstance(value, Mapping):
        kind = "a table"
    else:
        kind = type(value).__name__
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({kind})"


# ------------------------------------------------------------------------------- parameters
KINDS = ("int", "float", "bool", "str", "choice", "ints", "floats", "batch")


@dataclass(frozen=True)
class Param:
    """One typed parameter: a config key, a builder argument, a lab control.

    Attributes:
        name: the keyword (``"lr"``).
        kind: one of :data:`KINDS`: ``int``, ``float`` (finite), ``bool``, ``str``, ``choice``
            (a name in ``choices``), ``ints`` / ``floats`` (lists), ``batch`` (an int or
            ``"full"``).
        default: the value used when the parameter is not given (None: the builder decides).
        help: one line.
        ge, gt, le, lt: bounds (numbers, and the items of lists).
        choices: for ``choice``: the registry kind whose names are allowed
            (``"activation"``) or a tuple of names.
        length: exact length for lists; ``max_length`` bounds lists and strings.
        pattern: a regular expression a string must match, and ``pattern_text`` saying it in
            words.
    """

    name: str
    kind: str
    default: Any = None
    help: str = ""
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: str | tuple[str, ...] | None = None
    length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_text: str = ""

    def __post_init__(self) -> None:
        assert self.kind in KINDS, f"param {self.name}: unknown kind {self.kind!r}"

    def choice_names(self) -> list[str]:
        """The allowed names of a ``choice`` parameter."""
        if isinstance(self.choices, str):
            return BY_KIND[self.choices].names()
        return list(self.choices or ())

    def _bounds(self) -> str:
        def num(v: float) -> str:
            return f"{int(v):,}" if float(v).is_integer() and abs(v) >= 10_000 else f"{v:g}"

        parts = [
            f"{op} {num(v)}"
            for op, v in ((">=", self.ge), (">", self.gt), ("<=", self.le), ("<", self.lt))
            if v is not None
        ]
        return " and ".join(parts)

    def allowed(self) -> str:
        """What is allowed, as the error message and ``descentlab config`` say it."""
        rng = self._bounds()
        rng = f" {rng}" if rng else ""
        if self.kind == "int":
            return f"an integer{rng}"
        if self.kind == "float":
            return f"a number{rng}"
        if self.kind == "bool":
            return "true or false"
        if self.kind == "str":
            limit = f" (at most {self.max_length} characters)" if self.max_length else ""
            return f"{self.pattern_text or 'a string'}{limit}"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choice_names())
        if self.kind == "batch":
            return f"an integer{rng} or 'full'"
        size = f"{self.length} " if self.length else ""
        noun = "integers" if self.kind == "ints" else "numbers"
        most = f" (at most {self.max_length} items)" if self.max_length else ""
        return f"a list of {size}{noun}{rng}{most}"

    def type_name(self) -> str:
        """A short type for tables: ``int``, ``float``, ``list[int]``, ``name``..."""
        return {
            "ints": "list[int]",
            "floats": "list[float]",
            "choice": "name",
            "batch": "int | 'full'",
        }.get(self.kind, self.kind)

    def annotation(self) -> Any:
        """The pydantic v2 type that validates this parameter (strict: no silent coercion)."""
        from typing import Annotated, Literal

        from pydantic import BeforeValidator, Field

        num = {
            k: getattr(self, k) for k in ("ge", "gt", "le", "lt") if getattr(self, k) is not None
        }
        if self.kind == "int":
            return Annotated[int, Field(strict=True, **num)]
        if self.kind == "float":
            return Annotated[float, Field(strict=True, allow_inf_nan=False, **num)]
        if self.kind == "bool":
            return Annotated[bool, Field(strict=True)]
        if self.kind == "str":
            return Annotated[
                str, Field(strict=True, max_length=self.max_length, pattern=self.pattern)
            ]
        if self.kind == "choice":
            return Annotated[Literal[tuple(self.choice_names())], BeforeValidator(_fold_case)]
        if self.kind == "batch":
            item = Annotated[int, Field(strict=True, **num)]
            return Annotated[Literal["full"] | item, BeforeValidator(_fold_case)]
        item_kind = int if self.kind == "ints" else float
        extra = {"allow_inf_nan": False} if item_kind is float else {}
        item = Annotated[item_kind, Field(strict=True, **num, **extra)]
        sizes = (
            {"min_length": self.length, "max_length": self.length}
            if self.length
            else {"max_length": self.max_length}
        )
        # the list itself is lax (a tuple is a list), its items strict
        return Annotated[list[item], Field(**sizes)]

    def check(self, value: Any, argument: str | None = None) -> Any:
        """``value`` validated (and normalised: ``"GELU"`` -> ``"gelu"``) or InvalidArgument."""
        from pydantic import TypeAdapter, ValidationError

        adapter = self.__dict__.get("_adapter")
        if adapter is None:
            adapter = TypeAdapter(self.annotation())
            object.__setattr__(self, "_adapter", adapter)  # a cache, not a field
        try:
            return adapter.validate_python(value)
        except ValidationError:
            raise InvalidArgument(argument or self.name, self.allowed(), describe(value)) from None


def _fold_case(value: Any) -> Any:
    # Names are case-insensitive where users type them: GELU = gelu.
    return value.strip().lower() if isinstance(value, str) else value


# ---------------------------------------------------------------------------------- entries
@dataclass(frozen=True)
class Entry:
    """A named component.

    Attributes:
        name: the registry key (lower case).
        builder: makes the component; called as ``builder(*args, **params, **context)``.
        help: one line.
        params: the user-settable parameters, typed, with defaults.
        title: a display name for menus (default: the name).
        context: run facts the builder also takes when given (``epochs``, ``total_steps``,
            ``lr`` for schedules); not user parameters.
        presets: named sets of default overrides for other settings, e.g. the optimisers'
            ``"surface"`` preset used on 2-D test surfaces.
    """

    name: str
    builder: Callable[..., Any]
    help: str
    params: tuple[Param, ...] = ()
    title: str = ""
    context: tuple[str, ...] = ()
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.title or self.name

    def param_map(self) -> dict[str, Param]:
        return {p.name: p for p in self.params}

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params if p.default is not None}


class Registry:
    """The components of one kind, keyed by lower-case name.

    ``names()``, ``get(name)``, ``build(name, *args, **params)``, ``params(name)``,
    ``defaults(name)``, ``help(name)``, ``menu()``; ``name in registry``, ``iter(registry)``
    and ``registry[name]`` work as for a dict.
    """

    def __init__(self, kind: str, entries: Sequence[Entry]) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}
        for e in entries:
            assert e.name == e.name.lower() and e.name not in self._entries, e.name
            self._entries[e.name] = e

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self.names())})"

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _fold_case(name) in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, name: str) -> Entry:
        return self.get(name)

    def names(self) -> list[str]:
        """Every name, in the table's order (the order menus show: sgd before adam)."""
        return list(self._entries)

    def get(self, name: str, argument: str | None = None) -> Entry:
        """The entry called ``name`` (any case), or InvalidArgument naming the allowed names."""
        if isinstance(name, str) and _fold_case(name) in self._entries:
            return self._entries[_fold_case(name)]
        allowed = "one of " + ", ".join(self.names())
        raise InvalidArgument(argument or self.kind, allowed, describe(name))

    def params(self, name: str) -> dict[str, Param]:
        """``{parameter name: Param}`` of entry ``name``."""
        return self.get(name).param_map()

    def defaults(self, name: str) -> dict[str, Any]:
        """The parameters of ``name`` that have a default, with it."""
        return self.get(name).defaults()

    def help(self, name: str) -> str:
        return self.get(name).help

    def menu(self) -> list[tuple[str, str, str]]:
        """``(name, title, help)`` per entry, in the table's order: what a lab dropdown shows."""
        return [(e.name, e.label, e.help) for e in (self._entries[n] for n in self.names())]

    def build(self, name: str, *args: Any, **params: Any) -> Any:
        """Build ``name``: parameters are checked against the entry's (``None`` means unset),
        the entry's defaults fill the rest, and context facts it does not take are dropped.
        """
        entry = self.get(name)
        spec = entry.param_map()
        kwargs: dict[str, Any] = {}
        for key, value in params.items():
            if key in entry.context:
                kwargs[key] = value
            elif value is None:
                continue
            elif key in spec:
                kwargs[key] = spec[key].check(value, key)
            elif key not in CONTEXT:
                allowed = ", ".join(sorted(spec)) or "none"
                raise InvalidArgument(
                    key, f"a parameter of {self.kind} {entry.name!r} ({allowed})", repr(key)
                )
        for key, value in entry.defaults().items():
            kwargs.setdefault(key, value)
        return entry.builder(*args, **kwargs)


#: Run facts a builder may take besides its parameters; others are silently not passed.
CONTEXT = ("epochs", "total_steps", "lr")


# --------------------------------------------------------------------------------- datasets
def _dataset(fn_name: str) -> Callable[..., Any]:
    def build(**kw: Any):
        from descentlab.data import datasets

        return getattr(datasets, fn_name)(**kw)

    return build


def _own_file(**kw: Any):
    from descentlab.data.files import load_table

    return load_table(**kw)


MAX_EXAMPLES = 10_000_000
_N = Param("n", "int", None, "number of examples (digits: keep the first n)", ge=1, le=MAX_EXAMPLES)
_NOISE = Param("noise", "float", None, "noise level", ge=0, le=1e6)
_SEED = Param("seed", "int", None, "seed of the generator", ge=0, le=2**32 - 1)

datasets = Registry(
    "dataset",
    [
        Entry(
            "xor",
            _dataset("xor"),
            "XOR of two bits: the four corners of the unit square (noise blurs them)",
            (replace(_N, default=4), _NOISE, _SEED),
            "XOR",
        ),
        Entry("moons", _dataset("moons"), "two interleaving half circles", (_N, _NOISE, _SEED)),
        Entry(
            "circles",
            _dataset("circles"),
            "a circle inside a circle",
            (
                _N,
                _NOISE,
                _SEED,
                Param("factor", "float", None, "inner radius / outer radius", gt=0, lt=1),
            ),
        ),
        Entry(
            "spirals",
            _dataset("spirals"),
            "interleaved spiral arms, one per class",
            (
                _N,
                _NOISE,
                _SEED,
                Param("classes", "int", None, "number of arms", ge=2, le=1000),
            ),
        ),
        Entry(
            "blobs",
            _dataset("blobs"),
            "Gaussian clusters",
            (
                _N,
                _NOISE,
                _SEED,
                Param("centers", "int", None, "number of clusters", ge=1, le=1000),
            ),
        ),
        Entry(
            "digits",
            _dataset("digits"),
            "scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes)",
            (_N, Param("image", "bool", None, "images (N, 1, 8, 8) instead of vectors (N, 64)")),
        ),
        Entry(
            "file",
            _own_file,
            "your own table: CSV/TSV with a header, .npy/.npz, Parquet (data.path, data.target)",
            (
                Param("path", "str", None, "the file to read", max_length=4096),
                Param("target", "str", None, "the column (or .npz array) to predict"),
                Param(
                    "task",
                    "choice",
                    "auto",
                    "auto: classification for integer/string targets with few classes",
                    choices=("auto", "classification", "regression"),
                ),
            ),
            "Your own file",
        ),
    ],
)


# ------------------------------------------------------------------------------ activations
def _act(cls_name: str) -> Callable[[], Any]:
    def build():
        from descentlab import nn

        return getattr(nn, cls_name)()

    return build


activations = Registry(
    "activation",
    [
        Entry(name, _act(cls), text, title=cls)
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
    ],
)


# ----------------------------------------------------------------------------------- models
def _mlp(
    in_shape: Sequence[int],
    n_outputs: int,
    hidden: Sequence[int] = (128, 64),
    activation: str = "relu",
    dropout: float = 0.0,
):
    """Linear -> activation (-> Dropout) for each hidden width, then Linear to the outputs."""
    from descentlab import nn

    flatten: list[Any] = [nn.Flatten()] if len(in_shape) > 1 else []
    dense = _dense(math.prod(in_shape), hidden, n_outputs, activation, dropout)
    return nn.Sequential(*flatten, *dense)


def _dense(
    width: int, hidden: Sequence[int], n_outputs: int, activation: str, dropout: float
) -> list[Any]:
    """[Linear -> activation (-> Dropout)] per hidden width, then Linear to the outputs."""
    from descentlab import nn

    layers: list[Any] = []
    for h in hidden:
        layers += [nn.Linear(width, h), activations.build(activation)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    return [*layers, nn.Linear(width, n_outputs)]


def _cnn(
    in_shape: Sequence[int],
    n_outputs: int,
    channels: Sequence[int] = (16, 32),
    hidden: Sequence[int] = (),
    activation: str = "relu",
    dropout: float = 0.0,
):
    """[Conv2d 3x3 (padding 1) -> activation -> MaxPool2d 2] per channel count, Flatten, MLP."""
    from descentlab import nn

    if len(in_shape) != 3:
        raise InvalidArgument(
            "model 'cnn'", "images (C, H, W)", f"inputs of shape {tuple(in_shape)}"
        )
    c, h, w = in_shape
    layers: list[Any] = []
    for out in channels:
        layers += [nn.Conv2d(c, out, 3, padding=1), activations.build(activation)]
        if min(h, w) >= 2:
            layers.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
        c = out
    layers.append(nn.Flatten())
    return nn.Sequential(*layers, *_dense(c * h * w, hidden, n_outputs, activation, dropout))


def _linear(in_shape: Sequence[int], n_outputs: int):
    """One Linear layer: softmax (multinomial logistic) regression with cross-entropy."""
    from descentlab import nn

    layers: list[Any] = [nn.Flatten()] if len(in_shape) > 1 else []
    return nn.Sequential(*layers, nn.Linear(math.prod(in_shape), n_outputs))


MAX_WIDTH = 2**31 - 1  # the real bound is memory: descentlab.train.experiment checks it
_ACTIVATION = Param("activation", "choice", "relu", "hidden activation", choices="activation")
_DROPOUT = Param("dropout", "float", 0.0, "dropout after each hidden layer", ge=0, lt=1)

models = Registry(
    "model",
    [
        Entry(
            "mlp",
            _mlp,
            "multilayer perceptron",
            (
                Param(
                    "hidden",
                    "ints",
                    [128, 64],
                    "hidden layer widths",
                    ge=1,
                    le=MAX_WIDTH,
                    max_length=1000,
                ),  # fmt: skip
                _ACTIVATION,
                _DROPOUT,
            ),
            "MLP",
        ),
        Entry(
            "cnn",
            _cnn,
            "small convolutional net for images",
            (
                Param(
                    "channels",
                    "ints",
                    [16, 32],
                    "cnn: channels per conv block",
                    ge=1,
                    le=MAX_WIDTH,
                    max_length=100,
                ),  # fmt: skip
                Param(
                    "hidden",
                    "ints",
                    [],
                    "widths of the Linear layers after the convolutions",
                    ge=1,
                    le=MAX_WIDTH,
                    max_length=1000,
                ),  # fmt: skip
                _ACTIVATION,
                _DROPOUT,
            ),
            "CNN",
        ),
        Entry("linear", _linear, "a single Linear layer (logistic regression)", title="Linear"),
    ],
)


# ----------------------------------------------------------------------------------- losses
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


def cross_entropy(output, target):
    """Softmax cross-entropy of logits (N, C) against class indices (N,)."""
    import descentlab.functional as F

    return F.cross_entropy(output, target)


def mse(output, target):
    """Mean squared error; class indices become one-hot rows of ``output``'s shape."""
    import descentlab.functional as F

    return F.mse_loss(output, _one_hot_like(output, target))


def l1(output, target):
    """Mean absolute error; class indices become one-hot rows of ``output``'s shape."""
    import descentlab.functional as F

    return F.l1_loss(output, _one_hot_like(output, target))


def bce_with_logits(output, target):
    """Binary cross-entropy on logits: one output column (N, 1), 0/1 targets."""
    import descentlab.functional as F

    if output.ndim == 2 and output.shape[1] != 1:
        raise InvalidArgument(
            "loss 'bce_with_logits'", "one logit per example (model outputs = 1)",
            f"outputs of shape {tuple(output.shape)}",
        )  # fmt: skip
    return F.binary_cross_entropy_with_logits(output, _one_hot_like(output, target))


def hinge(output, target):
    """Multi-class hinge (SVM) loss of scores (N, C) against class indices (N,)."""
    import descentlab.functional as F

    return F.multi_margin_loss(output, target)


def _fn(f: Callable[..., Any]) -> Callable[[], Callable[..., Any]]:
    return lambda: f


losses = Registry(
    "loss",
    [
        Entry("cross_entropy", _fn(cross_entropy), "softmax cross-entropy on logits"),
        Entry("mse", _fn(mse), "mean squared error (class targets become one-hot)", title="MSE"),
        Entry("l1", _fn(l1), "mean absolute error (class targets become one-hot)", title="L1"),
        Entry(
            "bce_with_logits",
            _fn(bce_with_logits),
            "binary cross-entropy on one logit (two classes)",
            title="BCE with logits",
        ),
        Entry("hinge", _fn(hinge), "multi-class hinge (SVM) loss"),
    ],
)


# ------------------------------------------------------------------------------- optimizers
def _optimizer(cls_name: str, fixed: Mapping[str, Any] | None = None):
    def build(params, **kw: Any):
        from descentlab import optim

        if "betas" in kw:
            kw["betas"] = tuple(kw["betas"])
        return getattr(optim, cls_name)(params, **kw, **(fixed or {}))

    return build


def _lr(default: float) -> Param:
    return Param("lr", "float", default, "learning rate", gt=0)


_MOMENTUM = Param("momentum", "float", None, "momentum factor", ge=0, lt=1)
_WD = Param("weight_decay", "float", None, "L2 penalty added to the gradient", ge=0)
_EPS = Param("eps", "float", None, "denominator epsilon", gt=0)
_BETAS = Param("betas", "floats", None, "Adam betas (b1, b2)", ge=0, lt=1, length=2)
_DAMPENING = Param("dampening", "float", None, "SGD dampening", ge=0, le=1)


_NESTEROV = Param("nesterov", "bool", None, "Nesterov momentum")
_HEAVY_BALL = replace(_MOMENTUM, default=0.9)


optimizers = Registry(
    "optimizer",
    [
        Entry(
            "sgd",
            _optimizer("SGD"),
            "plain gradient descent: w -= lr * g",
            (_lr(0.1), _MOMENTUM, _DAMPENING, _NESTEROV, _WD),
            "SGD",
            presets={"surface": {"lr": 0.01}},
        ),
        Entry(
            "momentum",
            _optimizer("SGD"),
            "SGD with heavy-ball momentum 0.9: v = m v + g; w -= lr v",
            (_lr(0.01), _HEAVY_BALL, _DAMPENING, _WD),
            "Momentum",
            presets={"surface": {"lr": 0.01, "momentum": 0.9}},
        ),
        Entry(
            "nesterov",
            _optimizer("SGD", {"nesterov": True}),
            "SGD with Nesterov momentum 0.9 (gradient at the look-ahead point)",
            (_lr(0.01), _HEAVY_BALL, _WD),
            "Nesterov",
            presets={"surface": {"lr": 0.01, "momentum": 0.9}},
        ),
        Entry(
            "adagrad",
            _optimizer("Adagrad"),
            "per-weight lr shrinking with the sum of squared gradients",
            (_lr(0.01), _WD, _EPS),
            "AdaGrad",
            presets={"surface": {"lr": 0.5}},
        ),
        Entry(
            "rmsprop",
            _optimizer("RMSprop"),
            "per-weight lr from a moving average of squared gradients",
            (
                _lr(0.001),
                Param("alpha", "float", None, "RMSprop smoothing", ge=0, le=1),
                _EPS,
                _WD,
                _MOMENTUM,
            ),
            "RMSprop",
            presets={"surface": {"lr": 0.05, "alpha": 0.9}},
        ),
        Entry(
            "adam",
            _optimizer("Adam"),
            "momentum + RMSprop with bias correction",
            (_lr(0.001), _BETAS, _EPS, _WD),
            "Adam",
            presets={"surface": {"lr": 0.1, "betas": (0.9, 0.999)}},
        ),
        Entry(
            "adamw",
            _optimizer("AdamW"),
            "Adam with decoupled weight decay",
            (_lr(0.001), _BETAS, _EPS, _WD),
            "AdamW",
            presets={"surface": {"lr": 0.1, "betas": (0.9, 0.999), "weight_decay": 0.01}},
        ),
    ],
)


# -------------------------------------------------------------------------------- schedules
def _step(optimizer, step_size: int, gamma: float):
    from descentlab.optim.lr_scheduler import StepLR

    return StepLR(optimizer, step_size=step_size, gamma=gamma)


def _exponential(optimizer, gamma: float):
    from descentlab.optim.lr_scheduler import ExponentialLR

    return ExponentialLR(optimizer, gamma=gamma)


def _cosine(optimizer, eta_min: float, epochs: int):
    from descentlab.optim.lr_scheduler import CosineAnnealingLR

    return CosineAnnealingLR(optimizer, T_max=epochs, eta_min=eta_min)


def _warmup(optimizer, start_factor: float, warmup_epochs: int):
    from descentlab.optim.lr_scheduler import LinearLR

    return LinearLR(optimizer, start_factor=start_factor, total_iters=warmup_epochs)


def _onecycle(optimizer, total_steps: int, lr: float | None = None, max_lr: float | None = None):
    from descentlab.optim.lr_scheduler import OneCycleLR

    peak = max_lr if max_lr is not None else 10 * (lr or optimizer.param_groups[0]["lr"])
    return OneCycleLR(optimizer, max_lr=peak, total_steps=total_steps)


def _plateau(optimizer, factor: float, patience: int, min_lr: float):
    from descentlab.optim.lr_scheduler import ReduceLROnPlateau

    return ReduceLROnPlateau(optimizer, factor=factor, patience=patience, min_lr=min_lr)


_GAMMA = Param("gamma", "float", 0.5, "step/exponential: decay factor", gt=0, le=1)

schedules = Registry(
    "schedule",
    [
        Entry("none", lambda optimizer, **_: None, "constant learning rate", title="None"),
        Entry(
            "step",
            _step,
            "multiply lr by gamma every step_size epochs",
            (Param("step_size", "int", 10, "step: epochs between decays", ge=1, le=10**6), _GAMMA),
            "Step",
        ),
        Entry(
            "exponential",
            _exponential,
            "multiply lr by gamma every epoch",
            (_GAMMA,),
            "Exponential",
        ),
        Entry(
            "cosine",
            _cosine,
            "cosine decay from lr to eta_min over the run",
            (Param("eta_min", "float", 0.0, "cosine: final lr", ge=0),),
            "Cosine",
            context=("epochs",),
        ),
        Entry(
            "warmup",
            _warmup,
            "linear warm-up from start_factor * lr to lr over warmup_epochs",
            (
                Param("start_factor", "float", 0.1, "warmup: first lr / lr", gt=0, le=1),
                Param("warmup_epochs", "int", 5, "warmup: epochs to reach lr", ge=1, le=10**6),
            ),
            "Warm-up",
        ),
        Entry(
            "onecycle",
            _onecycle,
            "one cycle: warm up to max_lr then anneal (stepped every batch)",
            (Param("max_lr", "float", None, "onecycle: peak lr (default 10 x lr)", gt=0),),
            "One cycle",
            context=("total_steps", "lr"),
        ),
        Entry(
            "plateau",
            _plateau,
            "divide lr by 1/factor when val_loss stalls for patience epochs",
            (
                Param("factor", "float", 0.1, "plateau: lr multiplier", gt=0, lt=1),
                Param("patience", "int", 5, "plateau: epochs without improvement", ge=0, le=10**6),
                Param("min_lr", "float", 0.0, "plateau: smallest lr", ge=0),
            ),
            "Reduce on plateau",
        ),
    ],
)


# --------------------------------------------------------------------------------- surfaces
def _surfaces() -> Registry:
    # The surfaces themselves (formula, window, minima) are data defined in landscapes.py;
    # this is their one name table.
    from descentlab import landscapes

    def builder(name: str) -> Callable[..., Any]:
        return lambda **kw: landscapes.get_surface(name, **kw)

    entries = []
    for name, s in landscapes.SURFACES.items():
        params: tuple[Param, ...] = ()
        if name == "ravine":
            params = (
                Param("a", "float", 1.0, "curvature / 2 along x", gt=0, le=1e6),
                Param("b", "float", 10.0, "curvature / 2 along y", gt=0, le=1e6),
            )
        entries.append(Entry(name, builder(name), s.formula, params, s.title))
    return Registry("surface", entries)


surfaces = _surfaces()

BY_KIND: dict[str, Registry] = {
    r.kind: r for r in (datasets, models, activations, losses, optimizers, schedules, surfaces)
}
"""Every registry by its kind (``"optimizer"`` -> :data:`optimizers`)."""
