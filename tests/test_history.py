"""History, FrozenTrial, TrialState, StudyDirection: what samplers and pruners read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tunecraft import FrozenTrial, History, StudyDirection, TrialState
from tunecraft.history import pareto_mask
from tunecraft.record import freeze, thaw
from tunecraft.space import Categorical, Float, Int

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE


def trial(number: int, state: TrialState = TrialState.COMPLETE, values: Any = None,
          **kwargs: Any) -> FrozenTrial:
    if values is not None and not isinstance(values, tuple):
        values = (float(values),)
    return FrozenTrial(number=number, state=state, values=values, **kwargs)


# ---------------------------------------------------------------------- FrozenTrial
def test_frozen_trial_is_immutable() -> None:
    t = trial(0, values=1.0, params=freeze({"x": 1}), user_attrs=freeze({"a": [1, {"b": 2}]}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.number = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        t.params["x"] = 2  # type: ignore[index]
    with pytest.raises(TypeError):
        t.user_attrs["a"][1]["b"] = 3
    assert t.user_attrs["a"][0] == 1 and isinstance(t.user_attrs["a"], tuple)


def test_frozen_trial_properties() -> None:
    start = dt.datetime(2024, 1, 1, 12, 0, 0)
    t = trial(0, values=2.5, intermediate_values=freeze({3: 0.1, 1: 0.5}),
              datetime_start=start, datetime_complete=start + dt.timedelta(seconds=90))
    assert t.value == 2.5 and t.last_step == 3 and t.duration == dt.timedelta(seconds=90)
    assert trial(1, TrialState.RUNNING).value is None
    assert trial(1, TrialState.RUNNING).last_step is None
    assert trial(1, TrialState.RUNNING, datetime_start=start).duration is None
    with pytest.raises(RuntimeError, match="has 2 objective values; use .values"):
        _ = trial(2, values=(1.0, 2.0)).value


@pytest.mark.parametrize("t, ranked", [
    (trial(0, values=1.0), True),
    (trial(0, values=(1.0, -2.0)), True),
    (trial(0, values=float("nan")), False),
    (trial(0, values=(1.0, float("inf"))), False),
    (trial(0, TrialState.PRUNED), False),
    (trial(0, TrialState.FAIL), False),
    (trial(0, TrialState.COMPLETE), False),  # COMPLETE without values cannot be ranked
])
def test_is_finite_complete(t: FrozenTrial, ranked: bool) -> None:
    assert t.is_finite_complete() is ranked


def test_trial_states() -> None:
    assert {s for s in TrialState if s.is_finished()} == {
        TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.STALE}


def test_freeze_and_thaw_are_inverse() -> None:
    data = {"a": [1, {"b": [None, 2.5]}], "c": "x"}
    frozen = freeze(data)
    assert thaw(frozen) == data
    assert isinstance(frozen["a"], tuple) and not isinstance(frozen, dict)


# ---------------------------------------------------------------------- directions
@pytest.mark.parametrize("text, expected", [
    ("minimize", MIN), ("MAXIMIZE", MAX), (" Maximize ", MAX), (MIN, MIN)])
def test_direction_parse(text: Any, expected: StudyDirection) -> None:
    assert StudyDirection.parse(text) is expected


@pytest.mark.parametrize("bad", ["min", "", None, 1, "maximise"])
def test_direction_parse_rejects(bad: Any) -> None:
    with pytest.raises(ValueError, match="use 'minimize' or 'maximize'"):
        StudyDirection.parse(bad)


def test_direction_sign() -> None:
    assert (MIN.sign, MAX.sign) == (1.0, -1.0)


# ---------------------------------------------------------------------- History
def sample_history(direction: StudyDirection = MIN) -> History:
    f = Float(0.0, 1.0)
    return History([
        trial(0, values=3.0, params=freeze({"x": 0.1, "n": 2}),
              distributions=freeze({"x": f, "n": Int(1, 4)}), system_attrs=freeze({"b": 0})),
        trial(1, values=1.0, params=freeze({"x": 0.2}), distributions=freeze({"x": f}),
              system_attrs=freeze({"b": 1})),
        trial(2, TrialState.FAIL, system_attrs=freeze({"b": 1})),
        trial(3, values=float("nan")),
        trial(4, values=1.0, params=freeze({"x": 0.3, "n": 3}),
              distributions=freeze({"x": f, "n": Int(1, 4)})),
        trial(5, TrialState.RUNNING, params=freeze({"c": "a"}),
              distributions=freeze({"c": Categorical(("a", "b"))})),
        trial(6, TrialState.WAITING),
        trial(7, TrialState.PRUNED, values=None),
    ], (direction,))


def test_history_basics() -> None:
    h = sample_history()
    assert len(h) == 8 and [t.number for t in h] == list(range(8))
    assert h.n_objectives == 1 and h.directions == (MIN,)
    assert repr(h) == "History(RUNNING=1, COMPLETE=4, PRUNED=1, FAIL=1, WAITING=1)"
    assert repr(History([], (MIN,))) == "History(empty)"
    assert h.trial(4).number == 4
    with pytest.raises(KeyError, match="no trial number 9"):
        h.trial(9)
    sparse = History([trial(2, values=1.0), trial(5, values=2.0)], (MIN,))
    assert sparse.trial(5).number == 5  # found even when numbers are not positions
    with pytest.raises(KeyError):
        sparse.trial(0)


def test_filters() -> None:
    h = sample_history()
    assert [t.number for t in h.complete()] == [0, 1, 4]  # the NaN value is not rankable
    assert [t.number for t in h.with_states(TrialState.COMPLETE)] == [0, 1, 3, 4]
    assert [t.number for t in h.with_states(TrialState.FAIL, TrialState.PRUNED)] == [2, 7]
    sub = h.where(b=1)
    assert [t.number for t in sub] == [1, 2] and sub.directions == h.directions
    assert [t.number for t in h.where(b=1, missing=None)] == [1, 2]  # absent == None
    assert len(h.where(b=7)) == 0


def test_best_trial_and_ties() -> None:
    assert sample_history(MIN).best_trial().number == 1  # type: ignore[union-attr]
    assert sample_history(MAX).best_trial().number == 0  # type: ignore[union-attr]
    assert [t.number for t in sample_history(MIN).best_trials()] == [1, 4]  # tied for best
    assert History([trial(0, TrialState.FAIL)], (MIN,)).best_trial() is None
    assert History([], (MIN,)).best_trials() == ()
    two = History([trial(0, values=(1.0, 2.0))], (MIN, MAX))
    with pytest.raises(RuntimeError, match="use best_trials"):
        two.best_trial()


def test_signed_values() -> None:
    h = History([trial(0, values=(1.0, 2.0)), trial(1, values=(3.0, -4.0)),
                 trial(2, TrialState.FAIL)], (MIN, MAX))
    assert h.signed_values().tolist() == [[1.0, -2.0], [3.0, 4.0]]
    assert h.signed_values(()).shape == (0, 2)
    assert h.signed_values(h.trials[1:2]).tolist() == [[3.0, 4.0]]


def test_pareto_front_of_two_objectives() -> None:
    pts = [(1.0, 5.0), (2.0, 2.0), (3.0, 3.0), (5.0, 1.0), (2.0, 2.0), (1.0, 6.0)]
    h = History([trial(i, values=p) for i, p in enumerate(pts)], (MIN, MIN))
    assert [t.number for t in h.best_trials()] == [0, 1, 3, 4]
    flipped = History([trial(i, values=p) for i, p in enumerate(pts)], (MAX, MAX))
    assert [t.number for t in flipped.best_trials()] == [2, 3, 5]


@given(arrays(float, st.tuples(st.integers(0, 12), st.integers(1, 3)),
              elements=st.integers(-3, 3).map(float)))
def test_pareto_mask_keeps_exactly_the_non_dominated_rows(losses: np.ndarray) -> None:
    keep = pareto_mask(losses)
    for i, row in enumerate(losses):
        dominated = any(np.all(other <= row) and np.any(other < row) for other in losses)
        assert keep[i] == (not dominated)


def test_intersection_space_and_distributions() -> None:
    h = sample_history()
    assert h.intersection_space() == {"x": Float(0.0, 1.0)}
    assert list(h.param_distributions()) == ["x", "n", "c"]  # RUNNING trials count here
    changed = History([*h.trials, trial(8, values=0.0, params=freeze({"x": 2.0}),
                                        distributions=freeze({"x": Float(0.0, 5.0)}))], (MIN,))
    assert changed.intersection_space() == {}
    assert changed.param_distributions()["x"] == Float(0.0, 1.0)  # the first one recorded
    assert History([], (MIN,)).intersection_space() == {}


def test_history_copies_its_input() -> None:
    trials = [trial(0, values=1.0)]
    h = History(trials, [MIN])
    trials.append(trial(1, values=0.0))
    assert len(h) == 1 and isinstance(h.trials, tuple) and isinstance(h.directions, tuple)
    assert math.isclose(h.best_trial().values[0], 1.0)  # type: ignore[union-attr,index]


def test_replayed_param_registry_equals_derived_registry() -> None:
    """The registry the storage keeps while replaying equals a scan of the trials."""
    import tunecraft as tc
    from tunecraft.samplers import RandomSampler

    study = tc.create_study(sampler=RandomSampler(seed=3))

    def objective(trial: tc.Trial) -> float:
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if kind == "a":
            trial.suggest_int("width", 1, 64, log=True)
        else:
            trial.suggest_float("rate", 0.0, 1.0, step=0.25)
        return 0.0

    study.optimize(objective, n_trials=12)
    replayed = study.history()
    derived = History(replayed.trials, replayed.directions)
    assert dict(replayed.param_distributions()) == dict(derived.param_distributions())
    assert set(replayed.param_distributions()) == {"kind", "width", "rate"}


def test_trials_histories_and_used_samplers_pickle() -> None:
    """Records, histories and samplers with warm caches cross process boundaries intact."""
    import copy
    import pickle

    import tunecraft as tc
    from tunecraft.samplers import TPESampler

    sampler = TPESampler(seed=2)
    study = tc.create_study(sampler=sampler)

    def objective(trial: tc.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_user_attr("nested", [1, {"k": [2.5, None]}])
        trial.report(x, 0)
        return x

    study.optimize(objective, n_trials=14)
    history = study.history()
    again = pickle.loads(pickle.dumps(history))
    assert again.trials == history.trials and again.directions == history.directions
    assert again.trials[0].user_attrs["nested"][1]["k"] == (2.5, None)
    with pytest.raises(TypeError):  # still read-only after the round trip
        again.trials[0].params["x"] = 0.0  # type: ignore[index]
    for copy_of in (pickle.loads(pickle.dumps(sampler)), copy.deepcopy(sampler)):
        dim = {"y": tc.Float(0.0, 1.0)}
        assert copy_of.sample(dim, history, sampler.rng(50), 50) == sampler.sample(
            dim, history, sampler.rng(50), 50)
