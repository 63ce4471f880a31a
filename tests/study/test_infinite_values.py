"""An objective that returns +inf (a run whose loss exploded) is COMPLETE, and samplers learn
from it that the region is bad: they steer away instead of ignoring it as a failure."""

from __future__ import annotations

import math

import pytest

import tunecraft
from tunecraft import TrialState
from tunecraft.pruners import NopPruner
from tunecraft.samplers import AutoSampler, BaseSampler, CmaEsSampler, TPESampler


def diverges_above(trial: tunecraft.Trial) -> float:
    """70% of the space diverges; the best finite value sits at its edge (x = 0.3)."""
    x = trial.suggest_float("x", 0.0, 1.0)
    y = trial.suggest_float("y", 0.0, 1.0)
    return math.inf if x > 0.3 else (0.3 - x) + (y - 0.5) ** 2


@pytest.mark.parametrize(("make", "at_most"), [
    (lambda: TPESampler(seed=1, n_startup_trials=10), 0.5),
    (lambda: AutoSampler(seed=1, n_startup_trials=10), 0.5),  # the GP phase
    (lambda: CmaEsSampler(seed=1), 0.5),
], ids=["tpe", "auto-gp", "cmaes"])
def test_samplers_steer_away_from_diverging_regions(make: object, at_most: float) -> None:
    sampler = make()  # type: ignore[operator]
    assert isinstance(sampler, BaseSampler)
    study = tunecraft.create_study(sampler=sampler, pruner=NopPruner())
    study.optimize(diverges_above, n_trials=50)
    trials = study.trials
    assert all(t.state is TrialState.COMPLETE for t in trials)
    late = trials[25:]
    diverged = sum(1 for t in late if t.values == (math.inf,))
    # random search diverges in 70% of them; a sampler that ignores diverged trials (as
    # failures) in 72-100% (it is drawn to the edge where the best finite values lie)
    assert diverged <= at_most * len(late), f"{diverged} of {len(late)} late trials diverged"
    assert study.best_value < 0.1


def test_a_maximised_infinity_is_never_the_best() -> None:
    study = tunecraft.create_study(direction="maximize", pruner=NopPruner())
    for x in (0.9, 0.2, 0.8):
        study.enqueue_trial({"x": x})
    study.optimize(lambda t: math.inf if t.suggest_float("x", 0, 1) > 0.5 else 1.0,
                   n_trials=3)
    assert [t.values for t in study.trials] == [(math.inf,), (1.0,), (math.inf,)]
    assert study.best_value == 1.0
