"""Data and models of the sixth doctor zoo, ``blind`` (see benchmarks/doctor_zoo_blind.py).

Every dataset is made in code (no downloads) and differs from the earlier zoos' sets: an
XOR-of-signs table, concentric shells in 3-D (also unstandardised), a sum-of-sines regression
cut into tertiles, noisy two moons rotated into 8-D, sequences labelled by first-vs-last token
or by the parity of two positions, and 8x8 stroke images. The models are new too: an MLP with
LayerNorm, a CNN with a stride-2 stage, a two-layer LSTM, a plain (tanh or ReLU) RNN and a pre-LN
transformer block with learned positions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# name -> (input size as make_model reads it, classes)
BLIND_DIMS = {"xor10": (10, 4), "rings3d": (6, 3), "rings3d_raw": (6, 3), "sines5": (5, 3),
              "moons8": (8, 2), "firstlast_seq": (5, 3), "parity_seq": (2, 2),
              "strokes8": (64, 4)}
BLIND_ARCHS = ("ln_mlp", "cnn_s2", "lstm2", "rnn", "tblock")


def _standard(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = (x - x.mean(0)) / (x.std(0) + 1e-8)
    return out


def blind_data(name: str, rng: np.random.Generator, seed: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` for a blind-zoo dataset name."""
    if name == "xor10":
        n = 1600
        x = rng.normal(size=(n, 10))
        y = 2 * (x[:, 0] * x[:, 1] > 0) + (x[:, 2] * x[:, 3] > 0)
        return x, y.astype(int)
    if name in ("rings3d", "rings3d_raw"):
        n = 1500
        y = rng.integers(0, 3, size=n)
        direction = rng.normal(size=(n, 3))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        radius = (1.0 + y) + rng.normal(0, 0.22, size=n)
        x = np.concatenate([direction * radius[:, None], rng.normal(0, 1, (n, 3))], 1)
        # the raw variant is what a user gets who forgot to standardise (units of ~40)
        return (_standard(x), y) if name == "rings3d" else (40.0 * x + 25.0, y)
    if name == "sines5":
        n = 1600
        x = rng.uniform(-2, 2, size=(n, 5))
        s = np.sin(2 * x[:, 0]) + np.sin(1.5 * x[:, 1] + x[:, 2]) + 0.5 * x[:, 3] * x[:, 4]
        s = s + rng.normal(0, 0.15, size=n)
        y = np.digitize(s, np.quantile(s, (1 / 3, 2 / 3)))
        return _standard(x), y
    if name == "moons8":
        from sklearn.datasets import make_moons

        pts, y = make_moons(1400, noise=0.25, random_state=seed)
        x = np.concatenate([pts, rng.normal(0, 0.5, (len(pts), 6))], 1)
        q, _ = np.linalg.qr(np.random.default_rng(5).normal(size=(8, 8)))
        return _standard(x @ q), y
    if name == "firstlast_seq":
        n, t, k = 1600, 8, 4
        y = rng.integers(0, 3, size=n)  # 0: first < last, 1: equal, 2: first > last
        tokens = rng.integers(0, k, size=(n, t))
        a = rng.integers(0, k, size=n)
        b = rng.integers(0, k, size=n)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        hi = np.where(lo == hi, np.minimum(hi + 1, k - 1), hi)
        lo = np.where(lo == hi, hi - 1, lo)
        tokens[:, 0] = np.where(y == 0, lo, np.where(y == 2, hi, a))
        tokens[:, -1] = np.where(y == 0, hi, np.where(y == 2, lo, a))
        onehot = np.eye(k)[tokens] + rng.normal(0, 0.3, size=(n, t, k))
        pos = np.broadcast_to(np.linspace(-1, 1, t)[None, :, None], (n, t, 1))
        return np.concatenate([onehot, pos], 2), y
    if name == "parity_seq":
        n, t = 1600, 6
        bits = rng.integers(0, 2, size=(n, t))
        y = bits[:, 1] ^ bits[:, 4]
        signal = (2.0 * bits - 1) + rng.normal(0, 0.2, size=(n, t))
        pos = np.broadcast_to(np.linspace(-1, 1, t)[None], (n, t))
        return np.stack([signal, pos], 2), y
    if name == "strokes8":
        return _strokes(rng, 1600)
    raise ValueError(f"unknown blind dataset {name!r}; choose one of {sorted(BLIND_DIMS)}")


