"""DiagnosisPruner prunes an lr_too_low run only when its own curve cannot catch up."""

from __future__ import annotations

import math

import pytest

import tunecraft
from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.pruners import DiagnosisPruner
from tunecraft.pruners.base import Decision
from tunecraft.record import FrozenTrial, TrialState


def slow(severity: str = "error") -> dict[str, object]:
    return {"problems": [{"code": "lr_too_low", "severity": severity,
                          "evidence": "steps 1e-5 of the weights", "remedy": "raise it",
                          "data": {"lr_factor": 1000.0}}], "steps": 30, "epochs": 3}


def done(number: int, curve: list[float]) -> FrozenTrial:
    """A finished trial reporting ``curve`` at steps 1, 2, ..."""
    return FrozenTrial(number, TrialState.COMPLETE, value=max(curve),
                       intermediate_values={i + 1: v for i, v in enumerate(curve)})


def running(curve: list[float], diagnosis: dict[str, object] | None = None) -> FrozenTrial:
    return FrozenTrial(99, TrialState.RUNNING,
                       intermediate_values={i + 1: v for i, v in enumerate(curve)},
                       user_attrs={"diagnosis": diagnosis or slow()})


# three finished 9-step trials: at step 3 they report 0.5, 0.6, 0.7 (top third from 0.633)
OTHERS = [done(0, [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8]),
          done(1, [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.9, 0.9]),
          done(2, [0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9])]


def decide(pruner: DiagnosisPruner, trial: FrozenTrial,
           others: list[FrozenTrial] | None = None,
           direction: StudyDirection = StudyDirection.MAXIMIZE) -> Decision:
    return pruner.decide(trial, History([*(OTHERS if others is None else others), trial],
                                        [direction]))


@pytest.mark.parametrize(("curve", "expected"), [
    ([0.10, 0.10, 0.10], Decision.PRUNE),     # flat at chance: 0.10 + 0 < 0.633
    ([0.10, 0.11, 0.11], Decision.PRUNE),     # 0.11 + 3 * 0.01 * 6 = 0.29 < 0.633
    ([0.10, 0.12, 0.14], Decision.PRUNE),     # learns, but 0.14 + 3 * 0.02 * 6 = 0.50 < 0.633
    ([0.10, 0.15, 0.20], Decision.CONTINUE),  # 0.20 + 3 * 0.05 * 6 = 1.10: it may catch up
    ([0.10, 0.30, 0.25], Decision.CONTINUE),  # one big gain (0.2) is enough hope
    ([0.55, 0.55, 0.55], Decision.PRUNE),     # flat just below the others' top third
    ([0.65, 0.65, 0.65], Decision.CONTINUE),  # flat but in the top third: not hopeless
])
def test_the_projected_curve_decides(curve: list[float], expected: Decision) -> None:
    assert decide(DiagnosisPruner(None), running(curve)) is expected


def test_the_reason_names_the_problem_and_the_projection() -> None:
    trial = running([0.10, 0.10, 0.10])
    why = DiagnosisPruner(None).reason(trial, History([*OTHERS, trial],
                                                      [StudyDirection.MAXIMIZE]))
    assert why is not None
    assert why.startswith("lr_too_low: steps 1e-5")
    assert "hopeless plateau" in why and "top third (0.6333)" in why


def test_the_horizon_bounds_the_projection() -> None:
    curve = [0.10, 0.15, 0.20]  # 0.2 + 3 * 0.05 * (horizon - 3)
    assert decide(DiagnosisPruner(None, horizon=9), running(curve)) is Decision.CONTINUE
    assert decide(DiagnosisPruner(None, horizon=5), running(curve)) is Decision.PRUNE  # 0.5
    # None reads the budget from the longest COMPLETE trial: with 4 steps finished, 0.35
    short = [done(i, [0.5, 0.6, 0.7, 0.8]) for i in range(3)]
    assert decide(DiagnosisPruner(None), running(curve), short) is Decision.PRUNE


