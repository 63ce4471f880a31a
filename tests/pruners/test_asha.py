"""Asynchronous successive halving: Optuna's stopping rule and its known mispromotions, Li et
al.'s promotion rule with pause and resume, and simulated curves that never cross."""

from __future__ import annotations

from collections import Counter

import pytest

import tunecraft
from tests._curves import TRAINED, loss, make_objective
from tunecraft import FrozenTrial, History, StudyDirection, TrialState
from tunecraft.pruners import Decision, SuccessiveHalvingPruner
from tunecraft.pruners.lineage import lineage, newest_per_lineage, superseded
from tunecraft.record import freeze
from tunecraft.samplers import RandomSampler

MIN = StudyDirection.MINIMIZE


def at_rung(number: int, value: float, state: TrialState = TrialState.RUNNING) -> FrozenTrial:
    return FrozenTrial(number=number, state=state, intermediate_values=freeze({1: value}),
                       system_attrs=freeze({"bracket": 0}))


def arrivals(values: list[float], pruner: SuccessiveHalvingPruner) -> list[Decision]:
    """Each trial reaches the first rung (step 1) after all the previous ones."""
    decided = []
    for i, v in enumerate(values):
        previous = [at_rung(j, values[j]) for j in range(i)]
        decided.append(pruner.decide(at_rung(i, v), History([*previous, at_rung(i, v)],
                                                            (MIN,))))
    return decided


def test_optuna_rule_mispromotes_with_the_order_of_arrival() -> None:
    """Optuna's SuccessiveHalvingPruner with eta=4 on values 0..9 (minimised): in ascending
    order only the first trial passes the rung; in descending order every trial does, each
    being the best so far. Documented in docs/pruning.md."""
    sh = SuccessiveHalvingPruner(min_resource=1, reduction_factor=4)
    up = arrivals([float(v) for v in range(10)], sh)
    assert [d is Decision.CONTINUE for d in up] == [True] + [False] * 9
    down = arrivals([float(v) for v in range(9, -1, -1)], sh)
    assert all(d is Decision.CONTINUE for d in down)


def test_li_rule_pauses_until_the_rung_has_eta_members() -> None:
    sh = SuccessiveHalvingPruner(min_resource=1, reduction_factor=4, pause=True)
    up = arrivals([float(v) for v in range(10)], sh)
    assert all(d is Decision.PAUSE for d in up)  # none is in the top floor(n/4) on arrival
    down = arrivals([float(v) for v in range(9, -1, -1)], sh)
    # 9, 8, 7 wait for a fourth arrival; from then on each newcomer is the best so far
    assert [d.value for d in down] == ["pause"] * 3 + ["continue"] * 7


def test_promotions_go_to_the_best_paused_configuration_of_the_highest_rung() -> None:
    sh = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, pause=True)

    def paused(number: int, reports: dict[int, float]) -> FrozenTrial:
        return FrozenTrial(number=number, state=TrialState.PRUNED, params=freeze({"x": number}),
                           intermediate_values=freeze(reports),
                           system_attrs=freeze({"paused": max(reports), "bracket": 0}))

    trials = [paused(0, {1: 0.5}), paused(1, {1: 0.4}), paused(2, {1: 0.9}),
              paused(3, {1: 0.1, 2: 0.3}), paused(4, {1: 0.2, 2: 0.35})]
    h = History(trials, (MIN,))
    order = sh.promote(h)  # rung 2 (step 2) has 2 members: the top 1 is trial 3
    assert order is not None and (order.trial, order.source, order.step) == (3, 3, 2)
    assert dict(order.params) == {"x": 3}
    resumed = FrozenTrial(number=5, state=TrialState.WAITING, system_attrs=freeze(
        {"resume": {"trial": 3, "source": 3, "step": 2, "checkpoint": None, "lineage": 3}}))
    order = sh.promote(History([*trials, resumed], (MIN,)))
    # rung 1: 5 configurations, top 2 are 3 and 4 (already promoted); none left to promote
    assert order is None
    assert sh.promote(History(trials[:3], (MIN,))) is not None  # top 1 of 3 at rung 1: 1
    assert SuccessiveHalvingPruner(1, 2).promote(h) is None  # without pause, no promotions


