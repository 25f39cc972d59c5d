"""Experiment configs: a TOML schema with defaults, ``--set key=value`` overrides, validation.

A config is a dict of sections. Every key, its type, default and allowed values are in
:data:`SCHEMA`; an unknown key, a wrong type, a value out of range or an unknown name raises
:class:`ConfigError` with one line naming the key, what is allowed and what was given. With no
file, :data:`DEFAULT_CONFIG` is the default example: an MLP 64-128-64-10 (ReLU) on the 8x8 digits,
Adam with lr 1e-3, batch 32.

>>> cfg = load_config(None, ["optim.name=sgd", "train.batch_size=full"])
>>> cfg["optim"]["name"], cfg["train"]["batch_size"], cfg["data"]["name"]
('sgd', 'full', 'digits')
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from descentlab import registry
from descentlab.registry import Registry

ACTIVATIONS = registry.activations
DATASETS = registry.datasets
LOSSES = registry.losses
MODELS = registry.models
OPTIMIZERS = registry.optimizers
SCHEDULES = registry.schedules


class ConfigError(ValueError):
    """A mistake in a config file or an override: the message is one line for the user."""


@dataclass(frozen=True)
class Field:
    """One config key: ``kind`` is int, float, bool, str, choice, ints, floats or batch."""

    kind: str
    default: Any = None
    help: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: Registry | tuple[str, ...] | None = None
    what: str = "value"
    length: int | None = None


def _f(kind, default=None, help="", **kw) -> Field:
    return Field(kind, default, help, **kw)


METRICS = ("auto", "val_loss", "val_acc", "train_loss", "train_acc")

SCHEMA: dict[str, dict[str, Field]] = {
    "": {
        "name": _f("str", "digits-mlp", "run name (the run directory is runs/<name>)"),
        "seed": _f("int", 0, "seeds weights, splits and shuffling", low=0),
        "description": _f("str", "", "free text"),
    },
    "data": {
        "name": _f("choice", "digits", "dataset", choices=DATASETS, what="dataset"),
        "n": _f("int", None, "number of examples (digits: keep the first n)", low=1),
        "noise": _f("float", None, "noise level (toy datasets)", low=0),
        "factor": _f("float", None, "circles: inner/outer radius", low=0, high=1, low_open=True),
        "classes": _f("int", None, "spirals: number of arms", low=2),
        "centers": _f("int", None, "blobs: number of clusters", low=1),
        "val": _f("float", 0.15, "validation fraction", low=0, high=1, high_open=True),
        "test": _f("float", 0.15, "test fraction", low=0, high=1, high_open=True),
        "standardize": _f("bool", False, "scale features to zero mean, unit variance (train)"),
    },
    "model": {
        "name": _f("choice", "mlp", "architecture", choices=MODELS, what="model"),
        "hidden": _f("ints", [128, 64], "hidden layer widths", low=1),
        "channels": _f("ints", [16, 32], "cnn: channels per conv block", low=1),
        "activation": _f(
            "choice", "relu", "hidden activation", choices=ACTIVATIONS, what="activation"
        ),
        "dropout": _f(
            "float", 0.0, "dropout after each hidden layer", low=0, high=1, high_open=True
        ),
    },
    "optim": {
        "name": _f("choice", "adam", "optimizer", choices=OPTIMIZERS, what="optimizer"),
        "lr": _f("float", None, "learning rate (default: the optimizer's)", low=0, low_open=True),
        "momentum": _f("float", None, "momentum factor", low=0, high=1, high_open=True),
        "dampening": _f("float", None, "SGD dampening", low=0, high=1),
        "nesterov": _f("bool", None, "Nesterov momentum (SGD)"),
        "weight_decay": _f("float", None, "L2 penalty", low=0),
        "betas": _f("floats", None, "Adam betas", low=0, high=1, high_open=True, length=2),
        "eps": _f("float", None, "denominator epsilon", low=0, low_open=True),
        "alpha": _f("float", None, "RMSprop smoothing", low=0, high=1),
    },
    "schedule": {
        "name": _f("choice", "none", "lr schedule", choices=SCHEDULES, what="schedule"),
        "step_size": _f("int", 10, "step: epochs between decays", low=1),
        "gamma": _f("float", 0.5, "step/exponential: decay factor", low=0, high=1, low_open=True),
        "eta_min": _f("float", 0.0, "cosine: final lr", low=0),
        "start_factor": _f("float", 0.1, "warmup: first lr / lr", low=0, high=1, low_open=True),
        "warmup_epochs": _f("int", 5, "warmup: epochs to reach lr", low=1),
        "max_lr": _f("float", None, "onecycle: peak lr (default 10 x lr)", low=0, low_open=True),
        "factor": _f("float", 0.1, "plateau: lr multiplier", low=0, high=1, low_open=True),
        "patience": _f("int", 5, "plateau: epochs without improvement", low=0),
        "min_lr": _f("float", 0.0, "plateau: smallest lr", low=0),
    },
    "train": {
        "epochs": _f("int", 30, "passes over the training set", low=1),
        "batch_size": _f("batch", 32, "examples per step: an integer or 'full'", low=1),
        "loss": _f("choice", "cross_entropy", "loss function", choices=LOSSES, what="loss"),
        "shuffle": _f("bool", True, "reshuffle every epoch"),
        "progress": _f("bool", True, "live progress bar"),
        "monitor_gradients": _f("bool", False, "record per-layer gradient norms, dead ReLUs"),
        "plots": _f("bool", True, "write PNG plots into the run directory"),
    },
    "early_stopping": {
        "enabled": _f("bool", False, "stop when the monitored metric stops improving"),
        "monitor": _f(
            "choice",
            "auto",
            "metric to watch (auto: val_loss, else train_loss)",
            choices=METRICS,
            what="metric",
        ),
        "patience": _f("int", 10, "epochs without improvement before stopping", low=0),
        "min_delta": _f("float", 0.0, "smallest change counted as improvement", low=0),
        "restore_best_weights": _f("bool", True, "end with the best epoch's weights"),
    },
    "clip": {
        "max_norm": _f("float", None, "clip the global gradient norm", low=0, low_open=True),
        "value": _f("float", None, "clip each gradient element to [-value, value]", low=0),
    },
    "checkpoint": {
        "every": _f("int", 5, "save a resumable checkpoint every N epochs (and the last)", low=1),
        "best": _f("bool", True, "also keep the best epoch (by monitor)"),
        "monitor": _f(
            "choice", "auto", "metric for the best checkpoint", choices=METRICS, what="metric"
        ),
    },
}

DEFAULT_CONFIG: dict[str, Any] = {
    **{k: f.default for k, f in SCHEMA[""].items()},
    **{
        sec: {k: f.default for k, f in fields.items() if f.default is not None}
        for sec, fields in SCHEMA.items()
        if sec
    },
}


def _describe(v: Any) -> str:
    kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        type(v), "a list" if isinstance(v, list) else "a table" if isinstance(v, dict) else ""
    )
    return f"{v!r} ({kind})" if kind else repr(v)


def _range_text(f: Field) -> str:
    parts = []
    if f.low is not None:
        parts.append(f"{'>' if f.low_open else '>='} {f.low:g}")
    if f.high is not None:
        parts.append(f"{'<' if f.high_open else '<='} {f.high:g}")
    return " and ".join(parts)


def _check_number(key: str, f: Field, v: Any, kind: str) -> float | int:
    ok = isinstance(v, int) and not isinstance(v, bool)
    if kind == "float":
        ok = ok or isinstance(v, float)
    rng = _range_text(f)
    expected = ("an integer" if kind == "int" else "a number") + (f" {rng}" if rng else "")
    if not ok:
        raise ConfigError(f"{key}: expected {expected}, got {_describe(v)}")
    if kind == "float" and not math.isfinite(v):
        raise ConfigError(f"{key}: expected {expected}, got {v!r}")
    bad = (f.low is not None and (v <= f.low if f.low_open else v < f.low)) or (
        f.high is not None and (v >= f.high if f.high_open else v > f.high)
    )
    if bad:
        raise ConfigError(f"{key}: expected {expected}, got {v!r}")
    return float(v) if kind == "float" else int(v)


def check_value(key: str, f: Field, v: Any) -> Any:
    """Validate one value for ``key`` against its field; returns the normalised value."""
    if f.kind in ("int", "float"):
        return _check_number(key, f, v, f.kind)
    if f.kind == "bool":
        if not isinstance(v, bool):
            raise ConfigError(f"{key}: expected true or false, got {_describe(v)}")
        return v
    if f.kind == "str":
        if not isinstance(v, str):
            raise ConfigError(f"{key}: expected a string, got {_describe(v)}")
        return v
    if f.kind == "choice":
        names = f.choices.names() if isinstance(f.choices, Registry) else list(f.choices)
        if isinstance(v, str) and v.lower() in names:
            return v.lower()
        raise ConfigError(f"{key}: unknown {f.what} {v!r} (allowed: {', '.join(names)})")
    if f.kind == "batch":
        if v == "full":
            return v
        if isinstance(v, int) and not isinstance(v, bool) and v >= 1:
            return v
        raise ConfigError(f"{key}: expected an integer >= 1 or 'full', got {_describe(v)}")
    if f.kind in ("ints", "floats"):
        item = "int" if f.kind == "ints" else "float"
        if not isinstance(v, list) or (f.length is not None and len(v) != f.length):
            size = f"{f.length} " if f.length is not None else ""
            noun = "integers" if item == "int" else "numbers"
            raise ConfigError(f"{key}: expected a list of {size}{noun}, got {_describe(v)}")
        return [_check_number(f"{key}[{i}]", f, x, item) for i, x in enumerate(v)]
    raise AssertionError(f"unknown field kind {f.kind!r} for {key}")


def validate(raw: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check ``raw`` against :data:`SCHEMA` and merge it over ``base`` (default: the defaults)."""
    cfg = copy.deepcopy(dict(base) if base is not None else DEFAULT_CONFIG)
    for sec in SCHEMA:
        if sec:
            cfg.setdefault(sec, {})
    sections = sorted(s for s in SCHEMA if s)
    for key, value in raw.items():
        if key in SCHEMA[""]:
            cfg[key] = check_value(key, SCHEMA[""][key], value)
        elif key in SCHEMA and key:
            if not isinstance(value, Mapping):
                raise ConfigError(f"{key}: expected a table [{key}], got {_describe(value)}")
            fields = SCHEMA[key]
            for sub, v in value.items():
                if sub not in fields:
                    raise ConfigError(
                        f"unknown key '{key}.{sub}' (allowed keys in [{key}]: "
                        f"{', '.join(sorted(fields))})"
                    )
                cfg[key][sub] = check_value(f"{key}.{sub}", fields[sub], v)
        else:
            allowed = ", ".join(sorted(SCHEMA[""]) + [f"[{s}]" for s in sections])
            raise ConfigError(f"unknown key '{key}' (allowed: {allowed})")
    _cross_checks(cfg)
    return cfg


