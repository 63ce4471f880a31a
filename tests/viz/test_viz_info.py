"""The pure plot data functions: the numbers each plot shows, checked without drawing."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from tests._viz_studies import T0, trial, uniform_history
from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.record import TrialState
from tunecraft.space import Categorical, Float, Int
from tunecraft.viz import info
from tunecraft.viz._common import thin

MIN = [StudyDirection.MINIMIZE]
X = {"x": Float(0.0, 1.0)}


def _values_history(values: list[float | None], direction: str = "minimize") -> History:
    trials = [trial(i, {"x": 0.5}, X, None if v is None else (v,),
                    state=TrialState.COMPLETE if v is not None else TrialState.FAIL)
              for i, v in enumerate(values)]
    return History(trials, [StudyDirection.parse(direction)])


def test_history_best_so_far_changes_only_on_improvement() -> None:
    h = _values_history([5.0, 3.0, None, 4.0, 1.0, 2.0])
    out = info.history_info(h)
    assert out.numbers == (0, 1, 3, 4, 5) and out.values == (5.0, 3.0, 4.0, 1.0, 2.0)
    assert out.best_numbers == (0, 1, 4, 5) and out.best_values == (5.0, 3.0, 1.0, 1.0)
    up = info.history_info(_values_history([1.0, 3.0, 2.0], "maximize"))
    assert up.best_values == (1.0, 3.0, 3.0) and not up.minimize


def test_history_thinning_keeps_the_best_line_exact() -> None:
    h = _values_history([float(100 - i) for i in range(100)])
    out = info.history_info(h, max_points=10)
    assert out.n_total == 100 and len(out.best_numbers) == 100
    assert set(out.best_numbers) <= set(out.numbers)  # every improvement stays visible


def test_thin_is_even_ordered_and_keeps_the_requested_row() -> None:
    rows = list(range(1000))
    out = thin(rows, 10, keep=333)
    assert out == sorted(out) and 333 in out and out[0] == 0 and out[-1] == 999
    assert len(out) <= 11
    assert thin(rows, None) == rows


def test_distribution_is_an_ecdf() -> None:
    out = info.distribution_info(_values_history([3.0, 1.0, 2.0, math.inf]))
    assert out.values == (1.0, 2.0, 3.0) and out.cumulative == pytest.approx((1 / 3, 2 / 3, 1))
    big = info.distribution_info(_values_history([float(i) for i in range(500)]), max_points=50)
    assert len(big.values) <= 50 and big.cumulative[-1] == 1.0 and big.values[0] == 0.0


def test_parallel_axes_encode_categories_and_logs() -> None:
    dims = {"lr": Float(1e-4, 1.0, log=True), "opt": Categorical(("adam", "sgd")),
            "n": Int(1, 4)}
    h = History([trial(0, {"lr": 1e-3, "opt": "sgd", "n": 2}, dims, (1.0,)),
                 trial(1, {"lr": 1e-2, "opt": "adam", "n": 3}, dims, (0.5,)),
                 trial(2, {"lr": 1e-1}, {"lr": dims["lr"]}, (0.1,))], MIN)  # lacks opt and n
    out = info.parallel_info(h, params=["lr", "n", "opt"])
    assert out.numbers == (0, 1) and out.n_total == 2
    axes = {a.name: a for a in out.axes}
    assert axes["opt"].values == (1.0, 0.0) and axes["opt"].categories == ("adam", "sgd")
    assert axes["lr"].log and axes["lr"].values == (1e-3, 1e-2)
    assert (axes["n"].low, axes["n"].high) == (1.0, 4.0)
    shared = info.parallel_info(h)  # default: the parameters all completed trials share
    assert [a.name for a in shared.axes] == ["lr"] and shared.numbers == (0, 1, 2)


def test_parallel_falls_back_to_the_best_trials_parameters() -> None:
    h = History([trial(0, {"a": 0.1}, {"a": Float(0, 1)}, (1.0,)),
                 trial(1, {"b": 0.2}, {"b": Float(0, 1)}, (0.5,))], MIN)
    out = info.parallel_info(h)
    assert [a.name for a in out.axes] == ["b"] and out.numbers == (1,)


def test_slice_has_one_panel_per_parameter_with_its_own_trials() -> None:
    dims = {"a": Float(0, 1), "b": Float(0, 1)}
    h = History([trial(0, {"a": 0.1, "b": 0.2}, dims, (1.0,)),
                 trial(1, {"a": 0.3}, {"a": dims["a"]}, (2.0,)),
                 trial(2, {"a": 0.5}, {"a": dims["a"]}, None, state=TrialState.PRUNED)], MIN)
    panels = {p.axis.name: p for p in info.slice_info(h).panels}
    assert panels["a"].numbers == (0, 1) and panels["a"].axis.values == (0.1, 0.3)
    assert panels["b"].numbers == (0,) and panels["b"].values == (1.0,)
    with pytest.raises(ValueError, match="no trial has"):
        info.slice_info(h, params=["c"])


def test_contour_surface_follows_a_plane_and_leaves_far_cells_empty() -> None:
    h = uniform_history(lambda x, y, z: x + 2 * y, 400)
    out = info.contour_info(h, "x", "y", grid=11)
    assert len(out.grid_x) == 11 and out.grid_x[0] == 0.0 and out.grid_x[-1] == 1.0
    centre = out.z[5][5]
    assert centre is not None and centre == pytest.approx(1.5, abs=0.1)
    assert out.z[10][10] is not None and out.z[10][10] > out.z[0][0]  # type: ignore[operator]
    lonely = History([trial(0, {"x": 0.0, "y": 0.0}, {"x": Float(0, 1), "y": Float(0, 1)},
                            (1.0,))], MIN)
    corner = info.contour_info(lonely, "x", "y", grid=5)
    assert corner.z[0][0] == 1.0 and corner.z[4][4] is None
    with pytest.raises(ValueError, match="two different parameters"):
        info.contour_info(h, "x", "x")


def test_contour_log_and_categorical_axes_use_plot_coordinates() -> None:
    dims = {"lr": Float(1e-4, 1.0, log=True), "opt": Categorical(("a", "b", "c"))}
    h = uniform_history(lambda lr, opt: math.log(lr), 60, dims=dims)
    out = info.contour_info(h, "lr", "opt", grid=5)
    assert out.grid_x[0] == pytest.approx(1e-4) and out.grid_x[-1] == pytest.approx(1.0)
    assert out.grid_x[2] == pytest.approx(1e-2)
    assert out.grid_y == (0.0, 1.0, 2.0) and len(out.z) == 3


def test_curves_mark_pruned_trials_where_they_stopped() -> None:
    h = History([
        trial(0, {}, {}, (0.5,), reports={0: 1.0, 1: 0.7, 2: 0.5}),
        trial(1, {}, {}, None, state=TrialState.PRUNED, reports={0: 2.0, 1: 1.9}),
        trial(2, {}, {}, (0.9,)),  # reported nothing
    ], MIN)
    out = info.curves_info(h)
    assert [c.number for c in out.curves] == [0, 1] and out.n_total == 2
    assert out.curves[0].steps == (0, 1, 2) and out.curves[1].state == "PRUNED"
    assert out.pruned == ((1, 1, 1.9),)


def test_timeline_packs_overlapping_trials_into_lanes() -> None:
    h = History([
        trial(0, {}, {}, (1.0,), start=0, end=10),
        trial(1, {}, {}, (1.0,), start=1, end=4),
        trial(2, {}, {}, None, state=TrialState.FAIL, start=5, end=6),  # reuses lane 2
        trial(3, {}, {}, None, state=TrialState.RUNNING, start=7),  # lane 2 again, until now
        trial(4, {}, {}, None, state=TrialState.WAITING),  # never started: not shown
    ], MIN)
    now = T0 + dt.timedelta(seconds=20)
    out = info.timeline_info(h, now=now)
    assert out.inferred and out.workers == ("lane 1", "lane 2")
    lanes = {b.number: b.worker for b in out.bars}
    assert lanes == {0: "lane 1", 1: "lane 2", 2: "lane 2", 3: "lane 2"}
    assert out.bars[3].end == now and out.bars[2].state == "FAIL"


def test_timeline_uses_recorded_workers() -> None:
    h = History([trial(0, {}, {}, (1.0,), start=0, end=1, system_attrs={"worker": "gpu-1"}),
                 trial(1, {}, {}, (1.0,), start=0, end=1, system_attrs={"worker": "gpu-0"})],
                MIN)
    out = info.timeline_info(h)
    assert not out.inferred and out.workers == ("gpu-0", "gpu-1")


def test_pareto_front_is_history_best_trials() -> None:
    dims = {"a": Float(0, 1)}
    pts = [(1.0, 4.0), (2.0, 2.0), (3.0, 3.0), (4.0, 1.0), (2.5, 2.5)]
    h = History([trial(i, {"a": 0.0}, dims, p) for i, p in enumerate(pts)],
                [StudyDirection.MINIMIZE] * 2)
    out = info.pareto_info(h, names=["loss", "latency"])
    assert out.front_numbers == (0, 1, 3)  # sorted along the first objective
    assert set(out.front_numbers) == {t.number for t in h.best_trials()}
    assert out.other_numbers == (2, 4) and out.names == ("loss", "latency")
    assert info.pareto_info(h, objectives=[1]).front == ((1.0,), (2.0,), (4.0,))
    with pytest.raises(ValueError, match="objectives"):
        info.pareto_info(h, objectives=[0, 2])


def test_summary_counts_best_and_times() -> None:
    h = History([trial(0, {"x": 0.1}, X, (2.0,), start=0, end=2),
                 trial(1, {"x": 0.2}, X, (1.0,), start=1, end=4),
                 trial(2, {"x": 0.3}, X, None, state=TrialState.PRUNED, start=4, end=5)], MIN)
    out = info.summary_info(h)
    counts = dict(out.counts)
    assert out.n_trials == 3 and counts["COMPLETE"] == 2 and counts["PRUNED"] == 1
    assert out.best[0].number == 1
    assert out.wall_seconds == 5.0 and out.trial_seconds == 6.0


def test_importance_info_carries_shares_and_spread() -> None:
    from tunecraft.analysis import fanova

    imp = fanova(uniform_history(lambda x, y, z: x + 0.1 * y, 120), n_trees=8)
    out = info.importance_info(imp)
    assert out.names == imp.names and sum(out.shares) == pytest.approx(1.0)
    assert out.spread == imp.spread and out.method == "fanova"


def test_lr_range_info_marks_the_suggestion() -> None:
    from tunecraft.torch.lr_result import run_range_test

    result = run_range_test(lambda lr: (math.log10(lr) + 3) ** 2 + 1.0, start_lr=1e-6,
                            end_lr=1.0, num_iter=80, diverge_factor=None)
    out = info.lr_range_info(result, rules=("steepest", "minimum"))
    assert out.log_x and len(out.lrs) == 80 and out.stop_reason == "completed"
    marks = {rule: lr for rule, lr, _ in out.suggestions}
    assert marks["steepest"] == result.suggestion("steepest")
    assert marks["minimum"] == result.suggestion("minimum")
    for _, _lr, loss in out.suggestions:
        assert min(out.smoothed) <= loss <= max(out.smoothed)
