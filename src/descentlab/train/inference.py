"""A finished run, ready to predict: ``load_run(run_dir)``.

The network is rebuilt from the run's resolved ``config.toml`` with the same builder that
trained it, its weights come from the run's checkpoint, and the run's preprocessing is applied
to raw inputs: the feature order and standardisation ``x' = (x - mean) / std`` learnt from the
training split, and, for classification, the map from class index back to the original label.

>>> from descentlab.train import load_run                      # doctest: +SKIP
>>> trained = load_run("runs/digits-mlp")                      # doctest: +SKIP
>>> trained.predict(X)            # labels (or values, for regression)  # doctest: +SKIP
>>> trained.predict_proba(X)      # (N, n_classes) probabilities         # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from descentlab.train.checkpoint import BEST, LAST, CheckpointError

PREPROCESSING_FILE = "preprocessing.json"
Task = Literal["classification", "regression"]


class RunError(ValueError):
    """A run directory cannot be loaded, or inputs do not fit its model."""


class PreprocessingFile(BaseModel):
    """The schema of ``preprocessing.json``, written by ``descentlab train --data FILE``."""

    model_config = ConfigDict(extra="forbid", strict=True)
    format: Literal[1]
    features: list[str] = Field(min_length=1)
    mean: list[float]
    std: list[float]
    target: str
    task: Task
    classes: list[str | int | float | bool] | None

    @model_validator(mode="after")
    def _consistent(self) -> PreprocessingFile:
        n = len(self.features)
        if len(self.mean) != n or len(self.std) != n:
            raise ValueError(
                f"mean and std need one value per feature ({n}); got {len(self.mean)} and "
                f"{len(self.std)}"
            )
        if any(not s > 0 for s in self.std):
            raise ValueError("every std must be positive")
        return self


@dataclass(frozen=True)
class Preprocessing:
    """What turns raw inputs into network inputs, and network outputs into answers.

    Attributes:
        in_shape: the shape of one example as the network takes it, e.g. ``(64,)`` or
            ``(1, 8, 8)``.
        mean, std: arrays broadcastable to ``(N, *in_shape)``, or None (no standardisation).
        task: ``"classification"`` or ``"regression"``.
        classes: the original label of each class index, or None (the labels are the indices).
        features: the input column names in order (data from your own file), or None.
        target: the target column's name, or None.
    """

    in_shape: tuple[int, ...]
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    task: Task = "classification"
    classes: list | None = None
    features: list[str] | None = None
    target: str | None = None

    def transform(self, X: Any) -> np.ndarray:
        """Raw inputs ``(N, n_features)`` or ``(N, *in_shape)`` -> standardised network inputs."""
        from descentlab.autograd_mode import get_default_dtype

        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise RunError(f"inputs must be numbers, got dtype {X.dtype}")
        size = int(np.prod(self.in_shape))
        if X.ndim == 1 and X.size == size:
            X = X[None]
        if X.ndim < 2 or int(np.prod(X.shape[1:])) != size:
            shapes = {f"(N, {size})", f"(N, {', '.join(map(str, self.in_shape))})"}
            raise RunError(
                f"inputs of shape {X.shape} do not fit this model (expected "
                f"{' or '.join(sorted(shapes))})"
            )
        X = X.reshape((len(X), *self.in_shape)).astype(np.float64)
        if self.mean is not None:
            X = (X - self.mean.reshape((1, *self.in_shape))) / self.std.reshape((1, *self.in_shape))
        return X.astype(get_default_dtype())

    def labels(self, indices: np.ndarray) -> np.ndarray:
        """Class indices -> the original labels (the indices themselves when unknown)."""
        if self.classes is None:
            return np.asarray(indices)
        return np.asarray(self.classes, dtype=object)[np.asarray(indices)]


@dataclass
class TrainedModel:
    """A trained network in eval mode with its preprocessing: what :func:`load_run` returns.

    Attributes:
        model: the ``descentlab.nn`` module (eval mode).
        preprocessing: the :class:`Preprocessing` applied by the methods below.
        config: the run's resolved config.
        checkpoint: the file the weights came from; ``epoch``: the epoch it was saved at.
    """

    model: Any
    preprocessing: Preprocessing
    config: dict[str, Any]
    checkpoint: Path
    epoch: int

    @property
    def task(self) -> Task:
        return self.preprocessing.task

    def logits(self, X: Any) -> np.ndarray:
        """The network's raw outputs for raw inputs ``X``: ``(N, n_outputs)``."""
        import descentlab as dl

        with dl.no_grad():
            return self.model(dl.tensor(self.preprocessing.transform(X))).detach().numpy()

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(N, n_classes)``: softmax of the logits, or for one logit
        (``bce_with_logits``) ``[1 - sigmoid(z), sigmoid(z)]``."""
        if self.task != "classification":
            raise RunError("predict_proba: this run is a regression; use predict")
        z = self.logits(X).astype(np.float64)
        if z.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.stack([1.0 - p, p], axis=1)
        z = z - z.max(axis=1, keepdims=True)  # shift for exp without overflow
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """Labels (classification, the original labels) or values (regression, ``(N,)`` for
        one target, else ``(N, n_targets)``)."""
        if self.task == "regression":
            out = self.logits(X)
            return out[:, 0] if out.shape[1] == 1 else out
        return self.preprocessing.labels(self.predict_proba(X).argmax(axis=1))


def _read_preprocessing(path: Path) -> PreprocessingFile:
    from descentlab.serialization.checks import SerializationError, get_limits, parse_json

    limits = get_limits()
    if path.stat().st_size > limits.max_metadata_bytes:
        raise RunError(
            f"{path}: {path.stat().st_size:,} bytes, over the limit of "
            f"{limits.max_metadata_bytes:,} (descentlab.serialization.set_limits("
            "max_metadata_bytes=...))"
        )
    try:
        raw = parse_json(path.read_bytes(), str(path), limits)
        return PreprocessingFile.model_validate(raw)
    except SerializationError as exc:
        raise RunError(str(exc)) from None
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(map(str, err["loc"]))
        detail = str(err["ctx"]["error"]) if err["type"] == "value_error" else err["msg"]
        raise RunError(f"{path}: {where + ': ' if where else ''}{detail}") from None


def _preprocessing(run_dir: Path, cfg: dict[str, Any]) -> Preprocessing:
    """From ``preprocessing.json`` when the run has one, else from its built-in dataset."""
    from descentlab.train.experiment import load_data, standardizer

    path = run_dir / PREPROCESSING_FILE
    if path.is_file():
        p = _read_preprocessing(path)
        return Preprocessing(
            in_shape=(len(p.features),),
            mean=np.asarray(p.mean, dtype=np.float64),
            std=np.asarray(p.std, dtype=np.float64),
            task=p.task,
            classes=p.classes,
            features=p.features,
            target=p.target,
        )
    # A built-in dataset: regenerate it (same seed, same split) for its shape and statistics.
    raw_cfg = {**cfg, "data": {**cfg["data"], "standardize": False}}
    splits, in_shape, _ = load_data(raw_cfg)
    mean = std = None
    if cfg["data"].get("standardize"):
        mean, std = standardizer(splits.train[0].astype(np.float64))
    return Preprocessing(in_shape=tuple(in_shape), mean=mean, std=std)


def _checkpoint_path(run_dir: Path, cfg: dict[str, Any], which: str) -> Path:
    ck = run_dir / "checkpoints"
    if which not in ("auto", "best", "last"):
        raise RunError(f"checkpoint must be 'auto', 'best' or 'last', got {which!r}")
    if which == "auto":
        # The model the run ended with: the best weights when early stopping restored them.
        es = cfg.get("early_stopping", {})
        restored = es.get("enabled") and es.get("restore_best_weights")
        which = "best" if restored and (ck / BEST).is_file() else "last"
    path = ck / (BEST if which == "best" else LAST)
    if which == "last" and not path.is_file() and (ck / BEST).is_file():
        path = ck / BEST
    return path


def load_run(run_dir: str | Path, checkpoint: str = "auto") -> TrainedModel:
    """The model a ``descentlab train`` run trained, in eval mode, with its preprocessing.

    Args:
        run_dir: the run directory (``runs/<name>``), holding ``config.toml`` and
            ``checkpoints/``.
        checkpoint: ``"last"``, ``"best"``, or ``"auto"``: the model the run ended with
            (``best.npz`` when early stopping restored the best weights, else ``last.npz``).

    Returns:
        A :class:`TrainedModel`: ``.predict(X)``, ``.predict_proba(X)``, ``.model``,
        ``.preprocessing``, ``.config``.

    Raises:
        RunError: not a run directory, a bad ``preprocessing.json``, or weights that do not fit
            the network the config describes. CheckpointError: an unusable checkpoint.
    """
    from descentlab.train.checkpoint import load_checkpoint
    from descentlab.train.config import ConfigError, load_config
    from descentlab.train.experiment import build_model

    run_dir = Path(run_dir)
    if not (run_dir / "config.toml").is_file():
        raise RunError(f"{run_dir} is not a run directory (it has no config.toml)")
    try:
        cfg = load_config(run_dir / "config.toml")
    except ConfigError as exc:
        raise RunError(f"{run_dir / 'config.toml'}: {exc}") from None
    prep = _preprocessing(run_dir, cfg)
    path = _checkpoint_path(run_dir, cfg, checkpoint)
    if not path.is_file() and not (path.parent / "previous.npz").is_file():
        raise CheckpointError(f"no checkpoint in {run_dir / 'checkpoints'} (expected {path.name})")
    saved = load_checkpoint(path)
    if prep.classes is not None:
        n_classes = len(prep.classes)
    elif cfg["train"]["loss"] == "bce_with_logits":
        n_classes = 2
    else:  # the last layer's width: the number of classes, or of regression targets
        weights = [v for k, v in saved.model_state.items() if k.endswith("weight")]
        n_classes = int(weights[-1].shape[0]) if weights else 1
    model = build_model(cfg, prep.in_shape, n_classes)
    try:
        model.load_state_dict(saved.model_state)
    except RuntimeError as exc:
        first = str(exc).splitlines()[-1].strip()
        raise RunError(
            f"{saved.path}: the weights do not fit the config's model ({first})"
        ) from None
    model.eval()
    return TrainedModel(model, prep, cfg, saved.path, saved.epoch)


def read_inputs(path: str | Path, preprocessing: Preprocessing) -> np.ndarray:
    """Raw inputs from a file, as ``(N, ...)`` numbers in the run's feature order.

    - ``.npy``: a bool/integer/float array, ``(N, n_features)`` or ``(N, *in_shape)``;
    - ``.csv`` / ``.tsv``: a header row naming the columns. With the run's own-data
      preprocessing the feature columns are taken by name, in the trained order (others, such
      as the target, are ignored); otherwise every column is a feature and a header of
      numbers is read as data.
    """
    from descentlab.serialization.checks import get_limits

    path = Path(path)
    if not path.is_file():
        raise RunError(f"input file not found: {path}")
    limit = max(get_limits().max_bytes, 1)
    if path.stat().st_size > limit:
        raise RunError(
            f"{path}: {path.stat().st_size:,} bytes, over the limit of {limit:,} "
            "(descentlab.serialization.set_limits(max_bytes=...))"
        )
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            X = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise RunError(f"{path}: not a readable .npy array ({exc})") from None
        if X.dtype.kind not in "biuf":
            raise RunError(f"{path}: the array has dtype {X.dtype} (expected numbers)")
        return X
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_table(path, "\t" if suffix == ".tsv" else ",", preprocessing)
    raise RunError(
        f"{path}: INPUT must be a .csv, .tsv or .npy file, got {suffix or 'no suffix'!r}"
    )


def _read_table(path: Path, sep: str, prep: Preprocessing) -> np.ndarray:
    import pandas as pd

    try:
        df = pd.read_csv(path, sep=sep)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RunError(f"{path}: not a readable table ({first})") from None
    if prep.features is not None:
        missing = [c for c in prep.features if c not in df.columns]
        if missing:
            raise RunError(
                f"{path}: missing feature column(s) {missing} (the model takes {prep.features})"
            )
        df = df[prep.features]
    elif all(_is_number(c) for c in df.columns):
        df = pd.read_csv(path, sep=sep, header=None)  # no header: the first row is data
    numeric = df.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & df.notna()
    if bad.to_numpy().any():
        row, col = np.argwhere(bad.to_numpy())[0]
        raise RunError(
            f"{path}: row {row + 1}, column {df.columns[col]!r}: {df.iat[row, col]!r} is not a "
            "number"
        )
    if numeric.isna().to_numpy().any():
        row, col = np.argwhere(numeric.isna().to_numpy())[0]
        raise RunError(f"{path}: row {row + 1}, column {df.columns[col]!r} is empty")
    return numeric.to_numpy(dtype=np.float64)


def _is_number(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True
