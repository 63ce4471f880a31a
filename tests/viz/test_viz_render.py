"""Renderers: Plotly figure JSON, plotly Figures for notebooks, Matplotlib PNGs, the board."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from tests._viz_studies import trial, uniform_history
from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.record import TrialState
from tunecraft.space import Categorical, Float
from tunecraft.viz import board, figures, info


def _study(n: int = 60) -> History:
    dims = {"lr": Float(1e-4, 1.0, log=True), "<b>opt</b>": Categorical(("adam", "sgd")),
            "drop": Float(0.0, 0.5)}
    base = uniform_history(lambda lr, drop, **kw: (math.log10(lr) + 2) ** 2 + drop, n,
                           dims=dims)
    trials = []
    for t in base.trials:
        state = TrialState.PRUNED if t.number % 4 == 3 else TrialState.COMPLETE
        reports = {s: (t.values or (0,))[0] + 1 / (s + 1) for s in range(2 if state is
                                                                          TrialState.PRUNED
                                                                          else 5)}
        trials.append(trial(t.number, t.params, t.distributions,
                            t.values if state is TrialState.COMPLETE else None, state=state,
                            reports=reports, start=t.number, end=t.number + 1.5))
    return History(trials, [StudyDirection.MINIMIZE])


def _json(fig: dict) -> str:
    return json.dumps(fig, allow_nan=False)  # plotly.js gets no NaN literals


def test_every_board_panel_is_valid_json_with_data() -> None:
    panels = board.study_figures(_study(), importance=board.compute_importance(_study()))
    keys = [p.key for p in panels]
    assert keys == [k for k in board.ORDER if k in keys]
    drawn = {p.key: p for p in panels if p.figure is not None}
    assert set(drawn) == {"history", "importance", "parallel", "slice", "contour",
                          "intermediate", "timeline", "distribution"}
    assert next(p for p in panels if p.key == "pareto").note
    for p in drawn.values():
        text = _json(p.figure)
        assert p.figure["data"], p.key
        assert "<b>opt</b>" not in text  # user text is escaped for plotly.js
    assert "&lt;b&gt;opt&lt;/b&gt;" in _json(drawn["slice"].figure)


def test_board_caps_points_for_big_studies() -> None:
    panels = {p.key: p.figure for p in board.study_figures(_study(200), max_points=50,
                                                           max_curves=20)}
    assert panels["history"] is not None and len(panels["history"]["data"][0]["x"]) <= 60
    assert "of 150 trials" in panels["history"]["layout"]["title"]["text"]
    curves = panels["intermediate"]
    assert curves is not None and "20 of 200" in curves["layout"]["title"]["text"]


def test_history_figure_draws_the_info() -> None:
    h = _study()
    hi = info.history_info(h)
    fig = figures.history_figure(hi)
    assert fig["data"][0]["x"] == list(hi.numbers)
    assert fig["data"][1]["y"] == list(hi.best_values)
    assert fig["data"][1]["line"]["shape"] == "hv"


def test_curves_and_timeline_use_one_trace_per_state() -> None:
    h = _study(20)
    curves = figures.curves_figure(info.curves_info(h))
    names = [d["name"] for d in curves["data"]]
    assert names == ["complete", "pruned", "pruned here"]
    marks = curves["data"][-1]
    assert len(marks["x"]) == 5 and set(marks["x"]) == {1}  # pruned after step 1
    tl = figures.timeline_figure(info.timeline_info(h))
    assert [d["name"] for d in tl["data"]] == ["complete", "pruned"]
    assert sum(n is not None for d in tl["data"] for n in d["customdata"]) == 2 * 20  # hover


def test_a_crowded_timeline_draws_each_state_as_one_path() -> None:
    t0 = dt.datetime(2026, 1, 1)
    bars = tuple(info.Bar(i, f"w{i % 2}", "COMPLETE" if i % 3 else "FAIL",
                          t0 + dt.timedelta(seconds=i), t0 + dt.timedelta(seconds=i + 1.5))
                 for i in range(figures.HOVER_BARS + 1))
    fig = figures.timeline_figure(info.TimelineInfo(bars, ("w0", "w1"), False, len(bars)))
    assert [(d["name"], d["x"]) for d in fig["data"]] == [("complete", [None]),
                                                           ("fail", [None])]  # legend only
    paths = [s["path"] for s in fig["layout"]["shapes"]]
    assert [p.count("M") for p in paths] == [200, 101]
    first = paths[0].split("M")[1]  # trial 1 on lane 1, from t0 + 1 s to t0 + 2.5 s
    ms = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc).timestamp() * 1000
    assert first == f"{ms + 1000:.1f},1L{ms + 2500:.1f},1"
    assert fig["layout"]["yaxis"]["ticktext"] == ["w0", "w1"]


def test_parallel_figure_svg_and_webgl_forms() -> None:
    pi = info.parallel_info(_study())
    gl = figures.parallel_figure(pi)
    assert gl["data"][0]["type"] == "parcoords"
    assert len(gl["data"][0]["dimensions"]) == 4
    svg = figures.parallel_figure(pi, webgl=False)
    assert [d["type"] for d in svg["data"]] == ["scatter"]  # the colour bar's
    # one path per colour band: each trial's line, from the objective axis to the last one
    paths = [s["path"] for s in svg["layout"]["shapes"] if s["type"] == "path"]
    moves = [seg for path in paths for seg in path.split("M")[1:]]
    assert len(moves) == len(pi.values) and all(seg.count("L") == 3 for seg in moves)
    points = [tuple(map(float, p.split(","))) for seg in moves for p in seg.split("L")]
    assert {x for x, _ in points} == {0, 1, 2, 3}
    assert all(0.0 <= y <= 1.0 for _, y in points)  # every axis is scaled to [0, 1]
    assert svg["layout"]["xaxis"]["ticktext"][0] == "Objective value"


def test_pareto_figure_needs_two_or_three_objectives() -> None:
    dims = {"a": Float(0, 1)}
    h2 = History([trial(i, {"a": 0.0}, dims, (float(i), float(5 - i))) for i in range(5)],
                 [StudyDirection.MINIMIZE] * 2)
    fig = figures.pareto_figure(info.pareto_info(h2))
    assert fig["data"][1]["name"] == "Pareto front" and len(fig["data"][1]["x"]) == 5
    with pytest.raises(ValueError, match="2 or 3"):
        figures.pareto_figure(info.pareto_info(h2, objectives=[0]))


def test_plotly_figures_for_notebooks() -> None:
    from tunecraft import viz

    h = _study()
    assert viz.plot_optimization_history(h).data[0].type == "scatter"
    assert viz.plot_parallel_coordinate(h).data[0].type == "parcoords"
    assert viz.plot_param_importances(h, n_trees=4).data[0].type == "bar"
    assert viz.plot_contour(h, "lr", "drop").data[0].type == "contour"
    for fn in (viz.plot_slice, viz.plot_intermediate_values, viz.plot_timeline, viz.plot_edf):
        assert len(fn(h).data) >= 1
    with pytest.raises(AttributeError):
        viz.plot_nothing  # noqa: B018


def test_matplotlib_pngs(tmp_path: Path) -> None:
    from tunecraft.torch.lr_result import run_range_test
    from tunecraft.viz import matplotlib as mpl

    h = _study()
    dims = {"a": Float(0, 1)}
    multi = History([trial(i, {"a": 0.0}, dims, (float(i), float(5 - i))) for i in range(5)],
                    [StudyDirection.MINIMIZE] * 2)
    lr = run_range_test(lambda lr: (math.log10(lr) + 3) ** 2 + 1, num_iter=60,
                        diverge_factor=None)
    calls = {
        "history": lambda p: mpl.plot_optimization_history(h, path=p),
        "edf": lambda p: mpl.plot_edf(h, path=p),
        "parallel": lambda p: mpl.plot_parallel_coordinate(h, path=p),
        "slice": lambda p: mpl.plot_slice(h, path=p),
        "contour": lambda p: mpl.plot_contour(h, "lr", "drop", path=p),
        "importance": lambda p: mpl.plot_param_importances(h, n_trees=4, path=p),
        "curves": lambda p: mpl.plot_intermediate_values(h, path=p),
        "timeline": lambda p: mpl.plot_timeline(h, path=p),
        "pareto": lambda p: mpl.plot_pareto_front(multi, path=p),
        "lr": lambda p: mpl.plot_lr_range(lr, path=p),
    }
    for name, call in calls.items():
        path = tmp_path / f"{name}.png"
        call(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    ax = mpl.plot_optimization_history(h)
    assert len(ax.collections[0].get_offsets()) == len(h.complete())


def test_viz_and_analysis_import_no_plotting_or_ml_library() -> None:
    from tests.test_import import loaded_after

    loaded = loaded_after("import tunecraft.viz, tunecraft.viz.info, tunecraft.viz.figures, "
                          "tunecraft.analysis, tunecraft.dashboard")
    assert loaded.isdisjoint({"plotly", "matplotlib", "sklearn", "fastapi", "uvicorn",
                              "scipy"}), sorted(loaded)
