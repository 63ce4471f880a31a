"""The doctor's seventh round: a rising validation loss while the metric stays within its
epoch-to-epoch noise of its best is over-confidence (info), and coupled L2 under an adaptive
optimizer that shrinks the weights reads as underfitting, not vanishing gradients."""

from __future__ import annotations

from tunecraft.torch.doctor import Observations, diagnose
from tunecraft.torch.doctor.observations import EpochRecord, StepSample

TRAIN = [1.0, 0.8, 0.6, 0.5, 0.4, 0.35, 0.3, 0.27, 0.25, 0.23]
VAL = [1.0, 0.8, 0.6, 0.5, 0.45, 0.44, 0.5, 0.55, 0.6, 0.65]


def _fitting(metrics: list[float]) -> Observations:
    """60 steps of a loss falling from 1.4 with healthy steps, and ten epochs whose
    validation loss rises 40% above its minimum (epoch 6) while the training loss falls."""
    losses = tuple(1.4 * 0.97 ** i for i in range(60))
    samples = tuple(StepSample(s, (0.1, 0.1), (0.1, 0.1), (5e-3, 5e-3), (0.0, 0.0))
                    for s in range(0, 60, 5))
    recs = tuple(EpochRecord(t, v, m) for t, v, m in zip(TRAIN, VAL, metrics, strict=True))
    return Observations(losses, samples, (), recs, ("a", "b"))


def _overfitting(metrics: list[float]) -> str:
    dx = diagnose(_fitting(metrics))
    problem = next(p for p in dx.problems if p.code == "overfitting")
    return f"{problem.severity}: {problem.evidence}"


def test_a_metric_within_its_noise_of_the_best_makes_a_rising_loss_over_confidence() -> None:
    # the metric swings by 2-5 points per epoch and ends 4 points under its best 0.82: noise
    held = _overfitting([0.5, 0.6, 0.7, 0.75, 0.78, 0.80, 0.82, 0.77, 0.81, 0.78])
    assert held.startswith("info:") and "the metric holds at 0.78, best 0.82" in held
    # the same gap after a steady decline of 2 points per epoch is lost accuracy
    falling = _overfitting([0.5, 0.6, 0.7, 0.75, 0.78, 0.80, 0.78, 0.76, 0.74, 0.72])
    assert falling.startswith("warning:") and "holds" not in falling
    # a metric that has not fallen since the loss minimum keeps the earlier wording
    kept = _overfitting([0.5, 0.6, 0.7, 0.75, 0.78, 0.80, 0.80, 0.81, 0.81, 0.82])
    assert kept.startswith("info:") and "has not fallen since that epoch" in kept


def _deep(cos: float, shrink: float) -> Observations:
    """A flat run whose first layer's gradient/weight ratio is 1e-9 x the last layer's,
    updates at ``cos`` to the weights, and weights ending at ``shrink`` x their norm."""
    losses = tuple([1.1] * 60)
    samples = []
    for s in range(0, 60, 5):
        norm = 1.0 + (shrink - 1.0) * s / 55  # ||w|| = ||g|| / (||g|| / ||w||)
        rel = (1e-9, 0.5)
        samples.append(StepSample(s, tuple(r * norm for r in rel), rel, (5e-3, 5e-3),
                                  (cos, cos)))
    recs = tuple(EpochRecord(1.1, 1.1, 0.33) for _ in range(6))
    return Observations(losses, tuple(samples), (), recs, ("a", "b"))


def test_coupled_decay_shrinking_the_weights_is_underfitting_not_vanishing() -> None:
    # Adam/RMSprop with L2 in the gradient: updates point against the weights (cosine -0.9)
    # and the weights lose 99% of their norm, so the first layer's ratio looks vanishing
    shrunk = diagnose(_deep(-0.9, 0.01))
    assert shrunk.worst is not None and shrunk.worst.code == "underfitting"
    assert "update/weight cosine -0.9" in shrunk.worst.evidence
    assert not any(p.code == "vanishing_gradients" for p in shrunk.problems)
    # the same ratio with weights that keep their norm is a gradient that does not arrive
    for cos in (0.0, -0.9):  # (AdamW's decoupled decay alone moves tiny-gradient layers)
        deep = diagnose(_deep(cos, 1.0))
        assert deep.worst is not None and deep.worst.code == "vanishing_gradients"
