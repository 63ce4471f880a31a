"""Which plotly.js the report and the dashboard load: a partial bundle when it can draw them.

The full plotly.js (4.8 MB, shipped by the plotly Python package) takes about 1.3 s to parse and
compile in a browser on a small machine, most of it for trace types tunecraft never draws. The
report and the dashboard draw only ``scatter``, ``bar`` and ``contour`` traces, which the official
*cartesian* partial bundle holds in 1.5 MB: npm package ``plotly.js-cartesian-dist-min`` 4.1.1
(the same plotly.js release as the plotly package's), vendored unchanged as
``assets/plotly-cartesian.min.js`` with its MIT licence beside it
(``assets/plotly-cartesian.LICENSE``; sha256 79542150...42fba7a). A figure with any other trace
type (``parcoords``, a user's ``scatter3d``) makes :func:`bundle_for` pick the full bundle, so
nothing is ever drawn blank. ``TUNECRAFT_PLOTLYJS=full`` in the environment always picks the full
bundle (to compare, or if a partial bundle ever misdraws).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any, Literal

from tunecraft._imports import require

Bundle = Literal["cartesian", "full"]

CARTESIAN_FILE = "plotly-cartesian.min.js"
CARTESIAN_VERSION = "4.1.1"
# the trace modules of plotly.js's cartesian bundle (its README; tests/browser checks them
# against Plotly.PlotSchema in Chromium)
CARTESIAN_TRACES: frozenset[str] = frozenset({
    "bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
    "image", "pie", "scatter", "scatterternary", "violin"})
ENV_VAR = "TUNECRAFT_PLOTLYJS"
FILES: dict[Bundle, str] = {"cartesian": CARTESIAN_FILE, "full": "plotly.min.js"}


def trace_types(figures: Iterable[Mapping[str, Any] | None]) -> set[str]:
    """The trace types of figure dicts (plotly's default type is ``scatter``)."""
    return {str(trace.get("type", "scatter")) for fig in figures if fig
            for trace in fig.get("data", ())}


def bundle_for(figures: Iterable[Mapping[str, Any] | None]) -> Bundle:
    """``"cartesian"`` when that bundle draws every trace of ``figures`` (and
    ``TUNECRAFT_PLOTLYJS`` is not ``full``), else ``"full"``."""
    forced = os.environ.get(ENV_VAR, "auto").strip().lower()
    if forced not in ("auto", "full", ""):
        raise ValueError(f"{ENV_VAR}={os.environ[ENV_VAR]!r} must be 'full' (always the full "
                         "plotly.js) or 'auto' (the cartesian bundle when it draws every plot)")
    if forced == "full":
        return "full"
    return "cartesian" if trace_types(figures) <= CARTESIAN_TRACES else "full"


def plotly_js(bundle: Bundle = "cartesian") -> str:
    """The minified plotly.js ``bundle``: the vendored cartesian one, or the full one that the
    plotly Python package ships (``pip install 'tunecraft[viz]'``)."""
    if bundle == "cartesian":
        folder = resources.files("tunecraft.viz").joinpath("assets")
        return folder.joinpath(CARTESIAN_FILE).read_text(encoding="utf-8")
    if bundle != "full":
        raise ValueError(f"bundle={bundle!r} must be 'cartesian' or 'full'")
    require("plotly", "viz")
    folder = resources.files("plotly").joinpath("package_data")
    return folder.joinpath("plotly.min.js").read_text(encoding="utf-8")
