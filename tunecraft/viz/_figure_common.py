"""What every figure JSON shares: state colours, the base layout, escaping and JSON cleaning.

Used by :mod:`tunecraft.viz._figure_values`, :mod:`tunecraft.viz._figure_params` and
:mod:`tunecraft.viz._figure_time`; :mod:`tunecraft.viz.figures` re-exports the public names.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from typing import Any

from tunecraft.viz._common import Axis

Figure = dict[str, Any]
STATE_COLORS = {"COMPLETE": "#1f77b4", "PRUNED": "#ff7f0e", "FAIL": "#d62728",
                "RUNNING": "#2ca02c", "WAITING": "#7f7f7f", "STALE": "#9467bd"}
_BASE: dict[str, Any] = {"template": None, "hovermode": "closest", "font": {"size": 12}}
_AXIS_KEY = re.compile(r"[xy]axis[0-9]*")
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


def finish(fig: Figure) -> Figure:
    """The figure made JSON-safe (:func:`clean`), with every 2-D axis and colour bar told to
    leave tick labels alone (``ticklabeloverflow="allow"``): plotly.js's default for numeric
    axes hides labels that pass the figure's edge by measuring every label each time one is
    placed, a forced layout of the page per measure (0.15 s of a 10,000-trial study page).
    The margins here are sized for the labels, so none passes the edge."""
    out: Figure = clean(fig)
    layout = out.setdefault("layout", {})
    for key in {"xaxis", "yaxis", *(k for k in layout if _AXIS_KEY.fullmatch(k))}:
        layout.setdefault(key, {}).setdefault("ticklabeloverflow", "allow")
    for trace in out.get("data", ()):
        if trace.get("type") == "contour":
            trace.setdefault("colorbar", {}).setdefault("ticklabeloverflow", "allow")
        marker = trace.get("marker")
        if isinstance(marker, dict) and marker.get("showscale"):
            marker.setdefault("colorbar", {}).setdefault("ticklabeloverflow", "allow")
    return out


def base_layout(title: str, **extra: Any) -> dict[str, Any]:
    """The shared layout: a left-aligned title set below the toolbar, so neither covers the
    other, whatever the title's length."""
    out: dict[str, Any] = {**_BASE, "height": 400, **extra}
    out["margin"] = {"l": 60, "r": 20, "t": 64, "b": 50, **extra.get("margin", {})}
    out["title"] = {"text": title, "x": 0.01, "xanchor": "left", "xref": "container",
                    "yref": "container", "yanchor": "top", "y": 1 - TITLE_TOP / out["height"]}
    return out


def label_room(labels: Sequence[str], *, low: int = 60, high: int = 320) -> int:
    """Pixels for a column of tick labels, from their length (about 7 px a character at 12 px).

    Set as a fixed margin rather than plotly's ``automargin``, which draws the figure twice
    (measured: about 2.5 times the time of one draw)."""
    longest = max((len(str(x)) for x in labels), default=0)
    return max(low, min(high, 16 + 7 * longest))


def axis_layout(ax: Axis, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"title": {"text": esc(ax.name)}, **extra}
    if ax.categories is not None:
        out.update(tickmode="array", tickvals=list(range(len(ax.categories))),
                   ticktext=[esc(c) for c in ax.categories], range=[ax.low, ax.high])
    elif ax.log:
        out["type"] = "log"
    return out


def colors_for(states: set[str]) -> list[tuple[str, str]]:
    """(state, colour) for the states present, in a fixed order (unknown states last, grey)."""
    known = [(s, c) for s, c in STATE_COLORS.items() if s in states]
    return known + [(s, "#8c564b") for s in sorted(states - set(STATE_COLORS))]
