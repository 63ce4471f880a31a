"""Static Matplotlib plots (PNG for papers and CI logs): the ``plot_*`` names of Plotly's.

Each function draws one info NamedTuple of :mod:`tunecraft.viz.info` on an ``Axes`` (a new
figure unless ``ax`` is given) and returns it; ``path=`` saves the figure. Needs
``pip install 'tunecraft[viz]'``. Figures are made with ``matplotlib.figure.Figure``, not pyplot,
so nothing depends on a display or a global state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from os import PathLike
from typing import TYPE_CHECKING, Any

import numpy as np

from tunecraft._imports import require
from tunecraft.analysis import Importance, param_importances
from tunecraft.history import as_history
from tunecraft.viz import info as _info
from tunecraft.viz._common import Axis, Target
from tunecraft.viz.figures import STATE_COLORS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from tunecraft.torch.lr_result import LRRangeResult

Path = str | PathLike[str] | None


def _text(s: str) -> str:
    """User text shown literally (no mathtext)."""
    return str(s).replace("$", r"\$")


def _axes(ax: Axes | None, size: tuple[float, float] = (6.4, 4.2)) -> Axes:
    if ax is not None:
        return ax
    require("matplotlib", "viz")
    from matplotlib.figure import Figure

    new: Axes = Figure(figsize=size, layout="constrained").subplots()
    return new


def _done(ax: Axes, path: Path) -> Axes:
    if path is not None:
        ax.get_figure(root=True).savefig(path, dpi=110)  # type: ignore[union-attr]
    return ax


def _set_axis(ax: Axes, a: Axis, which: str = "x") -> None:
    set_label = ax.set_xlabel if which == "x" else ax.set_ylabel
    set_label(_text(a.name))
    if a.categories is not None:
        set_ticks = ax.set_xticks if which == "x" else ax.set_yticks
        set_ticks(range(len(a.categories)), [_text(c) for c in a.categories])
    elif a.log:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")


def plot_optimization_history(study: Any, *, target: Target | None = None,
                              target_name: str | None = None, ax: Axes | None = None,
                              path: Path = None) -> Axes:
    """Objective of each completed trial and the best so far."""
    info = _info.history_info(as_history(study), target=target, target_name=target_name)
    ax = _axes(ax)
    ax.scatter(info.numbers, info.values, s=10, alpha=0.6, color=STATE_COLORS["COMPLETE"],
               label=_text(info.name))
    ax.step(info.best_numbers, info.best_values, where="post", color="#d62728",
            label="best so far")
    ax.set(xlabel="Trial", ylabel=_text(info.name), title="Optimisation history")
    ax.legend(loc="best")
    return _done(ax, path)


def plot_edf(study: Any, *, target: Target | None = None, target_name: str | None = None,
             ax: Axes | None = None, path: Path = None) -> Axes:
    """Empirical distribution function of the objective."""
    info = _info.distribution_info(as_history(study), target=target, target_name=target_name)
    ax = _axes(ax)
    ax.step(info.values, info.cumulative, where="post", color=STATE_COLORS["COMPLETE"])
    ax.set(xlabel=_text(info.name), ylabel="Fraction of trials ≤ x", ylim=(0, 1.02),
           title="Distribution of the objective")
    return _done(ax, path)


def plot_parallel_coordinate(study: Any, *, params: Sequence[str] | None = None,
                             target: Target | None = None, target_name: str | None = None,
                             max_trials: int | None = None, ax: Axes | None = None,
                             path: Path = None) -> Axes:
    """Lines across normalised axes (objective first), coloured by the objective."""
    info = _info.parallel_info(as_history(study), params=params, target=target,
                               target_name=target_name, max_trials=max_trials)
    ax = _axes(ax, (8.0, 4.2))
    cols = [np.asarray(info.values, dtype=float)]
    names = [info.name]
    for a in info.axes:
        v = np.asarray(a.values, dtype=float)
        lo, hi = a.low, a.high
        if a.log:
            v, lo, hi = np.log10(v), math.log10(lo), math.log10(hi)
        cols.append((v - lo) / ((hi - lo) or 1.0))
        names.append(a.name)
    obj = cols[0]
    span = (obj.max() - obj.min()) if obj.size else 0.0
    cols[0] = (obj - obj.min()) / (span or 1.0) if obj.size else obj
    matrix = np.stack(cols, axis=1) if info.numbers else np.empty((0, len(cols)))
    from matplotlib import colormaps

    cmap = colormaps["viridis_r" if info.minimize else "viridis"]
    for row, c in zip(matrix, cols[0], strict=True):
        ax.plot(range(len(names)), row, color=cmap(float(c)), alpha=0.5, lw=0.8)
    ax.set_xticks(range(len(names)), [_text(n) for n in names], rotation=20)
    ax.set(ylabel="Scaled value", title="Parallel coordinates")
    return _done(ax, path)


def plot_slice(study: Any, *, params: Sequence[str] | None = None,
               target: Target | None = None, target_name: str | None = None,
               max_trials: int | None = None, path: Path = None) -> Any:
    """One scatter per parameter; returns the array of Axes."""
    info = _info.slice_info(as_history(study), params=params, target=target,
                            target_name=target_name, max_trials=max_trials)
    require("matplotlib", "viz")
    from matplotlib.figure import Figure

    n = max(1, len(info.panels))
    fig = Figure(figsize=(3.2 * n, 3.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n, sharey=True, squeeze=False)[0])
    for ax, panel in zip(axes, info.panels, strict=False):
        ax.scatter(panel.axis.values, panel.values, c=panel.numbers, cmap="Blues", s=10)
        _set_axis(ax, panel.axis)
    axes[0].set_ylabel(_text(info.name))
    if path is not None:
        fig.savefig(path, dpi=110)
    return axes


def plot_contour(study: Any, x: str | None = None, y: str | None = None, *,
                 target: Target | None = None, target_name: str | None = None,
                 grid: int = 30, ax: Axes | None = None, path: Path = None) -> Axes:
    """Smoothed objective over two parameters, with the trials as points."""
    info = _info.contour_info(as_history(study), x, y, target=target, target_name=target_name,
                              grid=grid)
    ax = _axes(ax)
    z = np.array([[np.nan if v is None else v for v in row] for row in info.z], dtype=float)
    if np.isfinite(z).sum() >= 4 and len(info.grid_x) > 1 and len(info.grid_y) > 1:
        cs = ax.contourf(info.grid_x, info.grid_y, np.ma.masked_invalid(z), levels=15,
                         cmap="viridis_r" if info.minimize else "viridis")
        ax.get_figure(root=True).colorbar(cs, ax=ax, label=_text(info.name))  # type: ignore[union-attr]
    ax.scatter(info.x.values, info.y.values, s=6, color="black", alpha=0.6)
    _set_axis(ax, info.x, "x")
    _set_axis(ax, info.y, "y")
    return _done(ax, path)


def plot_param_importances(study_or_importance: Any, method: str = "fanova", *,
                           ax: Axes | None = None, path: Path = None,
                           **options: Any) -> Axes:
    """Importance bars (spread across trees as error bars for fANOVA)."""
    imp = study_or_importance if isinstance(study_or_importance, Importance) else (
        param_importances(study_or_importance, method, **options))
    info = _info.importance_info(imp)
    ax = _axes(ax)
    ypos = np.arange(len(info.names))[::-1]
    ax.barh(ypos, info.values, xerr=info.spread, color=STATE_COLORS["COMPLETE"])
    ax.set_yticks(ypos, [_text(n) for n in info.names])
    ax.set(title=f"Parameter importance ({info.method}, {info.n_trials} trials)")
    return _done(ax, path)


def plot_intermediate_values(study: Any, *, max_trials: int | None = None,
                             ax: Axes | None = None, path: Path = None) -> Axes:
    """Learning curves by final state; an x where each pruned trial stopped."""
    info = _info.curves_info(as_history(study), max_trials=max_trials)
    ax = _axes(ax)
    for c in info.curves:
        ax.plot(c.steps, c.values, color=STATE_COLORS.get(c.state, "gray"), lw=0.8, alpha=0.6)
    if info.pruned:
        ax.scatter([p[1] for p in info.pruned], [p[2] for p in info.pruned], marker="x",
                   color=STATE_COLORS["PRUNED"], label="pruned here", zorder=3)
        ax.legend(loc="best")
    ax.set(xlabel="Step", ylabel="Reported value", title="Intermediate values")
    return _done(ax, path)


def plot_timeline(study: Any, *, ax: Axes | None = None, path: Path = None) -> Axes:
    """A bar per trial on its worker's row, coloured by state."""
    info = _info.timeline_info(as_history(study))
    ax = _axes(ax)
    from matplotlib import dates

    row = {w: i for i, w in enumerate(info.workers)}
    for b in info.bars:
        x = dates.date2num([b.start, b.end])  # type: ignore[no-untyped-call]
        ax.plot(x, [row[b.worker]] * 2, lw=6, solid_capstyle="butt",
                color=STATE_COLORS.get(b.state, "gray"))
    ax.xaxis_date()
    ax.set_yticks(range(len(info.workers)), [_text(w) for w in info.workers])
    ax.set(xlabel="Time", title="Timeline")
    return _done(ax, path)


