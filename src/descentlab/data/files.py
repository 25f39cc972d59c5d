"""Your own data: a table read from a file, with its target column and task.

:func:`load_table` reads

- CSV / TSV / TXT with a header row (the delimiter is a tab for ``.tsv``, else a comma, or
  a semicolon when the header holds one and no comma),
- ``.npy``: a 2-D array whose column ``target`` (an index, ``-1`` = the last) is the target,
- ``.npz``: the array named ``target`` is the target and the other array, 2-D, the features,
- ``.parquet`` through pandas (when pyarrow or fastparquet is installed),

and returns a :class:`Table`: float32 features ``X`` (n, d), the target ``y`` (class indices,
int64, for classification; float32 values for regression), the feature names in order, and
the classes in class-index order. The task is inferred when ``task="auto"``: classification
for string targets and for integer targets with at most :data:`MAX_AUTO_CLASSES` distinct
values, regression otherwise.

Reading is bounded and never runs code: files over :data:`MAX_BYTES`, more than
:data:`MAX_ROWS` rows or :data:`MAX_COLUMNS` columns are refused; arrays are loaded with
``allow_pickle=False`` after their header is checked against the file's size; every malformed
input raises :class:`DataFileError` with one line naming the file, what was expected and what
was found (a row number where there is one).
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from descentlab.registry import InvalidArgument

MAX_BYTES = 512 * 2**20
MAX_ROWS = 10_000_000
MAX_COLUMNS = 10_000
MAX_FIELD_CHARS = 10_000
MAX_AUTO_CLASSES = 20  # an integer target with more distinct values is taken as a quantity
MAX_CLASSES = 1000
MISSING = {"", "na", "nan", "null", "none", "?"}

__all__ = ["DataFileError", "Table", "load_table"]


class DataFileError(InvalidArgument):
    """A data file that cannot be used: ``"<file>: expected <...>, got <...>"``."""


@dataclass
class Table:
    """Features, target and what a run needs to predict from new rows later.

    Attributes:
        X: (n, d) float32 features.
        y: (n,) int64 class indices (classification) or float32 values (regression).
        features: the d column names, in the order of X's columns.
        target: the target column's name.
        task: ``"classification"`` or ``"regression"``.
        classes: the original labels in class-index order (``y == i`` means ``classes[i]``),
            or None for regression.

    Unpacks as ``X, y = table`` like the generated datasets.
    """

    X: np.ndarray
    y: np.ndarray
    features: list[str]
    target: str
    task: str
    classes: list[Any] | None

    def __iter__(self):
        return iter((self.X, self.y))


def _fail(path: Path | str, allowed: str, got: str) -> DataFileError:
    return DataFileError(f"data file {Path(path).name}", allowed, got)


def load_table(path: str | Path, target: str | None = None, task: str = "auto") -> Table:
    """Read ``path`` (see the module docstring) and split off the ``target`` column.

    Args:
        path: the file.
        target: the column to predict (CSV/Parquet: a header name; .npy: a column index;
            .npz: an array name). None for .npz with arrays ``X`` and ``y``.
        task: ``"auto"``, ``"classification"`` or ``"regression"``.
    """
    p = Path(path)
    if task not in ("auto", "classification", "regression"):
        raise DataFileError("data.task", "auto, classification or regression", repr(task))
    if not p.is_file():
        raise DataFileError("data.path", "an existing file", str(path))
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise _fail(p, f"a file of at most {MAX_BYTES // 2**20} MiB", f"{size / 2**20:.0f} MiB")
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        names, columns = _read_text(p, "\t" if suffix == ".tsv" else None)
    elif suffix == ".npy":
        names, columns = _from_matrix(_read_npy(p, p.open("rb"), size), p)
    elif suffix == ".npz":
        return _read_npz(p, target, task, size)
    elif suffix == ".parquet":
        names, columns = _read_parquet(p)
    else:
        raise _fail(p, "a .csv, .tsv, .txt, .npy, .npz or .parquet file", repr(p.suffix))
    if target is None:
        raise DataFileError("data.target", "the column to predict", "none")
    key = target
    if suffix == ".npy":
        key = _column_index(target, len(names), p)
    if key not in names:
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        raise _fail(p, f"a target among the columns {shown}", repr(target))
    features = [n for n in names if n != key]
    if not features:
        raise _fail(p, "at least one feature column besides the target", "the target alone")
    X = np.stack([_numeric(columns[n], n, p) for n in features], axis=1).astype(np.float32)
    y, kind, classes = _target(columns[key], task, key, p)
    return Table(X, y, features, key, kind, classes)


# ------------------------------------------------------------------------------------ text
def _read_text(p: Path, delimiter: str | None) -> tuple[list[str], dict[str, list[str]]]:
    raw = p.read_bytes()
    if b"\0" in raw:
        raise _fail(p, "a text file", "a NUL byte (a binary file?)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(p, "UTF-8 text", f"an undecodable byte at offset {exc.start}") from None
    first = text.split("\n", 1)[0]
    if delimiter is None:
        delimiter = ";" if ";" in first and "," not in first else ","
    old = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise _fail(p, "a header row", "an empty file") from None
        names = [h.strip() for h in header]
        if not any(names):
            raise _fail(p, "a header row", "an empty first line")
        _check_header(names, p)
        columns: list[list[str]] = [[] for _ in names]
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            line = reader.line_num
            if len(row) != len(names):
                raise _fail(
                    p, f"{len(names)} fields per row (the header's)", f"{len(row)} at line {line}"
                )
            if len(columns[0]) >= MAX_ROWS:
                raise _fail(p, f"at most {MAX_ROWS:,} rows", "more")
            for col, value in zip(columns, row):
                col.append(value.strip())
    except csv.Error as exc:
        raise _fail(p, "well-formed CSV", f"{exc} at line {reader.line_num}") from None
    finally:
        csv.field_size_limit(old)
    if not columns[0]:
        raise _fail(p, "at least one row of data after the header", "none")
    return names, dict(zip(names, columns))


def _check_header(names: list[str], p: Path) -> None:
    if len(names) > MAX_COLUMNS:
        raise _fail(p, f"at most {MAX_COLUMNS:,} columns", f"{len(names):,}")
    if any(not n for n in names):
        raise _fail(
            p,
            "a name for every column in the header",
            f"an empty name (column {names.index('') + 1})",
        )
    seen = set()
    for n in names:
        if n in seen:
            raise _fail(p, "distinct column names", f"{n!r} twice")
        seen.add(n)


def _numeric(values: Any, name: str, p: Path) -> np.ndarray:
    """A feature column as float64; text that is not a finite number is an error."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        out = values.astype(np.float64)
        bad = np.nonzero(~np.isfinite(out))[0]
        if len(bad):
            raise _fail(
                p, f"finite numbers in feature {name!r}", f"{out[bad[0]]} at row {bad[0] + 1}"
            )
        return out
    out = np.empty(len(values))
    for i, v in enumerate(values):
        text = str(v).strip()
        if text.lower() in MISSING:
            raise _fail(
                p, f"a value in every row of feature {name!r}", f"a missing value at row {i + 1}"
            )
        try:
            out[i] = float(text)
        except ValueError:
            raise _fail(
                p, f"numbers in feature {name!r}", f"{text[:40]!r} at row {i + 1}"
            ) from None
        if not math.isfinite(out[i]):
            raise _fail(p, f"finite numbers in feature {name!r}", f"{text[:40]!r} at row {i + 1}")
    return out


