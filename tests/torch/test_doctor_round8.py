"""The doctor's eighth round (after the blind zoo): a lower evaluation-mode loss holds a model
back only through dropout, and the underfitting cure brings coupled L2 in Adam-type
optimizers well below what dominates their steps."""

from __future__ import annotations

import dataclasses

import pytest

from tunecraft.torch import TrainConfig
from tunecraft.torch.doctor import Observations, diagnose
from tunecraft.torch.doctor.diagnosis import Problem
from tunecraft.torch.doctor.observations import EpochRecord, StepSample
from tunecraft.torch.doctor.remedies import REMEDIES


def _still_learning(dropout: float) -> Observations:
    """60 steps from 1.4 down to 0.8 and still falling; the end-of-epoch (evaluation-mode)
    loss sits 0.8x the epoch's mean training loss, as in the blind zoo's healthy SGD runs."""
    steps = tuple(1.4 - 0.6 * i / 59 for i in range(60))
    samples = tuple(StepSample(s, (0.1, 0.1), (0.1, 0.1), (5e-3, 5e-3), (0.0, 0.0))
                    for s in range(0, 60, 5))
    train = [1.3, 1.2, 1.1, 1.0, 0.9, 0.8]
    recs = tuple(EpochRecord(t, 0.8 * t, 0.6) for t in train)
    obs = Observations(steps, samples, (), recs, ("a", "b"))
    return dataclasses.replace(obs, has_dropout=dropout > 0, dropout_rate=dropout)


def _underfitting(obs: Observations) -> Problem:
    return next(p for p in diagnose(obs).problems if p.code == "underfitting")


def test_a_lower_evaluation_loss_holds_the_model_back_only_through_dropout() -> None:
    assert _underfitting(_still_learning(0.0)).severity == "info"  # train for longer
    held = _underfitting(_still_learning(0.3))
    assert held.severity == "warning" and "dropout" in held.evidence


def test_the_underfitting_cure_takes_coupled_l2_below_what_dominates_adam() -> None:
    problem = Problem("underfitting", "warning", "the training loss stopped", "weaken", {})
    cure = REMEDIES["underfitting"]
    # Adam with coupled L2 12: /100 would leave 0.12, still far above 1e-3 (which already
    # dominates a small gradient); the cure goes to 1e-4
    assert cure(problem, TrainConfig(lr=1e-3, optimizer="adam", weight_decay=12.0),
                {})["weight_decay"] == 1e-4
    # decoupled decay keeps the plain /100 (0.012% a step); SGD's /100 (0.03 at lr 0.05,
    # 0.15% a step) is capped since round 9 at 0.05% a step (test_doctor_round9.py)
    assert cure(problem, TrainConfig(lr=1e-3, optimizer="adamw", weight_decay=12.0),
                {})["weight_decay"] == 0.12
    assert cure(problem, TrainConfig(lr=0.05, optimizer="sgd", weight_decay=3.0),
                {})["weight_decay"] == pytest.approx(5e-4 / 0.05)