@pytest.mark.parametrize("pause", [False, True])
def test_non_crossing_curves_keep_about_one_in_eta_and_find_the_best(pause: bool) -> None:
    eta, max_steps = 3, 27
    study = tunecraft.create_study(
        sampler=RandomSampler(seed=1),
        pruner=SuccessiveHalvingPruner(1, eta, max_resource=max_steps, pause=pause))
    study.optimize(make_objective(max_steps), n_trials=150)
    history = study.history()
    configs = newest_per_lineage(history.trials)
    reached = Counter()
    for t in configs.values():
        for r in (1, 3, 9, 27):
            reached[r] += (t.last_step or 0) >= r
    ratios = [reached[b] / reached[a] for a, b in ((1, 3), (3, 9), (9, 27))]
    low, high = (0.25, 0.5) if pause else (0.25, 0.65)
    assert all(low <= q <= high for q in ratios), (reached, ratios)
    best_x = max(history.trial(lin).params["x"] for lin in configs)
    assert study.best_params["x"] == best_x  # the true best went the whole way
    assert study.best_value == pytest.approx(loss(best_x, max_steps))
    if pause:  # each paused trial is continued at most once, by a trial of its lineage
        continued = [t for t in history.trials if "resume" in t.system_attrs]
        assert len(continued) == len(superseded(history.trials)) > 0
        assert all(lineage(t) == lineage(history.trial(int(t.system_attrs["resume"]["trial"])))
                   for t in continued)


def test_checkpoints_save_steps_and_are_collected() -> None:
    spent = {}
    for checkpoints in (True, False):
        TRAINED.clear()
        study = tunecraft.create_study(
            sampler=RandomSampler(seed=3),
            pruner=SuccessiveHalvingPruner(1, 3, max_resource=27, pause=True))
        study.optimize(make_objective(27, checkpoints=checkpoints), n_trials=80)
        spent[checkpoints] = sum(TRAINED)
        history = study.history()
        kept = {int(n) for n in study.artifacts.children(study.study_name)}
        assert kept <= study.pruner.keep_checkpoints(history)
        if checkpoints:
            # a paused trial's checkpoint stays while it may be promoted, then goes
            assert all(history.trial(n).system_attrs.get("paused") for n in kept)
            assert kept.isdisjoint(superseded(history.trials))
        else:
            assert kept == set()
    assert spent[True] < spent[False]  # promotions resumed instead of retraining


def test_without_promotion_in_place_every_rung_ends_a_trial() -> None:
    sh = SuccessiveHalvingPruner(1, 3, max_resource=9, pause=True, promote_in_place=False)
    down = arrivals([float(v) for v in range(9, -1, -1)], sh)
    assert all(d is Decision.PAUSE for d in down)  # even the best so far stops at the rung
    TRAINED.clear()
    study = tunecraft.create_study(sampler=RandomSampler(seed=2), pruner=sh)
    study.optimize(make_objective(9), n_trials=40)
    history = study.history()
    complete = [t for t in history.trials if t.state is TrialState.COMPLETE]
    assert complete and all("resume" in t.system_attrs for t in complete)
    # each trial trained one rung's worth at most: 1, then 3 - 1, then 9 - 3 steps
    assert max(TRAINED) <= 6 and sum(TRAINED) == sum(
        (t.last_step or 0) - int(t.system_attrs.get("resume", {}).get("step", 0))
        for t in history.trials)


