"""The doctor's sixth round: a validation-only swing is not the step size, a first step that
throws the weights away is (even when the run learns), a dead layer's cure warms the rate
up with SGD, memorisation is reported beside an error (whose cure comes first), and the
exploding cure stops early."""

from __future__ import annotations

import dataclasses

import pytest

from tunecraft.torch import TrainConfig
from tunecraft.torch.doctor import Observations, diagnose
from tunecraft.torch.doctor.diagnosis import Diagnosis, Problem
from tunecraft.torch.doctor.observations import ActivationSample, EpochRecord, StepSample
from tunecraft.torch.doctor.remedies import target_update


def _run(train: list[float], val: list[float], *, update0: float = 5e-3, later: float = 5e-3,
         spike: float | None = None, dead: float | None = None) -> Observations:
    """60 steps whose loss falls from 1.4 (optionally spiking at step 3), steps of ``later``
    after a first step of ``update0``, optional ReLU layer ``dead`` throughout."""
    losses = [1.4 * 0.97 ** i for i in range(60)]
    if spike is not None:
        losses[3] = spike
    samples = tuple(StepSample(s, (0.1, 0.1), (0.1, 0.1),
                               ((update0, update0) if s == 0 else (later, later)), (0.0, 0.0))
                    for s in range(0, 60, 5))
    acts = () if dead is None else tuple(ActivationSample(s, "relu1", "relu", dead, None)
                                         for s in range(0, 60, 5))
    recs = tuple(EpochRecord(t, v, 0.8) for t, v in zip(train, val, strict=True))
    return Observations(tuple(losses), samples, acts, recs, ("a", "b"),
                        activation_kinds=("relu",) if dead is not None else ())


STEADY = [0.9, 0.5, 0.3, 0.25, 0.22, 0.2]


def test_only_the_training_loss_swinging_is_the_step_size() -> None:
    # the validation loss 0.3 -> 0.8 -> 0.3 while the training loss falls steadily: held-out
    # examples turning confidently wrong (healthy GRU/encoder runs do this), not the steps
    assert diagnose(_run(STEADY, [0.9, 0.5, 0.3, 0.8, 0.3, 0.28])).healthy
    # the loss the optimizer descends goes 0.3 -> 0.8 -> 0.3, twice: the steps overshoot
    # (one swing the run recovers from is not enough since round 13)
    swing = diagnose(_run([0.9, 0.3, 0.8, 0.3, 0.8, 0.28], [0.9, 0.3, 0.7, 0.3, 0.7, 0.28]))
    problem = next(p for p in swing.problems if p.code == "lr_too_high")
    assert problem.severity == "warning" and "training loss rose from 0.3 to 0.8" in (
        problem.evidence)


def test_a_first_step_that_throws_the_weights_is_the_step_size_though_the_run_learns() -> None:
    val = [0.95, 0.55, 0.35, 0.3, 0.27, 0.25]
    adam = TrainConfig(lr=0.03, optimizer="adam")
    # Adam's first step moved the weights by 0.62 of their norm (a GRU at 30x its rate):
    # the run still learned, so a warning (not pruned), and the fix sizes the rate from it
    thrown = diagnose(_run(STEADY, val, update0=0.62))
    problem = next(p for p in thrown.problems if p.code == "lr_too_high")
    assert problem.severity == "warning" and "0.62" in problem.evidence
    fixed = thrown.fix(adam)
    assert fixed.lr == pytest.approx(0.03 * target_update(adam) / 0.62)
    assert fixed.warmup_pct == 0.05
    # RMSprop's inflated but healthy first steps (0.2 of the weights) are not flagged
    assert diagnose(_run(STEADY, val, update0=0.2)).healthy


def test_a_dead_layer_cure_warms_the_untried_rate_up() -> None:
    flat = [1.39] * 6
    sgd = TrainConfig(lr=0.05, optimizer="sgd", momentum=0.9)
    # every unit of a layer is dead: no gradient passed, the rate never met a live network
    whole = diagnose(_run(flat, flat, dead=1.0))
    assert whole.worst is not None and whole.worst.code == "dead_units"
    fixed = whole.fix(sgd)
    assert (fixed.init, fixed.warmup_pct, fixed.grad_clip) == ("kaiming_normal", 0.05, 1.0)
    # 70% dead: the rest of the layer trained under the rate, which is kept as it was
    part = diagnose(_run(flat, flat, dead=0.7)).fix(sgd)
    assert (part.init, part.warmup_pct, part.grad_clip) == ("kaiming_normal", 0.0, None)
    # Adam's steps are lr-sized whatever the gradient: the live layers showed its step
    adam = whole.fix(TrainConfig(lr=1e-3, optimizer="adam"))
    assert (adam.init, adam.warmup_pct, adam.grad_clip) == ("kaiming_normal", 0.0, None)