def _target(values: Any, task: str, name: str, p: Path) -> tuple[np.ndarray, str, list | None]:
    """Class indices and classes, or float values, with the task inferred or checked."""
    texts = [str(v).strip() for v in values]
    for i, t in enumerate(texts):
        if t.lower() in MISSING:
            raise _fail(
                p, f"a value in every row of the target {name!r}", f"a missing value at row {i + 1}"
            )
    labels: list[Any]
    try:
        numbers = np.array([float(t) for t in texts])
    except ValueError:
        numbers = None
    if numbers is not None and not np.all(np.isfinite(numbers)):
        raise _fail(p, f"finite numbers in the target {name!r}", "NaN or inf")
    integral = numbers is not None and bool(np.all(numbers == np.round(numbers)))
    if task == "auto":
        few = len(set(texts)) <= MAX_AUTO_CLASSES
        task = "classification" if numbers is None or (integral and few) else "regression"
    if task == "regression":
        if numbers is None:
            bad = next(t for t in texts if _not_number(t))
            raise _fail(p, f"numbers in the target {name!r} for regression", f"{bad[:40]!r}")
        return numbers.astype(np.float32), "regression", None
    if numbers is not None and not integral:
        raise _fail(
            p,
            f"labels (integers or text) in the target {name!r} for classification",
            "fractional numbers",
        )
    if numbers is not None:
        keys = numbers.astype(np.int64)
        labels = sorted(set(keys.tolist()))
        index = {v: i for i, v in enumerate(labels)}
        y = np.array([index[v] for v in keys.tolist()], dtype=np.int64)
    else:
        labels = sorted(set(texts))
        index = {v: i for i, v in enumerate(labels)}
        y = np.array([index[t] for t in texts], dtype=np.int64)
    if len(labels) < 2 or len(labels) > MAX_CLASSES:
        raise _fail(p, f"2 to {MAX_CLASSES} classes in the target {name!r}", f"{len(labels)}")
    return y, "classification", labels


