"""Interactive Plotly figures for notebooks: ``plot_*(study) -> plotly.graph_objects.Figure``.

Names follow Optuna's ``optuna.visualization``. Each is an info function
(:mod:`tunecraft.viz.info`) plus the figure JSON of :mod:`tunecraft.viz.figures`. Needs
``pip install 'tunecraft[viz]'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tunecraft._imports import require
from tunecraft.analysis import Importance, param_importances
from tunecraft.history import as_history
from tunecraft.viz import figures
from tunecraft.viz import info as _info
from tunecraft.viz._common import Target

if TYPE_CHECKING:
    from plotly.graph_objects import Figure

    from tunecraft.torch.lr_result import LRRangeResult


def to_figure(spec: dict[str, Any]) -> Figure:
    """A ``plotly.graph_objects.Figure`` from figure JSON."""
    go = require("plotly.graph_objects", "viz")
    fig: Figure = go.Figure(spec)
    return fig


def plot_optimization_history(study: Any, *, target: Target | None = None,
                              target_name: str | None = None) -> Figure:
    """Objective value of every completed trial and the best so far."""
    return to_figure(figures.history_figure(_info.history_info(
        as_history(study), target=target, target_name=target_name)))


def plot_edf(study: Any, *, target: Target | None = None,
             target_name: str | None = None) -> Figure:
    """Empirical distribution function of the objective."""
    return to_figure(figures.distribution_figure(_info.distribution_info(
        as_history(study), target=target, target_name=target_name)))


def plot_parallel_coordinate(study: Any, *, params: Sequence[str] | None = None,
                             target: Target | None = None, target_name: str | None = None,
                             max_trials: int | None = None) -> Figure:
    """One line per completed trial across the parameters, coloured by the objective."""
    return to_figure(figures.parallel_figure(_info.parallel_info(
        as_history(study), params=params, target=target, target_name=target_name,
        max_trials=max_trials)))


def plot_slice(study: Any, *, params: Sequence[str] | None = None,
               target: Target | None = None, target_name: str | None = None,
               max_trials: int | None = None) -> Figure:
    """The objective against each parameter."""
    return to_figure(figures.slice_figure(_info.slice_info(
        as_history(study), params=params, target=target, target_name=target_name,
        max_trials=max_trials)))


def plot_contour(study: Any, x: str | None = None, y: str | None = None, *,
                 target: Target | None = None, target_name: str | None = None,
                 grid: int = 30) -> Figure:
    """The objective over two parameters (a smoothed surface and the trials)."""
    return to_figure(figures.contour_figure(_info.contour_info(
        as_history(study), x, y, target=target, target_name=target_name, grid=grid)))


def plot_param_importances(study_or_importance: Any, method: str = "fanova",
                           **options: Any) -> Figure:
    """Importance bars from an :class:`Importance`, or computed for a study by ``method``."""
    imp = study_or_importance if isinstance(study_or_importance, Importance) else (
        param_importances(study_or_importance, method, **options))
    return to_figure(figures.importance_figure(_info.importance_info(imp)))


def plot_intermediate_values(study: Any, *, max_trials: int | None = None) -> Figure:
    """Learning curves of every trial; pruned trials marked where they stopped."""
    return to_figure(figures.curves_figure(_info.curves_info(as_history(study),
                                                             max_trials=max_trials)))


def plot_timeline(study: Any) -> Figure:
    """Trials per worker over time, coloured by state."""
    return to_figure(figures.timeline_figure(_info.timeline_info(as_history(study))))


def plot_pareto_front(study: Any, *, names: Sequence[str] | None = None,
                      objectives: Sequence[int] | None = None) -> Figure:
    """The Pareto-optimal trials of a multi-objective study against the others."""
    return to_figure(figures.pareto_figure(_info.pareto_info(
        as_history(study), names=names, objectives=objectives)))


def plot_lr_range(result: LRRangeResult,
                  rules: Sequence[str] = ("steepest", "valley")) -> Figure:
    """An LR range test's loss curve with the suggested learning rates marked."""
    return to_figure(figures.lr_range_figure(_info.lr_range_info(result, rules)))


__all__ = [
    "plot_contour", "plot_edf", "plot_intermediate_values", "plot_lr_range",
    "plot_optimization_history", "plot_parallel_coordinate", "plot_param_importances",
    "plot_pareto_front", "plot_slice", "plot_timeline", "to_figure",
]
