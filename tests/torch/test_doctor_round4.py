"""The doctor's fourth round (gaps the unseen zoo showed): NaN gradients right after a huge
first step are the step size, epoch-level oscillation is a step-size warning, and the
exploding-gradients fix lowers the rate that the cured (smaller) weights cannot take."""

from __future__ import annotations

import math

import pytest

from tunecraft.torch import TrainConfig
from tunecraft.torch.doctor import Observations, diagnose
from tunecraft.torch.doctor.diagnosis import Diagnosis, Problem
from tunecraft.torch.doctor.observations import EpochRecord, StepSample
from tunecraft.torch.doctor.remedies import target_update


def _nan_at_step_1(update0: float, grad0: float, loss1: float = math.nan) -> Observations:
    """A run whose gradients are NaN from step 1; the first step moved the weights by
    ``update0`` of their norm, from untrained gradients ``grad0`` x the weights."""
    losses = (1.4, loss1) + (math.nan,) * 38
    samples = (StepSample(0, (1.0, 1.0), (grad0, grad0), (update0, update0), (0.0, 0.0)),
               StepSample(1, (math.nan,) * 2, (math.nan,) * 2, (math.nan,) * 2, (0.0, 0.0)))
    return Observations(losses, samples, (), (), ("a", "b"), non_finite_grad_steps=(1, 2))


def test_nan_gradients_after_a_huge_first_step_are_the_step_size() -> None:
    # the first step moved the weights 679 x their norm (an encoder with RMSprop at lr 8):
    # the step size threw them where the gradients overflow
    huge = diagnose(_nan_at_step_1(update0=679.0, grad0=0.25))
    assert huge.worst is not None and huge.worst.code == "lr_too_high"
    assert "exploding_gradients" not in huge.codes
    assert "679" in huge.worst.evidence and "step 1" in huge.worst.evidence
    rms = TrainConfig(lr=8.0, optimizer="rmsprop")
    assert huge.fix(rms).lr == pytest.approx(8.0 * target_update(rms) / 679.0)
    # the same NaN after a healthy-sized first step: the gradients exploded by themselves
    small = diagnose(_nan_at_step_1(update0=0.01, grad0=0.25))
    assert small.worst is not None and small.worst.code == "exploding_gradients"
    # a huge first step from gradients already 50 x the weights: the init amplifies
    amplified = diagnose(_nan_at_step_1(update0=679.0, grad0=50.0))
    assert amplified.worst is not None and amplified.worst.code == "exploding_gradients"


def test_a_loss_that_jumps_on_the_first_step_before_nan_is_the_step_size() -> None:
    # the first step is not measured large, but the loss rose 1.4 -> 30 in that one step
    dx = diagnose(_nan_at_step_1(update0=0.01, grad0=0.25, loss1=30.0))
    assert dx.worst is not None and dx.worst.code == "lr_too_high"
    assert "30" in dx.worst.evidence


def _epochs(train: list[float], val: list[float], dropout: float = 0.0) -> Observations:
    """A run with healthy-sized steps and the given epoch losses."""
    losses = [1.4 * 0.97 ** i for i in range(60)]
    samples = tuple(StepSample(s, (0.1, 0.1), (0.1, 0.1), (5e-3, 5e-3), (0.0, 0.0))
                    for s in range(0, 60, 5))
    recs = tuple(EpochRecord(t, v, 0.8) for t, v in zip(train, val, strict=True))
    return Observations(tuple(losses), samples, (), recs, ("a", "b"),
                        has_dropout=dropout > 0, dropout_rate=dropout)


