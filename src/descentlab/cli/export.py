"""``descentlab export RUN_DIR OUT [--format onnx|safetensors]``: deploy a trained run.

``onnx`` writes a graph that ONNX Runtime (or any ONNX runtime) runs: raw features in, the
run's standardisation inside, ``logits`` and (classification) ``probabilities`` out, the class
labels in its metadata. ``safetensors`` writes the weights alone under their state-dict names,
which ``torch_model.load_state_dict(safetensors.torch.load_file(OUT))`` also reads, with the
config and preprocessing in the file's metadata. The format follows OUT's suffix unless given.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from descentlab.cli import UsageError
from descentlab.cli.predict import add_checkpoint_argument

FORMATS = {".onnx": "onnx", ".safetensors": "safetensors"}


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    fmt = FORMATS.get(Path(args.out).suffix.lower())
    if fmt is None:
        raise UsageError(
            f"OUT: cannot tell the format from {args.out!r} (expected a name ending in .onnx or "
            ".safetensors, or --format onnx|safetensors)"
        )
    return fmt


def write_weights(trained, out: Path) -> None:
    """The run's weights alone, as safetensors, with its config and preprocessing."""
    from descentlab.serialization import save

    prep = trained.preprocessing
    metadata = {
        "config": trained.config,
        "task": prep.task,
        "classes": prep.classes,
        "features": prep.features,
        "in_shape": list(prep.in_shape),
        "mean": None if prep.mean is None else prep.mean.reshape(-1).tolist(),
        "std": None if prep.std is None else prep.std.reshape(-1).tolist(),
        "epoch": trained.epoch,
    }
    save(trained.model.state_dict(), out, metadata=metadata)


def run_command(args: argparse.Namespace) -> int:
    from descentlab.onnx_export import ExportError, export_run
    from descentlab.serialization import SerializationError
    from descentlab.train.checkpoint import CheckpointError
    from descentlab.train.inference import RunError, load_run

    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"OUT: {args.out} is a directory (expected a file name)")
    fmt = _format(args)
    if not out.parent.is_dir():
        raise UsageError(f"OUT: the directory {str(out.parent)!r} does not exist")
    if fmt == "safetensors" and out.suffix.lower() == ".npz":
        raise UsageError("OUT: a safetensors file cannot end in .npz (that writes a NumPy archive)")
    try:
        trained = load_run(args.run_dir, checkpoint=args.checkpoint)
        if fmt == "onnx":
            export_run(trained, out)
        else:
            write_weights(trained, out)
    except (RunError, CheckpointError, SerializationError, ExportError) as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"OUT: cannot write {args.out} ({exc.strerror or exc})") from None
    print(f"wrote {out} ({fmt}, from {trained.checkpoint}, epoch {trained.epoch})")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="write a trained run as ONNX (for deployment) or its weights as safetensors",
        description=__doc__.split("\n\n", 1)[1].replace("``", ""),
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by train")
    p.add_argument("out", metavar="OUT", help="the file to write (.onnx or .safetensors)")
    p.add_argument("--format", choices=("onnx", "safetensors"), help="default: from OUT's suffix")
    add_checkpoint_argument(p)
    p.set_defaults(func=run_command)
