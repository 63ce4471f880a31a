"""The training doctor: records, rules, hooks, fit(doctor=True), heal and DiagnosisPruner."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

import tunecraft
from tunecraft.pruners import DiagnosisPruner, MedianPruner
from tunecraft.record import TrialState
from tunecraft.torch import Diagnosis, Doctor, Problem, TrainConfig, fit, heal
from tunecraft.torch.doctor import Observations, diagnose
from tunecraft.torch.doctor.observations import EpochRecord, StepSample


def data(n: int = 400, seed: int = 0) -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 0.5).long()
    cut = int(0.75 * n)
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def mlp(depth: int = 2, act: type[nn.Module] = nn.ReLU, width: int = 32) -> nn.Module:
    layers: list[nn.Module] = []
    prev = 8
    for _ in range(depth):
        layers += [nn.Linear(prev, width), act()]
        prev = width
    return nn.Sequential(*layers, nn.Linear(prev, 3))


def hooks_of(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) for m in model.modules())


# --------------------------------------------------------------------------- records
def test_problem_and_diagnosis_are_validated_ordered_and_round_trip() -> None:
    with pytest.raises(ValueError, match="code="):
        Problem("slow", "error", "e", "r")
    with pytest.raises(ValueError, match="severity="):
        Problem("plateau", "fatal", "e", "r")
    dx = Diagnosis((Problem("overfitting", "info", "a", "b"),
                    Problem("lr_too_high", "error", "loss NaN at step 3", "lr / 10",
                            {"lr_factor": 0.1})), steps=10, epochs=1)
    assert [p.code for p in dx.problems] == ["lr_too_high", "overfitting"]
    assert dx.codes == {"lr_too_high", "overfitting"} and not dx.healthy
    with pytest.raises(AttributeError):
        dx.steps = 3  # type: ignore[misc]
    again = Diagnosis.from_dict(json.loads(json.dumps(dx.to_dict())))
    assert again == dx
    text = str(dx)
    assert "[ERROR] lr_too_high: loss NaN at step 3" in text and "remedy: lr / 10" in text
    fixed = dx.fix(TrainConfig(lr=0.5))
    assert fixed.lr == pytest.approx(0.05) and fixed.warmup_pct == 0.05
    with pytest.raises(TypeError, match="TrainConfig"):
        dx.fix({"lr": 1.0})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a diagnosis"):
        Diagnosis.from_dict({"x": 1})


def _obs(losses: list[float], rel: tuple[float, ...] = (0.1, 0.1), upd: float = 1e-2,
         epochs: int = 0) -> Observations:
    samples = tuple(StepSample(s, rel, rel, (upd,) * len(rel), (0.1,) * len(rel))
                    for s in range(0, len(losses), 5))
    recs = tuple(EpochRecord(losses[-1], losses[-1] * 1.1, 0.9) for _ in range(epochs))
    return Observations(tuple(losses), samples, (), recs, ("a", "b"))


def test_rules_on_measurements() -> None:
    falling = [2.0 * 0.97 ** i for i in range(60)]
    assert diagnose(_obs(falling, epochs=5)).healthy
    assert "lr_too_high" in diagnose(_obs([2.0, 2.1, math.nan])).codes
    vanish = diagnose(_obs([2.0] * 60, rel=(1e-9, 0.5)))
    assert vanish.worst is not None and vanish.worst.code == "vanishing_gradients"
    assert "1e-09" in vanish.worst.evidence or "2e-09" in vanish.worst.evidence
    slow = diagnose(_obs([2.0 - 1e-4 * i for i in range(60)], upd=1e-6))
    assert slow.worst is not None and slow.worst.code == "lr_too_low"
    assert slow.fix(TrainConfig(lr=1e-6)).lr > 1e-5


# --------------------------------------------------------------------------- the hooks
def test_doctor_in_a_plain_loop_and_bad_input() -> None:
    model = mlp(depth=3)
    (x, y), _ = data()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with Doctor(model, every=2) as doctor:
        first = doctor.diagnose()  # before any step: info, no crash
        assert first.healthy and first.codes == {"no_data"}
        assert hooks_of(model) == 3
        for _ in range(3):
            for i in range(0, len(x), 50):
                loss = nn.functional.cross_entropy(model(x[i:i + 50]), y[i:i + 50])
                opt.zero_grad()
                loss.backward()
                doctor.after_backward(loss)
                opt.step()
                doctor.after_step()
        no_epochs = doctor.diagnose()  # end_epoch never called: said, not a crash
        assert "no_data" in no_epochs.codes and no_epochs.healthy
        doctor.end_epoch(train_loss=0.5, val_loss=0.6, val_metric=0.8)
    assert hooks_of(model) == 0
    dx = doctor.diagnose()
    assert dx.steps == 18 and dx.epochs == 1 and dx.healthy
    with pytest.raises(ValueError, match="every="):
        Doctor(model, every=0)
    with pytest.raises(TypeError, match="nn.Module"):
        Doctor("model")  # type: ignore[arg-type]


def test_hooks_are_removed_when_training_raises_and_odd_models_work() -> None:
    model = mlp()
    with pytest.raises(RuntimeError, match="boom"), Doctor(model):
        assert hooks_of(model) == 2
        raise RuntimeError("boom")
    assert hooks_of(model) == 0
    with pytest.warns(RuntimeWarning, match="no trainable weight"):
        bare = Doctor(nn.Identity())
    bare.after_backward(torch.tensor(float("nan")))
    bare.after_step()
    bare.end_epoch()
    assert "lr_too_high" in bare.diagnose().codes  # a NaN loss is named, never a crash


# --------------------------------------------------------------------------- fit
def test_fit_with_doctor_healthy_and_too_high_lr() -> None:
    train, val = data()
    good = fit(lambda c: mlp(), train, val, TrainConfig(lr=3e-3), max_epochs=6,
               device="cpu", doctor=True)
    assert good.diagnosis is not None and good.diagnosis.healthy, str(good.diagnosis)
    assert hooks_of(good.model) == 0
    config = TrainConfig(lr=5.0, optimizer="sgd")
    bad = fit(lambda c: mlp(), train, val, config, max_epochs=4, device="cpu", doctor=True)
    assert bad.diagnosis.worst is not None and bad.diagnosis.worst.code == "lr_too_high"
    assert bad.diagnosis.fix(config).lr < config.lr
    plain = fit(lambda c: mlp(), train, val, TrainConfig(), max_epochs=1, device="cpu")
    assert plain.diagnosis is None


def test_heal_repairs_a_tiny_learning_rate() -> None:
    train, val = data()
    out = heal(lambda c: mlp(), train, val, TrainConfig(lr=1e-7), max_epochs=5,
               device="cpu", max_rounds=3)
    assert out.rounds[0].diagnosis.worst is not None
    assert out.rounds[0].diagnosis.worst.code == "lr_too_low"
    assert out.rounds[-1].config.lr > 1e-6 and out.healed, str(out)
    assert out.best.metric > out.rounds[0].metric
    with pytest.raises(ValueError, match="trial="):
        heal(lambda c: mlp(), train, val, TrainConfig(), trial=object())


# --------------------------------------------------------------------------- trials
def test_diagnosis_is_recorded_and_diagnosis_pruner_prunes() -> None:
    train, val = data(200)
    study = tunecraft.create_study(direction="maximize",
                                   pruner=DiagnosisPruner(MedianPruner(n_startup_trials=5)))

    def objective(trial: tunecraft.Trial) -> float:
        lr = [3e-3, 5.0][trial.number % 2]
        config = TrainConfig(lr=lr, optimizer="sgd" if lr > 1 else "adamw")
        return fit(lambda c: mlp(), train, val, config, trial, max_epochs=3, device="cpu",
                   doctor=True, diverge_factor=None).best_metric

    study.optimize(objective, n_trials=2)
    good, bad = study.trials
    assert good.state is TrialState.COMPLETE
    assert Diagnosis.from_dict(good.user_attrs["diagnosis"]).epochs == 3
    assert bad.state is TrialState.PRUNED, bad.user_attrs.get("diagnosis")
    assert "lr_too_high" in Diagnosis.from_dict(bad.user_attrs["diagnosis"]).codes


def test_diagnosis_pruner_arguments() -> None:
    with pytest.raises(TypeError, match="wrapped="):
        DiagnosisPruner("median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_epochs="):
        DiagnosisPruner(min_epochs=0)
    with pytest.raises(ValueError, match="must be 'info'"):
        DiagnosisPruner(codes={"plateau": "fatal"})
    assert DiagnosisPruner(codes=["plateau"]).codes == {"plateau": "error"}
