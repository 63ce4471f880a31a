"""TPE with a bounded history (issue #12): what the estimators are fitted on, and that the
bound changes nothing until it acts. Its quality and speed are measured by
``benchmarks/scale.py``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tunecraft as tc
from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers import TPESampler
from tunecraft.samplers.tpe import sampler as tpe_sampler
from tunecraft.samplers.tpe._observations import TrialTable
from tunecraft.samplers.tpe._split import smallest
from tunecraft.samplers.tpe.parzen import ParzenEstimator
from tunecraft.space import Categorical, Dim, Float

MIN = (StudyDirection.MINIMIZE,)
SPACE: dict[str, Dim] = {"x": Float(0.0, 1.0), "y": Float(-1.0, 1.0)}


def _history(n: int, seed: int = 0) -> History:
    rng = np.random.default_rng(seed)
    trials = []
    for i in range(n):
        params: dict[str, Any] = {k: d.from_unit(rng.random()) for k, d in SPACE.items()}
        trials.append(FrozenTrial(
            number=i, state=TrialState.COMPLETE, params=MappingProxyType(params),
            distributions=MappingProxyType(dict(SPACE)),
            values=(float((params["x"] - 0.3) ** 2 + params["y"] ** 2),)))
    return History(trials, MIN)


# ---------------------------------------------------------------------- smallest
@given(x=st.lists(st.sampled_from([0.0, -0.0, 1.0, -2.5, 3.0, 1e300]), max_size=60),
       k=st.integers(-1, 70))
def test_smallest_is_the_head_of_a_stable_sort(x: list[float], k: int) -> None:
    arr = np.array(x, dtype=float)
    want = np.argsort(arr, kind="stable")[:max(k, 0)]
    assert sorted(smallest(arr, k).tolist()) == sorted(want.tolist())


# ---------------------------------------------------------------------- the sampler
class _Recorded(ParzenEstimator):
    fits: list[tuple[np.ndarray, np.ndarray]] = []

    def __init__(self, unit: np.ndarray, cats: np.ndarray, *args: Any, **kwargs: Any) -> None:
        _Recorded.fits.append((unit.copy(), np.asarray(args[2], dtype=float).copy()))
        super().__init__(unit, cats, *args, **kwargs)


def test_bounded_tpe_fits_every_good_trial_and_the_newest_bad_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tpe_sampler, "ParzenEstimator", _Recorded)
    history = _history(600)
    for bound in (None, 100):
        _Recorded.fits = []
        sampler = TPESampler(seed=3, n_startup_trials=0, max_observations=bound)
        sampler.sample(SPACE, history, sampler.rng(600), 600)
        (below, w_below), (above, w_above) = _Recorded.fits
        if bound is None:
            full_below, full_above, full_w = below, above, w_above
            assert len(above) == 575
            continue
        assert np.array_equal(below, full_below) and len(below) == 25  # every good trial
        best = min(history.trials, key=lambda t: t.values[0] if t.values else 0.0)
        # the best trial is among the good ones (x's unit coordinate is x itself)
        assert np.isclose(below[:, 0], best.params["x"]).any()
        # the newest bad trials, at the weights they have among all of them
        assert np.array_equal(above, full_above[-100:])
        assert np.array_equal(w_above, full_w[-100:])


def test_the_bound_changes_nothing_until_it_acts() -> None:
    history = _history(300, seed=1)
    for number in range(300, 306):
        samples = [s.sample(SPACE, history, s.rng(number), number)
                   for s in (TPESampler(seed=9, max_observations=None),
                             TPESampler(seed=9, max_observations=275),
                             TPESampler(seed=9))]
        assert samples[0] == samples[1] == samples[2]
    bounded = TPESampler(seed=9, max_observations=50)
    again = TPESampler(seed=9, max_observations=50)
    assert bounded.sample(SPACE, history, bounded.rng(7), 7) == again.sample(
        SPACE, history, again.rng(7), 7)  # deterministic when it acts


def test_bounded_tpe_still_finds_the_optimum() -> None:
    study = tc.create_study(sampler=TPESampler(seed=0, max_observations=40))
    study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1.5) ** 2
                   + (t.suggest_float("y", -5, 5) + 2.0) ** 2, n_trials=150)
    assert study.best_value < 0.05


@pytest.mark.parametrize("bad", [0, 1, 2.5, True, "100"])
def test_invalid_max_observations_is_refused_by_name(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_observations"):
        TPESampler(max_observations=bad)


# ---------------------------------------------------------------------- incremental groups
def _trial(number: int, state: TrialState, params: Mapping[str, Any],
           space: Mapping[str, Dim]) -> FrozenTrial:
    return FrozenTrial(number=number, state=state, params=MappingProxyType(dict(params)),
                       distributions=MappingProxyType({k: space[k] for k in params}),
                       values=(float(number),) if state is TrialState.COMPLETE else None)


@given(plan=st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.booleans()),
                     min_size=1, max_size=25), finish_order=st.randoms())
def test_incremental_groups_equal_fresh_ones_when_trials_finish_out_of_order(
        plan: list[tuple[str, bool]], finish_order: Any) -> None:
    space: dict[str, Dim] = {"opt": Categorical(("a", "b", "c")), "lr": Float(0, 1),
                             "m": Float(0, 1), "beta": Float(0, 1)}
    extra = {"a": {}, "b": {"m": 0.5}, "c": {"m": 0.1, "beta": 0.2}}
    trials = [_trial(i, TrialState.RUNNING, {"opt": o, "lr": 0.1, **extra[o]}, space)
              for i, (o, _) in enumerate(plan)]
    order = list(range(len(plan)))
    finish_order.shuffle(order)
    table: TrialTable | None = None
    for i in order:
        if plan[i][1]:  # some trials stay RUNNING
            t = trials[i]
            trials[i] = _trial(i, TrialState.COMPLETE, dict(t.params), space)
        history = History(list(trials), MIN)
        table = TrialTable(history, table)
        assert table.groups() == TrialTable(history).groups()
