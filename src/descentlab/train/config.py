"""Experiment configs: a TOML schema generated from the registry, ``--set key=value``
overrides, and one validation (pydantic v2) with one message shape.

A config is a dict of sections. :data:`SCHEMA` holds every key as a
:class:`~descentlab.registry.Param` (type, default, bounds, help): the ``name`` of
``[data]``, ``[model]``, ``[optim]`` and ``[schedule]`` is a name in the matching registry and
the other keys of those sections are the parameters its entries take; ``[train]``,
``[early_stopping]``, ``[clip]`` and ``[checkpoint]`` are the experiment's own. A pydantic model
is generated from the schema and checks a whole config at once (strict types: ``1`` is not
``true``, ``2.5`` is not an integer); every mistake becomes :class:`ConfigError` with one line:
the key, what is allowed, what was given. ``descentlab config`` prints the schema and
``docs/config.md`` is generated from it (:func:`markdown`).

With no file, :data:`DEFAULT_CONFIG` is the default example: an MLP 64-128-64-10 (ReLU) on the
8x8 digits, Adam with lr 1e-3, batch 32.

>>> cfg = load_config(None, ["optim.name=SGD", "train.batch_size=full"])
>>> cfg["optim"]["name"], cfg["train"]["batch_size"], cfg["data"]["name"]
('sgd', 'full', 'digits')
>>> try:
...     load_config(None, ["optim.momentum=0.9"])
... except ConfigError as exc:
...     print(exc.argument, "|", exc.allowed)
optim.momentum | no value with optimizer 'adam' (it takes lr, betas, eps, weight_decay)
"""

from __future__ import annotations

import copy
import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from descentlab import registry
from descentlab.registry import InvalidArgument, Param, Registry, describe

MAX_FILE_BYTES = 1_000_000  # a config is a few hundred bytes; this bounds what is parsed
MAX_OVERRIDE_CHARS = 10_000
MAX_EPOCHS = 1_000_000
MAX_BATCH = 10_000_000
RUN_NAME = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$"


class ConfigError(InvalidArgument):
    """A mistake in a config file or an override: the message is one line for the user."""


METRICS = ("auto", "val_loss", "val_acc", "train_loss", "train_acc")


def _p(name: str, kind: str, default: Any, help: str, **kw: Any) -> Param:
    return Param(name, kind, default, help, **kw)


def _component(reg: Registry, default: str, help: str, skip: Iterable[str] = ()) -> dict:
    """``name`` plus the union of the parameters the registry's entries take.

    A parameter several entries share keeps the first one's type and bounds. Its default is
    the entry's for sections whose keys always apply (model, schedule); for data and optim,
    where the keys differ per entry, it is unset (None), so the chosen entry's own default
    is used.
    """
    fields = {"name": _p("name", "choice", default, help, choices=reg.kind)}
    keep_defaults = reg.kind in ("model", "schedule")
    takers: dict[str, list[str]] = {}
    for name in reg:
        for p in reg.get(name).params:
            takers.setdefault(p.name, []).append(name)
            if p.name in skip or p.name in fields:
                continue
            fields[p.name] = p if keep_defaults else replace(p, default=None)
    for key, names in takers.items():
        if key in fields and len(names) < len(reg):
            fields[key] = replace(fields[key], help=f"{fields[key].help} ({', '.join(names)})")
    return fields


