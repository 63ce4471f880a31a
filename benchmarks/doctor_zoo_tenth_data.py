"""Data and models of the tenth doctor zoo (benchmarks/doctor_zoo_tenth.py).

Every dataset is made in code (no downloads), none of them used by an earlier zoo:
``credit`` (a mixed tabular credit table: 6 numeric columns, standardised, then 3 categorical
columns held as integer codes with 5, 12 and 30 levels; the class is whether a fixed rule's
risk score, linear in the numerics with a debt x utilisation interaction plus one effect per
level, exceeds its median, with 3% of labels flipped), ``credit_1hot`` (the same rows with
the categoricals one-hot: 53 features), ``summod5`` (4 tokens from {0..4}, the
class is their sum mod 5), ``recall`` (copy-the-first-token: a key token from {1..4}, then
11-19 distractor tokens from {1..9}, left-padded with 0 to 20; the class is the key, read at
distance 12-20 from the end), ``modsig`` (1x64 noisy signals: a plain, an amplitude- or a
frequency-modulated sine with random carrier, rate, depth and phase; as 32 steps of 2 values
for the GRU), ``modsig_raw`` (the same in 12-bit ADC counts: x400 + 2048), ``ring`` (1x12x12
images of a ring of random centre and radius, closed or with a 60-110 degree gap, plus noise;
the class is "closed") and ``rings10`` (4 noisy concentric rings in 2-D plus 8 Gaussian noise
features, rotated into 10-D by a fixed random orthogonal matrix, standardised).

Models (factories ``config -> nn.Module``; a sickness is built in after torch's own init via
``w_scale`` (hidden weights times this) and ``b_shift`` (hidden pre-activation biases set to
this), so a config's ``init`` other than ``torch_default`` replaces it on Linear/Conv layers;
every model holds dropout modules at rate 0 so that ``TrainConfig.dropout`` reaches it):
``maxout`` (Maxout MLP, Goodfellow et al. 2013, 2 pieces), ``widedeep`` (Cheng et al. 2016's
wide-and-deep: a linear "wide" part on the numerics and one-hot codes plus a "deep" tower on
the numerics and an embedding per categorical column), ``convmixer`` (Trockman & Kolter 2022:
a patch embedding, then depthwise conv + activation + BatchNorm with a residual, pointwise
conv + activation + BatchNorm), ``prelu`` (MLP with BatchNorm and PReLU, He et al. 2015; the
sick variants may drop BatchNorm or use tanh), ``gru2`` (two stacked GRUs with dropout between
them, last state) and ``resmlp`` (pre-norm residual MLP: LayerNorm -> Linear -> GELU -> Linear
added to the stream; the sick variants may use ReLU, tanh or sigmoid, or drop the residual and
norm).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Arrays = tuple[Any, Any]

N_TRAIN, N_VAL = 900, 240
CARDS = (5, 12, 30)  # levels of the credit table's categorical columns
N_NUM = 6  # numeric columns of the credit table
SUM_LEN = 4  # tokens per sum-mod-5 sequence
TOKEN_DATA = {"summod5": 5, "recall": 10}  # vocabulary sizes
TENTH_DIMS: dict[str, tuple[int, int]] = {  # name -> (inputs per example (or vocab), classes)
    "credit": (N_NUM + len(CARDS), 2), "credit_1hot": (N_NUM + sum(CARDS), 2),
 "summod5": (5, 5), "recall": (10, 4),
    "modsig": (64, 3), "modsig_raw": (64, 3), "ring": (144, 2), "rings10": (10, 4),
}


def _credit(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw numerics (n x 6), integer codes (n x 3) and labels from a fixed rule."""
    rule = np.random.default_rng(2026)  # the rule is the same for every seed
    effects = [rule.normal(0, 0.8, k) for k in CARDS]
    age = np.clip(rng.normal(41, 12, n), 19, 80)
    income = rng.lognormal(10.6, 0.55, n)
    debt = rng.beta(2, 5, n)
    months = rng.exponential(60, n)
    accounts = rng.poisson(4, n).astype(float)
    util = rng.beta(2, 3, n)
    codes = np.stack([rng.integers(0, k, n) for k in CARDS], 1)

    def z(v: np.ndarray) -> np.ndarray:
        out: np.ndarray = (v - v.mean()) / v.std()
        return out

    score = (-0.5 * z(age) - 0.9 * z(np.log(income)) + 1.2 * z(debt) - 0.4 * z(np.log1p(months))
             + 0.3 * z(accounts) + 0.8 * z(util) + 1.0 * z(debt) * z(util))
    score = score + sum(e[codes[:, i]] for i, e in enumerate(effects))
    y = (score > np.median(score)).astype(np.int64)
    flip = rng.random(n) < 0.03
    y[flip] = 1 - y[flip]
    nums = np.stack([age, income, debt, months, accounts, util], 1)
    return nums, codes, y