def plot_pareto_front(study: Any, *, names: Sequence[str] | None = None,
                      objectives: Sequence[int] | None = None, ax: Axes | None = None,
                      path: Path = None) -> Axes:
    """The front and the other trials for two objectives."""
    info = _info.pareto_info(as_history(study), names=names, objectives=objectives)
    if len(info.names) != 2:
        raise ValueError(f"the static Pareto plot shows 2 objectives, got {len(info.names)}; "
                         "pick two with objectives=(i, j)")
    ax = _axes(ax)
    if info.others:
        o = np.asarray(info.others)
        ax.scatter(o[:, 0], o[:, 1], s=10, color="#9ecae1", label="other trials")
    if info.front:
        f = np.asarray(info.front)
        ax.scatter(f[:, 0], f[:, 1], s=18, color="#d62728", label="Pareto front")
    ax.set(xlabel=_text(info.names[0]), ylabel=_text(info.names[1]), title="Pareto front")
    ax.legend(loc="best")
    return _done(ax, path)


def plot_lr_range(result: LRRangeResult, rules: Sequence[str] = ("steepest", "valley"), *,
                  ax: Axes | None = None, path: Path = None) -> Axes:
    """Loss against learning rate, the suggested rates marked."""
    info = _info.lr_range_info(result, rules)
    ax = _axes(ax)
    ax.plot(info.lrs, info.losses, color="tab:blue", alpha=0.3, lw=1, label="loss")
    ax.plot(info.lrs, info.smoothed, color="tab:blue", lw=2, label="smoothed loss")
    for rule, lr, loss in info.suggestions:
        ax.plot([lr], [loss], marker="D", ls="none", ms=8, label=f"{rule}: {lr:.2e}")
    if info.log_x:
        ax.set_xscale("log")
    ax.set(xlabel="Learning rate", ylabel="Loss", title=f"LR range test ({info.stop_reason})")
    ax.legend(loc="best")
    return _done(ax, path)
