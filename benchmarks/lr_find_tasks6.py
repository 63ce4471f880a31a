"""Data and models of the LR-finder benchmark's sixth held-out group (``HELDOUT_6``, issue #14).

Written, with the group's settings in :mod:`benchmarks.lr_find_tasks` and the decision rule in
benchmarks/results/issue-14.md, by a helper that had not read the LR rules' code nor any
result of the benchmark, and before any result of these settings was looked at. New data:
scikit-learn's bundled diabetes table cut into target tertiles, ``make_gaussian_quantiles``
shells, oriented gratings (a 2-D image task), frequency bursts (a 1-D signal task) and token
sequences read through an embedding. New models: a SELU MLP, a GELU MLP with dropout, a
residual CNN with BatchNorm, a BatchNorm CNN with global average pooling, an LSTM and a
two-layer transformer encoder over learned embeddings. All data are made in code or bundled
with scikit-learn.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

Split = tuple[np.ndarray, np.ndarray]


@functools.cache
def diabetes3() -> tuple[Split, Split]:
    """scikit-learn's bundled diabetes table (442 x 10), its disease-progression target cut
    at the training part's tertiles into 3 classes, standardised on the training part:
    300 to train, 142 to validate."""
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    x, t = load_diabetes(return_X_y=True)
    xt, xv, tt, tv = train_test_split(x, t, train_size=300, random_state=6)
    cuts = np.quantile(tt, [1 / 3, 2 / 3])
    mu, sd = xt.mean(0), xt.std(0)
    return (((xt - mu) / sd).astype(np.float32), np.digitize(tt, cuts).astype(np.int64)), (
        ((xv - mu) / sd).astype(np.float32), np.digitize(tv, cuts).astype(np.int64))


@functools.cache
def quantiles() -> tuple[Split, Split]:
    """scikit-learn's ``make_gaussian_quantiles``: 6 Gaussian features, 4 classes that are
    nested shells of equal mass around the origin; 2000 to train, 1000 to validate."""
    from sklearn.datasets import make_gaussian_quantiles

    x, y = make_gaussian_quantiles(n_samples=3000, n_features=6, n_classes=4, random_state=66)
    x = x.astype(np.float32)
    y = y.astype(np.int64)
    return (x[:2000], y[:2000]), (x[2000:], y[2000:])


@functools.cache
def gratings() -> tuple[Split, Split]:
    """12x12 images (flattened to 144) of a sinusoidal grating in Gaussian noise (sd 1): the
    class (4) is its orientation (0, 45, 90 or 135 degrees, jittered by up to 10), with a
    random frequency (0.12-0.3 cycles per pixel), phase and contrast (0.6-1.2).
    2000 to train, 1000 to validate."""
    rng = np.random.default_rng(612)
    n, side = 3000, 12
    y = rng.integers(0, 4, n).astype(np.int64)
    angle = np.deg2rad(45.0 * y + rng.uniform(-10.0, 10.0, n))
    freq = rng.uniform(0.12, 0.3, n)
    phase = rng.uniform(0.0, 2 * math.pi, n)
    amp = rng.uniform(0.6, 1.2, n)
    r, c = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    proj = (np.cos(angle)[:, None, None] * c + np.sin(angle)[:, None, None] * r)
    img = amp[:, None, None] * np.sin(2 * math.pi * freq[:, None, None] * proj
                                      + phase[:, None, None])
    x = (img + rng.normal(0.0, 1.0, size=img.shape)).reshape(n, side * side).astype(np.float32)
    return (x[:2000], y[:2000]), (x[2000:], y[2000:])


@functools.cache
def chirps() -> tuple[Split, Split]:
    """1-D signals of 64 samples: a Gaussian-windowed sine burst (width ~8 samples, random
    centre, amplitude 0.6-1.2) in Gaussian noise (sd 1); the class (4) is the burst's
    frequency band (0.05-0.08, 0.1-0.13, 0.16-0.2, 0.24-0.3 cycles per sample).
    2000 to train, 1000 to validate."""
    rng = np.random.default_rng(613)
    n, length = 3000, 64
    bands = np.array([[0.05, 0.08], [0.1, 0.13], [0.16, 0.2], [0.24, 0.3]])
    y = rng.integers(0, 4, n).astype(np.int64)
    freq = rng.uniform(bands[y, 0], bands[y, 1])
    centre = rng.uniform(12.0, length - 12.0, n)
    amp = rng.uniform(0.6, 1.2, n)
    phase = rng.uniform(0.0, 2 * math.pi, n)
    t = np.arange(length)[None, :]
    window = np.exp(-0.5 * ((t - centre[:, None]) / 8.0) ** 2)
    burst = amp[:, None] * window * np.sin(2 * math.pi * freq[:, None] * t + phase[:, None])
    x = (burst + rng.normal(0.0, 1.0, size=burst.shape)).astype(np.float32)
    return (x[:2000], y[:2000]), (x[2000:], y[2000:])


@functools.cache
def markers() -> tuple[Split, Split]:
    """Token sequences (integer ids) of length 16 over a vocabulary of 10: the markers 0, 1
    and 2 once each at random distinct positions, filler tokens 3-9 elsewhere; the class (6)
    is the order in which the markers come (one of the 3! permutations).
    2000 to train, 1000 to validate."""
    rng = np.random.default_rng(614)
    n, length = 3000, 16
    ids = rng.integers(3, 10, size=(n, length))
    y = np.empty(n, dtype=np.int64)
    for i in range(n):
        pos = rng.choice(length, size=3, replace=False)
        ids[i, pos] = [0, 1, 2]
        first, second, _ = np.argsort(pos)  # the markers in the order they come
        y[i] = 2 * int(first) + int(second > min({0, 1, 2} - {int(first)}))
    return (ids[:2000].astype(np.int64), y[:2000]), (ids[2000:].astype(np.int64), y[2000:])


def selu_mlp(inputs: int, width: int, classes: int, depth: int) -> Any:
    """A self-normalising MLP (Klambauer et al. 2017): ``depth`` SELU layers of ``width``
    with LeCun-normal weights, then a linear head."""
    from torch import nn

    layers: list[nn.Module] = []
    for i in range(depth):
        lin = nn.Linear(inputs if i == 0 else width, width)
        nn.init.kaiming_normal_(lin.weight, nonlinearity="linear")  # LeCun normal
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.SELU()]
    return nn.Sequential(*layers, nn.Linear(width, classes))


def dropout_mlp(inputs: int, width: int, classes: int, p: float) -> Any:
    """An MLP of two GELU layers of ``width``, each followed by dropout ``p``."""
    from torch import nn

    return nn.Sequential(nn.Linear(inputs, width), nn.GELU(), nn.Dropout(p),
                         nn.Linear(width, width), nn.GELU(), nn.Dropout(p),
                         nn.Linear(width, classes))


def res_cnn(side: int, classes: int) -> Any:
    """A residual CNN over flattened ``side x side`` images: a 16-channel stem, two residual
    blocks (conv-BN-ReLU-conv-BN plus the input, then ReLU; He et al. 2016), the second after
    a 2x2 max-pool, global average pooling and a linear head."""
    from torch import nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16))
            self.act = nn.ReLU()

        def forward(self, x: Any) -> Any:
            return self.act(x + self.body(x))

    return nn.Sequential(
        nn.Unflatten(1, (1, side, side)), nn.Conv2d(1, 16, 3, padding=1, bias=False),
        nn.BatchNorm2d(16), nn.ReLU(), Block(), nn.MaxPool2d(2), Block(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, classes))


def gap_cnn1d(classes: int) -> Any:
    """A 1-D CNN over (batch, time) signals: three conv layers (16, 32, 32 channels, the
    second strided) each with BatchNorm and ReLU, global average pooling, a linear head."""
    from torch import nn

    return nn.Sequential(
        nn.Unflatten(1, (1, -1)), nn.Conv1d(1, 16, 7, padding=3), nn.BatchNorm1d(16),
        nn.ReLU(), nn.Conv1d(16, 32, 5, padding=2, stride=2), nn.BatchNorm1d(32), nn.ReLU(),
        nn.Conv1d(32, 32, 3, padding=1), nn.BatchNorm1d(32), nn.ReLU(),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(32, classes))


def embed_lstm(vocab: int, dim: int, hidden: int, classes: int) -> Any:
    """An LSTM over learned token embeddings, reading out its last hidden state."""
    from torch import nn

    class EmbedLSTM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(vocab, dim)
            self.lstm = nn.LSTM(dim, hidden, batch_first=True)
            self.head = nn.Linear(hidden, classes)

        def forward(self, ids: Any) -> Any:
            return self.head(self.lstm(self.embed(ids))[1][0][-1])

    return EmbedLSTM()


def embed_transformer(vocab: int, length: int, dim: int, classes: int) -> Any:
    """Two transformer encoder layers (``dim`` wide, 4 heads, feed-forward ``2 * dim``, no
    dropout, pre-norm) over learned token and position embeddings, mean-pooled, then a
    linear head."""
    import torch
    from torch import nn

    class EmbedTransformer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(vocab, dim)
            self.pos = nn.Parameter(0.02 * torch.randn(length, dim))
            layer = nn.TransformerEncoderLayer(dim, 4, dim_feedforward=2 * dim, dropout=0.0,
                                               batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(dim, classes)

        def forward(self, ids: Any) -> Any:
            return self.head(self.encoder(self.embed(ids) + self.pos).mean(1))

    return EmbedTransformer()
