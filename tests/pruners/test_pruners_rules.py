"""Curve pruners on hand-made curves: threshold, patience, smoothing, the percentile margin,
learning-curve extrapolation, and Pareto-dominance pruning in multi-objective studies."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tunecraft
from tunecraft import FrozenTrial, History, StudyDirection, TrialPruned, TrialState
from tunecraft.pruners import (
    CurveExtrapolationPruner,
    Decision,
    MedianPruner,
    NopPruner,
    ParetoPruner,
    PatientPruner,
    PercentilePruner,
    SmoothedPruner,
    ThresholdPruner,
)
from tunecraft.pruners.curve import forecast
from tunecraft.pruners.smoothing import smooth_curve
from tunecraft.record import freeze

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE
CONTINUE, PRUNE = Decision.CONTINUE, Decision.PRUNE
NAN = float("nan")


def record(number: int, reports: dict[int, Any], state: TrialState = TrialState.COMPLETE,
           vectors: bool = False) -> FrozenTrial:
    values = (0.0,) if state is TrialState.COMPLETE else None
    if vectors:
        return FrozenTrial(number=number, state=state, values=values,
                           intermediate_vectors=freeze({s: tuple(v) for s, v in
                                                        reports.items()}))
    return FrozenTrial(number=number, state=state, values=values,
                       intermediate_values=freeze(reports))


def running(reports: dict[int, Any], vectors: bool = False) -> FrozenTrial:
    return record(99, reports, TrialState.RUNNING, vectors)


def history(*curves: dict[int, float], direction: StudyDirection = MIN) -> History:
    return History([record(i, c) for i, c in enumerate(curves)], (direction,))


# ------------------------------------------------------------------ threshold
@pytest.mark.parametrize("reports, decision", [
    ({0: 0.5}, CONTINUE), ({0: 1.5}, PRUNE), ({0: -0.5}, PRUNE), ({0: NAN}, PRUNE),
    ({0: 1.5, 1: 0.5}, CONTINUE), ({}, CONTINUE),
])
def test_threshold_prunes_outside_the_range_and_nan(reports: dict[int, float],
                                                    decision: Decision) -> None:
    pruner = ThresholdPruner(lower=0.0, upper=1.0)
    assert pruner.decide(running(reports), History([], (MAX,))) is decision


def test_threshold_warmup_interval_and_one_sided_bounds() -> None:
    h = History([], (MIN,))
    assert ThresholdPruner(upper=1.0, n_warmup_steps=2).decide(running({1: 9.0}), h) is CONTINUE
    assert ThresholdPruner(upper=1.0, n_warmup_steps=2).decide(running({2: 9.0}), h) is PRUNE
    every3 = ThresholdPruner(upper=1.0, interval_steps=3)
    assert every3.decide(running({0: 0.0, 1: 9.0}), h) is CONTINUE  # not a boundary
    assert every3.decide(running({0: 0.0, 1: 0.0, 2: 0.0, 3: 9.0}), h) is PRUNE
    assert ThresholdPruner(lower=2.0).decide(running({0: 1e9}), h) is CONTINUE
    for kwargs, match in [({}, "lower=, upper="), ({"lower": 2.0, "upper": 1.0}, "<= upper"),
                          ({"lower": NAN}, "lower=nan"), ({"upper": 1, "interval_steps": 0},
                                                          "interval_steps=0")]:
        with pytest.raises(ValueError, match=match):
            ThresholdPruner(**kwargs)


# ------------------------------------------------------------------ patience
def test_patient_pruner_waits_while_the_trial_improves() -> None:
    h = history({s: 0.0 for s in range(10)})  # a much better trial: median would prune
    improving = running({0: 5.0, 1: 4.0, 2: 3.0, 3: 2.9})
    stalled = running({0: 4.0, 1: 5.0, 2: 4.5, 3: 4.2})
    patient = PatientPruner(MedianPruner(n_startup_trials=1), patience=2)
    assert MedianPruner(n_startup_trials=1).decide(improving, h) is PRUNE
    assert patient.decide(improving, h) is CONTINUE
    assert patient.decide(stalled, h) is PRUNE  # no better than 4.0 in the last 3 reports
    assert PatientPruner(None, patience=2).decide(stalled, history()) is PRUNE  # early stop
    assert PatientPruner(None, 2, min_delta=0.2).decide(improving, history()) is CONTINUE
    assert PatientPruner(None, 2, min_delta=3.0).decide(improving, history()) is PRUNE
    assert PatientPruner(None, 3).decide(stalled, history()) is CONTINUE  # too few reports
    mx = History([], (MAX,))
    assert PatientPruner(None, 1).decide(running({0: 1.0, 1: 2.0, 2: 1.5}), mx) is CONTINUE
    assert PatientPruner(None, 1).decide(running({0: 3.0, 1: 2.0, 2: 1.5}), mx) is PRUNE
    with pytest.raises(ValueError, match="patience=-1"):
        PatientPruner(None, -1)
    with pytest.raises(TypeError, match="wrapped="):
        PatientPruner("median", 1)  # type: ignore[arg-type]


# ------------------------------------------------------------------ smoothing and margins
def test_smooth_curve_is_causal() -> None:
    out = smooth_curve({0: 1.0, 1: 3.0, 2: 5.0}, 2)
    assert out == {0: 1.0, 1: 2.0, 2: 4.0}
    ema = smooth_curve({0: 1.0, 1: 3.0}, 3, "ema")
    assert ema == {0: 1.0, 1: 2.0}  # alpha = 2 / 4
    assert math.isnan(smooth_curve({0: NAN}, 3)[0])


def test_smoothing_and_margin_stop_pruning_on_one_noisy_report() -> None:
    # a trial that is fine on average but had one unlucky epoch, and one that is bad
    unlucky = running({0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 1.3})
    bad = running({s: 1.4 for s in range(6)})
    threshold = ThresholdPruner(upper=1.2)
    assert threshold.decide(unlucky, history()) is PRUNE
    smoothed = SmoothedPruner(threshold, window=4)
    assert smoothed.decide(unlucky, history()) is CONTINUE  # mean of 1, 1, 1, 1.3
    assert smoothed.decide(bad, history()) is PRUNE
    # completed trials whose (jittery) curves sit around 1.0
    rng = np.random.default_rng(0)
    h = history(*({s: 1.0 + 0.05 * rng.standard_normal() for s in range(6)}
                  for _ in range(5)))
    plain = MedianPruner(n_startup_trials=5)
    assert plain.decide(running({5: 1.3}), h) is PRUNE
    assert SmoothedPruner(plain, window=3).decide(bad, h) is PRUNE
    margin = MedianPruner(n_startup_trials=5, margin=0.5)
    assert margin.decide(running({5: 1.3}), h) is CONTINUE
    assert margin.decide(running({5: 1.6}), h) is PRUNE
    assert repr(smoothed).startswith("SmoothedPruner(wrapped=ThresholdPruner(")
    with pytest.raises(ValueError, match="margin=-1"):
        PercentilePruner(50.0, margin=-1)
    with pytest.raises(ValueError, match="kind='median'"):
        SmoothedPruner(plain, kind="median")  # type: ignore[arg-type]


# ------------------------------------------------------------------ curve extrapolation
def pow_curve(c: float, a: float, alpha: float, steps: range) -> dict[int, float]:
    return {s: c - a * (s + 1) ** -alpha for s in steps}


@pytest.mark.parametrize("c, a, alpha", [(0.9, 0.5, 0.7), (0.7, 0.3, 1.5), (0.95, 0.8, 0.4)])
def test_forecast_recovers_a_power_law(c: float, a: float, alpha: float) -> None:
    curve = pow_curve(c, a, alpha, range(1, 16))
    fc = forecast(np.array(list(curve)), np.array(list(curve.values())), 100)
    assert fc is not None
    assert fc.mean == pytest.approx(c - a * 101 ** -alpha, abs=0.02)
    assert fc.std < 0.05
    assert abs(sum(fc.weights.values()) - 1.0) < 1e-9
    assert forecast(np.arange(3), np.ones(3), 10) is None


def test_curve_extrapolation_prunes_confidently_worse_trials() -> None:
    rng = np.random.default_rng(1)
    done = history(pow_curve(0.95, 0.5, 0.8, range(1, 51)), direction=MAX)
    pruner = CurveExtrapolationPruner(max_resource=50, n_min_points=5)
    noise = {s: 0.005 * rng.standard_normal() for s in range(1, 11)}
    worse = running({s: v + noise[s] for s, v in pow_curve(0.70, 0.5, 0.8,
                                                           range(1, 11)).items()})
    close = running({s: v + noise[s] for s, v in pow_curve(0.94, 0.5, 0.8,
                                                           range(1, 11)).items()})
    assert pruner.decide(worse, done) is PRUNE
    assert pruner.decide(close, done) is CONTINUE
    p = pruner.probability_of_improvement(worse, done)
    assert p is not None and p < 0.05
    few = running({s: v for s, v in pow_curve(0.1, 0.5, 0.8, range(1, 4)).items()})
    assert pruner.decide(few, done) is CONTINUE  # too few points to fit
    assert pruner.decide(worse, History([], (MAX,))) is CONTINUE  # nothing completed
    assert pruner.decide(running({1: NAN, 2: NAN}), done) is PRUNE
    with pytest.raises(ValueError, match="confidence=1.5"):
        CurveExtrapolationPruner(confidence=1.5)


# ------------------------------------------------------------------ Pareto (multi-objective)
def mo_history(*points: tuple[float, float]) -> History:
    trials = [record(i, {3: p}, vectors=True) for i, p in enumerate(points)]
    return History(trials, (MIN, MAX))


def test_pareto_pruner_prunes_when_dominated_by_enough_completed_trials() -> None:
    # minimise objective 0, maximise objective 1
    h = mo_history((1.0, 5.0), (2.0, 6.0), (3.0, 7.0), (0.5, 9.0))
    pruner = ParetoPruner(fraction=0.5, n_startup_trials=4)
    assert pruner.decide(running({3: (3.5, 4.0)}, vectors=True), h) is PRUNE  # 4 of 4
    assert pruner.decide(running({3: (2.5, 5.5)}, vectors=True), h) is CONTINUE  # 2 of 4
    assert pruner.decide(running({3: (0.1, 1.0)}, vectors=True), h) is CONTINUE  # on front
    # the optimistic point: best so far in each objective separately
    assert pruner.decide(running({2: (0.1, 1.0), 3: (3.5, 4.0)}, vectors=True), h) is CONTINUE
    assert pruner.decide(running({3: (NAN, 1.0)}, vectors=True), h) is PRUNE
    assert ParetoPruner(n_startup_trials=5).decide(running({3: (9.0, 0.0)}, vectors=True),
                                                   h) is CONTINUE
    share = pruner.dominated_share(running({3: (2.5, 5.5)}, vectors=True), h)
    assert share == (0.5, 4)


@given(st.lists(st.floats(-10, 10), min_size=1, max_size=9), st.floats(-10, 10))
def test_pareto_pruner_with_one_objective_is_a_quantile_rule(others: list[float],
                                                             mine: float) -> None:
    h = history(*({0: v} for v in others))
    decided = ParetoPruner(0.5, n_startup_trials=0).decide(running({0: mine}), h)
    assert (decided is PRUNE) == (sum(v < mine for v in others) > 0.5 * len(others))


def test_multi_objective_study_reports_tuples_and_prunes() -> None:
    study = tunecraft.create_study(directions=["minimize", "maximize"],
                                   pruner=ParetoPruner(n_startup_trials=3))

    def objective(trial: tunecraft.Trial) -> tuple[float, float]:
        q = trial.suggest_float("q", 0.0, 1.0)
        for step in range(5):
            trial.report((q + 1.0 / (step + 1), q), step)
            if trial.should_prune():
                raise TrialPruned()
        return q, q

    for q in (0.1, 0.5, 0.9):
        study.enqueue_trial({"q": q})
    study.optimize(objective, n_trials=3)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    trial = study.ask({"q": tunecraft.Float(0.0, 1.0)})
    trial.report((5.0, -1.0), 0)  # dominated by all three at step 0
    assert trial.should_prune()
    assert study.trials[-1].intermediate_vectors == {0: (5.0, -1.0)}
    with pytest.raises(ValueError, match="single-objective studies only"):
        MedianPruner().decide(running({0: 1.0}), History([], (MIN, MAX)))


def test_nop_and_repr() -> None:
    assert NopPruner().decide(running({0: NAN}), history()) is CONTINUE
    assert "ThresholdPruner(lower=None, upper=1.0" in repr(ThresholdPruner(upper=1.0))
    assert "PatientPruner(wrapped=None, patience=2" in repr(PatientPruner(None, 2))
    assert repr(ParetoPruner()).startswith("ParetoPruner(fraction=0.5")
    assert repr(CurveExtrapolationPruner()).startswith("CurveExtrapolationPruner(")
