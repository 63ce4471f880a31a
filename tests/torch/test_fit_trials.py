"""``fit`` with other trials (Optuna's, a duck-typed one) and a ready search space that adapts
to the model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import tunecraft  # noqa: E402
from tunecraft import TrialState  # noqa: E402
from tunecraft.exceptions import IncompatibleSpace  # noqa: E402
from tunecraft.torch import TrainConfig, fit, suggest_training_config  # noqa: E402
from tunecraft.torch.mlp import MLPSpec  # noqa: E402
from tunecraft.torch.regularization import ModelSpaceMismatch  # noqa: E402
from tunecraft.torch.search_space import training_space  # noqa: E402

Split = tuple[np.ndarray, np.ndarray]
NET = MLPSpec(64, 10, depth=1, width=32)


@pytest.fixture(scope="module")
def digits() -> tuple[Split, Split]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return (x[:300], y[:300]), (x[1400:1600], y[1400:1600])


def test_an_optuna_trial_reports_prunes_and_completes(digits: Any) -> None:
    optuna = pytest.importorskip("optuna")
    train, val = digits
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    class PruneSecondTrialAtTwo(optuna.pruners.BasePruner):  # type: ignore[misc]
        def prune(self, study: Any, trial: Any) -> bool:
            return bool(trial.number == 1 and trial.last_step is not None
                        and trial.last_step >= 2)

    def objective(trial: Any) -> float:
        lr = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
        return fit(NET, train, val, TrainConfig(lr=lr), trial, max_epochs=3).best_metric

    study = optuna.create_study(direction="maximize", pruner=PruneSecondTrialAtTwo(),
                                sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=3)
    states = [t.state.name for t in study.trials]
    assert states == ["COMPLETE", "PRUNED", "COMPLETE"]
    assert sorted(study.trials[0].intermediate_values) == [1, 2, 3]
    assert sorted(study.trials[1].intermediate_values) == [1, 2]


def test_an_optuna_trial_that_diverges_completes_with_the_reason(digits: Any) -> None:
    optuna = pytest.importorskip("optuna")
    train, val = digits
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize")
    study.optimize(lambda t: fit(NET, train, val, TrainConfig(lr=1e9, optimizer="sgd"), t,
                                 max_epochs=2).best_metric, n_trials=1)
    t = study.trials[0]
    assert t.state.name == "COMPLETE" and np.isfinite(t.value)
    assert "diverged" in t.user_attrs


def test_a_duck_typed_trial_and_a_bad_one(digits: Any) -> None:
    train, val = digits

    class Minimal:
        def __init__(self) -> None:
            self.reports: list[tuple[float, int]] = []

        def report(self, value: float, step: int) -> None:
            self.reports.append((value, step))

        def should_prune(self) -> bool:
            return len(self.reports) >= 2

    trial = Minimal()
    with pytest.raises(tunecraft.TrialPruned, match="epoch 2"):
        fit(NET, train, val, TrainConfig(lr=1e-2), trial, max_epochs=4)
    assert [s for _, s in trial.reports] == [1, 2]
    with pytest.raises(TypeError, match="should_prune"):
        fit(NET, train, val, TrainConfig(), object(), max_epochs=1)


def test_the_ready_space_leaves_out_dropout_for_a_model_without_it(digits: Any) -> None:
    train, val = digits

    def linear(config: TrainConfig) -> nn.Module:
        return nn.Linear(64, 10)

    def objective(trial: tunecraft.Trial) -> float:
        config = suggest_training_config(trial, model=linear, schedule="constant",
                                         batch_size=64, init="torch_default")
        return fit(linear, train, val, config, trial, max_epochs=1).best_metric

    study = tunecraft.create_study(direction="maximize")
    study.optimize(objective, n_trials=3)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert all("reg_dropout" not in t.params for t in study.trials)
    assert "reg_dropout" not in training_space(model=nn.Linear(64, 10))
    assert "reg_dropout" in training_space(model=NET)


def test_without_the_model_the_space_mismatch_stops_the_study_at_once(digits: Any) -> None:
    train, val = digits

    def objective(trial: tunecraft.Trial) -> float:
        config = suggest_training_config(trial, dropout=(0.1, 0.5), schedule="constant")
        return fit(lambda c: nn.Linear(64, 10), train, val, config, trial,
                   max_epochs=1).best_metric

    study = tunecraft.create_study(direction="maximize")
    # one clear error, not a FAIL per trial, even when the study catches every Exception
    with pytest.raises(ModelSpaceMismatch, match="suggest_training_config\\(trial, model="):
        study.optimize(objective, n_trials=5, catch=(Exception,))
    assert len(study.trials) == 1
    assert issubclass(ModelSpaceMismatch, IncompatibleSpace)
