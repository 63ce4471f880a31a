"""The doctor's third round: dead units must stay dead, a partly dead layer whose weights
barely move is a step-size problem, and the plateau / underfitting / saturation remedies are
sized by what was measured (first-step update ratio, a data-driven LSUV init)."""

from __future__ import annotations

import pytest

from tunecraft.torch import TrainConfig
from tunecraft.torch.doctor import Observations, diagnose
from tunecraft.torch.doctor.observations import ActivationSample, EpochRecord, StepSample
from tunecraft.torch.doctor.remedies import target_update


def _relu_run(dead: list[float], *, update: float = 5e-3, progress: float = 0.6,
              steps: int = 80) -> Observations:
    """A ReLU head whose dead share at the sampled steps is ``dead`` (first = at init)."""
    losses = [1.1 * (1 - progress * i / (steps - 1)) for i in range(steps)]
    every = steps // len(dead)
    acts = tuple(ActivationSample(i * every, "head", "relu", d, None, 1.0)
                 for i, d in enumerate(dead))
    samples = tuple(StepSample(s, (0.1, 0.1), (0.1, 0.1), (update, update), (0.0, 0.0))
                    for s in range(0, steps, 5))
    recs = tuple(EpochRecord(losses[-1], losses[-1] * 1.02, 0.7) for _ in range(6))
    return Observations(tuple(losses), samples, acts, recs, ("a", "b"),
                        activation_kinds=("relu",))


def test_units_dead_at_init_that_revive_are_not_dead_units() -> None:
    # an LSTM's small outputs leave half of a ReLU head below zero at first; training
    # moves the biases and the units come back (51% -> 27%): not a problem
    revived = diagnose(_relu_run([0.51, 0.45, 0.35, 0.3, 0.27, 0.26, 0.27, 0.25]))
    assert "dead_units" not in revived.codes and revived.healthy
    # the same start, but the units stay dead: flagged
    stuck = diagnose(_relu_run([0.51, 0.6, 0.62, 0.6, 0.61, 0.6, 0.62, 0.6], progress=0.1))
    assert "dead_units" in stuck.codes


def test_a_dead_layer_is_dead_units_even_when_nothing_moves() -> None:
    # a whole layer dead passes no gradient: the median layer does not move at all
    dx = diagnose(_relu_run([1.0] * 8, update=0.0, progress=0.0))
    assert dx.worst is not None and dx.worst.code == "dead_units"


def test_a_partly_dead_layer_with_tiny_steps_is_a_step_size_problem() -> None:
    # half the head is dead at init and stays so because the weights barely move (2e-6 of
    # their norm a step): the learning rate, not the units, is what to change
    dx = diagnose(_relu_run([0.54] * 8, update=2e-6, progress=0.0))
    assert "dead_units" not in dx.codes
    assert dx.worst is not None and dx.worst.code == "lr_too_low"


def _collapsing(first: float, steps: int = 100) -> Observations:
    """A loss that stops falling while the steps shrink 1e6x (an exponential schedule)."""
    losses = [1.1 - 0.1 * min(i, 20) / 20 for i in range(steps)]
    samples = tuple(StepSample(s, (0.1, 0.1), (0.1, 0.1),
                               (first * 1e-6 ** (s / steps),) * 2, (0.0, 0.0))
                    for s in range(0, steps, 5))
    recs = tuple(EpochRecord(1.0, 1.01, 0.4) for _ in range(8))
    return Observations(tuple(losses), samples, (), recs, ("a", "b"))


def test_plateau_fix_raises_the_peak_rate_only_when_the_first_steps_were_small() -> None:
    adam = TrainConfig(lr=1e-3, optimizer="adam", schedule="exponential",
                       schedule_params={"final": 1e-7})
    small = diagnose(_collapsing(first=5e-3))
    assert small.worst is not None and small.worst.code == "plateau"
    fixed = small.fix(adam)
    assert fixed.schedule == "cosine"
    assert fixed.lr == pytest.approx(1e-3 * target_update(adam) / 5e-3)  # 4x, to the target
    healthy_size = diagnose(_collapsing(first=3e-2))
    assert healthy_size.worst is not None and healthy_size.worst.code == "plateau"
    assert healthy_size.fix(adam).lr == pytest.approx(1e-3)  # the schedule alone
    # a warm-up makes the first step small by design: no factor is read from it
    warm = TrainConfig(lr=1e-3, optimizer="adam", schedule="exponential",
                       schedule_params={"final": 1e-7}, warmup_pct=0.1)
    assert small.fix(warm).lr == pytest.approx(1e-3)


def test_saturation_fix_is_the_data_driven_lsuv_init() -> None:
    from tunecraft.torch.doctor.diagnosis import Diagnosis, Problem

    dx = Diagnosis((Problem("saturated_units", "error", "slope 0.2", "re-init",
                            {"saturated": 0.6, "slope": 0.2}),))
    assert dx.fix(TrainConfig()).init == "lsuv"
    assert dx.fix(TrainConfig(init="lsuv")).init == "xavier_normal"


def test_each_epoch_is_sampled_even_when_the_budget_is_spent() -> None:
    import torch
    from torch import nn

    from tunecraft.torch.doctor import Doctor

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    # a budget no sample fits in: only the first 3 steps and each epoch's first are sampled
    with Doctor(model, budget=1e-12) as doctor:
        for _ in range(3):
            for _ in range(20):
                opt.zero_grad()
                loss = nn.functional.cross_entropy(model(x), y)
                loss.backward()
                doctor.after_backward(loss)
                opt.step()
                doctor.after_step()
            doctor.end_epoch(val_loss=float(loss.detach()))
    steps = [s.step for s in doctor.observations().samples]
    assert steps == [0, 1, 2, 20, 40]
    acts = {a.step for a in doctor.observations().activations}
    assert {20, 40} <= acts


def _swinging(train: list[float]) -> Observations:
    """Validation loss down to epoch 3, then up ~50%, with the given training losses."""
    val = [1.0, 0.6, 0.3, 0.32, 0.5, 0.45]
    recs = tuple(EpochRecord(t, v, m) for t, v, m in zip(
        train, val, [0.6, 0.8, 0.95, 0.94, 0.85, 0.88], strict=True))
    losses = [1.4 * 0.98 ** i for i in range(60)]
    samples = tuple(StepSample(s, (0.1, 0.1), (0.1, 0.1), (5e-3, 5e-3), (0.0, 0.0))
                    for s in range(0, 60, 5))
    return Observations(tuple(losses), samples, (), recs, ("a", "b"))


def test_a_validation_rise_while_the_training_loss_also_jumps_is_not_overfitting() -> None:
    # memorising: the training loss falls every epoch while the validation loss rises
    steady = diagnose(_swinging([1.0, 0.5, 0.25, 0.2, 0.15, 0.12]))
    assert [p.severity for p in steady.problems if p.code == "overfitting"] == ["warning"]
    # the training loss jumps 0.05 -> 0.2 after the validation minimum: the step size
    # makes both losses swing, which is no reason to regularise
    swinging = diagnose(_swinging([1.0, 0.5, 0.2, 0.05, 0.2, 0.15]))
    problem = next(p for p in swinging.problems if p.code == "overfitting")
    assert problem.severity == "info" and swinging.healthy
    assert "oscillate" in problem.evidence
