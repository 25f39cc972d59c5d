"""``descentlab compare [CONFIG.toml] --vary KEY=V1,V2,...``: the same experiment, one key varied.

Trains one run per value with the same seed, then prints one table (final train loss,
validation accuracy, wall-clock per epoch) and writes one overlaid plot. The variants run on
the same executors as ``descentlab sweep``: in parallel on a Dask LocalCluster of ``--workers``
processes (2 by default), on an existing cluster with ``--scheduler``, or one after another in
this process with ``--workers 0``; the numbers are the same either way. For example the
course's experiments::

    descentlab compare --vary optimizer=sgd,momentum,nesterov,adam
    descentlab compare --vary batch_size=1,8,32,128,full
"""

from __future__ import annotations

import argparse
import csv
import math

from descentlab.cli import UsageError
from descentlab.cli.train import add_config_arguments, load_cli_config, output_dir

#: Short names accepted by --vary, and the config keys they stand for.
ALIASES = {
    "optimizer": "optim.name",
    "optim": "optim.name",
    "lr": "optim.lr",
    "momentum": "optim.momentum",
    "weight_decay": "optim.weight_decay",
    "batch_size": "train.batch_size",
    "epochs": "train.epochs",
    "loss": "train.loss",
    "activation": "model.activation",
    "model": "model.name",
    "hidden": "model.hidden",
    "dropout": "model.dropout",
    "dataset": "data.name",
    "noise": "data.noise",
    "schedule": "schedule.name",
    "seed": "seed",
}


def parse_vary(text: str) -> tuple[str, list[str]]:
    """``"optimizer=sgd,adam"`` -> ``("optim.name", ["sgd", "adam"])``."""
    key, sep, values = text.partition("=")
    key = key.strip()
    items = [v.strip() for v in _split_values(values)] if sep else []
    if not sep or not key or not items or any(not v for v in items):
        raise UsageError(f"--vary: expected KEY=V1,V2,... (e.g. optimizer=sgd,adam), got {text!r}")
    if len(set(items)) != len(items):
        raise UsageError(f"--vary: a value is repeated in {text!r}")
    return ALIASES.get(key, key), items


def _split_values(text: str) -> list[str]:
    # Commas inside [...] belong to a list value (hidden=[64],[128,64]).
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def run_command(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from descentlab import viz
    from descentlab.sweep import make_executor
    from descentlab.sweep.variants import run_variants

    key, values = parse_vary(args.vary)
    shown = args.vary.partition("=")[0].strip()
    configs = {v: load_cli_config(args.config, args.overrides, [f"{key}={v}"]) for v in values}
    first = next(iter(configs.values()))
    if not 0 <= args.workers <= 256:
        raise UsageError(f"--workers: allowed 0 to 256, got {args.workers}")
    out = output_dir(args.out, f"{first['name']}-compare-{key.split('.')[-1]}")
    console = Console()
    labels = [str(v) for v in configs]
    for label, cfg in zip(labels, configs.values(), strict=True):
        console.print(f"[bold]{shown} = {label}[/]  {lr_source(cfg)}", highlight=False)
    # The variants run on the sweep's executors: a Dask LocalCluster by default, serially in
    # this process with --workers 0; each config has its own seed, so the numbers are the same.
    executor = make_executor(args.workers, args.scheduler)
    console.print(f"variants run {executor.description}", markup=False, highlight=False)

    def done(i: int, result: dict) -> None:
        if not args.no_progress and "error" not in result:
            m = result["metrics"]
            console.print(
                f"{shown} = {labels[i]}: {m['epochs_run']} epochs, {result['diagnosis'].status}",
                markup=False,
                highlight=False,
            )

    try:
        finished = run_variants(list(configs.values()), executor, on_done=done)
    finally:
        executor.close()
    for label, result in zip(labels, finished, strict=True):
        if "error" in result:
            raise UsageError(f"{shown} = {label}: {result['error']}")
    results = dict(zip(labels, finished, strict=True))
    for label, result in results.items():
        result["history"].to_csv(out / f"history_{_slug(shown)}_{_slug(label)}.csv")

    table = Table(title=f"compare {shown} ({first['name']}, seed {first['seed']})")
    for col in (shown, "epochs", "train loss", "val acc", "test acc", "s/epoch", "diagnosis"):
        table.add_column(col, justify="left" if col in (shown, "diagnosis") else "right")
    rows = []
    for label, r in results.items():
        h, m = r["history"], r["metrics"]
        val_acc = h.get("val_acc")
        best_val = max((v for v in (val_acc or []) if v == v), default=math.nan)
        row = {
            shown: label,
            "epochs": m["epochs_run"],
            "final_train_loss": h.last("train_loss"),
            "final_val_acc": h.last("val_acc"),
            "best_val_acc": best_val,
            "test_acc": (m.get("test") or {}).get("acc"),
            "seconds_per_epoch": m["timing"]["seconds_per_epoch"],
            "total_seconds": m["timing"]["wall_seconds"],
            "diagnosis": r["diagnosis"].status,
        }
        rows.append(row)
        table.add_row(
            label,
            str(row["epochs"]),
            _num(row["final_train_loss"], "{:.4f}"),
            _num(row["final_val_acc"], "{:.2%}"),
            _num(row["test_acc"], "{:.2%}"),
            _num(row["seconds_per_epoch"], "{:.3f}"),
            row["diagnosis"],
        )
    console.print(table)
    with open(out / "compare.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    plot = out / "compare.png"
    viz.plot_compare(
        {label: r["history"] for label, r in results.items()},
        plot,
        metrics=("train_loss", "val_loss", "val_acc"),
        title=f"{first['name']}: varying {shown}",
    )
    console.print(f"table: {out / 'compare.csv'}  plot: {plot}", markup=False, highlight=False)
    return 0


def lr_source(cfg: dict) -> str:
    """Which lr a run uses and why: the config's, or the optimiser's usual default."""
    from descentlab import registry

    lr = cfg["optim"].get("lr")
    if lr is not None:
        return f"(lr {lr:g}, set in the config)"
    name = cfg["optim"]["name"]
    return f"(lr {registry.optimizers.defaults(name)['lr']:g}, {name}'s usual default)"


def _num(v, fmt: str) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


DESCRIPTION = (
    "Train the config's experiment once per value of one key, with the same seed, then print "
    "one table (final loss, validation accuracy, seconds per epoch) and write one overlaid "
    "plot."
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "compare",
        help="train the same experiment once per value of one key and compare",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_arguments(p)
    p.add_argument(
        "--vary",
        required=True,
        metavar="KEY=V1,V2,...",
        help="the key to vary and its values (aliases: " + ", ".join(sorted(ALIASES)) + ")",
    )
    p.add_argument("--out", metavar="DIR", help="where to write compare.csv/png")
    p.add_argument("--no-progress", action="store_true", help="no line per finished variant")
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        help="Dask worker processes that train the variants in parallel (default 2); "
        "0 trains them one after another in this process",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler instead")
    p.set_defaults(func=run_command)