SCHEMA: dict[str, dict[str, Param]] = {
    "": {
        "name": _p(
            "name",
            "str",
            "digits-mlp",
            "run name: the run directory is runs/<name> (letters, digits, '.', '_', '-')",
            max_length=100,
            pattern=RUN_NAME,
            pattern_text="a name of letters, digits, '.', '_' or '-' not starting with '.' or '-'",
        ),
        "seed": _p("seed", "int", 0, "seeds weights, splits and shuffling", ge=0, le=2**32 - 1),
        "description": _p("description", "str", "", "free text", max_length=10_000),
    },
    "data": {
        **_component(registry.datasets, "digits", "dataset", skip=("seed", "image")),
        "val": _p("val", "float", 0.15, "validation fraction", ge=0, lt=1),
        "test": _p("test", "float", 0.15, "test fraction", ge=0, lt=1),
        "standardize": _p(
            "standardize", "bool", False, "scale features to zero mean, unit variance (train)"
        ),
    },
    "model": _component(registry.models, "mlp", "architecture"),
    "optim": _component(registry.optimizers, "adam", "optimizer"),
    "schedule": _component(registry.schedules, "none", "lr schedule"),
    "train": {
        "epochs": _p("epochs", "int", 30, "passes over the training set", ge=1, le=MAX_EPOCHS),
        "batch_size": _p(
            "batch_size", "batch", 32, "examples per step: an integer or 'full'", ge=1, le=MAX_BATCH
        ),
        "loss": _p("loss", "choice", "cross_entropy", "loss function", choices="loss"),
        "shuffle": _p("shuffle", "bool", True, "reshuffle every epoch"),
        "progress": _p("progress", "bool", True, "live progress bar"),
        "monitor_gradients": _p(
            "monitor_gradients", "bool", False, "record per-layer gradient norms, dead ReLUs"
        ),
        "plots": _p("plots", "bool", True, "write PNG plots into the run directory"),
    },
    "early_stopping": {
        "enabled": _p("enabled", "bool", False, "stop when the monitored metric stops improving"),
        "monitor": _p(
            "monitor",
            "choice",
            "auto",
            "metric to watch (auto: val_loss, else train_loss)",
            choices=METRICS,
        ),
        "patience": _p(
            "patience", "int", 10, "epochs without improvement before stopping", ge=0, le=10**6
        ),
        "min_delta": _p("min_delta", "float", 0.0, "smallest change counted as improvement", ge=0),
        "restore_best_weights": _p(
            "restore_best_weights", "bool", True, "end with the best epoch's weights"
        ),
    },
    "clip": {
        "max_norm": _p("max_norm", "float", None, "clip the global gradient norm", gt=0),
        "value": _p("value", "float", None, "clip each gradient element to [-value, value]", ge=0),
    },
    "checkpoint": {
        "every": _p(
            "every",
            "int",
            5,
            "save a resumable checkpoint every N epochs (and the last)",
            ge=1,
            le=10**6,
        ),
        "best": _p("best", "bool", True, "also keep the best epoch (by monitor)"),
        "monitor": _p(
            "monitor", "choice", "auto", "metric for the best checkpoint", choices=METRICS
        ),
    },
}
"""Every config key: ``SCHEMA[section][key]`` (section ``""`` holds the top-level keys)."""

SECTIONS = tuple(s for s in SCHEMA if s)

DEFAULT_CONFIG: dict[str, Any] = {
    **{k: p.default for k, p in SCHEMA[""].items()},
    **{
        sec: {k: copy.deepcopy(p.default) for k, p in SCHEMA[sec].items() if p.default is not None}
        for sec in SECTIONS
    },
}


# ------------------------------------------------------------------------ the pydantic model
@functools.cache
def _model() -> Any:
    """The pydantic model of a whole config, generated from :data:`SCHEMA`."""
    from pydantic import ConfigDict, create_model

    strict = ConfigDict(extra="forbid")

    def fields(params: Mapping[str, Param]) -> dict[str, Any]:
        out = {}
        for key, p in params.items():
            kind = p.annotation() if p.default is not None else p.annotation() | None
            out[key] = (kind, copy.deepcopy(p.default))
        return out

    sections = {
        sec: create_model(f"Config_{sec}", __config__=strict, **fields(SCHEMA[sec]))
        for sec in SECTIONS
    }
    return create_model(
        "Config",
        __config__=strict,
        **fields(SCHEMA[""]),
        **{sec: (model, ...) for sec, model in sections.items()},
    )


def _hint(p: Param, value: Any, key: str) -> str:
    """A list given without brackets (``model.hidden=64,32``): say how to write it."""
    if p.kind not in ("ints", "floats") or isinstance(value, bool):
        return ""
    if isinstance(value, str) and value.strip():
        return f"; write a list in brackets: {key}=[{value.strip()}]"
    if isinstance(value, int | float):
        return f"; write a list in brackets: {key}=[{value!r}]"
    return ""


