"""Figure JSON of plots about objective values: history, distribution, importance, Pareto front
and the LR range test."""

from __future__ import annotations

from typing import Any

from tunecraft.viz._figure_common import (
    STATE_COLORS,
    Figure,
    base_layout,
    esc,
    finish,
    label_room,
)
from tunecraft.viz._info_time import LRRangeInfo
from tunecraft.viz._info_values import (
    DistributionInfo,
    HistoryInfo,
    ImportanceInfo,
    ParetoInfo,
)


def history_figure(info: HistoryInfo) -> Figure:
    """Objective value of each trial and the best so far (a step line)."""
    data = [
        {"type": "scatter", "mode": "markers", "name": esc(info.name),
         "x": list(info.numbers), "y": list(info.values),
         "marker": {"color": STATE_COLORS["COMPLETE"], "size": 5, "opacity": 0.6},
         "hovertemplate": "trial %{x}<br>%{y}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": "best so far", "line": {"shape": "hv",
         "color": "#d62728", "width": 2}, "x": list(info.best_numbers),
         "y": list(info.best_values)},
    ]
    shown = f" ({len(info.numbers)} of {info.n_total} trials shown)" if (
        len(info.numbers) < info.n_total) else ""
    return finish({"data": data, "layout": base_layout(
        f"Optimisation history{shown}", xaxis={"title": {"text": "Trial"}},
        yaxis={"title": {"text": esc(info.name)}})})


def distribution_figure(info: DistributionInfo) -> Figure:
    """Empirical CDF of the objective."""
    data = [{"type": "scatter", "mode": "lines", "name": "empirical CDF",
             "line": {"shape": "hv", "color": STATE_COLORS["COMPLETE"]},
             "x": list(info.values), "y": list(info.cumulative)}]
    return finish({"data": data, "layout": base_layout(
        "Distribution of the objective", xaxis={"title": {"text": esc(info.name)}},
        yaxis={"title": {"text": "Fraction of trials ≤ x"}, "range": [0, 1.02]})})


def importance_figure(info: ImportanceInfo) -> Figure:
    """Horizontal bars, most important on top, each labelled with its value.

    fANOVA's spread across trees (one tree's importance varies far more than the forest's
    mean) is shown on hover, not as error bars: drawn, it dwarfed the values it qualifies.
    """
    names = [esc(n) for n in reversed(info.names)]
    values = list(reversed(info.values))
    bar: dict[str, Any] = {"type": "bar", "orientation": "h", "x": values, "y": names,
                           "marker": {"color": STATE_COLORS["COMPLETE"]},
                           "text": [f"{v:.3g}" for v in values], "textposition": "auto",
                           "hovertemplate": "%{y}: %{x:.3g}<extra></extra>"}
    if info.spread is not None:
        bar["customdata"] = list(reversed(info.spread))
        bar["hovertemplate"] = ("%{y}: %{x:.3g}<br>sd across trees %{customdata:.3g}"
                                "<extra></extra>")
    label = "Fraction of variance (fANOVA)" if info.method == "fanova" else (
        "Pearson divergence (PED-ANOVA)")
    top = max([*info.values, 1e-12]) * 1.1
    return finish({"data": [bar], "layout": base_layout(
        f"Parameter importance ({info.n_trials} trials)",
        xaxis={"title": {"text": label}, "range": [0, top]},
        margin={"l": label_room(info.names)}, height=max(260, 60 + 28 * len(names)))})

def pareto_figure(info: ParetoInfo) -> Figure:
    """The front and the other trials in objective space (2 or 3 objectives)."""
    m = len(info.names)
    if m not in (2, 3):
        raise ValueError(f"a Pareto plot shows 2 or 3 objectives, got {m}; pick them with "
                         "objectives=(i, j)")
    kind = "scatter" if m == 2 else "scatter3d"
    data = []
    for name, numbers, rows, color in (("other trials", info.other_numbers, info.others,
                                        "#9ecae1"),
                                       ("Pareto front", info.front_numbers, info.front,
                                        "#d62728")):
        trace: dict[str, Any] = {"type": kind, "mode": "markers", "name": name,
                                 "text": [f"trial {n}" for n in numbers],
                                 "marker": {"color": color, "size": 6 if m == 2 else 3}}
        for k, axis_name in enumerate("xyz"[:m]):
            trace[axis_name] = [r[k] for r in rows]
        data.append(trace)
    titles = {f"{a}axis": {"title": {"text": esc(n)}} for a, n in zip("xyz", info.names,
                                                                       strict=False)}
    layout = base_layout("Pareto front", **(titles if m == 2 else {"scene": titles}))
    return finish({"data": data, "layout": layout})


def lr_range_figure(info: LRRangeInfo) -> Figure:
    """Loss against learning rate (log axis for an exponential sweep), suggestions marked."""
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "name": "loss", "x": list(info.lrs),
         "y": list(info.losses), "line": {"color": "#1f77b4", "width": 1}, "opacity": 0.3},
        {"type": "scatter", "mode": "lines", "name": "smoothed loss", "x": list(info.lrs),
         "y": list(info.smoothed), "line": {"color": "#1f77b4", "width": 2}},
    ]
    for rule, lr, loss in info.suggestions:
        data.append({"type": "scatter", "mode": "markers", "name": f"{rule}: {lr:.2e}",
                     "x": [lr], "y": [loss], "marker": {"size": 11, "symbol": "diamond"}})
    return finish({"data": data, "layout": base_layout(
        f"LR range test ({len(info.lrs)} iterations, {info.stop_reason})",
        xaxis={"type": "log" if info.log_x else "linear",
               "title": {"text": "Learning rate"}}, yaxis={"title": {"text": "Loss"}})})
