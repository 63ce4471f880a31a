"""Pruners: NopPruner, MedianPruner and PercentilePruner decide from a trial and the history."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tunecraft import FrozenTrial, History, StudyDirection, TrialState
from tunecraft.pruners import BasePruner, Decision, MedianPruner, NopPruner, PercentilePruner
from tunecraft.record import freeze

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE
CONTINUE, PRUNE = Decision.CONTINUE, Decision.PRUNE


def reported(number: int, reports: dict[int, float], state: TrialState = TrialState.COMPLETE
             ) -> FrozenTrial:
    values = (0.0,) if state is TrialState.COMPLETE else None
    return FrozenTrial(number=number, state=state, values=values,
                       intermediate_values=freeze(reports))


def history(*curves: dict[int, float], direction: StudyDirection = MIN,
            extra: tuple[FrozenTrial, ...] = ()) -> History:
    return History([reported(i, c) for i, c in enumerate(curves)] + list(extra), (direction,))


def running(reports: dict[int, float]) -> FrozenTrial:
    return reported(99, reports, TrialState.RUNNING)


def test_nop_pruner_never_prunes() -> None:
    h = history({0: 1.0}, {0: 1.0})
    assert NopPruner().decide(running({0: 1e9}), h) is CONTINUE
    assert NopPruner().decide(running({0: float("nan")}), h) is CONTINUE
    assert repr(NopPruner()) == "NopPruner()"


def test_median_compares_the_best_value_with_the_median_at_the_same_step() -> None:
    h = history({0: 1.0, 1: 0.8}, {0: 2.0, 1: 0.6}, {0: 3.0, 1: 0.4})
    p = MedianPruner(n_startup_trials=3)
    assert p.decide(running({0: 2.5}), h) is PRUNE  # median at step 0 is 2.0
    assert p.decide(running({0: 2.0}), h) is CONTINUE  # not strictly worse
    assert p.decide(running({0: 1.5}), h) is CONTINUE
    assert p.decide(running({0: 2.5, 1: 0.7}), h) is PRUNE  # best 0.7 > median 0.6 at step 1
    assert p.decide(running({0: 0.5, 1: 0.7}), h) is CONTINUE  # its best so far is 0.5
    mx = history({0: 1.0}, {0: 2.0}, {0: 3.0}, direction=MAX)
    assert p.decide(running({0: 1.5}), mx) is PRUNE
    assert p.decide(running({0: 2.5}), mx) is CONTINUE


def test_median_waits_for_startup_trials_warmup_and_data() -> None:
    h = history({0: 1.0, 5: 1.0}, {0: 1.0, 5: 1.0})
    worse = {0: 9.0}
    assert MedianPruner(n_startup_trials=3).decide(running(worse), h) is CONTINUE
    assert MedianPruner(n_startup_trials=2).decide(running(worse), h) is PRUNE
    assert MedianPruner(2, n_warmup_steps=1).decide(running(worse), h) is CONTINUE
    assert MedianPruner(2).decide(running({}), h) is CONTINUE  # nothing reported yet
    assert MedianPruner(2).decide(running({3: 9.0}), h) is CONTINUE  # no one reported step 3
    assert MedianPruner(2, n_min_trials=3).decide(running(worse), h) is CONTINUE
    unfinished = (reported(7, {0: 0.0}, TrialState.PRUNED), reported(8, {0: 0.0},
                                                                       TrialState.RUNNING))
    only_one = history({0: 1.0}, extra=unfinished)  # pruned and running trials do not count
    assert MedianPruner(2).decide(running(worse), only_one) is CONTINUE


def test_nan_reports() -> None:
    h = history({0: 1.0}, {0: float("nan")}, {0: 3.0})
    p = MedianPruner(n_startup_trials=1)
    assert p.decide(running({0: float("nan")}), h) is PRUNE  # only NaN: the trial diverged
    assert p.decide(running({0: float("nan"), 1: 0.5}), h) is CONTINUE  # no one at step 1
    assert p.decide(running({0: 1.5}), h) is CONTINUE  # NaN is left out: median of 1 and 3
    assert p.decide(running({0: 2.5}), h) is PRUNE


@pytest.mark.parametrize("steps, decided", [
    ([0], True), ([0, 1], False), ([0, 1, 2], False), ([0, 1, 2, 3], True), ([0, 4], True),
    ([0, 3, 5], False), ([0, 2, 6], True), ([1, 2], False), ([2, 7], True), ([7, 8], False),
])
def test_interval_steps_decide_at_the_first_report_of_each_interval(
        steps: list[int], decided: bool) -> None:
    h = history({s: 1.0 for s in range(10)})
    p = MedianPruner(n_startup_trials=1, interval_steps=3)  # boundaries at 0, 3, 6, ...
    worse = running({s: 9.0 for s in steps})
    assert (p.decide(worse, h) is PRUNE) is decided


def test_interval_counts_from_the_end_of_warmup() -> None:
    h = history({s: 1.0 for s in range(10)})
    p = MedianPruner(n_startup_trials=1, n_warmup_steps=2, interval_steps=3)  # 2, 5, 8
    dense = [p.decide(running({s: 9.0 for s in range(last + 1)}), h) for last in range(10)]
    assert [d is PRUNE for d in dense] == [s in (2, 5, 8) for s in range(10)]


@given(st.lists(st.floats(-100, 100), min_size=1, max_size=8),
       st.floats(-100, 100), st.sampled_from([MIN, MAX]), st.floats(0, 100))
def test_percentile_threshold(others: list[float], mine: float, direction: StudyDirection,
                              percentile: float) -> None:
    import numpy as np

    h = history(*({0: v} for v in others), direction=direction)
    decision = PercentilePruner(percentile, n_startup_trials=0).decide(running({0: mine}), h)
    if direction is MIN:
        worse = mine > np.percentile(others, percentile)
    else:
        worse = mine < np.percentile(others, 100 - percentile)
    assert (decision is PRUNE) == bool(worse)


def test_percentile_extremes() -> None:
    h = history({0: 1.0}, {0: 2.0}, {0: 3.0})
    assert PercentilePruner(25.0, 0).decide(running({0: 1.8}), h) is PRUNE
    assert PercentilePruner(75.0, 0).decide(running({0: 1.8}), h) is CONTINUE
    assert PercentilePruner(100.0, 0).decide(running({0: 3.0}), h) is CONTINUE
    assert PercentilePruner(0.0, 0).decide(running({0: 1.1}), h) is PRUNE


def test_multi_objective_is_refused() -> None:
    h = History([], (MIN, MAX))
    with pytest.raises(ValueError, match="single-objective studies only"):
        MedianPruner().decide(running({0: 1.0}), h)


@pytest.mark.parametrize("make, match", [
    (lambda: PercentilePruner(-1.0), "percentile=-1.0 must be a number in"),
    (lambda: PercentilePruner(100.5), "percentile=100.5"),
    (lambda: PercentilePruner("50"), "percentile='50'"),
    (lambda: MedianPruner(n_startup_trials=-1), "n_startup_trials=-1 must be an integer >= 0"),
    (lambda: MedianPruner(n_warmup_steps=1.5), "n_warmup_steps=1.5"),
    (lambda: MedianPruner(interval_steps=0), "interval_steps=0 must be an integer >= 1"),
    (lambda: MedianPruner(n_min_trials=0), "n_min_trials=0"),
    (lambda: MedianPruner(n_startup_trials=True), "n_startup_trials=True"),
])
def test_arguments_are_validated(make: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_defaults_and_repr() -> None:
    p = MedianPruner()
    assert (p.percentile, p.n_startup_trials, p.n_warmup_steps, p.interval_steps,
            p.n_min_trials) == (50.0, 5, 0, 1, 1)
    assert repr(p) == ("MedianPruner(percentile=50.0, n_startup_trials=5, n_warmup_steps=0, "
                       "interval_steps=1)")
    assert isinstance(p, BasePruner)


def test_decide_reads_and_never_writes() -> None:
    h = history({0: 1.0}, {0: 2.0})
    t = running({0: 5.0})
    before = (h.trials, t)
    for _ in range(3):
        assert MedianPruner(n_startup_trials=1).decide(t, h) is PRUNE
    assert (h.trials, t) == before
