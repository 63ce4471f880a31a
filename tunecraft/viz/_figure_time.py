"""Figure JSON of plots over steps and time: learning curves and the timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from tunecraft.viz._figure_common import (
    STATE_COLORS,
    Figure,
    base_layout,
    colors_for,
    esc,
    finish,
    label_room,
)
from tunecraft.viz._info_time import CurvesInfo, TimelineInfo


def _gapped(series: Sequence[tuple[Sequence[Any], Sequence[Any]]]) -> tuple[list[Any], list[Any]]:
    """Many lines as one trace: x and y joined with None gaps (one trace to set up; plotly.js
    still draws a path element per line, so the board caps how many it sends)."""
    xs: list[Any] = []
    ys: list[Any] = []
    for x, y in series:
        xs.extend(x)
        xs.append(None)
        ys.extend(y)
        ys.append(None)
    return xs, ys


def curves_figure(info: CurvesInfo) -> Figure:
    """Learning curves, one colour per final state; a cross where each pruned trial stopped."""
    data = []
    for state, color in colors_for({c.state for c in info.curves}):
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
    return finish({"data": data, "layout": base_layout(
        f"Intermediate values{shown}", xaxis={"title": {"text": "Step"}},
        yaxis={"title": {"text": "Reported value"}})})


def _ms(t: dt.datetime) -> float:
    """Milliseconds since the epoch of a naive wall-clock time, as plotly.js date axes read
    numbers (shown as that same wall-clock time)."""
    aware = t if t.tzinfo is not None else t.replace(tzinfo=dt.timezone.utc)
    return round(aware.timestamp() * 1000.0, 1)


HOVER_BARS = 300  # up to this many bars the timeline draws them as traces, with hover


def timeline_figure(info: TimelineInfo) -> Figure:
    """A bar per trial on its worker's row, coloured by state.

    Up to :data:`HOVER_BARS` bars, each state is a trace whose bars show their trial on hover.
    Past that (bars a pixel or two wide, too thin to point at) each state's bars are one SVG
    path (a layout shape) with a legend-only trace: a trace broken by gaps makes and styles an
    SVG element per bar, which for 1,000 bars took 80 ms of a page's drawing against 30.
    """
    lane = {w: i for i, w in enumerate(info.workers)}
    data: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    for state, color in colors_for({b.state for b in info.bars}):
        bars = [b for b in info.bars if b.state == state]
        if len(info.bars) > HOVER_BARS:
            path = "".join(f"M{_ms(b.start)},{lane[b.worker]}L{_ms(b.end)},{lane[b.worker]}"
                           for b in bars)
            shapes.append({"type": "path", "path": path, "xref": "x", "yref": "y",
                           "line": {"color": color, "width": 10}})
            data.append({"type": "scatter", "mode": "lines", "name": state.lower(),
                         "x": [None], "y": [None], "line": {"color": color, "width": 10},
                         "hoverinfo": "skip"})
            continue
        xs, ys = _gapped([((_ms(b.start), _ms(b.end)), (lane[b.worker], lane[b.worker]))
                          for b in bars])
        numbers: list[Any] = []
        for b in bars:
            numbers.extend([b.number, b.number, None])
        data.append({"type": "scatter", "mode": "lines", "name": state.lower(), "x": xs,
                     "y": ys, "customdata": numbers, "line": {"color": color, "width": 10},
                     "hovertemplate": "trial %{customdata}<br>%{x}<extra></extra>"})
    title = "Timeline" + (" (lanes: trials packed by overlap)" if info.inferred else "") + (
        f" ({len(info.bars)} of {info.n_total} trials)" if len(info.bars) < info.n_total else "")
    return finish({"data": data, "layout": base_layout(
        title, shapes=shapes, xaxis={"type": "date", "title": {"text": "Time"}},
        yaxis={"tickmode": "array", "tickvals": list(range(len(info.workers))),
               "ticktext": [esc(w) for w in info.workers], "zeroline": False,
               "range": [-0.5, len(info.workers) - 0.5]},
        margin={"l": label_room(info.workers)}, height=max(260, 80 + 30 * len(info.workers)))})
