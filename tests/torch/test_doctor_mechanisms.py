"""The doctor's second round of mechanisms: SGD's step sized on the fastest layer, saturation
read as the gradient share a tanh/sigmoid layer passes back, and a validation-loss rise that
has not cost the metric reported as over-confidence (info), not overfitting."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tunecraft.torch import TrainConfig
from tunecraft.torch.doctor import Doctor, Observations, diagnose
from tunecraft.torch.doctor.observations import ActivationSample, EpochRecord, StepSample
from tunecraft.torch.doctor.remedies import target_update, target_update_max


def _diverged(first_step: tuple[float, ...]) -> Observations:
    """A run that blew up; its first step moved the layers by ``first_step``."""
    losses = [1.4, 30.0, 900.0, math.nan]
    samples = (StepSample(0, (0.1,) * len(first_step), (0.1,) * len(first_step), first_step,
                          (0.0,) * len(first_step)),)
    return Observations(tuple(losses), samples, (), (), tuple(f"l{i}"
                                                                for i in range(len(first_step))))


def test_sgd_fix_sizes_the_step_on_the_fastest_layer_adam_on_the_median() -> None:
    # an LSTM-like first step: recurrent weights barely move, the output layer moves most
    dx = diagnose(_diverged((1e-2, 1e-1, 2.0)))
    assert dx.worst is not None and dx.worst.code == "lr_too_high"
    assert dx.worst.data["update0_max"] == pytest.approx(2.0)
    sgd = TrainConfig(lr=2.5, optimizer="sgd", momentum=0.9)
    assert target_update_max(sgd) == pytest.approx(8e-3)
    assert dx.fix(sgd).lr == pytest.approx(2.5 * 8e-3 / 2.0)
    # the median layer (0.1) would have asked for a 10x larger, unstable rate
    assert dx.fix(sgd).lr == pytest.approx(2.5 * target_update(sgd) / 0.1 / 10)
    adam = TrainConfig(lr=0.15, optimizer="adam")
    assert target_update_max(adam) is None
    assert dx.fix(adam).lr == pytest.approx(0.15 * target_update(adam) / 0.1)


def test_sgd_too_low_fix_also_uses_the_fastest_layer() -> None:
    creeping = [1.4 - 0.001 * i for i in range(80)]
    samples = tuple(StepSample(s, (0.1,) * 3, (0.1,) * 3, (1e-8, 1e-7, 2e-6), (0.0,) * 3)
                    for s in range(0, 80, 5))
    recs = tuple(EpochRecord(1.35, 1.36, 0.3) for _ in range(5))
    dx = diagnose(Observations(tuple(creeping), samples, (), recs, ("a", "b", "c")))
    assert dx.worst is not None and dx.worst.code == "lr_too_low"
    sgd = TrainConfig(lr=1e-4, optimizer="sgd", momentum=0.9)
    assert dx.fix(sgd).lr == pytest.approx(1e-4 * 8e-3 / 2e-6)


def _tanh_run(layers: list[tuple[float, float]], *, progress: float = 0.8) -> Observations:
    """A falling loss and tanh layers with ``(share in the tails, mean slope)`` at init."""
    losses = [2.3 * (1 - progress * i / 59) for i in range(60)]
    acts = tuple(ActivationSample(0, f"t{i}", "tanh", None, sat, 1.0, slope)
                 for i, (sat, slope) in enumerate(layers))
    samples = tuple(StepSample(s, (0.1, 0.1), (0.1, 0.1), (5e-3, 5e-3), (0.0, 0.0))
                    for s in range(0, 60, 5))
    recs = tuple(EpochRecord(losses[-1], losses[-1] * 1.05, 0.8) for _ in range(4))
    return Observations(tuple(losses), samples, acts, recs, ("a", "b"),
                        activation_kinds=("tanh",))


def test_saturation_is_the_gradient_share_a_layer_passes_back() -> None:
    # 5x torch's weights: under half the outputs in the tails, but each layer passes ~29%
    sick = diagnose(_tanh_run([(0.49, 0.29), (0.47, 0.29)]))
    assert "saturated_units" in sick.codes and not sick.healthy
    problem = next(p for p in sick.problems if p.code == "saturated_units")
    assert "29%" in problem.evidence and problem.data["slope"] == pytest.approx(0.29)
    assert sick.fix(TrainConfig()).init == "lsuv"  # measured on a batch: any input scale
    # an unscaled input saturates a fifth of the first layer's outputs; it still passes
    # half the gradient and the layers above pass almost all of it: healthy
    healthy = diagnose(_tanh_run([(0.22, 0.48), (0.0, 0.87), (0.0, 0.95)]))
    assert "saturated_units" not in healthy.codes
    # records without a slope (older observations) still use the share in the tails
    legacy = diagnose(_tanh_run([(0.7, math.nan)]))
    assert "saturated_units" in legacy.codes


def test_doctor_measures_the_mean_slope_of_tanh_and_sigmoid_layers() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 32), nn.Sigmoid(),
                          nn.Linear(32, 2))
    with torch.no_grad():
        model[0].weight.mul_(6.0)
    x = torch.randn(64, 16)
    with Doctor(model, budget=None) as doctor:
        loss = model(x).square().mean()
        loss.backward()
        doctor.after_backward(loss)
        doctor.after_step()
    acts = doctor.observations().activations
    with torch.no_grad():
        h = torch.tanh(model[0](x))
        s = torch.sigmoid(model[2](h))
    assert acts[0].slope == pytest.approx(float((1 - h.square()).mean()), rel=1e-4)
    assert acts[1].slope == pytest.approx(float((4 * s * (1 - s)).mean()), rel=1e-4)
    assert acts[0].slope < 0.35 < acts[1].slope  # the scaled layer is the saturated one


def _rising(metrics: list[float]) -> Observations:
    """Validation loss down to epoch 3, then up 40% while the training loss keeps falling."""
    val = [1.0, 0.6, 0.5, 0.55, 0.62, 0.7]
    train = [1.0, 0.55, 0.4, 0.3, 0.25, 0.2]
    recs = tuple(EpochRecord(t, v, m) for t, v, m in zip(train, val, metrics, strict=True))
    losses = [2.0 * 0.98 ** i for i in range(60)]
    samples = tuple(StepSample(s, (0.1, 0.1), (0.1, 0.1), (5e-3, 5e-3), (0.0, 0.0))
                    for s in range(0, 60, 5))
    return Observations(tuple(losses), samples, (), recs, ("a", "b"))


def test_a_loss_rise_that_kept_the_metric_is_info_one_that_lost_it_a_warning() -> None:
    kept = diagnose(_rising([0.6, 0.8, 0.85, 0.86, 0.86, 0.87]))
    problem = next(p for p in kept.problems if p.code == "overfitting")
    assert problem.severity == "info" and kept.healthy
    assert "0.85 then, 0.87 now" in problem.evidence
    lost = diagnose(_rising([0.6, 0.8, 0.85, 0.84, 0.82, 0.80]))
    assert [p.severity for p in lost.problems if p.code == "overfitting"] == ["warning"]
    no_metric = diagnose(_rising([math.nan] * 6))  # no metric: the loss decides
    assert [p.severity for p in no_metric.problems if p.code == "overfitting"] == ["warning"]