def test_memorisation_is_reported_beside_an_error_whose_cure_comes_first() -> None:
    # the loss spiked 1.4 -> 9 (the step size), and the training loss ended 300x below the
    # validation loss: the model also memorises, which no cure of the rate removes
    both = diagnose(_run([0.9, 0.5, 0.2, 0.05, 0.01, 0.005], [0.9, 0.8, 1.0, 1.2, 1.4, 1.5],
                         update0=0.1, spike=9.0))
    assert both.worst is not None and both.worst.code == "lr_too_high"
    assert {"lr_too_high", "overfitting"} <= both.codes
    # one fix cures the rate only (a lower rate plus decay and early stopping underfit);
    # the same memorisation alone is regularised
    fixed = both.fix(TrainConfig(lr=0.01, optimizer="adam"))
    assert fixed.lr < 0.01 and fixed.weight_decay == 0.0 and fixed.patience is None
    alone = diagnose(_run([0.9, 0.5, 0.2, 0.05, 0.01, 0.005], [0.9, 0.8, 1.0, 1.2, 1.4, 1.5]))
    assert alone.worst is not None and alone.worst.code == "overfitting"
    assert alone.fix(TrainConfig(lr=0.01, optimizer="adam")).weight_decay == 1e-3
    # beside an error, a validation loss that only rose (no memorisation) is left to the
    # error's cure: the blow-up may be what raised it
    rose = diagnose(_run([0.9, 0.5, 0.4, 0.35, 0.3, 0.3], [0.9, 0.5, 0.4, 0.6, 0.7, 0.8],
                         update0=0.1, spike=9.0))
    assert "overfitting" not in rose.codes
    # beside a step-size warning a rising validation loss is reported, but the rate is
    # lowered first (overshooting steps also raise it; decay at a high Adam rate underfits)
    thrown = diagnose(_run([0.9, 0.5, 0.4, 0.35, 0.3, 0.3], [0.9, 0.5, 0.4, 0.6, 0.7, 0.8],
                           update0=0.62))
    assert {"lr_too_high", "overfitting"} <= thrown.codes
    fixed = thrown.fix(TrainConfig(lr=0.03, optimizer="adam"))
    assert fixed.lr < 0.03 and fixed.weight_decay == 0.0 and fixed.patience is None


def test_the_exploding_cure_stops_early() -> None:
    # the sick run spent its epochs undoing the blown-up scale: how fast the cured model
    # fits is unknown, so the epoch budget follows the validation loss
    dx = Diagnosis((Problem("exploding_gradients", "error", "gain", "re-init",
                            {"gain_per_layer": 2.0, "growth": 30.0, "update0": 0.005}),))
    fixed = dx.fix(TrainConfig(lr=1e-3, optimizer="adam"))
    assert (fixed.init, fixed.grad_clip, fixed.patience) == ("kaiming_normal", 1.0, 3)
    # a patience the user set is kept
    assert dx.fix(TrainConfig(lr=1e-3, optimizer="adam", patience=7)).patience == 7


def test_underfitting_blames_dropout_only_when_the_model_has_some() -> None:
    # the training-mode loss 1.13 x the evaluation-mode loss: with dropout that is its noise;
    # without, the epoch's mean lags a model still changing (the blind zoo's healthy SGD runs
    # were told "dropout noise drowns the signal" with no dropout in the model)
    steps = tuple(1.4 - 0.4 * min(i, 20) / 20 for i in range(60))
    plain = dataclasses.replace(_run([1.2, 1.1, 1.05, 1.03, 1.02, 1.02],
                                     [1.0, 0.95, 0.9, 0.9, 0.9, 0.9]), step_losses=steps)
    noisy = dataclasses.replace(plain, has_dropout=True, dropout_rate=0.2)
    said = {name: next(p for p in diagnose(o).problems if p.code == "underfitting").evidence
            for name, o in (("plain", plain), ("noisy", noisy))}
    assert "dropout noise" not in said["plain"] and "has no dropout" in said["plain"]
    assert "dropout noise drowns the signal" in said["noisy"]


def test_the_overfitting_cure_never_reaches_the_decay_that_underfitting_names() -> None:
    # the cure's weight decay removes at most 0.5% of the weights per step (a tenth of the
    # doctor's "heavy": 5%) and stays at 1e-3 as coupled L2 in Adam; before, SGD at 0.1 with
    # momentum 0.9 got 0.05 (5% per step: the second run came out underfitting)
    from tunecraft.torch.doctor.remedies import REMEDIES
    problem = Problem("overfitting", "warning", "the validation loss rose", "regularise", {})
    cure = REMEDIES["overfitting"]
    sgd = cure(problem, TrainConfig(lr=0.1, optimizer="sgd", momentum=0.9), {})
    assert sgd["weight_decay"] * 0.1 / (1 - 0.9) == pytest.approx(0.005)
    assert sgd["patience"] == 3
    assert cure(problem, TrainConfig(lr=0.001, optimizer="adam"), {})["weight_decay"] == 1e-3
    assert cure(problem, TrainConfig(lr=0.001, optimizer="adamw"), {})["weight_decay"] == 0.05
    # a decay already above the cap is kept, never lowered by the overfitting cure
    kept = cure(problem, TrainConfig(lr=0.1, optimizer="sgd", momentum=0.9,
                                     weight_decay=0.02), {})
    assert kept["weight_decay"] == 0.02
