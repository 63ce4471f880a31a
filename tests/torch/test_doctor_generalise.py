"""The doctor's scale-free signals: the first loss, layer gain, measured step sizes, decay per
step, and how divergence meets the doctor in a study."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import tunecraft
from tunecraft.record import TrialState
from tunecraft.torch import Diagnosis, TrainConfig, fit
from tunecraft.torch.doctor import Observations, diagnose
from tunecraft.torch.doctor.observations import ActivationSample, EpochRecord, StepSample
from tunecraft.torch.doctor.remedies import target_update, target_update_max


def _obs(losses: list[float], *, upd: float = 1e-2, upd0: float | None = None,
         rms: tuple[float, ...] = (), epochs: int = 0, decay: float | None = None,
         late: float | None = None) -> Observations:
    n = len(losses)
    samples = []
    for s in range(0, n, 5):
        u = upd0 if (s == 0 and upd0 is not None) else (
            late if late is not None and s >= 2 * n / 3 else upd)
        samples.append(StepSample(s, (0.1, 0.1), (0.1, 0.1), (u, u), (0.1, 0.1)))
    acts = tuple(ActivationSample(0, f"a{i}", "relu", 0.0, None, r) for i, r in enumerate(rms))
    recs = tuple(EpochRecord(losses[-1], losses[-1] * 1.05, 0.5) for _ in range(epochs))
    return Observations(tuple(losses), tuple(samples), acts, recs, ("a", "b"),
                        decay_per_step=decay)


def test_a_spike_in_the_first_steps_is_measured_against_the_first_loss() -> None:
    losses = [2.3, 40.0, 900.0] + [2.3] * 40  # blew up at steps 1-2, back at chance
    dx = diagnose(_obs(losses, upd=0.3, upd0=0.2))
    assert dx.worst is not None and dx.worst.code == "lr_too_high"
    assert "900" in dx.worst.evidence and "2.3" in dx.worst.evidence


def test_exploding_is_the_per_layer_gain_not_a_threshold_on_gradients() -> None:
    # a run that learned under half of its first loss (round 12: growth whose gradients
    # stay below the weights in a run that learned is a residual net's, not an explosion)
    falling = [2.0 * 0.995 ** i for i in range(60)]
    grows = diagnose(_obs(falling, rms=(1.0, 1.6, 2.6, 4.2, 6.8), epochs=4))
    assert grows.worst is not None and grows.worst.code == "exploding_gradients"
    assert "1.6" in grows.worst.evidence  # per-layer gain, in numbers
    preserving = diagnose(_obs(falling, rms=(1.0, 1.02, 1.0, 1.05, 1.03), epochs=4))
    assert "exploding_gradients" not in preserving.codes
    shallow = diagnose(_obs(falling, rms=(1.0, 3.0), epochs=4))  # 2 layers: no depth trend
    assert "exploding_gradients" not in shallow.codes


@pytest.mark.parametrize(("config", "first"), [
    (TrainConfig(lr=9.0, optimizer="adam"), 90.0),
    (TrainConfig(lr=150.0, optimizer="sgd", momentum=0.9), 40.0),
    (TrainConfig(lr=3.0, optimizer="rmsprop"), 100.0)])
def test_too_high_lr_fix_lands_on_the_target_step(config: TrainConfig, first: float) -> None:
    losses = [2.3, 50.0, math.nan]
    dx = diagnose(_obs(losses, upd=first, upd0=first))
    fixed = dx.fix(config)
    target = target_update_max(config) or target_update(config)  # every layer moved `first`
    assert fixed.lr == pytest.approx(config.lr * target / first)
    assert fixed.lr < config.lr / 1000 and fixed.warmup_pct == 0.05


def test_lr_100x_too_low_is_named_and_the_fix_scales_with_the_step() -> None:
    creeping = [2.3 - 0.002 * i for i in range(80)]  # 7% progress, still falling
    dx = diagnose(_obs(creeping, upd=3e-4, upd0=2e-4, epochs=5))
    assert dx.worst is not None and dx.worst.code == "lr_too_low", str(dx)
    config = TrainConfig(lr=3e-5, optimizer="adam")
    assert dx.fix(config).lr == pytest.approx(3e-5 * target_update(config) / 2e-4)
    collapsed = diagnose(_obs(creeping, upd=3e-4, upd0=2e-4, late=1e-7, epochs=5))
    assert "lr_too_low" not in collapsed.codes  # the schedule shrank the steps: not the LR


def test_heavy_weight_decay_is_underfitting_not_a_too_high_lr() -> None:
    rising = [2.0 + 0.5 * i for i in range(40)]  # decay rocks the weights: the loss climbs
    blamed = diagnose(_obs(rising, upd=0.2, upd0=0.04, epochs=5))
    assert "lr_too_high" in blamed.codes
    dx = diagnose(_obs(rising, upd=0.2, upd0=0.04, epochs=5, decay=1.5))
    assert dx.worst is not None and dx.worst.code == "underfitting", str(dx)
    assert "150% of the weights every step" in dx.worst.evidence
    # /100 (0.03) still removes 0.15% a step; since round 9 the cure stops at a tenth of
    # the overfitting cure's most, 0.05% a step (tests/torch/test_doctor_round9.py)
    assert dx.fix(TrainConfig(optimizer="sgd", lr=0.05, weight_decay=3.0)
                  ).weight_decay == pytest.approx(5e-4 / 0.05)


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))


def test_a_diverged_trial_ends_complete_with_its_diagnosis_recorded() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 8, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    study = tunecraft.create_study(direction="maximize")

    def objective(trial: tunecraft.Trial) -> float:
        config = TrainConfig(lr=200.0, optimizer="sgd", momentum=0.9)
        return fit(lambda c: _mlp(), (x[:200], y[:200]), (x[200:], y[200:]), config, trial,
                   max_epochs=3, device="cpu", doctor=True).best_metric

    study.optimize(objective, n_trials=1)
    (t,) = study.trials
    # the trainer stopped it (COMPLETE, scored as the untrained model: a bad region the
    # sampler learns from), and the doctor's diagnosis was written before it ended
    assert t.state is TrialState.COMPLETE and "diverged" in t.user_attrs
    dx = Diagnosis.from_dict(t.user_attrs["diagnosis"])
    assert dx.worst is not None and dx.worst.code == "lr_too_high"
    assert t.value is not None and t.value < 0.6
