"""Plotly figure JSON from plot info: plain dicts that plotly.js draws (no Python plotly needed).

The report and the dashboard send these to the browser as they are; :mod:`tunecraft.viz.plotly`
wraps them in ``plotly.graph_objects.Figure`` for notebooks. Text that came from users
(parameter and objective names) is HTML-escaped, since plotly.js reads a subset of HTML.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from typing import Any

from tunecraft.viz._common import Axis
from tunecraft.viz.info import (
    ContourInfo,
    CurvesInfo,
    DistributionInfo,
    HistoryInfo,
    ImportanceInfo,
    LRRangeInfo,
    ParallelInfo,
    ParetoInfo,
    SliceInfo,
    TimelineInfo,
)

Figure = dict[str, Any]
STATE_COLORS = {"COMPLETE": "#1f77b4", "PRUNED": "#ff7f0e", "FAIL": "#d62728",
                "RUNNING": "#2ca02c", "WAITING": "#7f7f7f", "STALE": "#9467bd"}
_BASE: dict[str, Any] = {"template": None, "hovermode": "closest", "font": {"size": 12}}
TITLE_TOP = 34  # px from the top of a figure to its title: below plotly's toolbar (~28 px)


def esc(text: str) -> str:
    """Escape user text for plotly.js, which renders a subset of HTML in labels."""
    return html.escape(str(text), quote=False)


def clean(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become None (plotly.js draws a gap)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def _finish(fig: Figure) -> Figure:
    out: Figure = clean(fig)
    return out


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    """The shared layout: a left-aligned title set below the toolbar, so neither covers the
    other, whatever the title's length."""
    out: dict[str, Any] = {**_BASE, "height": 400, **extra}
    out["margin"] = {"l": 60, "r": 20, "t": 64, "b": 50, **extra.get("margin", {})}
    out["title"] = {"text": title, "x": 0.01, "xanchor": "left", "xref": "container",
                    "yref": "container", "yanchor": "top", "y": 1 - TITLE_TOP / out["height"]}
    return out


def _label_room(labels: Sequence[str], *, low: int = 60, high: int = 320) -> int:
    """Pixels for a column of tick labels, from their length (about 7 px a character at 12 px).

    Set as a fixed margin rather than plotly's ``automargin``, which draws the figure twice
    (measured: about 2.5 times the time of one draw)."""
    longest = max((len(str(x)) for x in labels), default=0)
    return max(low, min(high, 16 + 7 * longest))


def _axis(ax: Axis, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"title": {"text": esc(ax.name)}, **extra}
    if ax.categories is not None:
        out.update(tickmode="array", tickvals=list(range(len(ax.categories))),
                   ticktext=[esc(c) for c in ax.categories], range=[ax.low, ax.high])
    elif ax.log:
        out["type"] = "log"
    return out


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
    return _finish({"data": data, "layout": _layout(
        f"Optimisation history{shown}", xaxis={"title": {"text": "Trial"}},
        yaxis={"title": {"text": esc(info.name)}})})


