"""The doctor's eleventh round (after the eighth zoo, seen): a run that diverged is never
healthy, whatever its length or its weight decay; zero updates from units that pass no
gradient are no evidence of a rate too low, and no remedy's own number moves the rate
further than the measured range in one ``fix``; Adagrad's first-step spike that the run
fully recovers from is its design, not a rate too high."""

from __future__ import annotations

import pytest

from tunecraft.torch import TrainConfig
from tunecraft.torch.doctor import Diagnosis, Observations, Problem, diagnose
from tunecraft.torch.doctor.observations import EpochRecord, StepSample


def _two_steps(upd0: float, decay: float | None) -> Observations:
    """AdamW at lr 40 (decay 0.1: 4 x the weights per step): the loss 1.13 -> 4.2e8 at step
    1 and ``fit`` stops the run there; one epoch record, without a validation loss."""
    samples = (StepSample(0, (0.5, 0.5), (0.59, 0.3), (upd0, upd0), (0.0, 0.0)),
               StepSample(1, (1e3, 1e3), (10.0, 10.0), (404.0, 404.0), (0.0, 0.0)))
    return Observations((1.13, 4.2e8), samples, (), (EpochRecord(2.1e8, None, None),),
                        ("conv", "head"), decay_per_step=decay)


def test_a_run_that_diverged_in_two_steps_is_lr_too_high_under_heavy_decay() -> None:
    # round 10 read the decay (lr x wd = 4 per step) as the cause and found nothing else:
    # "healthy, no problem found"; the first step moved the weights 449x their norm, over
    # 100x what the decay alone removes: the rate threw them
    dx = diagnose(_two_steps(upd0=449.0, decay=4.0))
    assert not dx.healthy and dx.worst is not None
    assert dx.worst.code == "lr_too_high" and dx.worst.severity == "error", str(dx)
    assert dx.fix(TrainConfig(lr=40.0, optimizer="adamw", weight_decay=0.1)).lr < 0.4


def test_a_diverged_run_no_rule_explains_is_never_healthy() -> None:
    # a small first step under heavy decay: the decay exemption holds for the step rules,
    # and with no validation loss recorded the fit rules read nothing; the run diverged
    dx = diagnose(_two_steps(upd0=0.04, decay=4.0))
    assert dx.worst is not None and dx.worst.code == "lr_too_high", str(dx)
    assert dx.worst.data.get("diverged") == 1.0 and "diverged" in dx.worst.evidence
    fixed = dx.fix(TrainConfig(lr=40.0, optimizer="adamw"))
    assert fixed.lr <= 40.0 * 0.3 and fixed.warmup_pct == 0.05


def _no_gradient() -> Observations:
    """Every hidden unit below its zero-slope region (Hardswish, bias -8): the weights get
    exactly zero gradient and never move; the loss sits at chance for 14 epochs."""
    steps = tuple(1.386 + 0.004 * ((s * 7) % 5 - 2) / 2 for s in range(266))
    samples = tuple(StepSample(s, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0),
                               (0.0, 0.0, 0.0)) for s in range(0, 266, 10))
    recs = tuple(EpochRecord(1.3865, 1.388, 0.233) for _ in range(14))
    return Observations(steps, samples, (), recs, ("l1", "l2", "head"),
                        activation_kinds=("hardswish",))


def test_zero_updates_from_units_that_pass_no_gradient_are_not_a_too_low_rate() -> None:
    # round 10: lr_too_low, "multiply the learning rate by about 1e+05" (lr 3e-3 -> 300)
    dx = diagnose(_no_gradient())
    assert "lr_too_low" not in dx.codes, str(dx)
    assert dx.worst is not None and dx.worst.code == "dead_units", str(dx)
    config = TrainConfig(lr=3e-3, optimizer="adam")
    fixed = dx.fix(config)
    assert fixed.lr == config.lr and fixed.init == "kaiming_normal"


@pytest.mark.parametrize(("code", "factor", "warmup"), [
    ("lr_too_low", 1e9, 0.0), ("lr_too_low", 1e9, 0.05),
    ("lr_too_high", 1e-9, 0.0), ("lr_too_high", 1e-9, 0.05)])
def test_no_remedy_moves_the_rate_beyond_the_bounded_factor(code: str, factor: float,
                                                            warmup: float) -> None:
    # a factor a rule put in its data (no measured first step) was applied unbounded
    p = Problem(code, "error", "evidence", "remedy", {"lr_factor": factor})
    config = TrainConfig(lr=1e-2, optimizer="adam", warmup_pct=warmup)
    lr = Diagnosis((p,), 100, 5, {}).fix(config).lr
    assert 1e-5 * config.lr <= lr <= 1e5 * config.lr


def _spike_then_converge(accumulating: bool) -> Observations:
    """A token CNN under Adagrad at lr 0.05: the first step spikes the loss to 3.55x the
    untrained 1.53, then the run converges to 1e-3 at accuracy 1.00."""
    steps = (1.53, 5.42, 2.72) + tuple(max(1e-3, 1.26 * 0.97 ** s) for s in range(263))
    samples = tuple(StepSample(s, (0.5, 0.5), (0.3, 0.3),
                               (0.59, 0.59) if s == 0 else (0.01, 0.01), (0.0, 0.0))
                    for s in range(0, 266, 10))
    recs = tuple(EpochRecord(0.6 * 0.6 ** e, 0.5 * 0.6 ** e + 0.01,
                             min(1.0, 0.7 + 0.05 * e)) for e in range(14))
    return Observations(steps, samples, (), recs, ("conv", "head"),
                        accumulating=accumulating)


def test_adagrads_recovered_first_step_spike_is_healthy_but_adams_is_not() -> None:
    assert diagnose(_spike_then_converge(accumulating=True)).healthy
    adam = diagnose(_spike_then_converge(accumulating=False))
    assert adam.worst is not None and adam.worst.code == "lr_too_high", str(adam)
