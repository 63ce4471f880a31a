"""Diverged training informs the search: the trial ends COMPLETE with a finite, poor value and
the reason recorded (never FAIL), and TPE and the default AutoSampler steer away."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tunecraft  # noqa: E402
from tunecraft import TrialState  # noqa: E402
from tunecraft.pruners import NopPruner  # noqa: E402
from tunecraft.samplers import AutoSampler, TPESampler  # noqa: E402
from tunecraft.torch import TrainConfig, fit  # noqa: E402
from tunecraft.torch.callbacks import Callback  # noqa: E402
from tunecraft.torch.mlp import MLPSpec  # noqa: E402

Split = tuple[np.ndarray, np.ndarray]
NET = MLPSpec(64, 10, depth=1, width=32)


@pytest.fixture(scope="module")
def digits() -> tuple[Split, Split]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return (x[:300], y[:300]), (x[1400:1600], y[1400:1600])


def test_a_run_that_diverges_in_epoch_one_ends_complete_with_the_reason(digits: Any) -> None:
    train, val = digits

    def objective(trial: tunecraft.Trial) -> float:
        cfg = TrainConfig(lr=1e9, optimizer="sgd", momentum=0.0)
        return fit(NET, train, val, cfg, trial, max_epochs=3).best_metric

    study = tunecraft.create_study(direction="maximize")
    study.optimize(objective, n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.COMPLETE
    assert t.value is not None and 0.0 <= t.value < 0.3  # the untrained model: ~chance
    assert "diverged" in t.user_attrs and "epoch 1" in t.user_attrs["diverged"]
    assert t.intermediate_values == {1: t.value}  # reported, finite: pruners see it too


def test_a_late_divergence_keeps_the_best_finite_epoch(digits: Any) -> None:
    train, val = digits

    class Explode(Callback):
        def on_epoch_end(self, state: Any) -> None:
            if state.epoch == 2:
                for group in state.optimizer.param_groups:
                    group["lr"] = 1e9  # the schedule resets it each step; set base too
                state.scheduler.base_lrs = [1e9 for _ in state.scheduler.base_lrs]

    result = fit(NET, train, val, TrainConfig(lr=5e-3, optimizer="sgd", momentum=0.0),
                 max_epochs=5, callbacks=[Explode()])
    assert result.stop_reason == "diverged" and result.epochs == 3
    assert result.best_epoch in (1, 2)
    assert result.best_metric == max(h.val_accuracy or 0 for h in result.history[:2])
    assert all(math.isfinite(p.sum().item()) for p in result.model.parameters())


def test_loss_metric_runs_diverge_to_the_untrained_loss(digits: Any) -> None:
    train, val = digits
    cfg = TrainConfig(lr=1e9, optimizer="sgd", momentum=0.0, metric="loss")
    result = fit(NET, train, val, cfg, max_epochs=2)
    assert result.direction == "min" and result.stop_reason == "diverged"
    assert 1.5 < result.best_metric < 4.0  # about ln(10): the untrained model's loss


def _toy_objective(digits: Any, diverged: list[bool]) -> Any:
    train, val = digits

    def objective(trial: tunecraft.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-2, 1e4, log=True)
        cfg = TrainConfig(lr=lr, optimizer="sgd", momentum=0.0, batch_size=30)
        result = fit(NET, train, val, cfg, trial, max_epochs=2)
        diverged.append(result.stop_reason == "diverged")
        return result.best_metric

    return objective


@pytest.mark.parametrize("sampler", ["tpe", "auto"])
def test_samplers_steer_away_from_the_diverging_region(digits: Any, sampler: str) -> None:
    # plain SGD on a small MLP: over lr in [1e-2, 1e4] (log) about 45% of the range
    # diverges (lr above ~20); the best rates are near 0.5
    diverged: list[bool] = []
    chosen = (TPESampler(seed=0, n_startup_trials=8) if sampler == "tpe"
              else AutoSampler(seed=0))  # the default sampler, seeded (GP after 10 trials)
    study = tunecraft.create_study(direction="maximize", sampler=chosen, pruner=NopPruner())
    study.optimize(_toy_objective(digits, diverged), n_trials=30)
    assert {t.state for t in study.trials} == {TrialState.COMPLETE}  # never FAIL
    startup, later = np.mean(diverged[:10]), np.mean(diverged[10:])
    assert startup >= 0.3  # the random start-up lands in the region...
    assert later <= 0.25 and later < startup  # ...and the model-based phase leaves it
    assert study.best_value > 0.6 and study.best_params["lr"] < 5.0