def distribution_figure(info: DistributionInfo) -> Figure:
    """Empirical CDF of the objective."""
    data = [{"type": "scatter", "mode": "lines", "name": "empirical CDF",
             "line": {"shape": "hv", "color": STATE_COLORS["COMPLETE"]},
             "x": list(info.values), "y": list(info.cumulative)}]
    return _finish({"data": data, "layout": _layout(
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
    return _finish({"data": [bar], "layout": _layout(
        f"Parameter importance ({info.n_trials} trials)",
        xaxis={"title": {"text": label}, "range": [0, top]},
        margin={"l": _label_room(info.names)}, height=max(260, 60 + 28 * len(names)))})


def _parcoords_dim(ax: Axis) -> dict[str, Any]:
    if ax.categories is not None:
        return {"label": esc(ax.name), "values": list(ax.values), "range": [ax.low, ax.high],
                "tickvals": list(range(len(ax.categories))),
                "ticktext": [esc(c) for c in ax.categories]}
    if ax.log:
        lo, hi = math.log10(ax.low), math.log10(ax.high)
        ticks: list[float] = [float(t) for t in range(math.ceil(lo), math.floor(hi) + 1)]
        ticks = ticks or [lo, hi]
        return {"label": esc(ax.name), "values": [math.log10(v) for v in ax.values],
                "range": [lo, hi], "tickvals": ticks,
                "ticktext": [f"{10 ** t:.3g}" for t in ticks]}
    return {"label": esc(ax.name), "values": list(ax.values), "range": [ax.low, ax.high]}


def parallel_figure(info: ParallelInfo, *, webgl: bool = True) -> Figure:
    """Parallel coordinates: the objective axis first, then one axis per parameter.

    ``webgl=True`` gives plotly's ``parcoords`` (brushing axes to filter; needs WebGL, slow
    to start without a GPU); ``webgl=False`` draws the same lines as SVG in colour bands,
    which is what the report and dashboard use.
    """
    shown = f" ({len(info.numbers)} of {info.n_total} trials)" if (
        len(info.numbers) < info.n_total) else ""
    if not webgl:
        return _parallel_svg(info, shown)
    dims = [{"label": esc(info.name), "values": list(info.values)},
            *(_parcoords_dim(ax) for ax in info.axes)]
    trace = {"type": "parcoords", "dimensions": dims,
             "line": {"color": list(info.values), "colorscale": "Viridis",
                      "reversescale": info.minimize, "showscale": True}}
    return _finish({"data": [trace], "layout": _layout(f"Parallel coordinates{shown}",
                                                       margin={"l": 80, "r": 80, "t": 80})})


_BANDS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
          "#6ece58", "#b5de2b", "#fde725")  # viridis, worst to best


def _scaled(ax: Axis) -> tuple[list[float], list[tuple[float, str]]]:
    """An axis's values scaled to [0, 1] and its (position, label) ticks."""
    if ax.categories is not None:
        k = max(len(ax.categories) - 1, 1)
        return ([v / k for v in ax.values],
                [(i / k, esc(c)) for i, c in enumerate(ax.categories)])
    lo, hi = ax.low, ax.high
    tr = math.log10 if ax.log else float
    a, b = tr(lo), tr(hi)
    span = (b - a) or 1.0
    ticks = [(0.0, f"{lo:.3g}"), (1.0, f"{hi:.3g}")]
    if not ax.log:
        ticks.insert(1, (0.5, f"{(lo + hi) / 2:.3g}"))
    else:
        ticks[1:1] = [((d - a) / span, f"{10.0 ** d:.3g}")
                      for d in range(math.ceil(a + 1e-9), math.floor(b - 1e-9) + 1)]
    return [(tr(v) - a) / span for v in ax.values], ticks


def _parallel_svg(info: ParallelInfo, shown: str) -> Figure:
    vals = list(info.values)
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    span = (hi - lo) or 1.0
    columns = [[(v - lo) / span for v in vals]]
    ticks = [[(0.0, f"{lo:.4g}"), (1.0, f"{hi:.4g}")]]
    for ax in info.axes:
        col, tk = _scaled(ax)
        columns.append(col)
        ticks.append(tk)
    # goodness in [0, 1] (1 = best) picks the colour band; the best bands are drawn last
    good = [1.0 - c if info.minimize else c for c in columns[0]]
    bands: list[list[int]] = [[] for _ in _BANDS]
    for i, g in enumerate(good):
        bands[min(int(g * len(_BANDS)), len(_BANDS) - 1)].append(i)
    xs = list(range(len(columns)))
    data: list[dict[str, Any]] = []
    for color, members in zip(_BANDS, bands, strict=True):
        if not members:
            continue
        lx, ly = _gapped([(xs, [col[i] for col in columns]) for i in members])
        data.append({"type": "scatter", "mode": "lines", "x": lx, "y": ly, "hoverinfo": "skip",
                     "line": {"color": color, "width": 1}, "opacity": 0.5,
                     "showlegend": False})
    data.append({"type": "scatter", "mode": "markers", "x": [None], "y": [None],
                 "showlegend": False, "hoverinfo": "skip",
                 "marker": {"color": [lo, hi], "colorscale": "Viridis",
                            "reversescale": info.minimize, "showscale": True,
                            "colorbar": {"title": {"text": esc(info.name)}}}})
    notes = [{"x": x, "y": y, "text": text, "showarrow": False, "xanchor": "right",
              "xshift": -4, "font": {"size": 10}}
             for x, tk in enumerate(ticks) for y, text in tk]
    lines = [{"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "line": {"color": "#444",
              "width": 1}} for x in xs]
    names = [esc(info.name), *(esc(ax.name) for ax in info.axes)]
    return _finish({"data": data, "layout": _layout(
        f"Parallel coordinates{shown}", annotations=notes, shapes=lines,
        # the axis names tilt below the axes, clear of the title, in a margin fit to them
        margin={"b": min(200, 30 + _label_room([info.name, *(a.name for a in info.axes)],
                                                low=0) // 2)},
        xaxis={"tickmode": "array", "tickvals": xs, "ticktext": names, "side": "bottom",
               "tickangle": 30, "range": [-0.6, len(xs) - 0.8], "showgrid": False,
               "zeroline": False},
        yaxis={"visible": False, "range": [-0.05, 1.05]})})


SLICE_ROW = 300  # px per row of slice panels
_SLICE_TITLE = 30  # px above a panel for its parameter's name
_SLICE_TICKS = 34  # px below a panel for its tick labels


def _grid_domains(n: int, cols: int, plot_height: float
                  ) -> list[tuple[list[float], list[float]]]:
    """Paper domains of an n-panel grid, leaving each row room above for its panels' titles
    and below for their tick labels, so that no label sits nearer another row's panel."""
    rows = math.ceil(n / cols)
    top, bottom = _SLICE_TITLE / plot_height, _SLICE_TICKS / plot_height
    out = []
    for i in range(n):
        r, c = divmod(i, cols)
        x0, x1 = c / cols + 0.04, (c + 1) / cols - 0.02
        y1 = 1 - r / rows - top
        y0 = 1 - (r + 1) / rows + bottom
        out.append(([x0, x1], [y0, y1]))
    return out


def slice_figure(info: SliceInfo, cols: int = 3) -> Figure:
    """One scatter per parameter (objective against value), coloured by trial number; each
    panel is titled above by its parameter's name (an axis title below would sit just above
    the next row's panel and read as its title)."""
    n = len(info.panels)
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    layout = _layout("Slice plot", showlegend=False, height=max(340, 40 + SLICE_ROW * rows),
                     margin={"t": 70, "b": 10})
    plot_height = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    data, titles = [], []
    for i, (panel, (dx, dy)) in enumerate(zip(info.panels, _grid_domains(n, cols, plot_height),
                                                strict=True)):
        k = "" if i == 0 else str(i + 1)
        data.append({"type": "scatter", "mode": "markers", "xaxis": f"x{k}", "yaxis": f"y{k}",
                     "x": list(panel.axis.values), "y": list(panel.values),
                     "customdata": list(panel.numbers),
                     "marker": {"color": list(panel.numbers), "colorscale": "Blues",
                                "size": 5, "opacity": 0.7},
                     "hovertemplate": "trial %{customdata}<br>%{x}<br>%{y}<extra></extra>"})
        xaxis = _axis(panel.axis, domain=dx, anchor=f"y{k}")
        xaxis["title"] = {"text": ""}
        layout[f"xaxis{k}"] = xaxis
        layout[f"yaxis{k}"] = {"domain": dy, "anchor": f"x{k}",
                               "title": {"text": esc(info.name) if i % cols == 0 else ""}}
        titles.append({"text": f"<b>{esc(panel.axis.name)}</b>", "showarrow": False,
                       "xref": "paper", "yref": "paper", "x": (dx[0] + dx[1]) / 2,
                       "y": dy[1], "xanchor": "center", "yanchor": "bottom", "yshift": 4,
                       "font": {"size": 13}})
    layout["annotations"] = titles
    return _finish({"data": data, "layout": layout})


def contour_figure(info: ContourInfo) -> Figure:
    """The smoothed objective surface over two parameters, with the trials as points."""
    data = [
        {"type": "contour", "x": list(info.grid_x), "y": list(info.grid_y),
         "z": [list(r) for r in info.z], "colorscale": "Viridis",
         "reversescale": info.minimize, "connectgaps": False, "ncontours": 15,
         "colorbar": {"title": {"text": esc(info.name)}}},
        {"type": "scatter", "mode": "markers", "x": list(info.x.values),
         "y": list(info.y.values), "customdata": list(info.numbers),
         "marker": {"color": "black", "size": 4, "opacity": 0.6}, "showlegend": False,
         "hovertemplate": "trial %{customdata}<extra></extra>"},
    ]
    return _finish({"data": data, "layout": _layout(
        f"{esc(info.x.name)} × {esc(info.y.name)}", xaxis=_axis(info.x), yaxis=_axis(info.y))})


def _gapped(series: Sequence[tuple[Sequence[Any], Sequence[Any]]]) -> tuple[list[Any], list[Any]]:
    """Many lines as one trace: x and y joined with None gaps (fast for thousands of lines)."""
    xs: list[Any] = []
    ys: list[Any] = []
    for x, y in series:
        xs.extend(x)
        xs.append(None)
        ys.extend(y)
        ys.append(None)
    return xs, ys


def _colors(states: set[str]) -> list[tuple[str, str]]:
    """(state, colour) for the states present, in a fixed order (unknown states last, grey)."""
    known = [(s, c) for s, c in STATE_COLORS.items() if s in states]
    return known + [(s, "#8c564b") for s in sorted(states - set(STATE_COLORS))]


def curves_figure(info: CurvesInfo) -> Figure:
    """Learning curves, one colour per final state; a cross where each pruned trial stopped."""
    data = []
    for state, color in _colors({c.state for c in info.curves}):
        curves = [c for c in info.curves if c.state == state]
        if not curves:
            continue
        xs, ys = _gapped([(c.steps, c.values) for c in curves])
        numbers: list[Any] = []
        for c in curves:
            numbers.extend([c.number] * len(c.steps) + [None])
        data.append({"type": "scatter", "mode": "lines", "name": state.lower(), "x": xs,
                     "y": ys, "customdata": numbers, "connectgaps": False,
                     "line": {"color": color, "width": 1}, "opacity": 0.6,
                     "hovertemplate": "trial %{customdata}<br>step %{x}: %{y}<extra></extra>"})
    if info.pruned:
        data.append({"type": "scatter", "mode": "markers", "name": "pruned here",
                     "x": [p[1] for p in info.pruned], "y": [p[2] for p in info.pruned],
                     "text": [f"trial {p[0]} pruned" for p in info.pruned],
                     "marker": {"symbol": "x", "color": STATE_COLORS["PRUNED"], "size": 8},
                     "hovertemplate": "%{text}<br>step %{x}: %{y}<extra></extra>"})
    shown = f" ({len(info.curves)} of {info.n_total} trials)" if (
        len(info.curves) < info.n_total) else ""
    return _finish({"data": data, "layout": _layout(
        f"Intermediate values{shown}", xaxis={"title": {"text": "Step"}},
        yaxis={"title": {"text": "Reported value"}})})


def _ms(t: dt.datetime) -> float:
    """Milliseconds since the epoch of a naive wall-clock time, as plotly.js date axes read
    numbers (shown as that same wall-clock time)."""
    aware = t if t.tzinfo is not None else t.replace(tzinfo=dt.timezone.utc)
    return round(aware.timestamp() * 1000.0, 1)


def timeline_figure(info: TimelineInfo) -> Figure:
    """A bar per trial on its worker's row, coloured by state."""
    data = []
    for state, color in _colors({b.state for b in info.bars}):
        bars = [b for b in info.bars if b.state == state]
        xs, ys = _gapped([((_ms(b.start), _ms(b.end)), (esc(b.worker), esc(b.worker)))
                          for b in bars])
        numbers: list[Any] = []
        for b in bars:
            numbers.extend([b.number, b.number, None])
        data.append({"type": "scatter", "mode": "lines", "name": state.lower(), "x": xs,
                     "y": ys, "customdata": numbers, "line": {"color": color, "width": 10},
                     "hovertemplate": "trial %{customdata}<br>%{x}<extra></extra>"})
    title = "Timeline" + (" (lanes: trials packed by overlap)" if info.inferred else "") + (
        f" ({len(info.bars)} of {info.n_total} trials)" if len(info.bars) < info.n_total else "")
    return _finish({"data": data, "layout": _layout(
        title, xaxis={"type": "date", "title": {"text": "Time"}},
        yaxis={"type": "category", "categoryorder": "array",
               "categoryarray": [esc(w) for w in info.workers]},
        margin={"l": _label_room(info.workers)}, height=max(260, 80 + 30 * len(info.workers)))})


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
    layout = _layout("Pareto front", **(titles if m == 2 else {"scene": titles}))
    return _finish({"data": data, "layout": layout})


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
    return _finish({"data": data, "layout": _layout(
        f"LR range test ({len(info.lrs)} iterations, {info.stop_reason})",
        xaxis={"type": "log" if info.log_x else "linear",
               "title": {"text": "Learning rate"}}, yaxis={"title": {"text": "Loss"}})})
