"""The set of plots that the report and the dashboard show for one study, as figure JSON.

One function, :func:`study_figures`, decides which plots apply (a Pareto front only for several
objectives, a contour only with two parameters, ...) and caps how many trials each plot draws,
so that a study of 10,000 trials still renders in a browser in about a second: plotly.js draws
and styles each marker, and each line of a trace broken by gaps, as an SVG element of its own.
A plot that does not apply comes back as a one-line note saying why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NamedTuple

from tunecraft.analysis import Importance, param_importances
from tunecraft.history import History
from tunecraft.viz import figures
from tunecraft.viz import info as _info

MAX_POINTS = 1000  # trials drawn per plot (parallel coordinates, timeline, ECDF)
MAX_MARKERS = 500  # trials drawn as markers on the history (the best-so-far line uses all)
MAX_SLICE = 250  # trials drawn per slice panel and on the contour
MAX_CURVES = 400  # learning curves drawn
IMPORTANCE_TRIALS = 1000  # fANOVA fits on a random subset of this many trials
IMPORTANCE_TREES = 32

ORDER = ("history", "importance", "parallel", "slice", "contour", "intermediate", "pareto",
         "timeline", "distribution")


class Panel(NamedTuple):
    """One plot: its key, figure JSON (None when it does not apply) and a note."""

    key: str
    figure: dict[str, Any] | None
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "figure": self.figure, "note": self.note}


def compute_importance(history: History, method: str = "fanova") -> Importance | str:
    """Importance with the board's caps, or a note saying why there is none."""
    if history.n_objectives != 1:
        return "importance is shown for single-objective studies"
    options: dict[str, Any] = {}
    if method == "fanova":
        options = {"max_trials": IMPORTANCE_TRIALS, "n_trees": IMPORTANCE_TREES}
    elif method in ("ped-anova", "ped_anova"):
        n = len(history.complete())  # the top 10%, but at least the 5 trials it needs
        options = {"target_quantile": min(max(0.1, 5 / n), 0.5) if n else 0.1}
    try:
        return param_importances(history, method, **options)
    except ValueError as exc:
        return f"no importance yet: {exc}"
    except ImportError as exc:
        return str(exc)


def _contour_params(history: History, importance: Importance | str | None
                    ) -> tuple[str, str] | None:
    names = list(importance.names) if isinstance(importance, Importance) else []
    names += [n for n in sorted(history.param_distributions()) if n not in names]
    return (names[0], names[1]) if len(names) >= 2 else None


def study_figures(history: History, *, importance: Importance | str | None = None,
                  now: dt.datetime | None = None, max_points: int = MAX_POINTS,
                  max_curves: int = MAX_CURVES) -> list[Panel]:
    """Every plot of the study as a :class:`Panel`, in :data:`ORDER`.

    Args:
        history: The study's trials.
        importance: An importance result, a note (why none), or None to leave the plot out.
        now: The end of RUNNING trials on the timeline (default: now).
        max_points: At most this many trials per plot (an even subset, best kept; the
            history's markers at most :data:`MAX_MARKERS`, slice panels and the contour at
            most :data:`MAX_SLICE`).
        max_curves: At most this many learning curves.
    """
    single = history.n_objectives == 1
    has_values = bool(history.complete())
    n_params = len(history.param_distributions())
    contour_xy = _contour_params(history, importance)

    def imp() -> dict[str, Any] | None:
        if not isinstance(importance, Importance):
            return None
        return figures.importance_figure(_info.importance_info(importance))

    def contour() -> dict[str, Any] | None:
        if contour_xy is None:
            return None
        return figures.contour_figure(_info.contour_info(
            history, *contour_xy, max_trials=min(max_points, MAX_SLICE)))

    builders: dict[str, tuple[Callable[[], dict[str, Any] | None], str]] = {
        "history": (lambda: figures.history_figure(_info.history_info(
            history, max_points=min(max_points, MAX_MARKERS))),
                    "" if single and has_values else "no completed trial yet" if single
                    else "see the Pareto front for several objectives"),
        "importance": (imp, importance if isinstance(importance, str) else ""),
        "parallel": (lambda: figures.parallel_figure(_info.parallel_info(
            history, max_trials=max_points), webgl=False),
            "" if single and has_values and n_params else
            "needs completed trials with parameters (single objective)"),
        "slice": (lambda: figures.slice_figure(_info.slice_info(
            history, max_trials=min(max_points, MAX_SLICE))),
            "" if single and has_values and n_params else
            "needs completed trials with parameters (single objective)"),
        "contour": (contour, "" if single and has_values and contour_xy else
                    "needs completed trials with two parameters (single objective)"),
        "intermediate": (lambda: figures.curves_figure(_info.curves_info(
            history, max_trials=max_curves)),
            "" if any(t.intermediate_values for t in history.trials) else
            "no trial reported intermediate values (trial.report)"),
        "pareto": (lambda: figures.pareto_figure(_info.pareto_info(
            history, objectives=range(min(3, history.n_objectives)))),
            "" if not single and has_values else "only for multi-objective studies"),
        "timeline": (lambda: figures.timeline_figure(_info.timeline_info(
            history, now=now, max_trials=max_points)),
                     "" if any(t.datetime_start for t in history.trials) else
                     "no trial has started"),
        "distribution": (lambda: figures.distribution_figure(_info.distribution_info(
            history, max_points=max_points)), "" if single and has_values else
            "needs completed trials (single objective)"),
    }
    panels = []
    for key in ORDER:
        build, note = builders[key]
        if key == "importance" and importance is None:
            continue
        if note:
            panels.append(Panel(key, None, note))
            continue
        panels.append(Panel(key, build(), ""))
    return panels
