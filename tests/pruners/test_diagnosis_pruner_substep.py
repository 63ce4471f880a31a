"""DiagnosisPruner's first-epoch (sub-epoch) decisions: fit(doctor=True) writes the diagnosis
with the training loss's progress before the first report, and an unrecoverable problem whose
loss has not fallen prunes then, without asking the wrapped pruner (its steps stay epochs)."""

from __future__ import annotations

import math
from typing import Any

import pytest

import tunecraft
from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.pruners import DiagnosisPruner, HyperbandPruner
from tunecraft.pruners._substep import MIN_PROGRESS
from tunecraft.pruners.base import BasePruner, Decision
from tunecraft.record import FrozenTrial, TrialState

MAX = (StudyDirection.MAXIMIZE,)


def _diagnosis(code: str | None, first: float, recent: float, severity: str = "error"
               ) -> dict[str, Any]:
    problems = [] if code is None else [{"code": code, "severity": severity,
                                         "evidence": "the early layers do not learn",
                                         "remedy": "", "data": {}}]
    return {"problems": problems, "steps": 8, "epochs": 0, "context": {}, "healthy": False,
            "substep": {"step": 8, "steps_per_epoch": 16, "first_loss": first,
                        "recent_loss": recent}}


def _trial(diagnosis: dict[str, Any], reports: dict[int, float] | None = None
           ) -> FrozenTrial:
    return FrozenTrial(0, TrialState.RUNNING, intermediate_values=reports or {},
                       user_attrs={"diagnosis": diagnosis})


class _Always(BasePruner):
    """Prunes whenever asked: shows whether DiagnosisPruner asked it."""

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        return Decision.PRUNE


@pytest.mark.parametrize(("code", "first", "recent", "prunes"), [
    ("exploding_gradients", 2.30, 2.29, True),   # no progress: the weights blow up
    ("vanishing_gradients", 2.30, 2.29, False),  # a GRU can learn later: left to the epochs
    ("lr_too_high", 2.30, 9.70, True),           # the loss rose
    ("lr_too_high", 2.30, 1.70, False),          # violent first steps, but it learns
    (None, 2.30, 2.30, False),                   # flat, but no unrecoverable problem (yet)
    ("lr_too_low", 2.30, 2.30, False),           # slow problems need the curve (hopeless)
    ("dead_units", 2.30, 2.30, True),
    ("vanishing_gradients", 2.30, math.inf, True),  # a loss that is no longer finite
    (None, 2.30, math.nan, True),
])
def test_substep_rule(code: str | None, first: float, recent: float, prunes: bool) -> None:
    pruner = DiagnosisPruner(_Always(), substep_progress=MIN_PROGRESS)
    trial = _trial(_diagnosis(code, first, recent))
    history = History([trial], MAX)
    why = pruner.reason(trial, history)
    assert (why is not None) is prunes
    assert pruner.decide(trial, history) is (Decision.PRUNE if prunes else Decision.CONTINUE)
    if prunes and math.isfinite(recent):
        assert "of epoch 1" in str(why) and "progress" in str(why)


def test_substep_warning_needs_its_table_severity() -> None:
    trial = _trial(_diagnosis("lr_too_high", 2.3, 2.3, severity="warning"))
    pruner = DiagnosisPruner(substep_progress=MIN_PROGRESS)
    assert pruner.reason(trial, History([trial], MAX)) is None


def test_substep_off_and_after_a_report() -> None:
    sick = _diagnosis("dead_units", 2.3, 2.3)
    trial = _trial(sick)
    off = DiagnosisPruner(_Always())  # off by default
    assert off.substep_progress is None
    assert off.reason(trial, History([trial], MAX)) is None
    assert off.decide(trial, History([trial], MAX)) is Decision.CONTINUE  # wrapped not asked
    reported = _trial(sick, {1: 0.1})  # a stale first-epoch diagnosis after a report
    on = DiagnosisPruner(substep_progress=MIN_PROGRESS)
    assert on.reason(reported, History([reported], MAX)) is None
    assert DiagnosisPruner(_Always()).decide(reported, History([reported], MAX)) is \
        Decision.PRUNE  # the epoch path: the wrapped pruner decides
    with pytest.raises(ValueError, match="substep_progress="):
        DiagnosisPruner(substep_progress=1.5)


def _data(n: int = 256) -> tuple[Any, Any]:
    import torch

    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 8, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long()
    return (x[: n // 2], y[: n // 2]), (x[n // 2:], y[n // 2:])


def test_fit_prunes_a_diverging_run_within_its_first_epoch() -> None:
    """SGD at lr 5 blows the loss up: pruned at half of epoch 1, before any report, so its
    trial ends PRUNED with no report and costs half an epoch; a healthy run trains on and
    reports every epoch to the wrapped Hyperband."""
    torch = pytest.importorskip("torch")
    from torch import nn

    from tunecraft.torch import TrainConfig, fit
    from tunecraft.torch.callbacks import Callback
    from tunecraft.torch.doctor._fit import SUBSTEPS

    train, val = _data()

    def mlp(config: TrainConfig) -> nn.Module:
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                             nn.Linear(32, 2))

    class Count(Callback):
        steps = 0

        def on_step_end(self, state: Any) -> None:
            self.steps += 1

    counts: dict[int, int] = {}

    def objective(trial: tunecraft.Trial) -> float:
        counter = Count()
        lr, opt = [(5.0, "sgd"), (3e-3, "adam")][trial.number]
        try:
            return fit(mlp, train, val, TrainConfig(lr=lr, optimizer=opt, batch_size=8), trial,
                       max_epochs=3, device="cpu", doctor=True, callbacks=[counter],
                       diverge_factor=None).best_metric
        finally:
            counts[trial.number] = counter.steps

    study = tunecraft.create_study(direction="maximize",
                                   pruner=DiagnosisPruner(HyperbandPruner(1, 3, 3),
                                                          substep_progress=MIN_PROGRESS))
    study.optimize(objective, n_trials=2)
    sick, good = study.trials
    per_epoch = 128 // 8
    assert sick.state is TrialState.PRUNED, sick.user_attrs.get("diagnosis")
    assert sick.intermediate_values == {}
    assert counts[0] < per_epoch and counts[0] in {round(f * per_epoch) for f in SUBSTEPS}
    assert "substep" in sick.user_attrs["diagnosis"]
    why = DiagnosisPruner(substep_progress=MIN_PROGRESS).reason(sick, study.history())
    assert why is not None and why.startswith("lr_too_high"), why
    assert good.state is TrialState.COMPLETE and sorted(good.intermediate_values) == [1, 2, 3]
    assert counts[1] == 3 * per_epoch
    assert "substep" not in good.user_attrs["diagnosis"]  # the epoch's diagnosis replaced it
