"""Plots of a study: ``tunecraft.viz.plot_*`` (Plotly) for notebooks, static PNGs, HTML report.

``plot_optimization_history``, ``plot_parallel_coordinate``, ``plot_slice``, ``plot_contour``,
``plot_param_importances``, ``plot_intermediate_values``, ``plot_lr_range``,
``plot_pareto_front``, ``plot_timeline`` and ``plot_edf`` return Plotly figures; the same names
in :mod:`tunecraft.viz.matplotlib` draw Matplotlib axes. The data behind every plot comes from
the pure functions of :mod:`tunecraft.viz.info`. Loaded lazily: ``import tunecraft.viz`` imports
neither plotly nor matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunecraft._lazy import LazyExports

if TYPE_CHECKING:  # the same names, for type checkers (tests/test_lazy.py keeps them equal)
    from tunecraft.viz.plotly import plot_contour as plot_contour
    from tunecraft.viz.plotly import plot_edf as plot_edf
    from tunecraft.viz.plotly import plot_intermediate_values as plot_intermediate_values
    from tunecraft.viz.plotly import plot_lr_range as plot_lr_range
    from tunecraft.viz.plotly import plot_optimization_history as plot_optimization_history
    from tunecraft.viz.plotly import plot_parallel_coordinate as plot_parallel_coordinate
    from tunecraft.viz.plotly import plot_param_importances as plot_param_importances
    from tunecraft.viz.plotly import plot_pareto_front as plot_pareto_front
    from tunecraft.viz.plotly import plot_slice as plot_slice
    from tunecraft.viz.plotly import plot_timeline as plot_timeline
    from tunecraft.viz.report import write_report as write_report

_PLOTS = ("plot_contour", "plot_edf", "plot_intermediate_values", "plot_lr_range",
          "plot_optimization_history", "plot_parallel_coordinate", "plot_param_importances",
          "plot_pareto_front", "plot_slice", "plot_timeline")
_EXPORTS = LazyExports(__name__, {**dict.fromkeys(_PLOTS, "tunecraft.viz.plotly"),
                                  "write_report": "tunecraft.viz.report"})
__all__ = _EXPORTS.names
__getattr__, __dir__ = _EXPORTS.hooks()