def _strokes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """1x8x8 images of an L, a T, a diagonal stroke or two short parallel strokes."""
    y = rng.integers(0, 4, size=n)
    x = rng.normal(0.0, 0.45, size=(n, 1, 8, 8))
    for i, c in enumerate(y):
        r, q = (int(v) for v in rng.integers(0, 5, size=2))
        img = x[i, 0]
        if c == 0:  # L
            img[r:r + 4, q] += 1.3
            img[r + 3, q:q + 4] += 1.3
        elif c == 1:  # T
            img[r, q:q + 4] += 1.3
            img[r:r + 4, q + 1] += 1.3
        elif c == 2:  # diagonal
            k = np.arange(4)
            img[r + k, q + k] += 1.3
        else:  # ||
            img[r:r + 4, q] += 1.3
            img[r:r + 4, q + 2] += 1.3
    return x, y


def blind_model(arch: str, n_in: int, n_out: int, depth: int, width: int, act: Any) -> Any:
    """The blind zoo's models (``act``: an activation module class)."""
    import torch
    from torch import nn

    def ln_mlp() -> nn.Module:
        layers: list[nn.Module] = [nn.Flatten()]
        prev = n_in
        for _ in range(depth):
            layers += [nn.Linear(prev, width), nn.LayerNorm(width), act(), nn.Dropout(0.0)]
            prev = width
        layers.append(nn.Linear(prev, n_out))
        return nn.Sequential(*layers)

    def cnn_s2() -> nn.Module:
        c = max(6, width // 8)
        layers: list[nn.Module] = [nn.Conv2d(1, c, 3, padding=1), act()]
        for _ in range(max(depth - 2, 0)):
            layers += [nn.Conv2d(c, c, 3, padding=1), act()]
        layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), act(), nn.Flatten(),
                   nn.Dropout(0.0), nn.Linear(2 * c * 16, n_out)]
        return nn.Sequential(*layers)

    class Recurrent(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            h = width // 2
            self.rnn: nn.Module = (nn.LSTM(n_in, h, num_layers=2, batch_first=True)
                                   if arch == "lstm2" else
                                   nn.RNN(n_in, h, num_layers=max(1, depth - 1),
                                          nonlinearity="relu" if act is nn.ReLU else "tanh",
                                          batch_first=True))
            self.head = nn.Sequential(nn.Dropout(0.0), nn.Linear(h, h), act(),
                                      nn.Linear(h, n_out))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.rnn(x)
            y: torch.Tensor = self.head(out[:, -1])
            return y

    class Block(nn.Module):
        def __init__(self, d: int) -> None:
            super().__init__()
            self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.attn = nn.MultiheadAttention(d, 4, batch_first=True)
            self.ff = nn.Sequential(nn.Linear(d, 2 * d), act(), nn.Dropout(0.0),
                                    nn.Linear(2 * d, d))

        def forward(self, h: torch.Tensor) -> torch.Tensor:
            z = self.norm1(h)
            h = h + self.attn(z, z, z, need_weights=False)[0]
            out: torch.Tensor = h + self.ff(self.norm2(h))
            return out

    class TBlock(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            d = max(16, width // 4)
            self.embed = nn.Linear(n_in, d)
            self.pos = nn.Parameter(torch.zeros(1, 32, d))
            self.blocks = nn.ModuleList(Block(d) for _ in range(max(1, depth - 1)))
            self.out = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, n_out))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.embed(x) + self.pos[:, : x.shape[1]]
            for block in self.blocks:
                h = block(h)
            y: torch.Tensor = self.out(h.mean(1))
            return y

    builders = {"ln_mlp": ln_mlp, "cnn_s2": cnn_s2, "lstm2": Recurrent, "rnn": Recurrent,
                "tblock": TBlock}
    if arch not in builders:
        raise ValueError(f"unknown blind arch {arch!r}; choose one of {BLIND_ARCHS}")
    return builders[arch]()
