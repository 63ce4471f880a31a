"""Data and models of the seventh doctor zoo (benchmarks/doctor_zoo_seventh.py).

Datasets are made in code or read from scikit-learn's bundled files (no downloads), none of
them used by an earlier zoo: ``wine_aug`` (scikit-learn's wine, split first, then each side
repeated 5x with Gaussian jitter of 0.25 sd), ``cancer`` (breast cancer, standardised) and
``cancer_raw`` (the same, NOT standardised: feature scales up to 4e3), ``noisy_mc`` (a
16-feature, 3-class ``make_classification`` table with 5 informative features and 6% of
labels flipped) and ``noisy_mc_x40`` (the same times 40), ``checker`` (a 3x3 checkerboard in
2-D plus 4 noise features), ``shapes12`` (1x12x12 images of a disc, a hollow square, an X or
two bars), ``chirp`` (1x32 noisy signals whose frequency rises, falls or stays), ``tokens``
(bag-of-tokens topic classification: 14 token ids from a vocabulary of 40, 4 topics) and
``majority`` (15 tokens from {0, 1, 2}; the class is the most frequent one).

Models (factories ``config -> nn.Module``; the sickness is built in after torch's own init,
so a config's ``init`` other than ``torch_default`` replaces it): ``mlp`` (any activation),
``mixmlp`` (Tanh, SiLU and Softplus in turn), ``resmlp`` (pre-activation residual SiLU
blocks), ``cnn`` (two 3x3 convolutions), ``bncnn`` (three conv + BatchNorm + ReLU stages and
global pooling), ``cnn1d`` (three 1-D convolutions and global pooling), ``gru_emb`` (an
embedding and a GRU), ``bilstm`` (an embedding and a bidirectional LSTM, mean over time) and
``attnpool`` (an embedding, a projection and softmax attention pooling over positions).
Every model has dropout modules (rate 0 unless the config sets one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

Arrays = tuple[Any, Any]

SEVENTH_DIMS: dict[str, tuple[int, int]] = {
    "wine_aug": (13, 3), "cancer": (30, 2), "cancer_raw": (30, 2), "noisy_mc": (16, 3),
    "noisy_mc_x40": (16, 3), "checker": (6, 2), "shapes12": (144, 4), "chirp": (32, 3),
    "tokens": (40, 4), "majority": (3, 3)}
"""Dataset -> (inputs, or vocabulary size for token data; classes)."""
TOKEN_DATA = ("tokens", "majority")


def _table(name: str, seed: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_breast_cancer, make_classification

    if name.startswith("cancer"):
        x, y = load_breast_cancer(return_X_y=True)
        return (x if name == "cancer_raw" else (x - x.mean(0)) / x.std(0)), y
    if name.startswith("noisy_mc"):
        x, y = make_classification(1100, 16, n_informative=5, n_redundant=2, n_classes=3,
                                   n_clusters_per_class=2, class_sep=1.2, flip_y=0.06,
                                   random_state=seed)
        x = (x - x.mean(0)) / x.std(0)
        return (40.0 * x if name == "noisy_mc_x40" else x), y
    # checker
    n = 1200
    xy = rng.uniform(-1.5, 1.5, size=(n, 2))
    y = (np.floor(xy[:, 0] + 1.5) + np.floor(xy[:, 1] + 1.5)).astype(int) % 2
    noise = rng.normal(size=(n, 4))
    return np.concatenate([xy / 0.87, noise], axis=1), y


def _shapes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 4, size=n)
    x = rng.normal(0.0, 0.35, size=(n, 1, 12, 12))
    rr, cc = np.mgrid[0:12, 0:12]
    for i, c in enumerate(y):
        r0, c0 = rng.integers(4, 8, size=2)
        s = int(rng.integers(2, 4))
        if c == 0:  # filled disc
            mask = (rr - r0) ** 2 + (cc - c0) ** 2 <= s * s
        elif c == 1:  # hollow square
            box = (abs(rr - r0) <= s) & (abs(cc - c0) <= s)
            mask = box & ((abs(rr - r0) == s) | (abs(cc - c0) == s))
        elif c == 2:  # an X
            mask = ((rr - r0 == cc - c0) | (rr - r0 == c0 - cc)) & (abs(rr - r0) <= s)
        else:  # two horizontal bars
            mask = ((rr == r0 - s) | (rr == r0 + s)) & (abs(cc - c0) <= s + 1)
        x[i, 0][mask] += 1.2
    return x, y


def _chirp(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 3, size=n)
    t = np.arange(32) / 32.0
    f0 = rng.uniform(2.0, 4.0, size=n)
    sweep = np.array([4.0, -1.5, 0.0])[y] * rng.uniform(0.8, 1.2, size=n)
    phase = rng.uniform(0, 2 * np.pi, size=n)
    inst = f0[:, None] * t[None] + 0.5 * sweep[:, None] * t[None] ** 2
    x = np.sin(2 * np.pi * inst + phase[:, None]) + rng.normal(0, 0.3, size=(n, 32))
    return x[:, None, :], y


def _tokens(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 4, size=n)
    x = rng.integers(24, 40, size=(n, 14))  # generic tokens 24..39; topic k: 6k..6k+5
    for i, c in enumerate(y):
        k = int(rng.integers(4, 7))
        pos = rng.choice(14, size=k + 2, replace=False)
        x[i, pos[:k]] = 6 * c + rng.integers(0, 6, size=k)
        other = (c + int(rng.integers(1, 4))) % 4
        x[i, pos[k:]] = 6 * other + rng.integers(0, 6, size=2)
    return x, y


def _majority(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    xs: list[np.ndarray] = []
    ys: list[int] = []
    while len(ys) < n:
        s = rng.integers(0, 3, size=15)
        counts = np.bincount(s, minlength=3)
        if (counts == counts.max()).sum() == 1:
            xs.append(s)
            ys.append(int(counts.argmax()))
    return np.array(xs), np.array(ys)


def load(name: str, seed: int, n_train: int | None = None) -> tuple[Arrays, Arrays]:
    """``(train, val)`` tensors (float32 inputs; int64 token ids for token data)."""
    rng = np.random.default_rng(7000 + seed)
    if name == "wine_aug":
        from sklearn.datasets import load_wine

        x, y = load_wine(return_X_y=True)
        x = (x - x.mean(0)) / x.std(0)
    elif name in ("shapes12", "chirp", "tokens", "majority"):
        make = {"shapes12": _shapes, "chirp": _chirp, "tokens": _tokens,
                "majority": _majority}[name]
        x, y = make(rng, 1200)
    else:
        x, y = _table(name, seed, rng)
    order = rng.permutation(len(x))
    x, y = x[order], y[order].astype(np.int64)
    cut = int(0.6 * len(x))
    (xt, yt), (xv, yv) = (x[:cut], y[:cut]), (x[cut:], y[cut:])
    if name == "wine_aug":  # split first, then jitter: no copy of a val row is trained on
        xt, yt = _jitter(rng, xt, yt), np.tile(yt, 5)
        xv, yv = _jitter(rng, xv, yv), np.tile(yv, 5)
    if n_train is not None:
        xt, yt = xt[:n_train], yt[:n_train]
    dtype = np.int64 if name in TOKEN_DATA else np.float32
    return ((torch.tensor(xt.astype(dtype)), torch.tensor(yt)),
            (torch.tensor(xv.astype(dtype)), torch.tensor(yv)))


def _jitter(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    del y
    reps = np.tile(x, (5, 1))
    return reps + rng.normal(0.0, 0.25, size=reps.shape)


def _act(name: str) -> nn.Module:
    made: nn.Module = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "silu": nn.SiLU,
            "softplus": nn.Softplus}[name]()
    return made


class ResMLP(nn.Module):
    """Linear in, ``depth`` residual blocks (LayerNorm, Linear, act, dropout, Linear), head."""

    def __init__(self, n_in: int, n_out: int, depth: int, width: int, act: str) -> None:
        super().__init__()
        self.inp = nn.Linear(n_in, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), _act(act),
                          nn.Dropout(0.0), nn.Linear(width, width)) for _ in range(depth))
        self.head = nn.Sequential(_act(act), nn.Dropout(0.0), nn.Linear(width, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        for block in self.blocks:
            h = h + block(h)
        out: torch.Tensor = self.head(h)
        return out


class Recurrent(nn.Module):
    """Token ids -> embedding -> GRU (last state) or bidirectional LSTM (mean over time)."""

    def __init__(self, kind: str, vocab: int, n_out: int, width: int) -> None:
        super().__init__()
        self.kind = kind
        self.emb = nn.Embedding(vocab, 24)
        bi = kind == "bilstm"
        self.rnn: nn.Module = (nn.LSTM(24, width, batch_first=True, bidirectional=True) if bi
                               else nn.GRU(24, width, batch_first=True))
        self.head = nn.Sequential(nn.Dropout(0.0), nn.Linear(width * (2 if bi else 1), n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.emb(x))
        logits: torch.Tensor = self.head(out.mean(1) if self.kind == "bilstm"
                                         else out[:, -1])
        return logits


class AttnPool(nn.Module):
    """Token ids -> embedding -> projection + act -> softmax attention pooling -> MLP head."""

    def __init__(self, vocab: int, n_out: int, width: int, act: str) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, 32)
        self.proj = nn.Sequential(nn.Linear(32, width), _act(act))
        self.score = nn.Linear(width, 1)
        self.head = nn.Sequential(nn.Linear(width, width), _act(act), nn.Dropout(0.0),
                                  nn.Linear(width, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.proj(self.emb(x))
        weights = torch.softmax(self.score(h), dim=1)
        logits: torch.Tensor = self.head((weights * h).sum(1))
        return logits


def _stage(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]


def _build(arch: str, data: str, depth: int, width: int, act: str) -> nn.Module:
    n_in, n_out = SEVENTH_DIMS[data]
    if arch in ("mlp", "mixmlp"):
        cycle = ("tanh", "silu", "softplus")
        layers: list[nn.Module] = [nn.Flatten()]
        prev = n_in
        for i in range(depth):
            a = cycle[i % 3] if arch == "mixmlp" else act
            layers += [nn.Linear(prev, width), _act(a), nn.Dropout(0.0)]
            prev = width
        return nn.Sequential(*layers, nn.Linear(prev, n_out))
    if arch == "resmlp":
        return ResMLP(n_in, n_out, depth, width, act)
    if arch == "cnn":
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), _act(act),
                             nn.Conv2d(16, 32, 3, padding=1), _act(act), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Dropout(0.0), nn.Linear(32 * 36, n_out))
    if arch == "bncnn":
        return nn.Sequential(*_stage(1, 16), *_stage(16, 32), nn.MaxPool2d(2), *_stage(32, 32),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.0),
                             nn.Linear(32, n_out))
    if arch == "cnn1d":
        return nn.Sequential(nn.Conv1d(1, 16, 5, padding=2), _act(act),
                             nn.Conv1d(16, 32, 5, padding=2), _act(act), nn.MaxPool1d(2),
                             nn.Conv1d(32, 32, 3, padding=1), _act(act),
                             nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Dropout(0.0),
                             nn.Linear(32, n_out))
    if arch in ("gru_emb", "bilstm"):
        return Recurrent(arch, n_in, n_out, width)
    if arch == "attnpool":
        return AttnPool(n_in, n_out, width, act)
    raise ValueError(f"unknown arch={arch!r}")


def make_model(arch: str, data: str, *, depth: int = 2, width: int = 64, act: str = "relu",
               weight_scale: float = 1.0, bias: float | None = None
               ) -> Callable[[Any], nn.Module]:
    """A factory ``config -> nn.Module``. The sickness is built in after torch's init:
    ``weight_scale`` multiplies the weights of every Linear/Conv layer, ``bias`` sets the
    biases of every Linear/Conv layer but the last (so ``init`` other than
    ``torch_default`` undoes both)."""

    def factory(config: Any) -> nn.Module:
        del config
        model = _build(arch, data, depth, width, act)
        layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d,
                                                                  nn.Conv2d))]
        with torch.no_grad():
            for i, m in enumerate(layers):
                m.weight.mul_(weight_scale)
                if bias is not None and m.bias is not None and i < len(layers) - 1:
                    m.bias.fill_(bias)
        return model

    return factory
