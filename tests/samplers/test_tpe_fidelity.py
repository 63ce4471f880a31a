"""BOHB-style TPE (``TPESampler(multi_fidelity=True)``): how many configurations a budget
needs before the model fits on it (Falkner et al. 2018, Algorithm 2: ``N_min + 2``)."""

from __future__ import annotations

import math
from typing import Any

import tunecraft
from tunecraft import FrozenTrial, History, StudyDirection, TrialState
from tunecraft.pruners import HyperbandPruner
from tunecraft.record import freeze
from tunecraft.samplers import TPESampler
from tunecraft.samplers.tpe._fidelity import budget_view, default_min_observations

MIN = StudyDirection.MINIMIZE


def _trial(number: int, state: TrialState, steps: dict[int, float]) -> FrozenTrial:
    return FrozenTrial(number=number, state=state,
                       values=(min(steps.values()),) if state is TrialState.COMPLETE else None,
                       params=freeze({"x": float(number)}),
                       distributions=freeze({"x": tunecraft.Float(0.0, 100.0)}),
                       intermediate_values=freeze(steps), system_attrs=freeze({}))


def test_the_default_is_bohbs_n_min_plus_two() -> None:
    assert [default_min_observations(d) for d in (1, 4, 10)] == [4, 7, 13]
    # one parameter: 8 configurations at step 1, 3 of them went on to step 3
    trials = [_trial(i, TrialState.PRUNED, {1: 1.0 - 0.01 * i}) for i in range(5)]
    trials += [_trial(5 + i, TrialState.PRUNED, {1: 0.5 - 0.01 * i, 3: 0.4 - 0.01 * i})
               for i in range(3)]
    h = History(trials, (MIN,))
    view = budget_view(h)  # 3 < d + 3 = 4 at step 3: the model fits on step 1
    assert [t.state for t in view.trials] == [TrialState.COMPLETE] * 8
    assert [t.values for t in view.trials[5:]] == [(0.5,), (0.49,), (0.48,)]
    at_3 = budget_view(h, 2)  # BOHB's bare N_min = d + 1 would already fit on step 3
    assert [t.values for t in at_3.trials[5:]] == [(0.4,), (0.39,), (0.38,)]
    assert all(t.state is TrialState.PRUNED for t in at_3.trials[:5])


def _objective(trial: tunecraft.Trial) -> float:
    x, y = trial.suggest_float("x", 0.0, 1.0), trial.suggest_float("y", 0.0, 1.0)
    value = math.nan
    for step in range(1, 28):
        value = (x - 0.7) ** 2 + (y - 0.2) ** 2 + (1.0 - y) / step  # curves cross
        trial.report(value, step)
        if trial.should_prune():
            raise tunecraft.TrialPruned()
    return value


def _params(**kwargs: Any) -> list[dict[str, Any]]:
    study = tunecraft.create_study(
        sampler=TPESampler(seed=3, multi_fidelity=True, n_startup_trials=5, **kwargs),
        pruner=HyperbandPruner(1, 27, 3))
    study.optimize(_objective, n_trials=30)
    return [dict(t.params) for t in study.trials]


def test_the_sampler_uses_the_default_unless_told() -> None:
    default = _params()
    assert default == _params(min_budget_observations=default_min_observations(2))
    assert default != _params(min_budget_observations=3)  # d + 1, the former default