def test_bootstrap_auto_min_resource_and_budgets() -> None:
    sh = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, bootstrap_count=2)
    decided = arrivals([2.0, 1.0, 0.5, 0.7], sh)
    assert [d.value for d in decided] == ["prune", "prune", "continue", "continue"]
    auto = SuccessiveHalvingPruner()
    empty = History([], (MIN,))
    assert auto.rungs(empty) == [] and auto.decide(at_rung(0, 9.0), empty) is Decision.CONTINUE
    done = FrozenTrial(number=0, state=TrialState.COMPLETE, values=(0.0,),
                       intermediate_values=freeze({s: 0.0 for s in range(1, 401)}))
    assert auto.rungs(History([done], (MIN,)))[:3] == [4, 16, 64]  # 400 // 100 = 4
    budget = SuccessiveHalvingPruner(2, 3, max_resource=54).allocate(0, empty)
    assert budget is not None and budget.rungs == (2, 6, 18) and budget.max_resource == 54
    with pytest.raises(ValueError, match="single-objective"):
        auto.decide(at_rung(0, 1.0), History([], (MIN, MIN)))


@pytest.mark.parametrize("kwargs, match", [
    ({"min_resource": 0}, "min_resource=0 must be an integer >= 1"),
    ({"reduction_factor": 1}, "reduction_factor=1"),
    ({"min_early_stopping_rate": -1}, "min_early_stopping_rate=-1"),
    ({"bootstrap_count": 1.5}, "bootstrap_count=1.5"),
    ({"max_resource": 0}, "max_resource=0"),
    ({"pause": "yes"}, "pause='yes'"),
    ({"rank_by": "mean"}, "rank_by='mean'"),
    ({"rank_by": "forecast"}, "set max_resource"),
])
def test_arguments_are_validated(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SuccessiveHalvingPruner(**kwargs)  # type: ignore[arg-type]


def test_min_early_stopping_rate_moves_the_first_rung() -> None:
    sh = SuccessiveHalvingPruner(1, 3, min_early_stopping_rate=2, max_resource=100)
    assert sh.rungs(History([], (MIN,))) == [9, 27, 81]
    assert "pause=False" in repr(sh)


def _curve(number: int, asymptote: float, rate: float, last: int) -> FrozenTrial:
    """``asymptote + 0.5 t^-rate`` reported at steps 1..last (a power-law learning curve)."""
    return FrozenTrial(number=number, state=TrialState.RUNNING, intermediate_values=freeze(
        {t: asymptote + 0.5 * t**-rate for t in range(1, last + 1)}),
        system_attrs=freeze({"bracket": 0}))


def test_forecast_ranks_by_where_the_curve_is_heading() -> None:
    """Fast learner A (0.3 + 0.5 t^-1.5) leads at step 9 (0.319 vs 0.358) but slow learner B
    (0.1 + 0.5 t^-0.3) is better at step 27 (0.286 vs 0.304): ranked by the value at the
    rung A passes it; ranked by the forecast at max_resource = 27, B does."""
    a, b = _curve(0, 0.3, 1.5, 9), _curve(1, 0.1, 0.3, 9)
    h = History([a, b], (MIN,))
    by_value = SuccessiveHalvingPruner(1, 3, max_resource=27)  # rungs at 1, 3, 9
    by_forecast = SuccessiveHalvingPruner(1, 3, max_resource=27, rank_by="forecast")
    assert by_value.decide(b, h) is Decision.PRUNE and by_value.decide(a, h) is Decision.CONTINUE
    assert by_forecast.decide(b, h) is Decision.CONTINUE
    assert by_forecast.decide(a, h) is Decision.PRUNE
    assert "rank_by='forecast'" in repr(by_forecast)
    # with fewer than 4 reports up to a rung (3 at rung 3) it ranks by the value there
    early = History([_curve(0, 0.3, 1.5, 3), _curve(1, 0.1, 0.3, 3)], (MIN,))
    assert by_forecast.decide(early.trials[1], early) is Decision.PRUNE
