"""Plotly figure JSON from plot info: plain dicts that plotly.js draws (no Python plotly needed).

The report and the dashboard send these to the browser as they are; :mod:`tunecraft.viz.plotly`
wraps them in ``plotly.graph_objects.Figure`` for notebooks. Text that came from users
(parameter and objective names) is HTML-escaped, since plotly.js reads a subset of HTML.
The figures live by concept in :mod:`tunecraft.viz._figure_values` (objective values),
:mod:`tunecraft.viz._figure_params` (parameters) and :mod:`tunecraft.viz._figure_time` (steps
and time), with what they share in :mod:`tunecraft.viz._figure_common`.
"""

from __future__ import annotations

from tunecraft.viz._figure_common import STATE_COLORS, TITLE_TOP, Figure, clean, esc
from tunecraft.viz._figure_params import (
    SLICE_ROW,
    contour_figure,
    parallel_figure,
    slice_figure,
)
from tunecraft.viz._figure_time import HOVER_BARS, curves_figure, timeline_figure
from tunecraft.viz._figure_values import (
    distribution_figure,
    history_figure,
    importance_figure,
    lr_range_figure,
    pareto_figure,
)

__all__ = [
    "HOVER_BARS", "SLICE_ROW", "STATE_COLORS", "TITLE_TOP", "Figure", "clean", "contour_figure",
    "curves_figure", "distribution_figure", "esc", "history_figure", "importance_figure",
    "lr_range_figure", "parallel_figure", "pareto_figure", "slice_figure", "timeline_figure",
]