def _summod5(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    x = rng.integers(0, 5, (n, SUM_LEN))
    return x, x.sum(1) % 5


def _recall(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.zeros((n, 20), dtype=np.int64)
    y = rng.integers(0, 4, n)
    for i in range(n):
        length = int(rng.integers(12, 21))
        x[i, 20 - length] = y[i] + 1
        x[i, 20 - length + 1:] = rng.integers(1, 10, length - 1)
    return x, y


def _modsig(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(64) / 64.0
    y = rng.integers(0, 3, n)
    x = np.empty((n, 64))
    for i in range(n):
        fc, ph = rng.uniform(5, 9), rng.uniform(0, 2 * np.pi)
        fm, mph = rng.uniform(1, 2.5), rng.uniform(0, 2 * np.pi)
        if y[i] == 0:
            s = np.sin(2 * np.pi * fc * t + ph)
        elif y[i] == 1:  # AM
            s = (1 + rng.uniform(0.6, 0.95) * np.sin(2 * np.pi * fm * t + mph)) / 1.4 \
                * np.sin(2 * np.pi * fc * t + ph)
        else:  # FM
            s = np.sin(2 * np.pi * fc * t + rng.uniform(3, 5) * np.sin(2 * np.pi * fm * t + mph)
                       + ph)
        x[i] = s * rng.uniform(0.7, 1.3) + rng.normal(0, 0.2, 64)
    return x, y


def _ring(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:12, 0:12].astype(float)
    y = rng.integers(0, 2, n)
    x = np.empty((n, 1, 12, 12))
    for i in range(n):
        cy, cx = rng.uniform(5, 6.5, 2)
        r = rng.uniform(3.0, 4.3)
        d = np.hypot(yy - cy, xx - cx)
        img = np.exp(-((d - r) ** 2) / 0.5)
        if y[i] == 0:  # open: cut a gap
            a0 = rng.uniform(-np.pi, np.pi)
            gap = np.deg2rad(rng.uniform(60, 110))
            ang = np.angle(np.exp(1j * (np.arctan2(yy - cy, xx - cx) - a0)))
            img[np.abs(ang) < gap / 2] = 0.0
        x[i, 0] = img * rng.uniform(0.8, 1.2) + rng.normal(0, 0.2, (12, 12))
    return x, 1 - y  # class 1 = closed


def _rings10(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 4, n)
    ang = rng.uniform(0, 2 * np.pi, n)
    r = (y + 1.0) + rng.normal(0, 0.22, n)
    plane = np.stack([r * np.cos(ang), r * np.sin(ang)], 1)
    x = np.concatenate([plane, rng.normal(0, 1.5, (n, 8))], 1)
    q, _ = np.linalg.qr(np.random.default_rng(7).normal(size=(10, 10)))
    return x @ q, y


def _standardise(xt: np.ndarray, xv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, sd = xt.mean(0), xt.std(0) + 1e-6
    return (xt - mu) / sd, (xv - mu) / sd


def load(name: str, seed: int, n_train: int | None = None) -> tuple[Arrays, Arrays]:
    """``(train, val)`` tensors of dataset ``name`` for ``seed`` (``n_train`` keeps the first
    rows of the training split; the validation split never changes with it)."""
    import torch

    if name not in TENTH_DIMS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(TENTH_DIMS)}")
    rng = np.random.default_rng(10_000 + seed)
    n = N_TRAIN + N_VAL
    cut = N_TRAIN
    if name.startswith("credit"):
        nums, codes, y = _credit(rng, n)
        logged = nums.copy()
        logged[:, 1] = np.log(logged[:, 1])
        logged[:, 3] = np.log1p(logged[:, 3])
        nt, nv = _standardise(logged[:cut], logged[cut:])
        if name == "credit":
            x = np.concatenate([np.concatenate([nt, nv]), codes], 1)
        else:
            onehot = np.concatenate([np.eye(k)[codes[:, i]] for i, k in enumerate(CARDS)], 1)
            x = np.concatenate([np.concatenate([nt, nv]), onehot], 1)
    elif name in TOKEN_DATA:
        x, y = (_summod5 if name == "summod5" else _recall)(rng, n)
    elif name.startswith("modsig"):
        x, y = _modsig(rng, n)
        if name == "modsig_raw":
            x = np.round(x * 400 + 2048)
    elif name == "ring":
        x, y = _ring(rng, n)
    else:
        x, y = _rings10(rng, n)
        x = np.concatenate(_standardise(x[:cut], x[cut:]))
    xt, xv = x[:cut], x[cut:]
    if n_train is not None:
        xt = xt[:n_train]
    yt, yv = y[:cut][: len(xt)], y[cut:]
    dtype = torch.long if name in TOKEN_DATA else torch.float32
    return ((torch.tensor(xt, dtype=dtype), torch.tensor(yt, dtype=torch.long)),
            (torch.tensor(xv, dtype=dtype), torch.tensor(yv, dtype=torch.long)))


# ------------------------------------------------------------------------------------ models
def _act(name: str) -> Any:
    from torch import nn

    return {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
            "prelu": nn.PReLU}[name]()


def _sicken(layers: list[Any], w_scale: float, b_shift: float | None) -> None:
    """Scale the hidden layers' weights and set their biases (after torch's own init)."""
    import torch

    with torch.no_grad():
        for layer in layers:
            layer.weight.mul_(w_scale)
            if b_shift is not None and layer.bias is not None:
                layer.bias.fill_(b_shift)


def _maxout(n_in: int, n_out: int, *, width: int = 64, depth: int = 3, pieces: int = 2,
            w_scale: float = 1.0, b_shift: float | None = None) -> Any:
    import torch
    from torch import nn

    class Maxout(nn.Module):
        def __init__(self, a: int, b: int) -> None:
            super().__init__()
            self.lin = nn.Linear(a, b * pieces)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = self.lin(x).view(x.shape[0], -1, pieces).amax(-1)
            return out

    blocks: list[nn.Module] = []
    a = n_in
    for _ in range(depth):
        blocks += [Maxout(a, width), nn.Dropout(0.0)]
        a = width
    net = nn.Sequential(*blocks, nn.Linear(a, n_out))
    _sicken([b.lin for b in blocks if isinstance(b, Maxout)], w_scale, b_shift)
    return net


def _widedeep(n_out: int, *, emb: int = 8, width: int = 64, depth: int = 2, act: str = "relu",
              w_scale: float = 1.0, b_shift: float | None = None) -> Any:
    import torch
    from torch import nn

    class WideDeep(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embs = nn.ModuleList(nn.Embedding(k, emb) for k in CARDS)
            self.wide = nn.Linear(N_NUM + sum(CARDS), n_out)
            layers: list[nn.Module] = []
            a = N_NUM + emb * len(CARDS)
            self.hidden = []
            for _ in range(depth):
                lin = nn.Linear(a, width)
                self.hidden.append(lin)
                layers += [lin, _act(act), nn.Dropout(0.0)]
                a = width
            self.deep = nn.Sequential(*layers, nn.Linear(a, n_out))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            nums, codes = x[:, :N_NUM], x[:, N_NUM:].long()
            onehot = torch.cat([nn.functional.one_hot(codes[:, i], k).float()
                                for i, k in enumerate(CARDS)], 1)
            embs = torch.cat([e(codes[:, i]) for i, e in enumerate(self.embs)], 1)
            out: torch.Tensor = (self.wide(torch.cat([nums, onehot], 1))
                                 + self.deep(torch.cat([nums, embs], 1)))
            return out

    net = WideDeep()
    _sicken(net.hidden, w_scale, b_shift)
    return net


def _convmixer(n_out: int, *, dim: int = 32, depth: int = 3, kernel: int = 5, patch: int = 3,
               act: str = "gelu", w_scale: float = 1.0, b_shift: float | None = None) -> Any:
    import torch
    from torch import nn

    class Residual(nn.Module):
        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = x + self.inner(x)
            return out

    convs: list[nn.Conv2d] = []

    def conv(*args: Any, **kw: Any) -> nn.Conv2d:
        c = nn.Conv2d(*args, **kw)
        convs.append(c)
        return c

    layers: list[nn.Module] = [conv(1, dim, patch, stride=patch), _act(act), nn.BatchNorm2d(dim)]
    for _ in range(depth):
        layers += [
            Residual(nn.Sequential(conv(dim, dim, kernel, groups=dim, padding="same"),
                                   _act(act), nn.BatchNorm2d(dim))),
            conv(dim, dim, 1), _act(act), nn.BatchNorm2d(dim)]
    net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.0),
                        nn.Linear(dim, n_out))
    _sicken(convs, w_scale, b_shift)
    return net


def _prelu(n_in: int, n_out: int, *, width: int = 64, depth: int = 3, bn: bool = True,
           act: str = "prelu", w_scale: float = 1.0, b_shift: float | None = None) -> Any:
    from torch import nn

    layers: list[nn.Module] = []
    hidden = []
    a = n_in
    for _ in range(depth):
        lin = nn.Linear(a, width)
        hidden.append(lin)
        layers += [lin, *([nn.BatchNorm1d(width)] if bn else []), _act(act), nn.Dropout(0.0)]
        a = width
    net = nn.Sequential(nn.Flatten(), *layers, nn.Linear(a, n_out))
    _sicken(hidden, w_scale, b_shift)
    return net


def _gru2(n_out: int, *, vocab: int | None = None, n_feat: int = 2, emb: int = 16,
          hidden: int = 48) -> Any:
    import torch
    from torch import nn

    class GRU2(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tokens = vocab is not None
            self.emb = nn.Embedding(vocab or 1, emb)  # unused on real-valued signals
            self.g1 = nn.GRU(emb if vocab is not None else n_feat, hidden, batch_first=True)
            self.drop = nn.Dropout(0.0)
            self.g2 = nn.GRU(hidden, hidden, batch_first=True)
            self.head = nn.Linear(hidden, n_out)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if self.tokens:
                h = self.emb(x)
            else:  # a 1x64 signal as 32 steps of 2 values
                h = x.reshape(x.shape[0], -1, n_feat)
            h, _ = self.g1(h)
            h, _ = self.g2(self.drop(h))
            out: torch.Tensor = self.head(self.drop(h[:, -1]))
            return out

    return GRU2()


def _resmlp(n_in: int, n_out: int, *, width: int = 64, depth: int = 3, act: str = "gelu",
            residual: bool = True, norm: bool = True, w_scale: float = 1.0,
            b_shift: float | None = None) -> Any:
    import torch
    from torch import nn

    hidden: list[nn.Linear] = []

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = nn.LayerNorm(width) if norm else nn.Identity()
            self.up = nn.Linear(width, width)
            self.act = _act(act)
            self.drop = nn.Dropout(0.0)
            self.down = nn.Linear(width, width) if residual else nn.Identity()
            hidden.append(self.up)
            if residual:
                hidden.append(self.down)  # type: ignore[arg-type]

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = self.down(self.drop(self.act(self.up(self.norm(x)))))
            return x + out if residual else out

    stem = nn.Linear(n_in, width)
    head = [nn.LayerNorm(width)] if norm else []
    net = nn.Sequential(nn.Flatten(), stem, *[Block() for _ in range(depth)], *head,
                        nn.Linear(width, n_out))
    _sicken(hidden, w_scale, b_shift)
    return net


def make_model(arch: str, data: str, **kw: Any) -> Callable[[Any], Any]:
    """A factory ``config -> nn.Module`` for ``arch`` on ``data`` (keywords: the sickness)."""
    n_in, n_out = TENTH_DIMS[data]
    builders: dict[str, Callable[[], Any]] = {
        "maxout": lambda: _maxout(n_in, n_out, **kw),
        "widedeep": lambda: _widedeep(n_out, **kw),
        "convmixer": lambda: _convmixer(n_out, **kw),
        "prelu": lambda: _prelu(n_in, n_out, **kw),
        "gru2": lambda: _gru2(n_out, vocab=TOKEN_DATA.get(data), **kw),
        "resmlp": lambda: _resmlp(n_in, n_out, **kw),
    }
    if arch not in builders:
        raise ValueError(f"unknown arch {arch!r}; choose one of {sorted(builders)}")
    if arch == "widedeep" and data != "credit":
        raise ValueError("widedeep reads integer codes: use it on 'credit'")
    build = builders[arch]
    return lambda config: build()
