"""The doctor's tenth round (after the seventh zoo, seen): Adagrad's first step, its largest
by design, is no thrown initialisation; and an untrained loss far above the chance loss
``ln(classes)`` is an init that amplifies (exploding gradients), not a rate that is too
high, even when the first steps spike and kill units."""

from __future__ import annotations

import pytest

from tunecraft.torch import TrainConfig
from tunecraft.torch.doctor import Doctor, Observations, diagnose
from tunecraft.torch.doctor.observations import EpochRecord, StepSample


def _adagrad_like(accumulating: bool) -> Observations:
    """A run that learns well (loss 1.16 -> 0.38, accuracy 0.85) although its first step
    moved the weights by 0.69 of their norm; later steps shrink to 1e-2."""
    steps = tuple(1.16 - 0.78 * min(1.0, s / 150) for s in range(300))
    samples = tuple(StepSample(s, (0.5, 0.5), (0.3, 0.3),
                               (0.69, 0.69) if s == 0 else (0.01, 0.01), (0.0, 0.0))
                    for s in range(0, 300, 10))
    train = [1.0 - 0.03 * e for e in range(20)]
    recs = tuple(EpochRecord(t, t + 0.05, 0.6 + 0.0125 * e) for e, t in enumerate(train))
    return Observations(steps, samples, (), recs, ("l1", "head"),
                        accumulating=accumulating)


def test_adagrads_largest_first_step_is_no_thrown_initialisation() -> None:
    # Adagrad divides by the root of the summed squared gradients: its first step is
    # lr x sign(g), the largest it takes; under Adam the same first step keeps its size
    assert diagnose(_adagrad_like(accumulating=True)).healthy
    adam = diagnose(_adagrad_like(accumulating=False))
    assert "lr_too_high" in adam.codes and not adam.healthy
    from torch import nn, optim

    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 4))
    ada = Doctor(model, optimizer=optim.Adagrad(model.parameters(), lr=0.05))
    assert ada.observations().accumulating
    assert not Doctor(model, optimizer=optim.Adam(model.parameters())).observations(
        ).accumulating


def test_adagrad_that_spikes_is_still_lr_too_high() -> None:
    obs = _adagrad_like(accumulating=True)
    spiked = Observations((1.16, 60.0) + obs.step_losses[2:], obs.samples, (), obs.epochs,
                          obs.layers, accumulating=True)
    assert diagnose(spiked).worst is not None
    assert diagnose(spiked).worst.code == "lr_too_high"


def _loud(l0: float, metric_mode: str = "max", width: int | None = 4) -> Observations:
    """A 4-way classifier: the loss spikes 15x at step 1, ReLUs die, then it sits at chance
    (ln 4 = 1.39), as a 2-conv CNN with weights x10 does under SGD."""
    steps = (l0, 15.5 * l0) + (1.39,) * 298
    samples = tuple(StepSample(s, (1.0, 1.0), (0.5, 0.5), (0.111, 0.111) if s == 0 else
                               (0.03, 0.03), (0.0, 0.0)) for s in range(0, 300, 10))
    recs = tuple(EpochRecord(1.39, 1.39, 0.25) for _ in range(20))
    return Observations(steps, samples, (), recs, ("conv", "head"),
                        activation_kinds=("relu",), metric_mode=metric_mode,
                        output_width=width)


def test_untrained_loss_far_above_chance_is_an_exploding_init() -> None:
    dx = diagnose(_loud(95.1))
    assert dx.worst is not None and dx.worst.code == "exploding_gradients"
    assert "ln(4)" in dx.worst.evidence and "lr_too_high" not in dx.codes
    fixed = dx.fix(TrainConfig(lr=0.05, optimizer="sgd"))
    assert fixed.init == "kaiming_normal" and fixed.grad_clip == 1.0
    # the same spike from a loss at chance is the rate's
    assert diagnose(_loud(1.39)).worst.code == "lr_too_high"  # type: ignore[union-attr]


@pytest.mark.parametrize(("mode", "width"), [("min", 4), ("max", 1), ("max", None)])
def test_no_chance_level_no_loud_init(mode: str, width: int | None) -> None:
    # a regression (metric falls) has no chance loss; nor has a single output or no head
    assert "exploding_gradients" not in diagnose(_loud(95.1, mode, width)).codes


def test_output_width_is_the_last_linear_layers() -> None:
    from torch import nn

    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(16, 6))
    assert Doctor(model).observations().output_width == 6
    assert Doctor(nn.Sequential(nn.Conv1d(1, 2, 3))).observations().output_width is None
