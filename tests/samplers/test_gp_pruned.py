"""The GP sampler learns from PRUNED trials: each is an observation at its last report,
never better than the worst COMPLETE value, and counts towards the start-up; studies
without PRUNED trials see exactly the observations they saw before."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers.gp import GPSampler
from tunecraft.samplers.gp import _data as gp_data
from tunecraft.samplers.gp._data import observations
from tunecraft.samplers.gp._encoding import Encoding
from tunecraft.space import Dim, Float

MAX = (StudyDirection.MAXIMIZE,)
SPACE: dict[str, Dim] = {"x": Float(0.0, 1.0)}


def _trial(number: int, x: float, state: TrialState, value: float | None = None,
           reports: dict[int, float] | None = None) -> FrozenTrial:
    return FrozenTrial(number, state, params={"x": x}, distributions=SPACE,
                       values=None if value is None else (value,),
                       intermediate_values=reports or {})


def _obs(trials: list[FrozenTrial], directions: tuple[StudyDirection, ...] = MAX
         ) -> gp_data.Observations:
    return observations(History(trials, directions), Encoding(SPACE), 99)


def test_a_pruned_trial_is_observed_at_its_last_report_below_every_complete_one() -> None:
    trials = [_trial(0, 0.1, TrialState.COMPLETE, 0.9, {1: 0.5, 2: 0.9}),
              _trial(1, 0.2, TrialState.COMPLETE, 0.6, {1: 0.4, 2: 0.6}),
              _trial(2, 0.3, TrialState.PRUNED, reports={1: 0.2}),      # below the worst
              _trial(3, 0.4, TrialState.PRUNED, reports={1: 0.3, 2: 0.8})]  # capped
    obs = _obs(trials)
    assert obs.n == 4
    # maximize: the GP minimises -value; the capped trial looks as bad as the worst (0.6)
    assert obs.values[:, 0].tolist() == pytest.approx([-0.9, -0.6, -0.2, -0.6])
    assert obs.x.shape == (4, 1) and obs.feasible.all()


def test_a_pruned_trial_without_a_usable_report_is_the_worst_complete_one() -> None:
    trials = [_trial(0, 0.1, TrialState.COMPLETE, 0.9, {1: 0.9}),
              _trial(1, 0.2, TrialState.PRUNED, reports={1: math.nan}),
              _trial(2, 0.3, TrialState.PRUNED, reports={1: -math.inf})]
    assert _obs(trials).values[:, 0].tolist() == pytest.approx([-0.9, -0.9, -0.9])
    alone = _obs([_trial(0, 0.2, TrialState.PRUNED),  # no report, no COMPLETE: unknown
                  _trial(1, 0.3, TrialState.PRUNED, reports={1: 0.4})])
    assert alone.n == 1 and alone.values[:, 0].tolist() == pytest.approx([-0.4])


def test_studies_without_pruned_trials_see_the_same_observations() -> None:
    rng = np.random.default_rng(0)
    trials = [_trial(i, float(x), TrialState.COMPLETE, float(np.sin(6 * x)))
              for i, x in enumerate(rng.random(8))]
    trials.append(_trial(8, 0.5, TrialState.FAIL))
    on = _obs(trials)
    try:
        gp_data.PRUNED_AS_OBSERVATIONS = False
        off = _obs(trials)
    finally:
        gp_data.PRUNED_AS_OBSERVATIONS = True
    assert on.n == off.n == 8
    assert np.array_equal(on.x, off.x) and np.array_equal(on.values, off.values)


def test_pruned_trials_end_the_startup_and_steer_the_gp_away() -> None:
    """Ten trials, eight PRUNED low at x > 0.5: ignoring them the GP is still drawing its
    quasi-random start-up (2 finished); observing them it models and proposes x < 0.5."""
    done = [_trial(0, 0.1, TrialState.COMPLETE, 0.9, {1: 0.9}),
            _trial(1, 0.2, TrialState.COMPLETE, 0.85, {1: 0.85})]
    done += [_trial(2 + i, 0.55 + 0.05 * i, TrialState.PRUNED, reports={1: 0.05})
             for i in range(8)]
    history = History(done, MAX)
    sampler = GPSampler(seed=3, n_startup_trials=10)
    assert observations(history, Encoding(SPACE), 10).n == 10
    proposals = [sampler.sample(SPACE, history, sampler.rng(10 + k), 10 + k)["x"]
                 for k in range(5)]
    assert max(proposals) < 0.5
    try:
        gp_data.PRUNED_AS_OBSERVATIONS = False
        assert observations(history, Encoding(SPACE), 10).n == 2  # the old start-up
    finally:
        gp_data.PRUNED_AS_OBSERVATIONS = True


def test_multi_objective_studies_ignore_pruned_trials() -> None:
    both = (StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE)
    trials = [FrozenTrial(0, TrialState.COMPLETE, params={"x": 0.1}, distributions=SPACE,
                          values=(0.9, 1.0)),
              _trial(1, 0.2, TrialState.PRUNED, reports={1: 0.3})]
    assert _obs(trials, both).n == 1


def test_an_infeasible_pruned_trial_is_counted_once_and_keeps_its_constraints() -> None:
    def con(number: int, x: float, state: TrialState, c: float, value: float | None = None,
            reports: dict[int, float] | None = None) -> FrozenTrial:
        return FrozenTrial(number, state, params={"x": x}, distributions=SPACE,
                           values=None if value is None else (value,),
                           intermediate_values=reports or {},
                           system_attrs={"constraints": [c]})

    trials = [con(0, 0.1, TrialState.COMPLETE, -1.0, 0.9, {1: 0.9}),
              con(1, 0.2, TrialState.PRUNED, 2.0, reports={1: 0.3}),
              con(2, 0.3, TrialState.PRUNED, -1.0, reports={1: 0.2})]
    obs = _obs(trials)
    assert obs.n == 3
    assert obs.con[:, 0].tolist() == [-1.0, 2.0]  # the COMPLETE and the infeasible PRUNED
    assert obs.feasible.tolist() == [True, False, True]
    assert obs.values[:, 0].tolist() == pytest.approx([-0.9, -0.3, -0.2])