def _not_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False


# ---------------------------------------------------------------------------------- arrays
def _read_npy(p: Path, fp: Any, size: int, kinds: str = "biuf") -> np.ndarray:
    """A .npy array of a dtype kind in ``kinds`` (numbers; text too for a target), its header
    checked against the bytes there are before loading."""
    from numpy.lib import format as npy

    with fp:
        try:
            version = npy.read_magic(fp)
            read = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
            shape, fortran, dtype = read(fp, max_header_size=10_000)
        except (ValueError, OSError, SyntaxError) as exc:
            raise _fail(p, "a .npy array", f"a bad header ({exc})") from None
        if dtype.kind not in kinds or dtype.hasobject:
            what = "a numeric array (bool, int or float)" if kinds == "biuf" else "numbers or text"
            raise _fail(p, what, f"dtype {dtype}")
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > size or nbytes > MAX_BYTES:
            raise _fail(
                p, "an array no larger than its file", f"a header declaring {nbytes:,} bytes"
            )
        fp.seek(0)
        try:
            return np.load(fp, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise _fail(p, "a readable .npy array", str(exc)) from None


def _from_matrix(a: np.ndarray, p: Path) -> tuple[list[str], dict[str, np.ndarray]]:
    if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 2:
        raise _fail(p, "a 2-D array (rows, columns) with at least 2 columns", f"shape {a.shape}")
    if a.shape[0] > MAX_ROWS or a.shape[1] > MAX_COLUMNS:
        raise _fail(p, f"at most {MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns", f"shape {a.shape}")
    names = [f"x{i}" for i in range(a.shape[1])]
    return names, {n: a[:, i] for i, n in enumerate(names)}


def _column_index(target: str, n: int, p: Path) -> str:
    try:
        i = int(target)
    except ValueError:
        raise _fail(p, f"a column index for the target, -{n} to {n - 1}", repr(target)) from None
    if not -n <= i < n:
        raise _fail(p, f"a column index for the target, -{n} to {n - 1}", repr(target))
    return f"x{i % n}"


def _read_npz(p: Path, target: str | None, task: str, size: int) -> Table:
    try:
        archive = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _fail(p, "a .npz archive", str(exc)) from None
    with archive:
        members = [m for m in archive.namelist() if m.endswith(".npy")]
        names = [m[: -len(".npy")] for m in members]
        if len(names) != 2:
            raise _fail(p, "two arrays, the features and the target", f"{len(names)} arrays")
        target = target if target is not None else ("y" if "y" in names else None)
        if target not in names:
            raise _fail(p, f"a target among the arrays {', '.join(names)}", repr(target))
        feature_name = next(n for n in names if n != target)
        arrays = {}
        for name, member in zip(names, members):
            info = archive.getinfo(member)
            if info.file_size > MAX_BYTES or info.file_size > 1000 * max(size, 1):
                raise _fail(
                    p, "arrays no larger than the limit", f"{name}: {info.file_size:,} bytes"
                )
            kinds = "biufUS" if name == target else "biuf"
            arrays[name] = _read_npy(p, archive.open(member), info.file_size, kinds)
    X, y = arrays[feature_name], arrays[target]
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y) or len(y) == 0:
        raise _fail(p, "features (n, d) and a target (n,)", f"shapes {X.shape} and {y.shape}")
    if len(y) > MAX_ROWS or X.shape[1] > MAX_COLUMNS:
        raise _fail(p, f"at most {MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns", f"shape {X.shape}")
    features = [f"x{i}" for i in range(X.shape[1])]
    Xf = np.stack([_numeric(X[:, i], n, p) for i, n in enumerate(features)], axis=1)
    yv, kind, classes = _target(y.tolist(), task, target, p)
    return Table(Xf.astype(np.float32), yv, features, target, kind, classes)


def _read_parquet(p: Path) -> tuple[list[str], dict[str, Any]]:
    import pandas as pd

    try:
        frame = pd.read_parquet(p)
    except ImportError:
        raise _fail(p, "pyarrow or fastparquet installed to read Parquet", "neither") from None
    except Exception as exc:  # the engines raise their own types for a damaged file
        raise _fail(p, "a readable Parquet file", f"{type(exc).__name__}: {exc}") from None
    if len(frame) > MAX_ROWS or frame.shape[1] > MAX_COLUMNS:
        raise _fail(
            p, f"at most {MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns", f"shape {frame.shape}"
        )
    names = [str(c) for c in frame.columns]
    _check_header(names, p)
    return names, {n: frame[c].to_numpy() for n, c in zip(names, frame.columns)}
