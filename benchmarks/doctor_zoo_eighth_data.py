"""Data and models of the eighth doctor zoo (benchmarks/doctor_zoo_eighth.py).

Datasets are made in code or with scikit-learn's generators (no downloads), none of them used
by an earlier zoo: ``hastie`` (``make_hastie_10_2``: 10 Gaussian features, the class is
whether their squared norm exceeds the chi-square median), ``hastie_x30`` (the same, NOT
standardised: times 30 plus 12), ``friedman`` (``make_friedman1``'s 10 features, its target
cut into tertiles), ``roll`` (a noisy swiss roll in 3-D plus 3 noise features, the class is
the quartile of the position along the roll), ``irispoly`` (iris, split first, each side
repeated 6x with Gaussian jitter of 0.2 sd, then degree-2 polynomial features: 14),
``quad12`` (1x12x12 images: a bright 3x3 blob in one of four quadrants, a dim distractor and
noise), ``maxpos`` (15-step real sequences, the class is the third that holds the maximum),
``pulses`` (1x32 noisy signals holding 1, 2 or 3 Gaussian pulses) and ``motif`` (12 tokens
from {0..5} with one planted ordered bigram of tokens 6/7: ``66``, ``67``, ``76`` or ``77``).

Models (factories ``config -> nn.Module``; a sickness is built in after torch's own init, so
a config's ``init`` other than ``torch_default`` replaces it; every model holds dropout
modules at rate 0 so that ``TrainConfig.dropout`` reaches it): ``deepmlp`` (any activation,
including ELU, Mish, Hardswish, Softplus), ``gatedmlp`` (GLU blocks), ``densemlp``
(DenseNet-style: each layer sees all earlier features), ``dwcnn`` (depthwise-separable
convolutions with GroupNorm), ``mixer`` (an MLP-Mixer over 4x4 patches), ``tcn`` (dilated
1-D convolutions 1/2/4 with residuals), ``lstm`` (one LSTM over real sequences, last state)
and ``tokcnn`` (an embedding, 1-D convolutions of widths 2 and 3, max over time).
"""

from __future__ import annotations

from typing import Any

import numpy as np

# name -> (input size: features, pixels, steps or vocabulary; classes)
EIGHTH_DIMS = {"hastie": (10, 2), "hastie_x30": (10, 2), "friedman": (10, 3), "roll": (6, 4),
               "irispoly": (14, 3), "quad12": (144, 4), "maxpos": (15, 3), "pulses": (32, 3),
               "motif": (8, 4)}
TOKEN_DATA = ("motif",)
SEQ_DATA = ("maxpos", "pulses")
N_VAL = 240


def _make(name: str, rng: np.random.Generator, seed: int, n: int) -> tuple[Any, Any]:
    from sklearn import datasets

    if name in ("hastie", "hastie_x30"):
        x, y = datasets.make_hastie_10_2(n, random_state=seed)
        return x, (y > 0).astype(int)
    if name == "friedman":
        x, t = datasets.make_friedman1(n, n_features=10, noise=0.5, random_state=seed)
        return x, np.digitize(t, np.quantile(t, [1 / 3, 2 / 3]))
    if name == "roll":
        x, t = datasets.make_swiss_roll(n, noise=0.4, random_state=seed)
        return (np.hstack([x, rng.normal(size=(n, 3)) * 4]),
                np.digitize(t, np.quantile(t, [0.25, 0.5, 0.75])))
    if name == "quad12":
        y = rng.integers(0, 4, n)
        x = rng.normal(0, 0.35, (n, 1, 12, 12))
        for i, c in enumerate(y):
            r, k = 6 * (c // 2) + rng.integers(0, 4), 6 * (c % 2) + rng.integers(0, 4)
            x[i, 0, r:r + 3, k:k + 3] += 1.6
            r2, k2 = rng.integers(0, 11, 2)
            x[i, 0, r2:r2 + 2, k2:k2 + 2] += 0.7
        return x, y
    if name == "maxpos":
        y = rng.integers(0, 3, n)
        x = rng.normal(0, 1, (n, 15))
        where = 5 * y + rng.integers(0, 5, n)
        x[np.arange(n), where] = np.abs(x).max(axis=1) + 0.5 + rng.random(n)
        return x[:, :, None], y
    if name == "pulses":
        y = rng.integers(0, 3, n)
        t = np.arange(32)
        x = rng.normal(0, 0.3, (n, 32))
        for i, c in enumerate(y):
            for centre in rng.choice(np.arange(3, 29, 5), c + 1, replace=False):
                x[i] += 1.5 * np.exp(-0.5 * ((t - centre - rng.random()) / 1.2) ** 2)
        return x[:, None, :], y
    if name == "motif":
        y = rng.integers(0, 4, n)
        x = rng.integers(0, 6, (n, 12))
        at = rng.integers(0, 11, n)
        x[np.arange(n), at] = 6 + y // 2
        x[np.arange(n), at + 1] = 6 + y % 2
        return x, y
    raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(EIGHTH_DIMS)}")


