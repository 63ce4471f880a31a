"""Data and models of the eleventh doctor zoo (benchmarks/doctor_zoo_eleventh.py).

Data, all made in code or by scikit-learn generators (nothing downloaded): palindrome or not
(token sequences of length 8 over 4 symbols), left-right mirror-symmetric or not 12x12
images, the period (4/6/9/12) of a seasonal series with trend and noise, Friedman #2 and #3
targets cut in tertiles (standardised, and #2 also raw), and an S-curve's position in
quartiles lifted to 12-D with noise features. Models: a mixture-of-experts MLP (softmax gate
over 4 expert MLPs), an inverted-residual CNN with squeeze-and-excitation and BatchNorm
(MobileNetV2, Sandler et al. 2018; SE, Hu et al. 2018), a causal transformer encoder reading
the last token, a weight-normalised MLP (Salimans & Kingma 2016) and an LSTM classifier.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["ELEVENTH_DIMS", "SEQ_DATA", "TOKEN_DATA", "load", "make_model"]

Arrays = tuple[Any, Any]

ELEVENTH_DIMS: dict[str, tuple[int, int]] = {
    "palin": (4, 2), "mirror": (144, 2), "season": (36, 4), "fried2": (4, 3),
    "fried2_raw": (4, 3), "fried3": (4, 3), "scurve": (12, 4),
}
"""name -> (inputs: features, pixels, series length or vocabulary size; classes)."""
TOKEN_DATA = frozenset({"palin"})
SEQ_DATA = frozenset({"palin", "season"})  # read step by step by the LSTM/transformer
_N_VAL = 240


def _raw(name: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_friedman2, make_friedman3, make_s_curve

    rng = np.random.default_rng(11_000 + seed)
    if name == "palin":
        half = rng.integers(0, 4, size=(n, 4))
        pal = np.concatenate([half, half[:, ::-1]], axis=1)
        other = rng.integers(0, 4, size=(n, 8))
        y = rng.integers(0, 2, size=n)
        x = np.where(y[:, None] == 1, pal, other)
        y = (x == x[:, ::-1]).all(1).astype(np.int64)  # a random sequence may be one too
        return x.astype(np.int64), y
    if name == "mirror":
        left = rng.normal(size=(n, 12, 6))
        right = np.where(rng.random((n, 1, 1)) < 0.5, left[:, :, ::-1],
                         rng.normal(size=(n, 12, 6)))
        img = np.concatenate([left, right], axis=2)
        y = np.isclose(img, img[:, :, ::-1]).all((1, 2)).astype(np.int64)
        img = img + 0.1 * rng.normal(size=img.shape)
        return img.reshape(n, 1, 12, 12).astype(np.float32), y
    if name == "season":
        periods = np.array([4, 6, 9, 12])
        y = rng.integers(0, 4, size=n)
        t = np.arange(36)[None, :]
        phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
        trend = rng.normal(0, 0.02, size=(n, 1)) * t
        x = (np.sin(2 * np.pi * t / periods[y][:, None] + phase) + trend
             + 0.2 * rng.normal(size=(n, 36)))
        return x.astype(np.float32), y.astype(np.int64)
    if name in ("fried2", "fried2_raw", "fried3"):
        gen = make_friedman3 if name == "fried3" else make_friedman2
        x, target = gen(n, noise=0.0, random_state=seed)
        y = np.digitize(target, np.quantile(target, [1 / 3, 2 / 3])).astype(np.int64)
        return x.astype(np.float32), y
    if name == "scurve":
        pts, t = make_s_curve(n, noise=0.05, random_state=seed)
        x = np.concatenate([pts, rng.normal(size=(n, 9))], axis=1)
        y = np.digitize(t, np.quantile(t, [0.25, 0.5, 0.75])).astype(np.int64)
        return x.astype(np.float32), y
    raise ValueError(f"unknown dataset {name!r}; one of {sorted(ELEVENTH_DIMS)}")


def load(name: str, seed: int, n_train: int | None = None) -> tuple[Arrays, Arrays]:
    """``(train, val)`` tensors: 600 training (or ``n_train``) and 240 validation examples;
    inputs standardised on the training split except ``fried2_raw`` and token data."""
    import torch

    x, y = _raw(name, 600 + _N_VAL, seed)
    n = 600 if n_train is None else n_train
    xt, yt, xv, yv = x[:n], y[:n], x[600:], y[600:]
    if name not in TOKEN_DATA and name != "fried2_raw":
        mu, sd = xt.mean(0), xt.std(0) + 1e-6
        if name in ("mirror", "season"):
            mu, sd = xt.mean(), xt.std() + 1e-6
        xt, xv = (xt - mu) / sd, (xv - mu) / sd
    dtype = torch.long if name in TOKEN_DATA else torch.float32
    return ((torch.as_tensor(np.ascontiguousarray(xt), dtype=dtype), torch.as_tensor(yt)),
            (torch.as_tensor(np.ascontiguousarray(xv), dtype=dtype), torch.as_tensor(yv)))


def _act(name: str) -> Any:
    import torch.nn as nn

    return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "elu": nn.ELU,
            "gelu": nn.GELU, "relu6": nn.ReLU6, "silu": nn.SiLU}[name]()


def _scale(model: Any, weight: float) -> None:
    """Multiply every weight matrix (Linear, Conv, LSTM, embedding; both factors of a
    weight-normalised one, so the effective weight) by ``weight``."""
    import torch

    with torch.no_grad():
        for pname, p in model.named_parameters():
            if weight != 1.0 and "weight" in pname and p.dim() > 1:
                p.mul_(weight)


def _body(n_in: int, width: int, depth: int, act: str, dropout: bool, norm: bool,
          bias: float | None) -> Any:
    import torch
    import torch.nn as nn

    layers: list[Any] = []
    d = n_in
    for _ in range(depth):
        lin = nn.Linear(d, width)
        if bias is not None:
            with torch.no_grad():
                lin.bias.fill_(bias)
        layers += [nn.utils.parametrizations.weight_norm(lin) if norm else lin, _act(act)]
        if dropout:
            layers.append(nn.Dropout(0.0))
        d = width
    return nn.Sequential(*layers)


def _moe(n_in: int, classes: int, width: int = 32, depth: int = 2, act: str = "relu",
         bias: float | None = None) -> Any:
    import torch
    import torch.nn as nn

    class MoE(nn.Module):
        """Softmax gate over 4 expert MLPs (Jacobs et al. 1991), dense mixing."""

        def __init__(self) -> None:
            super().__init__()
            self.flat = nn.Flatten()
            self.gate = nn.Linear(n_in, 4)
            self.experts = nn.ModuleList(
                nn.Sequential(_body(n_in, width, depth, act, True, False, bias),
                              nn.Linear(width, classes)) for _ in range(4))

        def forward(self, x: Any) -> Any:
            x = self.flat(x)
            g = torch.softmax(self.gate(x), dim=-1)
            out = torch.stack([e(x) for e in self.experts], dim=-1)
            return (out * g.unsqueeze(1)).sum(-1)

    return MoE()


def _wnmlp(n_in: int, classes: int, width: int = 64, depth: int = 3, act: str = "relu",
           bias: float | None = None) -> Any:
    import torch.nn as nn

    return nn.Sequential(nn.Flatten(), _body(n_in, width, depth, act, True, True, bias),
                         nn.utils.parametrizations.weight_norm(nn.Linear(width, classes)))


def _irse(n_in: int, classes: int, channels: int = 8, blocks: int = 2, act: str = "relu6",
          bn_shift: float = 0.0) -> Any:
    import torch
    import torch.nn as nn

    class Block(nn.Module):
        """Inverted residual: 1x1 expand, 3x3 depthwise, squeeze-excite, 1x1 project."""

        def __init__(self) -> None:
            super().__init__()
            e = channels * 4
            self.expand = nn.Sequential(nn.Conv2d(channels, e, 1, bias=False),
                                        nn.BatchNorm2d(e), _act(act))
            self.dw = nn.Sequential(nn.Conv2d(e, e, 3, padding=1, groups=e, bias=False),
                                    nn.BatchNorm2d(e), _act(act))
            self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(e, 8, 1), nn.ReLU(),
                                    nn.Conv2d(8, e, 1), nn.Sigmoid())
            self.project = nn.Sequential(nn.Conv2d(e, channels, 1, bias=False),
                                         nn.BatchNorm2d(channels))
            if bn_shift:
                with torch.no_grad():
                    norms: list[Any] = [self.expand[1], self.dw[1]]
                    for bn in norms:
                        bn.bias.fill_(bn_shift)

        def forward(self, x: Any) -> Any:
            h = self.dw(self.expand(x))
            return x + self.project(h * self.se(h))

    side = int(round(n_in ** 0.5))
    return nn.Sequential(nn.Conv2d(1, channels, 3, padding=1, bias=False),
                         nn.BatchNorm2d(channels), _act(act),
                         *[Block() for _ in range(blocks)],
                         nn.Flatten(), nn.Linear(channels * side * side, classes))


def _causal(n_in: int, classes: int, tokens: bool, length: int, d: int = 32,
            layers: int = 2) -> Any:
    import torch
    import torch.nn as nn

    class Causal(nn.Module):
        """Transformer encoder with a causal mask (Vaswani et al. 2017); the last position
        reads the whole sequence and feeds the classifier."""

        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(n_in, d) if tokens else nn.Linear(1, d)
            self.pos = nn.Parameter(torch.randn(length, d) * 0.1)
            layer = nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
            self.head = nn.Linear(d, classes)
            self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(
                length), persistent=False)

        def forward(self, x: Any) -> Any:
            h = self.embed(x if tokens else x.unsqueeze(-1)) + self.pos[: x.shape[1]]
            mask: Any = self.mask
            h = self.encoder(h, mask=mask[: x.shape[1], : x.shape[1]], is_causal=True)
            return self.head(h[:, -1])

    return Causal()


def _lstm(n_in: int, classes: int, tokens: bool, hidden: int = 32) -> Any:
    import torch.nn as nn

    class LSTMClassifier(nn.Module):
        """One-layer LSTM (Hochreiter & Schmidhuber 1997); the last state feeds the head."""

        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(n_in, 16) if tokens else None
            self.lstm = nn.LSTM(16 if tokens else 1, hidden, batch_first=True)
            self.drop = nn.Dropout(0.0)
            self.head = nn.Linear(hidden, classes)

        def forward(self, x: Any) -> Any:
            h = self.embed(x) if self.embed is not None else x.unsqueeze(-1)
            out, _ = self.lstm(h)
            return self.head(self.drop(out[:, -1]))

    return LSTMClassifier()


def make_model(arch: str, data: str, weight: float = 1.0, **kw: Any) -> Callable[[Any], Any]:
    """A factory ``config -> model`` for ``arch`` on ``data``; ``weight`` scales every weight
    matrix after torch's initialisation (a sick recipe; the config's ``init`` undoes it)."""
    n_in, classes = ELEVENTH_DIMS[data]
    tokens = data in TOKEN_DATA
    length = 8 if data == "palin" else n_in

    def build(config: Any) -> Any:
        if arch == "moe":
            model = _moe(n_in, classes, **kw)
        elif arch == "wnmlp":
            model = _wnmlp(n_in, classes, **kw)
        elif arch == "irse":
            model = _irse(n_in, classes, **kw)
        elif arch == "causal":
            model = _causal(n_in, classes, tokens, length, **kw)
        elif arch == "lstm":
            model = _lstm(n_in, classes, tokens, **kw)
        else:
            raise ValueError(f"unknown arch {arch!r}; one of moe, wnmlp, irse, causal, lstm")
        _scale(model, weight)
        return model

    return build
