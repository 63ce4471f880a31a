"""Figure JSON of plots over the parameters: parallel coordinates, slice panels, contour."""

from __future__ import annotations

import math
from typing import Any

from tunecraft.viz._common import Axis
from tunecraft.viz._figure_common import (
    Figure,
    axis_layout,
    base_layout,
    esc,
    finish,
    label_room,
)
from tunecraft.viz._info_params import ContourInfo, ParallelInfo, SliceInfo


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
    return finish({"data": [trace], "layout": base_layout(f"Parallel coordinates{shown}",
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


def _polylines(rows: list[list[float]]) -> str:
    """An SVG path through each row's values at x = 0, 1, 2, ... (broken where a value is not
    finite), y rounded to 1/10,000 of the axis."""
    out: list[str] = []
    for row in rows:
        move = True
        for x, y in enumerate(row):
            if not math.isfinite(y):
                move = True
                continue
            out.append(f"{'M' if move else 'L'}{x},{round(y, 4):g}")
            move = False
    return "".join(out)


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
    # each band is one SVG path (a layout shape): as a scatter trace with None gaps, plotly.js
    # would make and style one path element per trial's line, three times the drawing time
    polylines = [{"type": "path", "path": _polylines([[col[i] for col in columns]
                                                       for i in members]),
                  "xref": "x", "yref": "y", "opacity": 0.5, "line": {"color": color, "width": 1}}
                 for color, members in zip(_BANDS, bands, strict=True) if members]
    scale: dict[str, Any] = {  # an empty trace that shows the colour bar
        "type": "scatter", "mode": "markers", "x": [None], "y": [None], "showlegend": False,
        "hoverinfo": "skip", "marker": {"color": [lo, hi], "colorscale": "Viridis",
                                        "reversescale": info.minimize, "showscale": True,
                                        "colorbar": {"title": {"text": esc(info.name)}}}}
    notes = [{"x": x, "y": y, "text": text, "showarrow": False, "xanchor": "right",
              "xshift": -4, "font": {"size": 10}}
             for x, tk in enumerate(ticks) for y, text in tk]
    lines = polylines + [{"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1,
                          "line": {"color": "#444", "width": 1}} for x in xs]
    names = [esc(info.name), *(esc(ax.name) for ax in info.axes)]
    return finish({"data": [scale], "layout": base_layout(
        f"Parallel coordinates{shown}", annotations=notes, shapes=lines,
        # the axis names tilt below the axes, clear of the title, in a margin fit to them
        margin={"b": min(200, 30 + label_room([info.name, *(a.name for a in info.axes)],
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
    layout = base_layout("Slice plot", showlegend=False, height=max(340, 40 + SLICE_ROW * rows),
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
        xaxis = axis_layout(panel.axis, domain=dx, anchor=f"y{k}")
        xaxis["title"] = {"text": ""}
        layout[f"xaxis{k}"] = xaxis
        layout[f"yaxis{k}"] = {"domain": dy, "anchor": f"x{k}",
                               "title": {"text": esc(info.name) if i % cols == 0 else ""}}
        titles.append({"text": f"<b>{esc(panel.axis.name)}</b>", "showarrow": False,
                       "xref": "paper", "yref": "paper", "x": (dx[0] + dx[1]) / 2,
                       "y": dy[1], "xanchor": "center", "yanchor": "bottom", "yshift": 4,
                       "font": {"size": 13}})
    layout["annotations"] = titles
    return finish({"data": data, "layout": layout})


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
    return finish({"data": data, "layout": base_layout(
        f"{esc(info.x.name)} × {esc(info.y.name)}", xaxis=axis_layout(info.x),
        yaxis=axis_layout(info.y))})
