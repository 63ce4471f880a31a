"""Data and models of the LR-finder benchmark's fifth held-out group (``HELDOUT_5``, issue #14).

Written, with the group's settings in :mod:`benchmarks.lr_find_tasks`, before any result of
theirs was looked at: new data (scikit-learn's bundled wine table, another
``make_classification`` task, a sequence task on the order of two events) and new models
(a GRU and a 1-D CNN on that task, a CNN with BatchNorm, a deep tanh MLP, a wide one-layer
MLP, a GRU over tokens). All data are made in code or bundled with scikit-learn.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

Split = tuple[np.ndarray, np.ndarray]


@functools.cache
def wine() -> tuple[Split, Split]:
    """scikit-learn's bundled wine table (178 x 13, 3 classes), standardised on the training
    part: 118 to train, 60 to validate."""
    from sklearn.datasets import load_wine
    from sklearn.model_selection import train_test_split

    x, y = load_wine(return_X_y=True)
    xt, xv, yt, yv = train_test_split(x, y, train_size=118, stratify=y, random_state=0)
    mu, sd = xt.mean(0), xt.std(0)
    return (((xt - mu) / sd).astype(np.float32), yt.astype(np.int64)), (
        ((xv - mu) / sd).astype(np.float32), yv.astype(np.int64))


@functools.cache
def tabular6() -> tuple[Split, Split]:
    """scikit-learn's ``make_classification``: 30 standardised features (10 informative, 5
    redundant), 6 classes of one cluster each, 2% of labels flipped; 2000/1000."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=3000, n_features=30, n_informative=10, n_redundant=5,
                               n_classes=6, n_clusters_per_class=1, flip_y=0.02,
                               random_state=55)
    x = ((x - x[:2000].mean(0)) / x[:2000].std(0)).astype(np.float32)
    y = y.astype(np.int64)
    return (x[:2000], y[:2000]), (x[2000:], y[2000:])


@functools.cache
def order() -> tuple[Split, Split]:
    """Synthetic sequences on the order of two events: 20 steps of 3 noisy channels (sd 0.6),
    a 2-step pulse (+1.5) in channel 0 and one in channel 1 at distinct random positions; the
    class (4) is which pulse comes first and whether they lie more than 6 steps apart.
    2000 to train, 1000 to validate."""
    rng = np.random.default_rng(65)
    n, length = 3000, 20
    x = rng.normal(0.0, 0.6, size=(n, length, 3)).astype(np.float32)
    y = np.empty(n, dtype=np.int64)
    for i in range(n):
        a, b = rng.choice(length - 1, size=2, replace=False)
        x[i, a:a + 2, 0] += 1.5
        x[i, b:b + 2, 1] += 1.5
        y[i] = 2 * int(b < a) + int(abs(int(a) - int(b)) > 6)
    return (x[:2000], y[:2000]), (x[2000:], y[2000:])


def gru_net(inputs: int, hidden: int, classes: int) -> Any:
    """A GRU classifier over (batch, time, features), reading out its last hidden state."""
    from torch import nn

    class GRUNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(inputs, hidden, batch_first=True)
            self.head = nn.Linear(hidden, classes)

        def forward(self, x: Any) -> Any:
            return self.head(self.gru(x)[1][-1])

    return GRUNet()


def conv1d_seq(channels: int, length: int, classes: int) -> Any:
    """A 1-D CNN over (batch, time, channels): two conv layers of 32 (the second strided),
    flattened into a linear head, so the head sees where along the sequence a feature is."""
    from torch import nn

    class ConvNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv1d(channels, 32, 5, padding=2), nn.ReLU(),
                nn.Conv1d(32, 32, 3, padding=1, stride=2), nn.ReLU(), nn.Flatten(),
                nn.Linear(32 * ((length + 1) // 2), classes))

        def forward(self, x: Any) -> Any:
            return self.body(x.transpose(1, 2))

    return ConvNet()


def bn_cnn2d() -> Any:
    """The 8x8 digits CNN (16-32 channels) with BatchNorm after each convolution."""
    from torch import nn

    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16),
        nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 16, 10))