def _cross_checks(cfg: dict[str, Any]) -> None:
    data, train = cfg["data"], cfg["train"]
    if data["val"] + data["test"] >= 1:
        raise ConfigError(
            f"data.val + data.test: expected a sum < 1, got {data['val'] + data['test']:g}"
        )
    uses_val = data["val"] > 0
    for sec in ("early_stopping", "checkpoint"):
        monitor = cfg[sec]["monitor"]
        if monitor == "auto":
            monitor = cfg[sec]["monitor"] = "val_loss" if uses_val else "train_loss"
        active = cfg[sec].get("enabled", True)
        if active and monitor.startswith("val_") and not uses_val:
            raise ConfigError(
                f"{sec}.monitor: {monitor!r} needs a validation set (data.val > 0); "
                "use 'train_loss' or 'train_acc'"
            )
    if cfg["schedule"]["name"] == "plateau" and not uses_val:
        raise ConfigError("schedule.name: 'plateau' needs a validation set (data.val > 0)")
    if cfg["model"]["name"] == "cnn" and data["name"] != "digits":
        raise ConfigError(
            f"model.name: 'cnn' needs image data (data.name = 'digits'), got {data['name']!r}"
        )
    del train


def parse_override(text: str) -> tuple[str, Any]:
    """``"optim.lr=0.01"`` -> ``("optim.lr", 0.01)``; values are TOML (bare words are strings)."""
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key:
        raise ConfigError(f"--set: expected key=value (e.g. optim.lr=0.01), got {text!r}")
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value
    return key, parsed


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Set dotted keys in ``raw`` (a plain TOML dict); validation happens afterwards."""
    raw = copy.deepcopy(raw)
    for text in overrides:
        key, value = parse_override(text)
        parts = key.split(".")
        if len(parts) > 2:
            raise ConfigError(f"unknown key '{key}' (keys are 'section.key' or 'key')")
        if len(parts) == 2:
            sec, sub = parts
            if sec not in SCHEMA or not sec:
                allowed = ", ".join(sorted(s for s in SCHEMA if s))
                raise ConfigError(f"unknown section '{sec}' in '{key}' (allowed: {allowed})")
            table = raw.setdefault(sec, {})
            if not isinstance(table, dict):
                raise ConfigError(f"{sec}: expected a table [{sec}], got {_describe(table)}")
            table[sub] = value
        else:
            raw[key] = value
    return raw


def read_toml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        with open(p, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in {path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None


def load_config(
    path: str | Path | None = None,
    overrides: Iterable[str] = (),
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Read a TOML file (None: the default example), apply ``key=value`` overrides, validate.

    Returns the resolved config: top-level keys (name, seed, description) at the root, one
    dict per section, every key of :data:`SCHEMA` that has a default present.
    """
    raw = read_toml(path) if path is not None else {}
    raw = apply_overrides(raw, overrides)
    return validate(raw, base)


def get(cfg: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """``get(cfg, "optim.lr")`` or ``get(cfg, "seed")``."""
    sec, _, sub = key.rpartition(".")
    return cfg.get(sec, {}).get(sub, default) if sec else cfg.get(sub, default)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps(cfg: Mapping[str, Any]) -> str:
    """The resolved config as TOML text (what ``runs/<name>/config.toml`` holds)."""
    tables = {k: v for k, v in cfg.items() if isinstance(v, Mapping)}
    lines = [f"{k} = {_toml_value(v)}" for k, v in cfg.items() if k not in tables]
    for sec, table in tables.items():
        if table:
            lines += ["", f"[{sec}]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


__all__ = [
    "DEFAULT_CONFIG",
    "SCHEMA",
    "ConfigError",
    "Field",
    "apply_overrides",
    "check_value",
    "dumps",
    "get",
    "load_config",
    "parse_override",
    "read_toml",
    "validate",
]
