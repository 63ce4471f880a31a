"""Figure layouts that read right (titles clear of the toolbar, slice panels titled by their own
parameter, importance bars not dwarfed) and the choice of the plotly.js bundle."""

from __future__ import annotations

import math

import pytest

from tests._viz_studies import uniform_history
from tunecraft.analysis import Importance
from tunecraft.space import Categorical, Float
from tunecraft.viz import board, figures, info
from tunecraft.viz.plotlyjs import (
    CARTESIAN_TRACES,
    ENV_VAR,
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


def test_the_board_needs_only_the_cartesian_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    figs = [p.figure for p in board.study_figures(_history())]
    assert trace_types(figs) <= {"scatter", "bar", "contour"} <= CARTESIAN_TRACES
    assert bundle_for(figs) == "cartesian"
    webgl = figures.parallel_figure(info.parallel_info(_history()), webgl=True)
    assert bundle_for([*figs, webgl]) == "full"  # parcoords: not in the partial bundle
    assert bundle_for([{"data": [{"x": [1]}]}]) == "cartesian"  # plotly's default: scatter
    monkeypatch.setenv(ENV_VAR, "full")
    assert bundle_for(figs) == "full"
    monkeypatch.setenv(ENV_VAR, "tiny")
    with pytest.raises(ValueError, match="TUNECRAFT_PLOTLYJS='tiny' must be 'full'"):
        bundle_for(figs)


def test_the_vendored_bundle_is_the_official_cartesian_one_with_its_licence() -> None:
    from importlib import resources

    js = plotly_js("cartesian")
    assert js.startswith("/**\n* plotly.js (cartesian - minified) v4.1.1")
    assert 1_000_000 < len(js) < 2_000_000 < len(plotly_js("full"))
    licence = resources.files("tunecraft.viz").joinpath("assets", "plotly-cartesian.LICENSE")
    assert "MIT License" in licence.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="'cartesian' or 'full'"):
        plotly_js("gl3d")  # type: ignore[arg-type]


def test_slice_grid_keeps_one_row_figures_compact() -> None:
    fig = figures.slice_figure(info.slice_info(_history(n_params=2)))
    assert fig["layout"]["height"] == 340
    assert math.isclose(fig["layout"]["annotations"][0]["y"], fig["layout"]["yaxis"]["domain"][1])