def _iris(rng: np.random.Generator) -> tuple[Any, Any, Any, Any]:
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import PolynomialFeatures

    x, y = load_iris(return_X_y=True)
    order = rng.permutation(len(y))
    tr, va = order[:100], order[100:]
    poly = PolynomialFeatures(2, include_bias=False)

    def grow(idx: Any, times: int) -> tuple[Any, Any]:
        xs = np.repeat(x[idx], times, axis=0)
        xs = xs + rng.normal(0, 0.2, xs.shape) * x.std(axis=0)
        return poly.fit_transform(xs), np.repeat(y[idx], times)

    return (*grow(tr, 6), *grow(va, 5))


def load(name: str, seed: int, n_train: int | None = None) -> tuple[Any, Any]:
    """``((x_train, y_train), (x_val, y_val))`` as tensors; features standardised with the
    training split's statistics, except ``hastie_x30`` (raw on purpose) and token data."""
    import torch

    rng = np.random.default_rng(seed)
    if name == "irispoly":
        xt, yt, xv, yv = _iris(rng)
    else:
        x, y = _make(name, rng, seed, 900 + N_VAL)
        xt, yt, xv, yv = x[:900], y[:900], x[900:], y[900:]
    if n_train is not None:
        xt, yt = xt[:n_train], yt[:n_train]
    if name == "hastie_x30":
        xt, xv = 30 * xt + 12, 30 * xv + 12
    elif name not in TOKEN_DATA:
        axes = (0,) if xt.ndim == 2 else tuple(range(xt.ndim))
        mu, sd = xt.mean(axis=axes, keepdims=True), xt.std(axis=axes, keepdims=True) + 1e-8
        xt, xv = (xt - mu) / sd, (xv - mu) / sd
    dtype = torch.long if name in TOKEN_DATA else torch.float32
    return ((torch.as_tensor(xt, dtype=dtype), torch.as_tensor(yt, dtype=torch.long)),
            (torch.as_tensor(xv, dtype=dtype), torch.as_tensor(yv, dtype=torch.long)))


def _act(name: str) -> Any:
    from torch import nn

    return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "elu": nn.ELU,
            "mish": nn.Mish, "hardswish": nn.Hardswish, "softplus": nn.Softplus,
            "silu": nn.SiLU}[name]()


