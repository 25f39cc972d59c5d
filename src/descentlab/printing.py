"""How a tensor prints: PyTorch's layout, number format and summarisation.

Every element is printed with one format chosen for the whole tensor: integers as they
are; floats as ``1.`` when all are whole numbers, else with 4 decimals, or in scientific
notation when the nonzero magnitudes span more than a factor 1000 or leave [1e-4, 1e8].
Columns are right-aligned to the widest element, rows wrap at 80 characters, and a tensor
of more than 1000 elements shows the first and last 3 entries of each dimension around
``...``. The suffixes follow: ``dtype=`` when it is not the default (float32, int64, bool),
then ``grad_fn=<...>`` or ``requires_grad=True``.

>>> import descentlab as dl
>>> dl.tensor([[1.5, 2.0], [3.0, -4.0]], requires_grad=True)
tensor([[ 1.5000,  2.0000],
        [ 3.0000, -4.0000]], requires_grad=True)
>>> dl.arange(3, dtype=dl.float64)
tensor([0., 1., 2.], dtype=descentlab.float64)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from descentlab import autograd_mode


@dataclass
class PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


OPTIONS = PrintOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """torch.set_printoptions: ``profile`` is "default", "short" or "full"."""
    profiles = {"default": (4, 1000, 3), "short": (2, 1000, 2), "full": (4, math.inf, 3)}
    if profile is not None:
        if profile not in profiles:
            raise ValueError(
                f"set_printoptions: profile must be one of {sorted(profiles)}, received {profile!r}"
            )
        OPTIONS.precision, OPTIONS.threshold, OPTIONS.edgeitems = profiles[profile]
        OPTIONS.linewidth = 80
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):  # fmt: skip
        if value is not None:
            setattr(OPTIONS, name, value)
    OPTIONS.sci_mode = sci_mode


class _Formatter:
    """One number format, and its width, for every element of a tensor."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        flat = values.reshape(-1)
        if not self.floating:
            self.width = max((len(str(v)) for v in flat.tolist()), default=1)
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        magnitude = np.abs(finite)
        low, high = magnitude.min(), magnitude.max()
        self.int_mode = bool((finite == np.ceil(finite)).all())
        if OPTIONS.sci_mode is None:
            self.sci_mode = bool(high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4)
        else:
            self.sci_mode = OPTIONS.sci_mode
        p = OPTIONS.precision
        if self.sci_mode:
            self.width = max(len(f"{v:.{p}e}") for v in finite.tolist())
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in finite.tolist())
        else:
            self.width = max(len(f"{v:.{p}f}") for v in finite.tolist())

    def _text(self, value: Any) -> str:
        if not self.floating:
            return str(value)
        p = OPTIONS.precision
        if self.sci_mode:
            return f"{value:.{p}e}"
        if self.int_mode:
            text = f"{value:.0f}"
            return text if math.isinf(value) or math.isnan(value) else text + "."
        return f"{value:.{p}f}"

    def format(self, value: Any) -> str:
        return self._text(value).rjust(self.width)


def _summarized(values: np.ndarray) -> np.ndarray:
    """The elements that a summarised print shows (for choosing the format)."""
    if values.ndim == 0:
        return values
    e = OPTIONS.edgeitems
    if len(values) > 2 * e:
        values = np.concatenate([values[:e], values[-e:]])
    if values.ndim == 1:
        return values
    return np.stack([_summarized(v) for v in values])


def _vector(values: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, math.floor((OPTIONS.linewidth - indent) / (fmt.width + 2)))
    e = OPTIONS.edgeitems
    if summarize and len(values) > 2 * e:
        items = [fmt.format(v) for v in values[:e].tolist()] + [" ..."]
        items += [fmt.format(v) for v in values[-e:].tolist()]
    else:
        items = [fmt.format(v) for v in values.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(values: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if values.ndim == 0:
        return fmt.format(values.item())
    if values.ndim == 1:
        return _vector(values, indent, summarize, fmt)
    e = OPTIONS.edgeitems
    if summarize and len(values) > 2 * e:
        parts = [_nested(v, indent + 1, summarize, fmt) for v in values[:e]] + ["..."]
        parts += [_nested(v, indent + 1, summarize, fmt) for v in values[-e:]]
    else:
        parts = [_nested(v, indent + 1, summarize, fmt) for v in values]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    out = [text]
    last = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last + len(suffix) + 2 > OPTIONS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            last = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last += len(suffix) + 2
    return "".join(out) + ")"


def tensor_repr(values: np.ndarray, requires_grad: bool, grad_fn: str | None) -> str:
    """``tensor([...], dtype=..., grad_fn=<...>)`` as PyTorch prints it."""
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    default = values.dtype in (autograd_mode.get_default_dtype(), np.int64, np.bool_)
    dtype_suffix = f"dtype=descentlab.{values.dtype.name}"
    if values.dtype == np.bool_:
        dtype_suffix = "dtype=descentlab.bool"
    if values.size == 0:
        if values.ndim != 1:
            suffixes.append(f"size={values.shape}")
        if values.dtype != autograd_mode.get_default_dtype():
            suffixes.append(dtype_suffix)
        body = "[]"
    else:
        if not default:
            suffixes.append(dtype_suffix)
        summarize = values.size > OPTIONS.threshold
        fmt = _Formatter(_summarized(values) if summarize else values)
        body = _nested(values, indent, summarize, fmt)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