def test_losses_swinging_between_epochs_are_a_step_size_warning() -> None:
    train = [0.9, 0.5, 0.3, 0.25, 0.22, 0.2]
    # the training loss goes 0.3 -> 0.8 -> 0.3 -> 0.8 -> 0.35: up and down by large amounts,
    # again and again (since round 6 the training loss alone: tests/torch/test_doctor_round6.py;
    # since round 13 at least twice: tests/torch/test_doctor_round13.py)
    swing = diagnose(_epochs([0.9, 0.3, 0.8, 0.3, 0.8, 0.35], [0.9, 0.3, 0.8, 0.3, 0.8, 0.35]))
    problem = next(p for p in swing.problems if p.code == "lr_too_high")
    assert problem.severity == "warning"
    assert "0.3" in problem.evidence and "0.8" in problem.evidence
    assert swing.fix(TrainConfig(lr=0.1)).lr < 0.1
    # a steady descent, and a small wobble, are not
    assert diagnose(_epochs(train, [0.9, 0.5, 0.3, 0.28, 0.27, 0.26])).healthy
    assert diagnose(_epochs(train, [0.9, 0.5, 0.3, 0.33, 0.3, 0.29])).healthy
    # a 2.6x swing of an already tiny loss (0.043 -> 0.112 of an untrained 1.4) gives back
    # 5% of the untrained loss: noise of a converged run (a BN CNN at 99.5%), not a swing
    assert diagnose(_epochs(train, [0.9, 0.3, 0.1, 0.043, 0.112, 0.033])).healthy
    # a rise that never comes back down is not a swing (overfitting has its own rule)
    rising = diagnose(_epochs([0.9, 0.5, 0.3, 0.2, 0.1, 0.05], [0.9, 0.5, 0.3, 0.5, 0.7, 0.9]))
    assert "lr_too_high" not in rising.codes
    # a run that memorises (train 0.005 vs validation 1.5) is told to regularise first,
    # even though its training loss swung 0.3 -> 0.9 on the way
    memorised = diagnose(_epochs([0.9, 0.5, 0.3, 0.9, 0.05, 0.005],
                                 [0.9, 0.6, 0.7, 1.2, 1.4, 1.5]))
    assert memorised.worst is not None and memorised.worst.code == "overfitting"
    assert "lr_too_high" not in memorised.codes
    # heavy dropout explains swinging training-mode losses: not blamed on the rate
    dropped = diagnose(_epochs([0.9, 0.5, 0.3, 0.9, 0.35, 0.3], [0.9, 0.5, 0.3, 0.8, 0.3, 0.3],
                               dropout=0.8))
    assert "lr_too_high" not in dropped.codes


def _exploding(update0: float, gain: float = 2.0) -> Diagnosis:
    return Diagnosis((Problem("exploding_gradients", "error", "gain", "re-init",
                              {"gain_per_layer": gain, "growth": 30.0, "update0": update0,
                               "update0_max": 3 * update0}),))


def test_the_exploding_fix_lowers_a_rate_the_cured_weights_cannot_take() -> None:
    rms = TrainConfig(lr=1e-2, optimizer="rmsprop")
    # RMSprop moved the 2x-too-large weights by 0.05 of their norm: once re-initialised
    # (half the norm) the same rate moves them 0.1, above RMSprop's healthy 0.06
    fixed = _exploding(0.05).fix(rms)
    assert fixed.init == "kaiming_normal" and fixed.grad_clip == 1.0
    assert fixed.lr == pytest.approx(1e-2 * target_update(rms) / (0.05 * 2.0))
    # small first steps stay small after the cure: the rate is kept
    assert _exploding(0.005).fix(TrainConfig(lr=1e-3, optimizer="adam")).lr == 1e-3
    # a warm-up made the first step small by design: nothing is read from it
    assert _exploding(0.05).fix(TrainConfig(lr=1e-2, optimizer="rmsprop",
                                            warmup_pct=0.1)).lr == 1e-2
    # SGD's step follows the gradient, which the re-init changes by an unmeasured amount
    assert _exploding(0.5).fix(TrainConfig(lr=0.1, optimizer="sgd", momentum=0.9)).lr == 0.1
    # ... but with the init kept, SGD's measured fastest step (1.5) sizes the rate
    kept = _exploding(0.5).fix(TrainConfig(lr=0.1, optimizer="sgd", momentum=0.9,
                                           init="kaiming_normal"))
    assert kept.lr == pytest.approx(0.1 * 8e-2 * 0.1 / 1.5)
