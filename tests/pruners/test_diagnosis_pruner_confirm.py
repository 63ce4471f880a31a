"""DiagnosisPruner(confirm=True) prunes on a diagnosis only once the metric stops improving."""

from __future__ import annotations

import math

import pytest

from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.pruners import DiagnosisPruner
from tunecraft.pruners.base import Decision
from tunecraft.record import FrozenTrial, TrialState

SICK = {"problems": [{"code": "lr_too_high", "severity": "error", "evidence": "big steps",
                      "remedy": "lower it", "data": {}}], "steps": 20, "epochs": 2}


def running(reports: list[float], diagnosis: dict[str, object] | None = None) -> FrozenTrial:
    return FrozenTrial(0, TrialState.RUNNING,
                       intermediate_values={i + 1: v for i, v in enumerate(reports)},
                       user_attrs={"diagnosis": diagnosis or SICK})


def decide(pruner: DiagnosisPruner, trial: FrozenTrial,
           direction: StudyDirection = StudyDirection.MAXIMIZE) -> Decision:
    return pruner.decide(trial, History([trial], [direction]))


@pytest.mark.parametrize(("reports", "expected"), [
    ([0.58], Decision.CONTINUE),              # one report: nothing confirms the diagnosis yet
    ([0.58, 0.75], Decision.CONTINUE),        # the metric improves: the run is recovering
    ([0.25, 0.25], Decision.PRUNE),           # flat: confirmed
    ([0.30, 0.25], Decision.PRUNE),           # worse: confirmed
    ([0.30, 0.50, 0.40], Decision.PRUNE),     # below its best earlier report
    ([0.30, math.nan], Decision.PRUNE),       # NaN is no improvement
    ([math.nan, 0.30], Decision.CONTINUE),    # the first finite report is an improvement
])
def test_confirm_reads_the_reports_when_maximizing(reports: list[float],
                                                   expected: Decision) -> None:
    assert decide(DiagnosisPruner(None), running(reports)) is expected


def test_confirm_follows_the_study_direction() -> None:
    pruner = DiagnosisPruner(None)
    assert decide(pruner, running([1.0, 0.8]), StudyDirection.MINIMIZE) is Decision.CONTINUE
    assert decide(pruner, running([1.0, 1.2]), StudyDirection.MINIMIZE) is Decision.PRUNE
    assert decide(pruner, running([1.0, 1.2]), StudyDirection.MAXIMIZE) is Decision.CONTINUE


def test_without_confirm_the_diagnosis_alone_prunes() -> None:
    pruner = DiagnosisPruner(None, confirm=False)
    assert decide(pruner, running([0.58])) is Decision.PRUNE
    assert decide(pruner, running([0.58, 0.75])) is Decision.PRUNE
    assert "confirm=False" in repr(pruner)


def test_a_healthy_diagnosis_never_prunes_however_flat() -> None:
    healthy = {"problems": [], "steps": 20, "epochs": 2}
    assert decide(DiagnosisPruner(None), running([0.3, 0.3], healthy)) is Decision.CONTINUE


def test_reason_without_history_judges_the_diagnosis_alone() -> None:
    pruner, trial = DiagnosisPruner(None), running([0.58, 0.75])
    assert pruner.reason(trial) == "lr_too_high: big steps"
    assert pruner.reason(trial, History([trial], [StudyDirection.MAXIMIZE])) is None


def test_multi_objective_studies_prune_on_the_diagnosis() -> None:
    trial = running([])
    history = History([trial], [StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE])
    assert DiagnosisPruner(None).decide(trial, history) is Decision.PRUNE


def test_a_run_better_than_most_at_this_step_has_recovered() -> None:
    # a CNN whose loss spiked at step 1 (lr_too_high) and then reached 96%: a dip at epoch 4
    # does not confirm the diagnosis while it beats the median of the study at that step
    sick = running([0.5, 0.80, 0.96, 0.95])

    def others(*values: float) -> list[FrozenTrial]:
        return [FrozenTrial(i + 1, TrialState.COMPLETE,
                            intermediate_values={1: 0.25, 4: v}, value=v)
                for i, v in enumerate(values)]

    pruner = DiagnosisPruner(None)
    direction = [StudyDirection.MAXIMIZE]
    assert pruner.decide(sick, History([sick, *others(0.3, 0.5, 0.99)], direction)
                         ) is Decision.CONTINUE
    assert pruner.decide(sick, History([sick, *others(0.97, 0.98, 0.99)], direction)
                         ) is Decision.PRUNE
    # other trials' reports at other steps do not count; one report is no median
    assert pruner.decide(sick, History([sick, *others(0.3)], direction)) is Decision.PRUNE
    lower = [StudyDirection.MINIMIZE]
    loss = running([2.0, 1.0, 0.3, 0.4])
    assert pruner.decide(loss, History([loss, *others(0.9, 1.2)], lower)) is Decision.CONTINUE
    assert pruner.decide(loss, History([loss, *others(0.1, 0.2)], lower)) is Decision.PRUNE