def _error(err: Mapping[str, Any], cfg: Mapping[str, Any]) -> ConfigError:
    """One pydantic error as the one message shape, from the schema's own words."""
    loc = [str(x) for x in err["loc"]]
    if len(loc) >= 2 and loc[0] in SECTIONS:
        sec, key = loc[0], loc[1]
        if err["type"] == "extra_forbidden":
            keys = ", ".join(sorted(SCHEMA[sec]))
            return ConfigError(f"{sec}.{key}", f"a key of [{sec}] ({keys})", "an unknown key")
        p, value = SCHEMA[sec][key], cfg[sec][key]
        name = f"{sec}.{key}"
        return ConfigError(name, p.allowed(), describe(value) + _hint(p, value, name))
    key = loc[0] if loc else "config"
    if key in SECTIONS:
        return ConfigError(key, f"a table [{key}]", describe(cfg.get(key)))
    if key in SCHEMA[""]:
        p = SCHEMA[""][key]
        return ConfigError(key, p.allowed(), describe(cfg.get(key)))
    allowed = ", ".join(sorted(SCHEMA[""]) + [f"[{s}]" for s in sorted(SECTIONS)])
    return ConfigError("config", f"one of the keys {allowed}", f"unknown key {key!r}")


def validate(raw: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check ``raw`` against :data:`SCHEMA`, merged over ``base`` (default: the defaults).

    Returns the resolved config: names in lower case, every key with a default present, unset
    keys (None) left out.
    """
    from pydantic import ValidationError

    cfg: dict[str, Any] = copy.deepcopy(dict(base) if base is not None else DEFAULT_CONFIG)
    for sec in SECTIONS:
        cfg.setdefault(sec, {})
    raw = dict(raw)
    data = raw.get("data")
    if isinstance(data, Mapping) and "path" in data and "name" not in data:
        raw["data"] = {**data, "name": "file"}  # data.path alone means "my own file"
    for key, value in raw.items():
        if key in SECTIONS and isinstance(value, Mapping) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    try:
        model = _model().model_validate(cfg)
    except ValidationError as exc:
        raise _error(exc.errors()[0], cfg) from None
    out = model.model_dump()
    for sec in SECTIONS:
        out[sec] = {k: v for k, v in out[sec].items() if v is not None}
    _applies(out)
    _cross_checks(out)
    return out


def _applies(cfg: dict[str, Any]) -> None:
    """Settings that the chosen component does not take are errors, not silently ignored."""
    for sec, reg in (("optim", registry.optimizers), ("data", registry.datasets)):
        name = cfg[sec]["name"]
        takes = [k for k in reg.params(name) if k in SCHEMA[sec]]
        component_keys = {p.name for n in reg for p in reg.get(n).params}
        for key, value in cfg[sec].items():
            if key in component_keys and key not in takes:
                it_takes = ", ".join(takes) or "no parameters"
                raise ConfigError(
                    f"{sec}.{key}",
                    f"no value with {reg.kind} {name!r} (it takes {it_takes})",
                    describe(value),
                )


def _cross_checks(cfg: dict[str, Any]) -> None:
    data = cfg["data"]
    if data["val"] + data["test"] >= 1:
        raise ConfigError("data.val + data.test", "a sum < 1", f"{data['val'] + data['test']:g}")
    if data["name"] == "file" and (not data.get("path") or not data.get("target")):
        missing = "data.path" if not data.get("path") else "data.target"
        raise ConfigError(missing, "a value with data.name = 'file'", "none")
    uses_val = data["val"] > 0
    for sec in ("early_stopping", "checkpoint"):
        monitor = cfg[sec]["monitor"]
        if monitor == "auto":
            monitor = cfg[sec]["monitor"] = "val_loss" if uses_val else "train_loss"
        active = cfg[sec].get("enabled", True)
        if active and monitor.startswith("val_") and not uses_val:
            raise ConfigError(
                f"{sec}.monitor",
                "'train_loss' or 'train_acc' without a validation set (data.val = 0)",
                repr(monitor),
            )
    if cfg["schedule"]["name"] == "plateau" and not uses_val:
        raise ConfigError(
            "schedule.name", "a schedule other than 'plateau' when data.val = 0", "'plateau'"
        )
    if cfg["model"]["name"] == "cnn" and data["name"] != "digits":
        raise ConfigError(
            "model.name", "'cnn' only with image data (data.name = 'digits')", repr(data["name"])
        )


# ------------------------------------------------------------------------------- overrides
def parse_override(text: str) -> tuple[str, Any]:
    """``"optim.lr=0.01"`` -> ``("optim.lr", 0.01)``; values are TOML (bare words are strings)."""
    if len(text) > MAX_OVERRIDE_CHARS:
        raise ConfigError("--set", f"at most {MAX_OVERRIDE_CHARS} characters", f"{len(text)}")
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key:
        raise ConfigError("--set", "key=value (e.g. optim.lr=0.01)", repr(text))
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        parsed = value
    return key, parsed


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Set dotted keys in ``raw`` (a plain TOML dict); validation happens afterwards."""
    raw = copy.deepcopy(raw)
    for text in overrides:
        key, value = parse_override(text)
        parts = key.split(".")
        if len(parts) > 2:
            raise ConfigError("--set", "'section.key' or 'key'", repr(key))
        if len(parts) == 2:
            sec, sub = parts
            if sec not in SECTIONS:
                raise ConfigError(
                    f"--set {key}", f"a section among {', '.join(SECTIONS)}", repr(sec)
                )
            table = raw.setdefault(sec, {})
            if not isinstance(table, dict):
                raise ConfigError(sec, f"a table [{sec}]", describe(table))
            table[sub] = value
        else:
            raw[key] = value
    return raw


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file as a dict; missing, unreadable, too large, malformed or too deeply nested
    files raise ConfigError.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError("config file", "an existing TOML file", str(path))
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(
                "config file", f"at most {MAX_FILE_BYTES:,} bytes", f"{p.stat().st_size:,} bytes"
            )
        with open(p, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}", "valid TOML", f"an error: {exc}") from None
    except RecursionError:
        raise ConfigError(f"config file {path}", "TOML nested a few levels", "deeper") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path}", "a readable UTF-8 file", str(exc)) from None


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