def _net(arch: str, n_in: int, classes: int, width: int, depth: int, act: str) -> Any:
    import torch
    from torch import nn

    class Gated(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp = nn.Linear(n_in, width)
            self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, 2 * width), nn.GLU(),
                                                      nn.Dropout(0.0)) for _ in range(depth))
            self.out = nn.Linear(width, classes)

        def forward(self, x: Any) -> Any:
            h = self.inp(x.flatten(1))
            for b in self.blocks:
                h = h + b(h)
            return self.out(h)

    class Dense(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList(
                nn.Sequential(nn.Linear(n_in + i * width, width), _act(act), nn.Dropout(0.0))
                for i in range(depth))
            self.out = nn.Linear(n_in + depth * width, classes)

        def forward(self, x: Any) -> Any:
            feats = [x.flatten(1)]
            for layer in self.layers:
                feats.append(layer(torch.cat(feats, dim=1)))
            return self.out(torch.cat(feats, dim=1))

    class Mixer(nn.Module):  # Tolstikhin et al. 2021, MLP-Mixer, on 9 patches of 4x4
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Linear(16, width)
            self.token = nn.ModuleList(nn.Sequential(nn.Linear(9, 18), _act(act),
                                                     nn.Linear(18, 9)) for _ in range(depth))
            self.channel = nn.ModuleList(nn.Sequential(nn.Linear(width, width), _act(act),
                                                       nn.Dropout(0.0)) for _ in range(depth))
            self.norms = nn.ModuleList(nn.LayerNorm(width) for _ in range(2 * depth))
            self.out = nn.Linear(width, classes)

        def forward(self, x: Any) -> Any:
            p = x.unfold(2, 4, 4).unfold(3, 4, 4).reshape(x.shape[0], 9, 16)
            h = self.embed(p)
            for i in range(len(self.token)):
                h = h + self.token[i](self.norms[2 * i](h).transpose(1, 2)).transpose(1, 2)
                h = h + self.channel[i](self.norms[2 * i + 1](h))
            return self.out(h.mean(dim=1))

    class TCN(nn.Module):  # Bai et al. 2018: dilated convolutions with residual connections
        def __init__(self) -> None:
            super().__init__()
            self.inp = nn.Conv1d(1, width, 3, padding=1)
            self.convs = nn.ModuleList(nn.Sequential(
                nn.Conv1d(width, width, 3, padding=2 ** (i % 3), dilation=2 ** (i % 3)),
                _act(act), nn.Dropout(0.0)) for i in range(depth))
            self.out = nn.Linear(width, classes)

        def forward(self, x: Any) -> Any:
            if x.shape[-1] == 1:  # (batch, steps, 1) sequences
                x = x.transpose(1, 2)
            h = self.inp(x)
            for c in self.convs:
                h = h + c(h)
            return self.out(h.mean(dim=2))

    class LSTM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(1, width, batch_first=True)
            self.drop = nn.Dropout(0.0)
            self.out = nn.Linear(width, classes)

        def forward(self, x: Any) -> Any:
            if x.dim() == 3 and x.shape[1] == 1:  # (batch, 1, steps) signals
                x = x.transpose(1, 2)
            return self.out(self.drop(self.rnn(x)[0][:, -1]))

    class TokCNN(nn.Module):  # Kim 2014: convolutions over embeddings, max over time
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(n_in, 16)
            self.convs = nn.ModuleList(nn.Conv1d(16, width, k) for k in (2, 3))
            self.act = _act(act)
            self.drop = nn.Dropout(0.0)
            self.out = nn.Linear(2 * width, classes)

        def forward(self, x: Any) -> Any:
            e = self.emb(x).transpose(1, 2)
            h = torch.cat([self.act(c(e)).amax(dim=2) for c in self.convs], dim=1)
            return self.out(self.drop(h))

    if arch == "deepmlp":
        layers: list[Any] = [nn.Flatten()]
        for i in range(depth):
            layers += [nn.Linear(n_in if i == 0 else width, width), _act(act), nn.Dropout(0.0)]
        return nn.Sequential(*layers, nn.Linear(width, classes))
    if arch == "dwcnn":
        g = min(4, width // 4)
        return nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.GroupNorm(g, width), _act(act),
            nn.Conv2d(width, width, 3, padding=1, groups=width), nn.Conv2d(width, width, 1),
            nn.GroupNorm(g, width), _act(act), nn.MaxPool2d(2),
            nn.Conv2d(width, width, 3, padding=1, groups=width), nn.Conv2d(width, width, 1),
            _act(act), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.0),
            nn.Linear(width, classes))
    table = {"gatedmlp": Gated, "densemlp": Dense, "mixer": Mixer, "tcn": TCN, "lstm": LSTM,
             "tokcnn": TokCNN}
    if arch not in table:
        raise ValueError(f"unknown architecture {arch!r}")
    return table[arch]()


def make_model(arch: str, data: str, *, width: int = 64, depth: int = 2, act: str = "relu",
               weight_scale: float = 1.0, bias: float | None = None) -> Any:
    """A factory ``config -> nn.Module`` for ``arch`` on ``data``; ``weight_scale`` multiplies
    every weight matrix/kernel after torch's init and ``bias`` sets every hidden bias (the
    output layer's bias is left alone), so a config's ``init`` can undo both."""
    import torch

    n_in, classes = EIGHTH_DIMS[data]
    if data == "quad12" and arch != "deepmlp":
        n_in = 1

    def factory(config: Any) -> Any:
        del config
        model = _net(arch, n_in, classes, width, depth, act)
        params = [(n, p) for n, p in model.named_parameters()]
        last = max(i for i, (n, p) in enumerate(params) if p.dim() >= 2)
        with torch.no_grad():
            for i, (n, p) in enumerate(params):
                if p.dim() >= 2 and weight_scale != 1.0 and "emb" not in n:
                    p.mul_(weight_scale)
                elif p.dim() == 1 and bias is not None and i < last and "norm" not in n \
                        and "bias" in n:
                    p.fill_(bias)
        return model

    return factory
