"""``descentlab predict RUN_DIR INPUT [--out FILE]``: a trained run's answers for new inputs.

INPUT is a CSV/TSV with a header (the run's feature columns, by name, when it was trained on
your own file) or an ``.npy`` array. The output has one row per input: the predicted class
(its original label) and one probability column per class, or the predicted value for a
regression; as CSV on stdout or in ``--out FILE`` (``.csv`` or ``.json``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from descentlab.cli import UsageError


def prediction_table(trained, X) -> tuple[list[str], list[list[Any]]]:
    """Column names and rows: ``prediction`` then ``p_<label>`` per class (classification)."""
    prediction = trained.predict(X)
    if trained.task == "regression":
        if prediction.ndim == 1:
            return ["prediction"], [[float(v)] for v in prediction]
        cols = [f"prediction_{i}" for i in range(prediction.shape[1])]
        return cols, [[float(v) for v in row] for row in prediction]
    proba = trained.predict_proba(X)
    labels = trained.preprocessing.classes or list(range(proba.shape[1]))
    cols = ["prediction", *(f"p_{label}" for label in labels)]
    rows = [[_plain(c), *(round(float(p), 6) for p in ps)] for c, ps in zip(prediction, proba)]
    return cols, rows


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _write(cols: list[str], rows: list[list[Any]], out: str | None) -> str | None:
    if out is not None and Path(out).suffix.lower() == ".json":
        text = json.dumps([dict(zip(cols, r)) for r in rows], indent=1) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        writer.writerows(rows)
        text = buf.getvalue()
    if out is None:
        sys.stdout.write(text)
        return None
    path = Path(out)
    if path.is_dir():
        raise UsageError(f"--out: {out} is a directory (expected a .csv or .json file)")
    try:
        path.write_text(text)
    except OSError as exc:
        raise UsageError(f"--out: cannot write {out} ({exc.strerror or exc})") from None
    return str(path)


def run_command(args: argparse.Namespace) -> int:
    from descentlab.serialization import SerializationError
    from descentlab.train.checkpoint import CheckpointError
    from descentlab.train.inference import RunError, load_run, read_inputs

    try:
        trained = load_run(args.run_dir, checkpoint=args.checkpoint)
        X = read_inputs(args.input, trained.preprocessing)
        cols, rows = prediction_table(trained, X)
    except (RunError, CheckpointError, SerializationError) as exc:
        raise UsageError(str(exc)) from None
    written = _write(cols, rows, args.out)
    if written is not None:
        print(f"wrote {len(rows)} predictions to {written}", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "predict",
        help="predict with a trained run: classes and probabilities, or values",
        description=__doc__.split("\n\n", 1)[1].replace("``", ""),
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by train")
    p.add_argument("input", metavar="INPUT", help="inputs: a .csv/.tsv with a header, or .npy")
    p.add_argument("--out", metavar="FILE", help="write .csv or .json here (default: stdout)")
    add_checkpoint_argument(p)
    p.set_defaults(func=run_command)


def add_checkpoint_argument(p: argparse.ArgumentParser) -> None:
    """``--checkpoint auto|best|last``, shared by predict and export."""
    p.add_argument(
        "--checkpoint",
        choices=("auto", "best", "last"),
        default="auto",
        help="which weights: the model the run ended with (auto), best.npz or last.npz",
    )