# ------------------------------------------------------------------------ the schema, shown
def with_reference(text: str) -> str:
    """``text`` (docs/config.md) with its generated block replaced by :func:`markdown`."""
    head, sep, rest = text.partition(DOC_BEGIN)
    _, sep2, tail = rest.partition(DOC_END)
    if not sep or not sep2:
        raise ValueError(f"the page has no {DOC_BEGIN!r} ... {DOC_END!r} block")
    return f"{head}{DOC_BEGIN}\n{markdown()}{DOC_END}{tail}"


def rows() -> list[tuple[str, str, str, str, str]]:
    """``(key, type, default, allowed, help)`` for every key, in schema order."""
    out = []
    for sec, params in SCHEMA.items():
        for key, p in params.items():
            default = "(unset)" if p.default is None else _toml_value(p.default)
            out.append(
                (f"{sec}.{key}" if sec else key, p.type_name(), default, p.allowed(), p.help)
            )
    return out


DOC_BEGIN = "<!-- generated by `descentlab config --markdown`; edit the registry, not this -->"
DOC_END = "<!-- end of the generated reference -->"


def markdown() -> str:
    """The key reference of ``docs/config.md``, generated from :data:`SCHEMA`."""
    lines = []
    for sec, params in SCHEMA.items():
        lines += ["", f"### [{sec}]" if sec else "### top level", ""]
        lines += ["| key | type | default | allowed | help |", "|---|---|---|---|---|"]
        for key, p in params.items():
            default = "(unset)" if p.default is None else f"`{_toml_value(p.default)}`"
            cells = [f"`{key}`", p.type_name(), default, p.allowed(), p.help]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += ["", "### Which keys each component takes", ""]
    for reg in registry.BY_KIND.values():
        if reg.kind in ("activation", "loss", "surface"):
            names = ", ".join(f"`{n}`" for n in reg)
            lines.append(f"- **{reg.kind}** names: {names}")
            continue
        for name in reg:
            e = reg.get(name)
            takes = ", ".join(f"`{p.name}`" for p in e.params) or "no parameters"
            lines.append(f"- {reg.kind} `{name}`: {e.help}; takes {takes}")
    return "\n".join(lines).lstrip("\n") + "\n"


__all__ = [
    "DEFAULT_CONFIG",
    "DOC_BEGIN",
    "DOC_END",
    "SCHEMA",
    "SECTIONS",
    "ConfigError",
    "apply_overrides",
    "dumps",
    "get",
    "load_config",
    "markdown",
    "with_reference",
    "parse_override",
    "read_toml",
    "rows",
    "validate",
]
