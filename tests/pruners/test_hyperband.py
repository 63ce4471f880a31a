"""Hyperband: the bracket table of Li et al., deterministic bracket assignment, samplers that
see only their bracket, and BOHB-style TPE fitted on the largest budget with enough data."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

import numpy as np
import pytest

import tunecraft
from tests._curves import make_objective
from tunecraft import FrozenTrial, History, StudyDirection, TrialState
from tunecraft.pruners import Decision, HyperbandPruner, hyperband_brackets
from tunecraft.pruners.hyperband import _round_robin
from tunecraft.pruners.lineage import newest_per_lineage
from tunecraft.record import freeze
from tunecraft.samplers import RandomSampler, TPESampler
from tunecraft.samplers.tpe._fidelity import budget_view, largest_budget
from tunecraft.space import Space
from tunecraft.testing import exact

MIN = StudyDirection.MINIMIZE


def test_the_bracket_table_of_li_et_al() -> None:
    brackets = hyperband_brackets(1, 81, 3)
    assert [(b.n, b.r) for b in brackets] == [(81, 1), (34, 3), (15, 9), (8, 27), (5, 81)]
    assert [(b.index, b.s) for b in brackets] == [(0, 4), (1, 3), (2, 2), (3, 1), (4, 0)]
    assert [(b.n, b.r) for b in hyperband_brackets(1, 27, 3)] == [(27, 1), (12, 3), (6, 9),
                                                                  (4, 27)]
    assert len(hyperband_brackets(1, 100, 4)) == 4  # s_max = floor(log_4 100) = 3
    hb = HyperbandPruner(1, 81, 3)
    assert hb.rungs(0, 81) == [1, 3, 9, 27] and hb.rungs(2, 81) == [9, 27] and \
        hb.rungs(4, 81) == []  # the last bracket runs every trial in full
    with pytest.raises(ValueError, match="max_resource=0"):
        hyperband_brackets(1, 0, 3)


def test_brackets_are_assigned_in_proportion_and_interleaved() -> None:
    order = _round_robin((81, 34, 15, 8, 5))
    assert Counter(order) == {0: 81, 1: 34, 2: 15, 3: 8, 4: 5}
    assert set(order[:20]) == {0, 1, 2, 3, 4}  # every bracket early, not 81 in a row
    hb = HyperbandPruner(1, 81, 3)
    empty = History([], (MIN,))
    picks = [hb.bracket_for(i, empty) for i in range(143 * 2)]
    assert picks[:143] == picks[143:] == list(order)


@pytest.mark.parametrize("choice", ["equal", "adaptive"])
def test_new_trials_get_a_bracket_and_resumed_ones_keep_theirs(
        choice: Literal["equal", "adaptive"]) -> None:
    hb = HyperbandPruner(1, 27, 3, pause=True, bracket_choice=choice)
    study = tunecraft.create_study(sampler=RandomSampler(seed=0), pruner=hb)
    study.optimize(make_objective(27), n_trials=60)
    trials = study.trials
    fresh = [t for t in trials if "resume" not in t.system_attrs]
    if choice == "equal":  # the paper's round robin over the order of new configurations
        expected = [hb.bracket_for(i, study.history()) for i in range(len(fresh))]
        assert [t.system_attrs["bracket"] for t in fresh] == expected
    assert {t.system_attrs["bracket"] for t in fresh} == {0, 1, 2, 3}
    for t in trials:
        budget = t.system_attrs["budget"]
        assert budget["bracket"] == t.system_attrs["bracket"]
        assert list(budget["rungs"]) == hb.rungs(t.system_attrs["bracket"], 27)
        if "resume" in t.system_attrs:
            parent = study.history().trial(int(t.system_attrs["resume"]["trial"]))
            assert t.system_attrs["bracket"] == parent.system_attrs["bracket"]
    # the last bracket (first rung at 27 = max) never stops a trial
    assert all(t.state is TrialState.COMPLETE for t in trials
               if t.system_attrs["bracket"] == 3)


def _allocated(number: int, bracket: int) -> FrozenTrial:
    return FrozenTrial(number=number, state=TrialState.RUNNING, system_attrs=freeze({
        "bracket": bracket, "budget": {"bracket": bracket, "min_resource": 1, "rungs": []}}))


def test_the_default_bracket_choice_is_adaptive_and_splits_equally_without_evidence() -> None:
    hb = HyperbandPruner(1, 27, 3)
    assert hb.bracket_choice == "adaptive" and "bracket_choice='adaptive'" in repr(hb)
    trials: list[FrozenTrial] = []
    for number in range(2 * 49):  # no configuration trained in full: nothing to measure
        budget = hb.allocate(number, History(trials, (MIN,)))
        assert budget is not None
        trials.append(_allocated(number, budget.bracket))
    counts = Counter(t.system_attrs["bracket"] for t in trials)
    assert counts == {0: 54, 1: 24, 2: 12, 3: 8}  # Hyperband's n = 27, 12, 6, 4, twice
    # pick for pick the round robin of bracket_choice="equal"
    empty = History([], (MIN,))
    assert [t.system_attrs["bracket"] for t in trials] == [hb.bracket_for(i, empty)
                                                          for i in range(2 * 49)]
    assert HyperbandPruner(1, 27, 3, bracket_choice="equal").bracket_choice == "equal"


def test_trials_are_compared_only_within_their_bracket() -> None:
    def trial(number: int, bracket: int, value: float) -> FrozenTrial:
        return FrozenTrial(number=number, state=TrialState.RUNNING,
                           intermediate_values=freeze({3: value}),
                           system_attrs=freeze({"bracket": bracket, "budget": {
                               "bracket": bracket, "min_resource": 1, "rungs": []}}))

    hb = HyperbandPruner(1, 27, 3)
    others = [trial(i, 1, 0.1 * i) for i in range(5)]  # bracket 1: first rung at 3
    worse = trial(9, 0, 5.0)  # bracket 0: first rung at 1, alone at its rung 3
    assert hb.decide(worse, History([*others, worse], (MIN,))) is Decision.CONTINUE
    mine = trial(9, 1, 5.0)
    assert hb.decide(mine, History([*others, mine], (MIN,))) is Decision.PRUNE
    no_bracket = FrozenTrial(number=10, state=TrialState.RUNNING,
                             intermediate_values=freeze({3: 9.0}))
    assert hb.decide(no_bracket, History([*others, no_bracket], (MIN,))) is Decision.CONTINUE


class RecordingSampler(RandomSampler):
    """A random sampler that notes the brackets of the trials in each history it is given."""

    def __init__(self, seed: int, multi_fidelity: bool = False) -> None:
        super().__init__(seed=seed)
        self.multi_fidelity = multi_fidelity
        self.seen: list[tuple[int, set[Any]]] = []

    def sample_joint(self, space: Space, history: History, rng: np.random.Generator,
                     number: int) -> tuple[dict[str, Any], dict[str, Any]]:
        self.seen.append((number, {t.system_attrs.get("bracket") for t in history.trials}))
        return super().sample_joint(space, history, rng, number)


@pytest.mark.parametrize("multi_fidelity", [False, True])
def test_the_sampler_sees_its_brackets_history_unless_it_models_budgets(
        multi_fidelity: bool) -> None:
    sampler = RecordingSampler(0, multi_fidelity)
    study = tunecraft.create_study(sampler=sampler, pruner=HyperbandPruner(1, 27, 3))
    study.optimize(make_objective(27), n_trials=30)
    brackets = {t.number: t.system_attrs["bracket"] for t in study.trials}
    for number, seen in sampler.seen:
        if multi_fidelity:
            assert len(seen) > 1 or number < 2
        else:
            assert seen <= {brackets[number]}
    assert len({b for b in brackets.values()}) == 4


def curve(number: int, state: TrialState, steps: dict[int, float], **attrs: Any
          ) -> FrozenTrial:
    values = (min(steps.values()),) if state is TrialState.COMPLETE else None
    return FrozenTrial(number=number, state=state, values=values,
                       params=freeze({"x": float(number)}),
                       distributions=freeze({"x": tunecraft.Float(0.0, 100.0)}),
                       intermediate_values=freeze(steps), system_attrs=freeze(attrs))


def test_bohb_view_fits_on_the_largest_budget_with_enough_observations() -> None:
    trials = [curve(i, TrialState.PRUNED, {1: 1.0 - 0.01 * i}) for i in range(6)]
    trials += [curve(6 + i, TrialState.PRUNED, {1: 0.5, 3: 0.4 - 0.01 * i}) for i in range(3)]
    trials += [curve(9, TrialState.COMPLETE, {1: 0.3, 3: 0.2, 9: 0.1}),
               curve(10, TrialState.RUNNING, {1: 0.6}), curve(11, TrialState.RUNNING, {})]
    h = History(trials, (MIN,))
    assert largest_budget(h, 2) == 3 and largest_budget(h, 5) == 1
    assert largest_budget(h, 1) == 9 and largest_budget(h, 20) is None
    view = budget_view(h, 4)  # budget 3: trials 6, 7, 8 and 9, at their value there
    assert [(t.number, t.state, t.values) for t in view.trials[6:]] == [
        (6, TrialState.COMPLETE, (0.4,)), (7, TrialState.COMPLETE, (0.39,)),
        (8, TrialState.COMPLETE, (0.38,)), (9, TrialState.COMPLETE, (0.2,)),
        (10, TrialState.RUNNING, None), (11, TrialState.RUNNING, None)]
    assert view.trials[:6] == h.trials[:6]  # stopped earlier: ranked after, as pruned
    assert budget_view(h, 50) is h  # not enough anywhere: plain TPE
    default = budget_view(h)  # d + 3 = 4 observations (trials 6-9): budget 3
    assert [t.values for t in default.trials[6:9]] == [(0.4,), (0.39,), (0.38,)]
    # a paused trial and its continuation are one configuration
    resumed = curve(12, TrialState.RUNNING, {1: 0.5, 3: 0.39, 4: 0.3},
                    resume={"trial": 6, "source": 6, "step": 3, "checkpoint": None,
                            "lineage": 6})
    view = budget_view(History([*trials, resumed], (MIN,)), 4)
    assert [t.number for t in view.trials] == [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12]


def test_bohb_style_tpe_proposes_from_low_budget_data() -> None:
    study = tunecraft.create_study(
        sampler=TPESampler(seed=0, multi_fidelity=True, n_startup_trials=8),
        pruner=HyperbandPruner(1, 27, 3))
    study.optimize(make_objective(27), n_trials=60)
    xs = [t.params["x"] for t in study.trials]
    assert np.median(xs[-20:]) > 0.9 > 0.7 > np.median(xs[:8])  # the model found good x
    assert study.best_params["x"] > 0.95
    configs = newest_per_lineage(study.trials)
    assert len(configs) == 60


def test_a_seeded_hyperband_study_is_reproducible() -> None:
    runs = []
    for _ in range(2):
        study = tunecraft.create_study(sampler=TPESampler(seed=5, multi_fidelity=True),
                                       pruner=HyperbandPruner(1, 9, 3, pause=True))
        study.optimize(make_objective(9), n_trials=25)
        runs.append([(exact(dict(t.params)), t.state, dict(t.intermediate_values))
                     for t in study.trials])
    assert runs[0] == runs[1]


def test_auto_max_resource_waits_for_a_complete_trial() -> None:
    hb = HyperbandPruner(1, "auto", 3)
    empty = History([], (MIN,))
    assert hb.brackets(empty) == () and hb.allocate(0, empty) is None
    done = curve(0, TrialState.COMPLETE, {s: 1.0 for s in range(1, 28)})
    assert [b.n for b in hb.brackets(History([done], (MIN,)))] == [27, 12, 6, 4]
    assert "max_resource='auto'" in repr(hb)
