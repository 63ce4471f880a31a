"""Figure layouts that read right (titles clear of the toolbar, slice panels titled by their own
parameter, importance bars not dwarfed) and the choice of the plotly.js bundle."""

from __future__ import annotations

import math
import re

import pytest

from tests._viz_studies import uniform_history
from tunecraft.analysis import Importance
from tunecraft.space import Categorical, Float
from tunecraft.viz import board, figures, info
from tunecraft.viz.plotlyjs import (
    ENV_VAR,
    PARTIAL_SHA256,
    PARTIAL_TRACES,
    PARTIAL_VERSION,
    bundle_for,
    plotly_js,
    trace_types,
)


def _history(n_params: int = 7, n: int = 40):  # type: ignore[no-untyped-def]
    dims = {f"param_{i}": Float(1e-3, 1.0, log=True) for i in range(n_params - 1)}
    dims["opt"] = Categorical(("adam", "sgd"))
    return uniform_history(lambda **kw: sum(v for v in kw.values() if isinstance(v, float)),
                           n, dims=dims)


def test_every_title_sits_below_the_toolbar_on_the_left() -> None:
    for panel in board.study_figures(_history()):
        if panel.figure is None:
            continue
        layout = panel.figure["layout"]
        title = layout["title"]
        assert (title["xanchor"], title["yref"], title["yanchor"]) == ("left", "container", "top")
        # title top at TITLE_TOP px; plotly's toolbar is about 28 px tall
        assert layout["height"] * (1 - title["y"]) == pytest.approx(figures.TITLE_TOP)
        assert figures.TITLE_TOP >= 30
        assert layout["margin"]["t"] >= figures.TITLE_TOP + 20, panel.key


def test_slice_panels_are_titled_above_and_rows_leave_room_for_ticks() -> None:
    fig = figures.slice_figure(info.slice_info(_history()))
    layout = fig["layout"]
    plot_h = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    notes = layout["annotations"]
    assert len(notes) == len(fig["data"]) == 7
    keys = ["" if i == 0 else str(i + 1) for i in range(7)]
    names = ["opt", *(f"param_{i}" for i in range(6))]  # sorted
    for i, note in enumerate(notes):
        k = keys[i]
        x0, x1 = layout[f"xaxis{k}"]["domain"]
        y0, y1 = layout[f"yaxis{k}"]["domain"]
        assert note["text"] == f"<b>{names[i]}</b>"
        assert x0 < note["x"] < x1 and note["y"] == y1 and note["yanchor"] == "bottom"
        assert layout[f"xaxis{k}"]["title"]["text"] == ""  # no name below, near the next row
        below = [layout[f"yaxis{j}"]["domain"][1] for j in keys
                 if layout[f"yaxis{j}"]["domain"][1] < y0 - 1e-9]
        if below:  # the gap to the next row holds this row's ticks and the next one's titles
            assert (y0 - max(below)) * plot_h >= 60


def test_importance_bars_are_labelled_and_fill_the_axis() -> None:
    imp = Importance("fanova", ("a", "b", "c"), (0.30, 0.05, 0.01), (0.45, 0.2, 0.1), 100)
    fig = figures.importance_figure(info.importance_info(imp))
    bar = fig["data"][0]
    assert "error_x" not in bar  # the spread (larger than the values) is on hover only
    assert bar["customdata"] == [0.1, 0.2, 0.45] and "sd across trees" in bar["hovertemplate"]
    assert bar["text"] == ["0.01", "0.05", "0.3"]
    assert fig["layout"]["xaxis"]["range"] == [0, pytest.approx(0.33)]


