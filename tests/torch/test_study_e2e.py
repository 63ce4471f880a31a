"""End to end: a seeded study over the ready search space, trained by ``fit``, with pruning;
the best trial's params rebuild a config that reproduces its score exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tunecraft  # noqa: E402
from tunecraft import TrialState  # noqa: E402
from tunecraft.pruners import MedianPruner  # noqa: E402
from tunecraft.samplers import TPESampler  # noqa: E402
from tunecraft.torch import fit, suggest_training_config  # noqa: E402
from tunecraft.torch.search_space import FixedParams, config_from_params, suggest_mlp  # noqa: E402

SPACE: dict[str, Any] = {"batch_size": [32, 64], "schedule": ["constant", "cosine"],
                         "lr": (1e-3, 3e-1), "init": ["torch_default", "kaiming_uniform"]}


def test_study_with_trainer_search_space_and_pruning() -> None:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    train, val = (x[:400], y[:400]), (x[1500:1700], y[1500:1700])

    def objective(trial: tunecraft.Trial) -> float:
        cfg = suggest_training_config(trial, **SPACE)
        net = suggest_mlp(trial, 64, 10, depth=(1, 2), width=(16, 64))
        return fit(net, train, val, cfg, trial, max_epochs=4).best_metric

    study = tunecraft.create_study(
        direction="maximize",
        sampler=TPESampler(seed=0, n_startup_trials=4),
        pruner=MedianPruner(n_startup_trials=3, n_warmup_steps=1))
    study.optimize(objective, n_trials=10)

    states = [t.state for t in study.trials]
    assert states.count(TrialState.FAIL) == 0
    assert states.count(TrialState.COMPLETE) >= 3
    assert all(len(t.intermediate_values) >= 1 for t in study.trials)
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    assert all(t.last_step is not None and t.last_step < 4 for t in pruned)
    best = study.best_trial
    assert best.value is not None and best.value > 0.6

    cfg = config_from_params(best.params, **SPACE)
    net = suggest_mlp(FixedParams(best.params), 64, 10, depth=(1, 2), width=(16, 64))
    again = fit(net, train, val, cfg, max_epochs=4)
    assert again.best_metric == best.value  # same params and seed: the same score, exactly
