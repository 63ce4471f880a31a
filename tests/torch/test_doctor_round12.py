"""The doctor's twelfth round (the eight seen zoos' remaining misses, by mechanism): forward
growth whose gradients stayed below the weights in a run that learned is a residual net's
architecture, not an exploding init; a validation loss that rose from a minimum near 0 by a
sliver of the untrained loss is not overfitting."""

from __future__ import annotations

from tunecraft.torch.doctor import Observations, diagnose
from tunecraft.torch.doctor.observations import ActivationSample, EpochRecord, StepSample


def _grown(grad_rel: float, losses: tuple[float, float], width: int | None = None
           ) -> Observations:
    """Six ReLU activations whose RMS grows 1.5 x per layer before any update (7.6 x over the
    depth, a residual stack at a variance-preserving init); the largest layer's
    ``||g|| / ||w||`` is ``grad_rel``; the step loss goes ``losses[0]`` -> ``losses[1]``."""
    n = 200
    start, end = losses
    steps = tuple(start * (end / start) ** (s / (n - 1)) for s in range(n))
    samples = tuple(StepSample(s, (0.1, 0.1, 0.1), (grad_rel, grad_rel / 2, 0.05),
                               (0.004, 0.004, 0.004), (0.0, 0.0, 0.0))
                    for s in range(0, n, 10))
    acts = tuple(ActivationSample(s, f"relu{i}", "relu", 0.0, None, rms=1.5 ** i)
                 for s in range(0, n, 10) for i in range(6))
    epochs = tuple(EpochRecord(steps[20 * e + 19], steps[20 * e + 19] * 1.05, 0.9)
                   for e in range(n // 20))
    return Observations(steps, samples, acts, epochs, ("conv1", "conv2", "head"),
                        activation_kinds=("relu",), output_width=width)


def test_growth_with_small_gradients_in_a_run_that_learned_is_not_exploding() -> None:
    # round 11: "exploding_gradients (error)" on the kaiming-cured residual TCN that reached
    # 98%: each residual block adds its branch to its input (x 1.5 RMS at any init)
    dx = diagnose(_grown(0.21, (1.5, 0.05)))
    assert "exploding_gradients" not in dx.codes, str(dx)
    # the same growth with gradients 50 x the weights: the init amplifies
    sick = diagnose(_grown(50.0, (1.5, 0.05)))
    assert sick.worst is not None and sick.worst.code == "exploding_gradients", str(sick)
    # and with small gradients in a run that learned nothing: still an error
    stuck = diagnose(_grown(0.21, (1.5, 1.45)))
    assert stuck.worst is not None and stuck.worst.code == "exploding_gradients", str(stuck)


def test_a_loud_init_the_run_undid_with_small_gradients_is_not_exploding() -> None:
    # a 3-way classifier starting at loss 15 (13.7 x ln 3) whose gradients stayed at 0.21
    # of the weights and whose loss fell to 0.05: the head's scale, undone by the steps
    dx = diagnose(_grown(0.21, (15.0, 0.05), width=3))
    assert "exploding_gradients" not in dx.codes, str(dx)
    sick = diagnose(_grown(50.0, (15.0, 0.05), width=3))
    assert "exploding_gradients" in sick.codes, str(sick)
    # gradients recorded after clipping look small; a loud start that ended above the
    # chance loss ln 3 = 1.1 learned nothing (94% "progress" from 19 is no evidence)
    clipped = diagnose(_grown(0.7, (19.0, 1.2), width=3))
    assert "exploding_gradients" in clipped.codes, str(clipped)


def _rise(val: list[float], train: list[float], l0: float) -> Observations:
    n = 20 * len(val)
    steps = tuple(l0 * (train[-1] / l0) ** (s / (n - 1)) for s in range(n))
    samples = tuple(StepSample(s, (0.1, 0.1), (0.3, 0.3), (0.01, 0.01), (0.0, 0.0))
                    for s in range(0, n, 10))
    epochs = tuple(EpochRecord(t, v, None) for t, v in zip(train, val, strict=True))
    return Observations(steps, samples, (), epochs, ("gru", "head"), recurrent=True)


_TRAIN = [1.28, 0.89, 0.39, 0.14, 0.065, 0.031, 0.019, 0.013, 0.0095, 0.0077, 0.0062,
          0.0053, 0.0044, 0.0038, 0.0033]


def test_a_rise_from_a_minimum_near_zero_by_a_sliver_of_the_untrained_loss_is_not_overfitting(
        ) -> None:
    # the seventh zoo's healthy GRU at 97%: 0.0777 -> 0.11 is a 42% rise, 2% of its
    # untrained loss 1.42 (a few confidently wrong examples), round 11 warned
    val = [1.16, 0.57, 0.26, 0.18, 0.086, 0.0777, 0.078, 0.092, 0.090, 0.094, 0.095, 0.102,
           0.102, 0.110, 0.110]
    dx = diagnose(_rise(val, _TRAIN, 1.42))
    assert "overfitting" not in dx.codes, str(dx)
    # without the floor (round 11) the same run is warned
    assert "overfitting" in diagnose(_rise(val, _TRAIN, 1.42),
                                     thresholds={"overfit_floor": 0.0}).codes
    # the same curve rising by 0.3 (21% of the untrained loss): overfitting, warned
    worse = [v if i < 6 else 0.0777 + 0.3 * (i - 5) / 9 for i, v in enumerate(val)]
    sick = diagnose(_rise(worse, _TRAIN, 1.42))
    assert "overfitting" in sick.codes, str(sick)
    over = next(p for p in sick.problems if p.code == "overfitting")
    assert over.data["best_epoch"] == 6


def test_a_validation_rise_while_the_training_loss_is_still_above_its_minimum_is_not_overfitting(
        ) -> None:
    # the blind zoo's healthy LayerNorm MLP under plain SGD: the validation loss swung to
    # 1.07 from its minimum 0.473, and the training loss 0.48 never went below that minimum
    train = [1.06, 0.89, 0.84, 0.79, 0.81, 0.72, 0.72, 0.67, 0.62, 0.68, 0.57, 0.58, 0.60,
             0.54, 0.45, 0.59, 0.57, 0.454, 0.499, 0.4825]
    val = [0.99, 0.85, 0.79, 1.02, 0.77, 0.78, 0.98, 0.68, 0.76, 0.62, 0.64, 0.54, 0.64,
           0.64, 0.49, 0.68, 0.4733, 0.71, 0.91, 1.07]
    dx = diagnose(_rise(val, train, 1.1))
    assert "overfitting" not in dx.codes, str(dx)
    # the same validation curve with a training loss that fell below it: a gap that opened
    fitted = train[:16] + [0.40, 0.35, 0.30, 0.28]
    sick = diagnose(_rise(val, fitted, 1.1))
    assert "overfitting" in sick.codes, str(sick)