def test_without_evidence_it_does_not_judge() -> None:
    flat = running([0.1, 0.1, 0.1])
    unfinished = [FrozenTrial(t.number, TrialState.PRUNED, intermediate_values=dict(
        t.intermediate_values)) for t in OTHERS]
    assert decide(DiagnosisPruner(None), flat, unfinished) is Decision.CONTINUE  # no budget
    assert decide(DiagnosisPruner(None, horizon=9), flat, unfinished) is Decision.PRUNE
    assert decide(DiagnosisPruner(None), flat, OTHERS[:2]) is Decision.CONTINUE  # 2 others
    assert decide(DiagnosisPruner(None), running([0.1])) is Decision.CONTINUE  # no gain yet
    assert decide(DiagnosisPruner(None), running([0.1, 0.1])) is Decision.CONTINUE  # one
    at_end = running([0.1] * 9)
    assert decide(DiagnosisPruner(None), at_end) is Decision.CONTINUE  # nothing left to save
    assert DiagnosisPruner(None).reason(flat) is None  # no history: nothing to compare


def test_only_the_listed_codes_at_their_severity_prune() -> None:
    flat = [0.1, 0.1, 0.1]
    assert decide(DiagnosisPruner(None), running(flat, slow("warning"))) is Decision.CONTINUE
    assert decide(DiagnosisPruner(None, hopeless=()), running(flat)) is Decision.CONTINUE
    lenient = DiagnosisPruner(None, hopeless={"lr_too_low": "warning"})
    assert decide(lenient, running(flat, slow("warning"))) is Decision.PRUNE
    healthy = {"problems": [], "steps": 30, "epochs": 3}
    assert decide(DiagnosisPruner(None), running(flat, healthy)) is Decision.CONTINUE


def test_it_reads_the_study_direction_and_skips_nan() -> None:
    losses = [done(i, [2.0 - 0.1 * s - 0.1 * i for s in range(9)]) for i in range(3)]
    flat = running([2.3, 2.3, 2.3, math.nan])  # a NaN last report is no gain
    assert decide(DiagnosisPruner(None), flat, losses, StudyDirection.MINIMIZE) is Decision.PRUNE
    falling = running([2.3, 2.1, 1.9])  # 1.9 - 3 * 0.2 * 6 = -1.7 < the top third 1.67
    assert decide(DiagnosisPruner(None), falling, losses,
                  StudyDirection.MINIMIZE) is Decision.CONTINUE


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="horizon="):
        DiagnosisPruner(horizon=0)
    with pytest.raises(ValueError, match="hopeless"):
        DiagnosisPruner(hopeless={"lr_too_low": "fatal"})
    assert DiagnosisPruner(hopeless=["plateau"]).hopeless == {"plateau": "error"}
    assert "horizon=9" in repr(DiagnosisPruner(horizon=9))


def test_a_hopeless_trial_ends_pruned_with_its_reason_readable() -> None:
    """In a study the pruned trial is PRUNED (samplers learn the region is bad), and the
    pruner's reason can be read back from what the trial recorded."""
    pruner = DiagnosisPruner(None, horizon=9)
    study = tunecraft.create_study(direction="maximize", pruner=pruner)

    def objective(trial: tunecraft.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        crawl = trial.number == 3
        for step in range(1, 10):
            value = 0.1 if crawl else 0.3 + 0.05 * step
            if crawl:
                trial.set_user_attr("diagnosis", slow())
            trial.report(value + 0.0 * x, step)
            if trial.should_prune():
                raise tunecraft.TrialPruned()
        return value

    study.optimize(objective, n_trials=4)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE] * 3 + [TrialState.PRUNED]
    pruned = study.trials[3]
    assert pruned.last_step == 3  # three flat reports: two gains of 0
    assert "hopeless plateau" in (pruner.reason(pruned, study.history()) or "")
