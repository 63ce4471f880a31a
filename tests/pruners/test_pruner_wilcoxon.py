"""WilcoxonPruner: paired per-instance comparison with the best trial."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

import tunecraft
from tunecraft import FrozenTrial, History, StudyDirection, TrialState
from tunecraft.pruners import Decision, MedianPruner, WilcoxonPruner
from tunecraft.record import freeze

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE
NAN = float("nan")
# per-instance difficulty varies far more than the gap between two configurations
EASY_AND_HARD = [0.1, 0.9, 0.3, 0.7, 0.5, 0.2, 0.8, 0.4]


def trial(number: int, reports: list[float], state: TrialState = TrialState.COMPLETE
          ) -> FrozenTrial:
    values = (float(np.nanmean(reports)),) if state is TrialState.COMPLETE else None
    return FrozenTrial(number=number, state=state, values=values,
                       intermediate_values=freeze(dict(enumerate(reports))))


def decisions(current: list[float], best: list[float], direction: StudyDirection = MIN,
              pruner: WilcoxonPruner | None = None) -> list[Decision]:
    """The pruner's decision after each of the current trial's reports."""
    pruner = pruner or WilcoxonPruner()
    history = History([trial(0, best)], (direction,))
    return [pruner.decide(trial(1, current[:k], TrialState.RUNNING), history)
            for k in range(1, len(current) + 1)]


def test_a_consistently_worse_trial_is_pruned_once_the_test_can_be_significant() -> None:
    worse = [v + 0.05 for v in EASY_AND_HARD]
    # exact one-sided p-value with n pairs all worse: 2**-n; below 0.1 from n = 4
    assert decisions(worse, EASY_AND_HARD) == [Decision.CONTINUE] * 3 + [Decision.PRUNE] * 5
    # a per-step median sees the instance spread, not the gap, and lets it run
    median = MedianPruner(n_startup_trials=1)
    history = History([trial(0, EASY_AND_HARD)], (MIN,))
    assert median.decide(trial(1, worse[:2], TrialState.RUNNING), history) is Decision.CONTINUE


def test_better_equal_or_mixed_trials_continue() -> None:
    assert set(decisions([v - 0.05 for v in EASY_AND_HARD], EASY_AND_HARD)) == {
        Decision.CONTINUE}
    assert set(decisions(EASY_AND_HARD, EASY_AND_HARD)) == {Decision.CONTINUE}
    mixed = [v + d for v, d in zip(EASY_AND_HARD, [0.05, -0.05] * 4, strict=True)]
    assert set(decisions(mixed, EASY_AND_HARD)) == {Decision.CONTINUE}


def test_maximisation_flips_what_worse_means() -> None:
    lower = [v - 0.05 for v in EASY_AND_HARD]
    assert decisions(lower, EASY_AND_HARD, MAX)[-1] is Decision.PRUNE
    assert set(decisions([v + 0.05 for v in EASY_AND_HARD], EASY_AND_HARD, MAX)) == {
        Decision.CONTINUE}


def test_threshold_and_startup_steps() -> None:
    worse = [v + 0.05 for v in EASY_AND_HARD]
    strict = decisions(worse, EASY_AND_HARD, pruner=WilcoxonPruner(p_threshold=0.01))
    assert strict.index(Decision.PRUNE) == 6  # 2**-7 < 0.01 <= 2**-6
    late = decisions(worse, EASY_AND_HARD, pruner=WilcoxonPruner(n_startup_steps=6))
    assert late.index(Decision.PRUNE) == 5


def test_pairs_only_steps_both_reported_and_skips_nan_in_the_best() -> None:
    pruner = WilcoxonPruner()
    best = trial(0, EASY_AND_HARD[:4] + [NAN] * 4)
    history = History([best], (MIN,))
    running = FrozenTrial(number=1, state=TrialState.RUNNING, intermediate_values=freeze(
        {k: EASY_AND_HARD[k] + 0.05 for k in (4, 5, 6, 7, 0, 1, 2)}))
    assert pruner.decide(running, history) is Decision.CONTINUE  # 3 finite pairs: p = 1/8
    running = FrozenTrial(number=1, state=TrialState.RUNNING, intermediate_values=freeze(
        {k: EASY_AND_HARD[k] + 0.05 for k in (4, 5, 0, 1, 2, 3)}))
    assert pruner.decide(running, history) is Decision.PRUNE  # 4 finite pairs: p = 1/16


def test_nan_no_best_and_several_objectives() -> None:
    pruner = WilcoxonPruner()
    assert decisions([0.1, NAN], EASY_AND_HARD) == [Decision.CONTINUE, Decision.PRUNE]
    empty = History([trial(0, [0.1], TrialState.PRUNED)], (MIN,))
    assert pruner.decide(trial(1, [0.9] * 8, TrialState.RUNNING), empty) is Decision.CONTINUE
    with pytest.raises(ValueError, match="single-objective"):
        pruner.decide(trial(1, [0.1], TrialState.RUNNING), History([], (MIN, MIN)))


@pytest.mark.parametrize("kwargs, message", [
    ({"p_threshold": 0.0}, "p_threshold=0.0 must be a number in"),
    ({"p_threshold": 1.0}, "p_threshold=1.0 must be a number in"),
    ({"p_threshold": True}, "p_threshold=True"),
    ({"p_threshold": "0.1"}, "p_threshold='0.1'"),
    ({"n_startup_steps": 0}, "n_startup_steps=0"),
])
def test_bad_arguments_name_the_problem(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WilcoxonPruner(**kwargs)


def test_a_study_over_instances_prunes_bad_configurations_and_keeps_the_best() -> None:
    rng = np.random.default_rng(0)
    difficulty = rng.uniform(0.0, 1.0, 30)  # 30 problem instances, spread 1.0

    def objective(t: tunecraft.Trial) -> float:
        x = t.suggest_float("x", -1.0, 1.0)
        order = list(range(difficulty.size))
        random.Random(t.number).shuffle(order)  # no instance order bias
        scores = []
        for i in order:
            scores.append(difficulty[i] + x * x + 0.01 * rng.standard_normal())
            t.report(scores[-1], i)
            if t.should_prune():
                raise tunecraft.TrialPruned()
        return float(np.mean(scores))

    study = tunecraft.create_study(sampler=tunecraft.samplers.RandomSampler(seed=1),
                                   pruner=WilcoxonPruner(p_threshold=0.05))
    study.optimize(objective, n_trials=40)
    pruned = study.get_trials(states=[TrialState.PRUNED])
    assert len(pruned) >= 20
    assert sum(len(t.intermediate_values) for t in pruned) < 0.5 * 30 * len(pruned)
    complete = study.get_trials(states=[TrialState.COMPLETE])
    # every trial clearly better than the best (by 0.05 in x**2) ran to the end
    best_x2 = study.best_params["x"] ** 2
    assert all(t.params["x"] ** 2 > best_x2 for t in pruned)
    assert abs(study.best_params["x"]) == min(abs(t.params["x"]) for t in complete)
