"""Optuna's ``plot_*`` signatures (``params=``, ``target=``, ``target_name=``, ``evaluator=``)
over one of tunecraft's renderers (:mod:`tunecraft.viz.plotly` or :mod:`tunecraft.viz.matplotlib`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from tunecraft.record import FrozenTrial

Target = Callable[[FrozenTrial], float]
DEFAULT_NAME = "Objective Value"


class Plots:
    """The Optuna-style plot functions bound to the renderer module ``backend``."""

    def __init__(self, backend: str) -> None:
        self._backend = backend

    def _fn(self, name: str) -> Any:
        return getattr(importlib.import_module(self._backend), name)

    @staticmethod
    def _one_study(study: Any, what: str) -> Any:
        if isinstance(study, (list, tuple)):
            if len(study) != 1:
                raise ValueError(
                    f"{what} of several studies at once is not supported by tunecraft; call "
                    "it once per study (or merge them with tunecraft.copy_study)")
            return study[0]
        return study

    def plot_optimization_history(self, study: Any, *, target: Target | None = None,
                                  target_name: str = DEFAULT_NAME,
                                  error_bar: bool = False) -> Any:
        """Objective value of every completed trial and the best so far."""
        if error_bar:
            raise ValueError("error_bar=True (a band over several studies) is not supported; "
                             "plot each study, or use tunecraft.viz.plot_edf")
        return self._fn("plot_optimization_history")(
            self._one_study(study, "plot_optimization_history"), target=target,
            target_name=target_name)

    def plot_edf(self, study: Any, *, target: Target | None = None,
                 target_name: str = DEFAULT_NAME) -> Any:
        """Empirical distribution function of the objective."""
        return self._fn("plot_edf")(self._one_study(study, "plot_edf"), target=target,
                                    target_name=target_name)

    def plot_parallel_coordinate(self, study: Any, params: Sequence[str] | None = None, *,
                                 target: Target | None = None,
                                 target_name: str = DEFAULT_NAME) -> Any:
        """One line per completed trial across the parameters."""
        return self._fn("plot_parallel_coordinate")(study, params=params, target=target,
                                                    target_name=target_name)

    def plot_slice(self, study: Any, params: Sequence[str] | None = None, *,
                   target: Target | None = None, target_name: str = DEFAULT_NAME) -> Any:
        """The objective against each parameter."""
        return self._fn("plot_slice")(study, params=params, target=target,
                                      target_name=target_name)

    def plot_contour(self, study: Any, params: Sequence[str] | None = None, *,
                     target: Target | None = None, target_name: str = DEFAULT_NAME) -> Any:
        """The objective over two parameters (``params=["x", "y"]``; default the first two)."""
        x = y = None
        if params is not None:
            names = list(params)
            if len(names) != 2:
                raise ValueError(
                    f"plot_contour(params={names!r}): tunecraft draws one pair of parameters "
                    "per figure (Optuna draws a matrix for more); pass two names and call it "
                    "once per pair, or use plot_slice / plot_parallel_coordinate for all")
            x, y = names
        return self._fn("plot_contour")(study, x, y, target=target, target_name=target_name)

    def plot_param_importances(self, study: Any, evaluator: Any = None,
                               params: Sequence[str] | None = None, *,
                               target: Target | None = None,
                               target_name: str = DEFAULT_NAME) -> Any:
        """Importance bars (fANOVA unless ``evaluator`` says otherwise)."""
        from tunecraft.importance import FanovaImportanceEvaluator

        imp = (evaluator or FanovaImportanceEvaluator()).importance(study, params, target)
        return self._fn("plot_param_importances")(imp)

    def plot_intermediate_values(self, study: Any) -> Any:
        """Learning curves of every trial."""
        return self._fn("plot_intermediate_values")(study)

    def plot_timeline(self, study: Any) -> Any:
        """Trials over time, coloured by state."""
        return self._fn("plot_timeline")(study)

    def plot_pareto_front(self, study: Any, *, target_names: Sequence[str] | None = None,
                          include_dominated_trials: bool = True,
                          axis_order: Sequence[int] | None = None,
                          constraints_func: Any = None, targets: Any = None) -> Any:
        """Pareto-optimal trials against the others (``axis_order`` picks the objectives)."""
        if targets is not None or constraints_func is not None or not include_dominated_trials:
            raise ValueError(
                "plot_pareto_front: targets=, constraints_func= and include_dominated_trials="
                "False are not supported; record constraints in the study (constraints_func "
                "of create_study) and they are shown, or plot from tunecraft.viz.info."
                "pareto_info")
        return self._fn("plot_pareto_front")(study, names=target_names, objectives=axis_order)

    def unsupported(self, name: str, instead: str) -> Callable[..., Any]:
        """A plot function Optuna has and tunecraft does not: raises, naming what to use."""

        def plot(*args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError(f"{name} is not available in tunecraft; {instead}")

        plot.__name__ = plot.__qualname__ = name
        plot.__doc__ = f"Not available in tunecraft: {instead}"
        return plot
