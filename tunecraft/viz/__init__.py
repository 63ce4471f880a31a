"""Plots of a study: ``tunecraft.viz.plot_*`` (Plotly) for notebooks, static PNGs, HTML report.

``plot_optimization_history``, ``plot_parallel_coordinate``, ``plot_slice``, ``plot_contour``,
``plot_param_importances``, ``plot_intermediate_values``, ``plot_lr_range``,
``plot_pareto_front``, ``plot_timeline`` and ``plot_edf`` return Plotly figures; the same names
in :mod:`tunecraft.viz.matplotlib` draw Matplotlib axes. The data behind every plot comes from
the pure functions of :mod:`tunecraft.viz.info`. Loaded lazily: ``import tunecraft.viz`` imports
neither plotly nor matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tunecraft.viz.plotly import (
        plot_contour,
        plot_edf,
        plot_intermediate_values,
        plot_lr_range,
        plot_optimization_history,
        plot_parallel_coordinate,
        plot_param_importances,
        plot_pareto_front,
        plot_slice,
        plot_timeline,
    )
    from tunecraft.viz.report import write_report

_LAZY = {
    **{name: "tunecraft.viz.plotly" for name in (
        "plot_contour", "plot_edf", "plot_intermediate_values", "plot_lr_range",
        "plot_optimization_history", "plot_parallel_coordinate", "plot_param_importances",
        "plot_pareto_front", "plot_slice", "plot_timeline")},
    "write_report": "tunecraft.viz.report",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tunecraft.viz' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "plot_contour", "plot_edf", "plot_intermediate_values", "plot_lr_range",
    "plot_optimization_history", "plot_parallel_coordinate", "plot_param_importances",
    "plot_pareto_front", "plot_slice", "plot_timeline", "write_report",
]