def test_the_board_needs_only_the_partial_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    figs = [p.figure for p in board.study_figures(_history())]
    assert trace_types(figs) <= {"scatter", "bar", "contour"} == PARTIAL_TRACES
    assert bundle_for(figs) == "partial"
    webgl = figures.parallel_figure(info.parallel_info(_history()), webgl=True)
    assert bundle_for([*figs, webgl]) == "full"  # parcoords: not in the partial bundle
    assert bundle_for([{"data": [{"x": [1]}]}]) == "partial"  # plotly's default: scatter
    assert bundle_for([{"data": [{"type": "heatmap"}]}]) == "full"
    monkeypatch.setenv(ENV_VAR, "full")
    assert bundle_for(figs) == "full"
    monkeypatch.setenv(ENV_VAR, "tiny")
    with pytest.raises(ValueError, match="TUNECRAFT_PLOTLYJS='tiny' must be 'full'"):
        bundle_for(figs)


def test_the_vendored_bundle_is_the_one_built_with_its_licences() -> None:
    import hashlib
    from importlib import resources

    js = plotly_js("partial")
    assert js.startswith(f"/**\n* plotly.js (tunecraft partial bundle: scatter, bar, contour - "
                         f"minified) v{PARTIAL_VERSION}")
    # the file tools/plotly-bundle wrote (rebuilt there: update PARTIAL_SHA256)
    assert hashlib.sha256(js.encode("utf-8")).hexdigest() == PARTIAL_SHA256
    assert 1_000_000 < len(js) < 1_400_000 < 4_000_000 < len(plotly_js("full"))
    licence = resources.files("tunecraft.viz").joinpath("assets", "plotly-tunecraft.LICENSE")
    text = licence.read_text(encoding="utf-8")
    assert "plotly.js 4.1.1\n" in text and "@plotly/d3 " in text and "MIT License" in text
    with pytest.raises(ValueError, match="'partial' or 'full'"):
        plotly_js("gl3d")  # type: ignore[arg-type]


def test_slice_grid_keeps_one_row_figures_compact() -> None:
    fig = figures.slice_figure(info.slice_info(_history(n_params=2)))
    assert fig["layout"]["height"] == 340
    assert math.isclose(fig["layout"]["annotations"][0]["y"], fig["layout"]["yaxis"]["domain"][1])


def test_tick_labels_are_never_measured_for_overflow() -> None:
    """Every 2-D axis and colour bar leaves its tick labels alone: plotly.js's default for
    numeric axes measures every label each time one is placed, a forced layout each."""
    imp = Importance("fanova", ("param_0", "opt"), (0.6, 0.1), None, 40)
    figs = [p.figure for p in board.study_figures(_history(), importance=imp) if p.figure]
    bars = 0
    for fig in figs:
        layout = fig["layout"]
        axes = [k for k in layout if re.fullmatch(r"[xy]axis[0-9]*", k)]
        assert {"xaxis", "yaxis"} <= set(axes)
        assert all(layout[k]["ticklabeloverflow"] == "allow" for k in axes), axes
        for trace in fig["data"]:
            owner = trace if trace.get("type") == "contour" else trace.get("marker", {})
            if trace.get("type") == "contour" or owner.get("showscale"):
                assert owner["colorbar"]["ticklabeloverflow"] == "allow"
                bars += 1
    assert bars == 2  # the contour's and the parallel coordinates'
    assert len([k for k in figs[3]["layout"] if k.startswith("xaxis")]) == 7  # slice panels


def test_parallel_lines_are_one_path_per_band_broken_at_missing_values() -> None:
    from tunecraft.viz._figure_params import _polylines

    assert _polylines([[0.5, math.nan, 0.25, 1.0], [0.123456789, 1.0]]) == (
        "M0,0.5M2,0.25L3,1M0,0.1235L1,1")
    fig = figures.parallel_figure(info.parallel_info(_history()), webgl=False)
    paths = [s for s in fig["layout"]["shapes"] if s["type"] == "path"]
    assert 1 <= len(paths) <= 10 and all(s["xref"] == "x" and s["yref"] == "y" for s in paths)
    assert sum(s["path"].count("M") for s in paths) == 40  # one line per trial
