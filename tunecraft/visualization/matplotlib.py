"""Optuna's ``optuna.visualization.matplotlib``: the same ``plot_*`` signatures drawing
Matplotlib axes, over :mod:`tunecraft.viz.matplotlib`."""

from __future__ import annotations

import importlib.util

from tunecraft.visualization._adapt import Plots

_plots = Plots("tunecraft.viz.matplotlib")
plot_contour = _plots.plot_contour
plot_edf = _plots.plot_edf
plot_intermediate_values = _plots.plot_intermediate_values
plot_optimization_history = _plots.plot_optimization_history
plot_parallel_coordinate = _plots.plot_parallel_coordinate
plot_param_importances = _plots.plot_param_importances
plot_pareto_front = _plots.plot_pareto_front
plot_slice = _plots.plot_slice
plot_timeline = _plots.plot_timeline
plot_rank = _plots.unsupported("plot_rank", "use plot_slice or plot_contour")
plot_hypervolume_history = _plots.unsupported(
    "plot_hypervolume_history", "compute it with tunecraft.hypervolume and plot the series")


def is_available() -> bool:
    """Whether Matplotlib is installed (the ``viz`` extra)."""
    return importlib.util.find_spec("matplotlib") is not None


__all__ = [
    "is_available", "plot_contour", "plot_edf", "plot_hypervolume_history",
    "plot_intermediate_values", "plot_optimization_history", "plot_parallel_coordinate",
    "plot_param_importances", "plot_pareto_front", "plot_rank", "plot_slice", "plot_timeline",
]
