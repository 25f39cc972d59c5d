"""``descentlab lr-find [CONFIG.toml] [--set key=value ...]``: the learning-rate range test.

Sweeps the lr exponentially from --start-lr (1e-7) over --steps mini-batches of the config's
experiment, prints the steepest-descent and valley suggestions and writes the plot. The model
is left as it was (the sweep is undone).
"""

from __future__ import annotations

import argparse

from descentlab.cli import UsageError
from descentlab.cli.train import add_config_arguments, load_cli_config, output_dir, user_errors


def run_command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from descentlab.train.experiment import build_checked, resolved_lr
    from descentlab.train.lr_find import lr_find
    from descentlab.viz import plot_lr_find

    if not 0 < args.start_lr < args.end_lr:
        raise UsageError(
            f"--start-lr/--end-lr: expected 0 < start < end, got {args.start_lr:g} and "
            f"{args.end_lr:g}"
        )
    cfg = resolved_lr(load_cli_config(args.config, args.overrides))
    with user_errors():
        exp = build_checked(cfg)
    result = lr_find(
        exp.model,
        exp.loss_fn,
        exp.optimizer,
        exp.train_loader,
        start_lr=args.start_lr,
        end_lr=args.end_lr,
        num_steps=args.steps,
    )
    out = output_dir(args.out, f"{cfg['name']}-lr-find")
    plot = out / "lr_find.png"
    plot_lr_find(result, plot, title=f"{cfg['name']}: lr finder ({cfg['optim']['name']})")
    with open(out / "lr_find.csv", "w") as f:
        f.write("lr,loss,smoothed_loss\n")
        for lr, raw, s in zip(result.lrs, result.raw_losses, result.losses):
            f.write(f"{lr!r},{raw!r},{s!r}\n")
    console = Console()
    end = "stopped early: the loss diverged" if result.stopped_early else "swept the whole range"
    console.print(
        f"lr finder on {cfg['name']} ({cfg['optim']['name']}): {len(result.lrs)} steps from "
        f"{args.start_lr:g}, {end} at lr {result.lrs[-1]:.2e}",
        highlight=False,
    )
    fmt = lambda v: "-" if v is None else f"{v:.2e}"  # noqa: E731
    console.print(f"steepest descent: lr = {fmt(result.steepest)}", highlight=False)
    console.print(f"valley (suggested): lr = {fmt(result.valley)}", highlight=False)
    console.print(f"plot: {plot}", markup=False, highlight=False)
    return 0


DESCRIPTION = (
    "Sweep the learning rate exponentially over mini-batches of the config's experiment, "
    "print the steepest-descent and valley suggestions and write the plot; the model is left "
    "as it was."
)


MAX_STEPS = 100_000


def register(subparsers) -> None:
    from descentlab.cli import typed
    from descentlab.registry import Param

    lr = typed(Param("lr", "float", gt=0, le=1e6))
    p = subparsers.add_parser(
        "lr-find",
        help="find a learning rate with an exponential sweep (the lr range test)",
        description=DESCRIPTION,
    )
    add_config_arguments(p)
    p.add_argument("--start-lr", type=lr, default=1e-7, help="first lr (default 1e-7)")
    p.add_argument("--end-lr", type=lr, default=10.0, help="last lr (default 10)")
    p.add_argument(
        "--steps",
        type=typed(Param("steps", "int", ge=3, le=MAX_STEPS)),
        default=100,
        help=f"mini-batches to sweep, 3 to {MAX_STEPS:,} (default 100)",
    )
    p.add_argument("--out", metavar="DIR", help="where to write lr_find.png/csv")
    p.set_defaults(func=run_command)
