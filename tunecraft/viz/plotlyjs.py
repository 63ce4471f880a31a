"""Which plotly.js the report and the dashboard load: a partial bundle when it can draw them.

The full plotly.js (4.8 MB, shipped by the plotly Python package) takes over a second to parse,
compile and set up in a browser on a small machine, most of it for trace types tunecraft never
draws; even the official *cartesian* partial bundle (1.5 MB) spends about 0.3 s of main-thread
time registering its twelve trace types. The report and the dashboard draw only ``scatter``,
``bar`` and ``contour`` traces, so tunecraft ships plotly.js's core with just those:
``assets/plotly-tunecraft.min.js`` (1.2 MB; plotly.js :data:`PARTIAL_VERSION`, the same
release as the plotly package's), built by ``tools/plotly-bundle`` with esbuild from the npm
package ``plotly.js``, with the licences of the packages it holds beside it
(``assets/plotly-tunecraft.LICENSE``); it sets up in about a quarter of the cartesian bundle's
time. A figure with any other trace type (``parcoords``, a user's ``scatter3d``) makes
:func:`bundle_for` pick the full bundle, so nothing is ever drawn blank.
``TUNECRAFT_PLOTLYJS=full`` in the environment always picks the full bundle (to compare, or if
the partial bundle ever misdraws).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any, Literal

from tunecraft._imports import require

Bundle = Literal["partial", "full"]

PARTIAL_FILE = "plotly-tunecraft.min.js"
PARTIAL_VERSION = "4.1.1"
PARTIAL_SHA256 = "4e292227dd365467031e9ada90a60df21bd1ca73332bb672644e1370d025a17e"
# the trace types registered in the partial bundle (tools/plotly-bundle/entry.js; the browser
# tests check them against Plotly.PlotSchema in Chromium)
PARTIAL_TRACES: frozenset[str] = frozenset({"bar", "contour", "scatter"})
ENV_VAR = "TUNECRAFT_PLOTLYJS"
FILES: dict[Bundle, str] = {"partial": PARTIAL_FILE, "full": "plotly.min.js"}


def trace_types(figures: Iterable[Mapping[str, Any] | None]) -> set[str]:
    """The trace types of figure dicts (plotly's default type is ``scatter``)."""
    return {str(trace.get("type", "scatter")) for fig in figures if fig
            for trace in fig.get("data", ())}


def bundle_for(figures: Iterable[Mapping[str, Any] | None]) -> Bundle:
    """``"partial"`` when that bundle draws every trace of ``figures`` (and
    ``TUNECRAFT_PLOTLYJS`` is not ``full``), else ``"full"``."""
    forced = os.environ.get(ENV_VAR, "auto").strip().lower()
    if forced not in ("auto", "full", ""):
        raise ValueError(f"{ENV_VAR}={os.environ[ENV_VAR]!r} must be 'full' (always the full "
                         "plotly.js) or 'auto' (the partial bundle when it draws every plot)")
    if forced == "full":
        return "full"
    return "partial" if trace_types(figures) <= PARTIAL_TRACES else "full"


def plotly_js(bundle: Bundle = "partial") -> str:
    """The minified plotly.js ``bundle``: tunecraft's partial one, or the full one that the
    plotly Python package ships (``pip install 'tunecraft[viz]'``)."""
    if bundle == "partial":
        folder = resources.files("tunecraft.viz").joinpath("assets")
        return folder.joinpath(PARTIAL_FILE).read_text(encoding="utf-8")
    if bundle != "full":
        raise ValueError(f"bundle={bundle!r} must be 'partial' or 'full'")
    require("plotly", "viz")
    folder = resources.files("plotly").joinpath("package_data")
    return folder.joinpath("plotly.min.js").read_text(encoding="utf-8")
