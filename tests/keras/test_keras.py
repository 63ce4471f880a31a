"""Keras 3 integration on the torch backend: the pruning callback and the LR range test."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

import tunecraft  # noqa: E402
from tunecraft import FrozenTrial, History, TrialState  # noqa: E402
from tunecraft.pruners.base import BasePruner, Decision  # noqa: E402
from tunecraft.samplers import RandomSampler  # noqa: E402


class PruneAtStep(BasePruner):
    """Prunes every trial once it has reported ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        last = trial.last_step
        return Decision.PRUNE if last is not None and last >= self.step else Decision.CONTINUE


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    return x[:400], y[:400], x[400:600], y[400:600]


def seed_model(lr: float = 0.05) -> Any:
    """The seed-style model of the issue: Dense(64, relu) then Dense(10, softmax)."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(lr, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_the_callback_reports_each_epoch_and_prunes_at_epoch_two(digits: Any) -> None:
    from tunecraft.keras import TunecraftPruningCallback

    x, y, xv, yv = digits
    epochs_run: list[int] = []

    def objective(trial: tunecraft.Trial) -> float:
        model = seed_model(trial.suggest_float("lr", 0.01, 0.1, log=True))
        count = keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: epochs_run.append(epoch))
        model.fit(x, y, validation_data=(xv, yv), epochs=6, batch_size=32, verbose=0,
                  callbacks=[count, TunecraftPruningCallback(trial, monitor="val_loss")])
        return 0.0

    study = tunecraft.create_study(pruner=PruneAtStep(2), sampler=RandomSampler(seed=0))
    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state is TrialState.PRUNED
    assert sorted(trial.intermediate_values) == [1, 2]
    assert epochs_run == [0, 1]  # training stopped in the second epoch's end hook
    assert all(0 < v < 5 for v in trial.intermediate_values.values())


def test_a_missing_monitor_key_names_the_logged_keys() -> None:
    from tunecraft.keras import TunecraftPruningCallback

    study = tunecraft.create_study()
    callback = TunecraftPruningCallback(study.ask(), monitor="val_accuracy")
    with pytest.raises(ValueError, match=r"val_accuracy.*\['accuracy', 'loss'\]"):
        callback.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.5})


def test_range_test_restores_the_model_and_tunes_the_seed_model(digits: Any) -> None:
    from tunecraft.keras import TunecraftPruningCallback, keras_lr_range_test
    from tunecraft.keras._lr_range import to_numpy
    from tunecraft.torch import lr_bounds_from_range_test

    x, y, xv, yv = digits
    model = seed_model(lr=0.01)
    before = [to_numpy(v) for v in model.variables]
    result = keras_lr_range_test(model, x, y, num_iter=60, batch_size=32)
    assert len(result.lrs) >= 30
    assert all(np.array_equal(a, to_numpy(v))
               for a, v in zip(before, model.variables, strict=True))
    assert float(to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.01)
    assert int(to_numpy(model.optimizer.iterations)) == 0
    assert all(not np.any(to_numpy(v)) for v in model.optimizer.variables
               if "momentum" in v.path)  # slots back at their initial zeros

    low, high = lr_bounds_from_range_test(result, rule="minimum")
    assert 1e-7 <= low < high <= 10.0

    def objective(trial: tunecraft.Trial) -> float:
        model = seed_model(trial.suggest_float("lr", low, high, log=True))
        history = model.fit(x, y, validation_data=(xv, yv), epochs=3, batch_size=32,
                            verbose=0, callbacks=[TunecraftPruningCallback(trial, "val_accuracy")])
        return float(history.history["val_accuracy"][-1])

    study = tunecraft.create_study(direction="maximize", sampler=RandomSampler(seed=1))
    study.optimize(objective, n_trials=3)
    assert study.best_value > 0.5  # chance is 0.1
