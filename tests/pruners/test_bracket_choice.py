"""Hyperband's adaptive bracket choice (``bracket_choice="adaptive"``): the rank agreement
between a bracket's first rung and the full budget (measured on configurations no rung
selected, corrected for noise at the full budget), the epoch shares it gives, and, on curves
whose early ranking is reversed, a budget moved to the bracket without pruning."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest

import tunecraft
from tunecraft import FrozenTrial, History, StudyDirection, TrialState
from tunecraft.pruners import HyperbandPruner
from tunecraft.pruners._bracket_choice import (
    FLOOR,
    disattenuated,
    epoch_shares,
    kendall_tau_a,
    pick,
    reliability,
    shrunk,
)
from tunecraft.pruners.hyperband import hyperband_brackets
from tunecraft.record import freeze
from tunecraft.samplers import RandomSampler

MIN = StudyDirection.MINIMIZE
R = 27


def test_kendall_tau_a_counts_ties_as_no_evidence() -> None:
    assert kendall_tau_a([1, 2, 3], [10, 20, 30]) == (1.0, 3)
    assert kendall_tau_a([1, 2, 3], [30, 20, 10]) == (-1.0, 3)
    assert kendall_tau_a([5, 5, 5], [1, 2, 3]) == (0.0, 3)  # a flat rung says nothing
    assert kendall_tau_a([1, math.nan, 3], [1, 2, 3]) == (1.0, 1)
    tau, pairs = kendall_tau_a([1.0], [2.0])
    assert pairs == 0 and math.isnan(tau)


def test_shrinkage_starts_at_hyperbands_assumption() -> None:
    assert shrunk(math.nan, 0) == 1.0
    assert shrunk(-1.0, 3, prior_pairs=3) == 0.0
    assert shrunk(0.0, 45, prior_pairs=3) == pytest.approx(3 / 48)


def test_equal_shares_give_hyperbands_split_and_low_shares_move_configurations() -> None:
    n = [b.n for b in hyperband_brackets(1, R, 3)]  # 27, 12, 6, 4
    counts = [0] * 4
    for _ in range(sum(n)):
        counts[pick((1.0, 1.0, 1.0, 1.0), n, counts)] += 1
    assert counts == n
    moved = [0] * 4
    for _ in range(sum(n)):
        moved[pick((0.1, 0.1, 0.1, 1.0), n, moved)] += 1
    # bracket 3 now gets 1 / 1.3 of the epochs: configurations in proportion to
    # (2.7, 1.2, 0.6, 4), each bracket's share times its n
    assert moved == [round(sum(n) * w / 8.5) for w in (2.7, 1.2, 0.6, 4)]


def _full(number: int, values: dict[int, float]) -> FrozenTrial:
    return FrozenTrial(number=number, state=TrialState.COMPLETE, value=values[R],
                       intermediate_values=freeze(values))


def test_shares_follow_the_rank_agreement_of_each_first_rung() -> None:
    # 6 configurations trained in full: rung 1 ranks them in reverse, rung 3 like rung 27,
    # rung 9 reports the same value for all
    trials = [_full(i, {1: -i, 3: i, 9: 0.5, R: float(i)}) for i in range(6)]
    shares = epoch_shares(History(trials, (MIN,)), [1, 3, 9], R)
    assert shares[0] == FLOOR  # tau = -1 over 15 pairs: (15 * -1 + 3) / 18 < 0.1
    assert shares[1] == 1.0 and shares[3] == 1.0
    assert shares[2] == pytest.approx(3 / 18)  # tau = 0, shrunk towards 1 by 3 pairs
    # without a configuration trained in full there is no evidence: the equal split
    partial = [FrozenTrial(number=0, state=TrialState.PRUNED,
                           intermediate_values=freeze({1: 0.3, 3: 0.2}))]
    assert epoch_shares(History(partial, (MIN,)), [1, 3, 9], R) == (1.0, 1.0, 1.0, 1.0)
    # a maximised objective: the same agreement with the signs flipped
    flipped = [_full(i, {1: i, 3: -i, 9: 0.5, R: -float(i)}) for i in range(6)]
    assert epoch_shares(History(flipped, (StudyDirection.MAXIMIZE,)), [1, 3, 9], R) == shares


def test_reliability_is_the_agreement_of_the_last_two_steps() -> None:
    same = [_full(i, {R - 1: i + 0.5, R: float(i)}) for i in range(5)]
    assert reliability(History(same, (MIN,)), R) == (1.0, 10)
    swapped = [_full(i, {R - 1: -i, R: float(i)}) for i in range(5)]
    assert reliability(History(swapped, (MIN,)), R) == (-1.0, 10)
    # diverged runs tied at both steps agree; one tied at only one step says nothing
    tied = [_full(0, {R - 1: 1.0, R: 1.0}), _full(1, {R - 1: 1.0, R: 1.0}),
            _full(2, {R - 1: 1.0, R: 0.5})]
    assert reliability(History(tied, (MIN,)), R) == (pytest.approx(1 / 3), 3)
    # without a report at R - 1 there is no evidence of noise
    rungs_only = [_full(i, {1: -i, R: float(i)}) for i in range(4)]
    assert reliability(History(rungs_only, (MIN,)), R) == (1.0, 6)


def test_disattenuation_undoes_noise_at_the_full_budget_only() -> None:
    assert disattenuated(0.3, 1.0) == pytest.approx(0.3)  # noise-free criterion: unchanged
    assert disattenuated(0.3, 0.5) > 0.3 and disattenuated(-0.3, 0.5) < -0.3
    assert disattenuated(0.5, 1 / 3) == 1.0  # sin(pi/4) / sqrt(sin(pi/6)) > 1: capped
    assert disattenuated(0.3, 0.0) == 0.3 and disattenuated(0.3, -0.2) == 0.3


def test_noise_at_the_full_budget_does_not_move_epochs_from_a_faithful_rung() -> None:
    # the rung at 3 ranks by the noise-free final error; the reports at 26 and 27 add
    # independent noise as large as the spread of the errors
    rng = np.random.default_rng(0)
    true = [float(e) for e in rng.uniform(0.0, 1.0, 30)]
    trials = [_full(i, {3: 1.0 + e, R - 1: e + float(rng.normal(0, 0.3)),
                        R: e + float(rng.normal(0, 0.3))}) for i, e in enumerate(true)]
    history = History(trials, (MIN,))
    raw, pairs = kendall_tau_a([t.intermediate_values[3] for t in trials],
                               [t.intermediate_values[R] for t in trials])
    shares = epoch_shares(history, [3], R)
    assert raw < 0.75  # the noise alone makes the faithful rung look unreliable
    assert shares[0] > shrunk(raw, pairs) + 0.1
    # the same rung, reversed: still a low share, whatever the noise
    reversed_rung = [_full(i, {3: 1.0 - e, R - 1: t.intermediate_values[R - 1],
                               R: t.intermediate_values[R]})
                     for i, (e, t) in enumerate(zip(true, trials, strict=True))]
    assert epoch_shares(History(reversed_rung, (MIN,)), [3], R)[0] == FLOOR


def _in_bracket(number: int, values: dict[int, float], rungs: tuple[int, ...]) -> FrozenTrial:
    budget = {"bracket": 3 - len(rungs), "min_resource": rungs[0] if rungs else R,
              "max_resource": R, "rungs": list(rungs)}
    return FrozenTrial(number=number, state=TrialState.COMPLETE, value=values[R],
                       intermediate_values=freeze(values),
                       system_attrs=freeze({"bracket": budget["bracket"], "budget": budget}))


def test_only_configurations_that_no_rung_selected_measure_the_agreement() -> None:
    # survivors of rung 1 (bracket 0) rank in reverse there; the configurations of the last
    # bracket, trained in full without a rung, rank alike: the rung keeps its share
    survivors = [_in_bracket(i, {1: -i, R: float(i)}, (1, 3, 9)) for i in range(6)]
    unselected = [_in_bracket(10 + i, {1: i, R: float(i)}, ()) for i in range(6)]
    assert epoch_shares(History([*survivors, *unselected], (MIN,)), [1, 3, 9], R)[0] == 1.0
    # and the other way round: the unselected configurations decide
    flipped = [_in_bracket(10 + i, {1: -i, R: float(i)}, ()) for i in range(6)]
    agreeing = [_in_bracket(i, {1: i, R: float(i)}, (1, 3, 9)) for i in range(6)]
    assert epoch_shares(History([*agreeing, *flipped], (MIN,)), [1, 3, 9], R)[0] == FLOOR
    # survivors alone are no evidence: the equal split
    assert epoch_shares(History(survivors, (MIN,)), [1, 3, 9], R) == (1.0,) * 4


def test_equal_choice_is_unchanged_and_validated() -> None:
    assert HyperbandPruner(1, R).bracket_shares(History([], (MIN,))) == (1.0,) * 4
    assert "bracket_choice='adaptive'" in repr(HyperbandPruner(bracket_choice="adaptive"))
    with pytest.raises(ValueError, match="bracket_choice"):
        HyperbandPruner(bracket_choice="fast")  # type: ignore[arg-type]


Curve = Callable[[float, int], float]


def _reversed(x: float, t: int) -> float:
    """Final error ``(x - 0.7)^2``; before the last epochs the ranking is reversed: every
    rung below 27 ranks the worst configurations first."""
    f = (x - 0.7) ** 2
    w = t / R
    return w * f + (1 - w) * (0.5 - f)


def _agreeing(x: float, t: int) -> float:
    return (x - 0.7) ** 2 + 1.0 / t


def _run(curve: Curve, choice: str, seed: int, budget: int = 20 * R
         ) -> tuple[list[float], Counter[int]]:
    """Random search + Hyperband (pause) until ``budget`` epochs: the final errors of the
    configurations trained in full, and the brackets of new configurations."""
    spent = 0
    pruner = HyperbandPruner(1, R, 3, pause=True, bracket_choice=choice)  # type: ignore[arg-type]
    study = tunecraft.create_study(sampler=RandomSampler(seed=seed), pruner=pruner)
    finals: list[float] = []

    def objective(trial: tunecraft.Trial) -> float:
        nonlocal spent
        x = trial.suggest_float("x", 0.0, 1.0)
        resumed = trial.resumed_from
        first = resumed.step + 1 if resumed is not None and resumed.step >= 0 else 1
        for t in range(first, R + 1):
            spent += 1
            trial.report(curve(x, t), t)
            if t < R and trial.should_prune():
                if spent >= budget:
                    study.stop()
                raise tunecraft.TrialPruned()
        finals.append((x - 0.7) ** 2)
        if spent >= budget:
            study.stop()
        return curve(x, R)

    study.optimize(objective)
    fresh = Counter(int(t.system_attrs["bracket"]) for t in study.trials
                    if "resume" not in t.system_attrs)
    return finals, fresh


def test_when_low_rungs_mislead_the_budget_moves_to_the_bracket_without_pruning() -> None:
    good = {"equal": 0, "adaptive": 0}
    for seed in range(5):
        equal, eq_brackets = _run(_reversed, "equal", seed)
        adaptive, ad_brackets = _run(_reversed, "adaptive", seed)
        share = ad_brackets[3] / sum(ad_brackets.values())
        assert share > 2 * eq_brackets[3] / sum(eq_brackets.values())
        # the same epochs train more good configurations in full: equal Hyperband spends
        # 3/4 of them promoting the worst ones (which lead at every rung below 27)
        good["equal"] += sum(f < 0.01 for f in equal)
        good["adaptive"] += sum(f < 0.01 for f in adaptive)
    assert good["adaptive"] >= 2 * good["equal"] > 0


def test_when_low_rungs_agree_the_split_stays_hyperbands() -> None:
    for seed in range(3):
        _, eq_brackets = _run(_agreeing, "equal", seed)
        _, ad_brackets = _run(_agreeing, "adaptive", seed)
        total = sum(ad_brackets.values())
        assert ad_brackets[3] / total < 1.5 * max(eq_brackets[3], 1) / sum(eq_brackets.values())
        assert ad_brackets[0] / total > 0.4
