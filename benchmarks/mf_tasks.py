"""The deep-learning tasks of the multi-fidelity benchmark: an MLP on 8x8 digits and a small
1-D CNN on synthetic signals, each with its search space written once for tunecraft and Optuna.

Both are trained by :func:`tunecraft.torch.fit` (cosine learning-rate schedule over the full
budget, per-epoch validation accuracy), on CPU with one thread, with a fixed training seed, so
a configuration's curve is a deterministic function of its parameters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

Split = tuple[np.ndarray, np.ndarray]


class Suggest(Protocol):
    """The ``suggest_*`` calls shared by tunecraft's and Optuna's trials."""

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False
                      ) -> float: ...
    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False) -> int: ...
    def suggest_categorical(self, name: str, choices: Any) -> Any: ...


@dataclass(frozen=True)
class Task:
    """A data set, a search space (``suggest``) and a model builder."""

    name: str
    description: str
    data: Callable[[], tuple[Split, Split]]
    suggest: Callable[[Suggest], tuple[Any, Callable[[Any], Any]]]  # (TrainConfig, factory)


@functools.cache
def digits_data() -> tuple[Split, Split]:
    """sklearn's 1797 digits, scaled to [0, 1]; 600 for training, 1197 for validation (a
    small training set keeps epochs cheap; a large validation set keeps accuracy fine-grained)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    xt, xv, yt, yv = train_test_split(x, y, train_size=600, stratify=y, random_state=0)
    return (xt, yt), (xv, yv)


@functools.cache
def signal_data() -> tuple[Split, Split]:
    """Four classes of noisy 64-sample signals: sine, square, sawtooth and chirp, with random
    frequency and phase and heavy Gaussian noise; 600 for training, 1000 for validation."""
    rng = np.random.default_rng(0)
    n, length = 1600, 64
    t = np.linspace(0.0, 1.0, length)
    labels = rng.integers(0, 4, n)
    x = np.empty((n, 1, length), dtype=np.float32)
    for i, c in enumerate(labels):
        f, ph = rng.uniform(2.0, 6.0), rng.uniform(0.0, 2 * np.pi)
        wave = np.sin(2 * np.pi * f * t + ph)
        shape = [wave, np.sign(wave), 2 * ((f * t + ph / (2 * np.pi)) % 1.0) - 1,
                 np.sin(2 * np.pi * (f + 4 * t) * t + ph)][c]
        x[i, 0] = shape + rng.normal(0.0, 1.0, length)
    return (x[:600], labels[:600]), (x[600:], labels[600:])


def _train_config(trial: Suggest, batch_sizes: list[int]) -> Any:
    from tunecraft.torch import TrainConfig

    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    return TrainConfig(
        lr=trial.suggest_float("lr", 1e-4, 0.3, log=True),
        batch_size=trial.suggest_categorical("batch_size", batch_sizes),
        optimizer=optimizer, momentum=0.9 if optimizer == "sgd" else None,
        weight_decay=trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
        dropout=trial.suggest_float("dropout", 0.0, 0.5),
        schedule="cosine", seed=0)


def suggest_mlp(trial: Suggest) -> tuple[Any, Callable[[Any], Any]]:
    from tunecraft.torch.mlp import MLPSpec

    config = _train_config(trial, [32, 64, 128])
    spec = MLPSpec(64, 10, depth=trial.suggest_int("depth", 1, 3),
                   width=trial.suggest_int("width", 16, 512, log=True))
    return config, spec


def suggest_cnn(trial: Suggest) -> tuple[Any, Callable[[Any], Any]]:
    config = _train_config(trial, [32, 64, 128])
    channels = trial.suggest_int("channels", 4, 32, log=True)
    kernel = trial.suggest_categorical("kernel", [3, 5, 7, 9])
    return config, functools.partial(_cnn, channels, kernel)


def _cnn(channels: int, kernel: int, config: Any) -> Any:
    from torch import nn

    return nn.Sequential(
        nn.Conv1d(1, channels, kernel, padding=kernel // 2), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(channels, channels, kernel, padding=kernel // 2), nn.ReLU(),
        nn.AdaptiveAvgPool1d(8), nn.Flatten(), nn.Dropout(0.0), nn.Linear(8 * channels, 4))


TASKS = {
    "digits-mlp": Task("digits-mlp", "MLP (1-3 layers of 16-512) on 8x8 digits (600/1197)",
                       digits_data, suggest_mlp),
    "signals-cnn": Task("signals-cnn", "1-D CNN (4-32 channels, kernel 3-9) on 4 classes of "
                        "noisy synthetic signals (600/1000)", signal_data, suggest_cnn),
}
