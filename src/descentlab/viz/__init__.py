"""Figures with matplotlib (Agg canvas, object API): learning curves, decision boundaries,
loss landscapes with optimiser paths, gradient flow, the lr finder, overlaid runs.

Importing this package imports matplotlib; nothing outside ``viz`` (and the CLI) does.
Every function returns the Figure and writes a PNG when given ``path``.
"""

from descentlab.viz.boundary import grid_predictions, plot_decision_boundary
from descentlab.viz.curves import plot_compare, plot_history
from descentlab.viz.gradients import plot_gradient_flow
from descentlab.viz.landscape import plot_landscape
from descentlab.viz.lr_find import plot_lr_find

__all__ = [
    "grid_predictions",
    "plot_compare",
    "plot_decision_boundary",
    "plot_gradient_flow",
    "plot_history",
    "plot_landscape",
    "plot_lr_find",
]
