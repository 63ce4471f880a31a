"""The fifth doctor zoo, ``unseen``: data, models and sick-making recipes the rules never saw.

Written after the third round of rule changes was frozen (benchmarks/results/issue-15.md)
and run once. New datasets made in code: a noisy three-arm spiral lifted to 12 features,
24-feature Gaussian blobs with 6 overlapping classes, 14x14 oriented gratings, a sequence
whose class is the shape of its trend (rising, falling, V, inverted V; with a position
channel) and one whose class is how many "high" tokens it holds. New models: a residual
MLP, a CNN with batch norm and global pooling, a bidirectional GRU, a transformer encoder
layer, MLPs with GELU / ELU / LeakyReLU. New sickness factors: learning rates
20/150/1500/8000x too high and 4e-3/4e-4/4e-5x too low, vanishing by shrunk weights in deep
tanh stacks (an init can cure it), exploding LeakyReLU/ELU stacks, dead units by biases
-1.5/-6, saturation by positive biases, overfitting of a wide residual MLP, underfitting by
dropout 0.8/0.92 or weight decay on a residual MLP, plateaus by step and polynomial
schedules; seeds 41-43. Recipes were checked by accuracy alone (no doctor) before the run;
sick ones keep their recipe's label even where they still train (Adam on exploding stacks).

**Labelling rule for healthy runs (fixed before any run of this zoo):** a healthy recipe is
labelled ``healthy`` only if the run's own best validation accuracy reaches
``chance + 0.5 * (1 - chance)`` (chance = 1 / classes); otherwise it is labelled
``healthy_untrained`` and counted in neither the healthy nor the sick rates (it is reported
apart, with what the doctor said). The rule reads the accuracy only, never the diagnosis.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

UNSEEN_DIMS = {"spiral12": (12, 3), "blobs24": (24, 6), "grating_img": (196, 4),
               "trend_seq": (2, 4), "count_seq": (1, 3)}


def healthy_threshold(classes: int) -> float:
    """The best validation accuracy a healthy run must reach (see the module docstring)."""
    chance = 1.0 / classes
    return chance + 0.5 * (1.0 - chance)


def relabel(rows: list[dict[str, Any]],
            dims: Mapping[str, tuple[int, int]] = UNSEEN_DIMS) -> list[dict[str, Any]]:
    """Apply the labelling rule to the healthy rows (by accuracy alone; ``dims``: data name
    -> (inputs, classes))."""
    out = []
    for r in rows:
        need = healthy_threshold(dims[r["data"]][1])
        if r["label"] == "healthy" and r["accuracy"] < need:
            r = {**r, "label": "healthy_untrained", "threshold": need}
        out.append(r)
    return out


def unseen_data(name: str, rng: np.random.Generator, seed: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` for an unseen dataset name (no downloads)."""
    from sklearn.datasets import make_blobs

    if name == "spiral12":
        n = 1500
        y = rng.integers(0, 3, size=n)
        rad = rng.uniform(0.25, 1.0, size=n)
        angle = 1.5 * np.pi * rad + 2 * np.pi * y / 3
        pts = np.stack([rad * np.cos(angle), rad * np.sin(angle)], 1)
        pts = pts + rng.normal(0, 0.06, size=pts.shape)
        lift = np.random.default_rng(99).normal(size=(2, 8))
        x = np.concatenate([pts, np.sin(pts @ lift), rng.normal(0, 1, (n, 2))], 1)
        return (x - x.mean(0)) / x.std(0), y
    if name == "blobs24":
        x, y = make_blobs(1500, 24, centers=6, cluster_std=9.0, random_state=seed)
        return (x - x.mean(0)) / x.std(0), y
    if name == "grating_img":
        n = 1500
        y = rng.integers(0, 4, size=n)
        theta = np.pi * y / 4 + rng.normal(0, 0.08, size=n)
        freq = rng.uniform(0.6, 1.1, size=n)
        phase = rng.uniform(0, 2 * np.pi, size=n)
        r, c = np.mgrid[0:14, 0:14]
        proj = (np.cos(theta)[:, None, None] * c[None] + np.sin(theta)[:, None, None]
                * r[None])
        x = np.sin(freq[:, None, None] * proj + phase[:, None, None])
        x = x + rng.normal(0, 0.9, size=x.shape)
        return x[:, None], y
    if name == "trend_seq":
        n, t = 1500, 16
        y = rng.integers(0, 4, size=n)
        pos = np.linspace(-1, 1, t)
        shapes = np.stack([pos, -pos, 2 * np.abs(pos) - 1, 1 - 2 * np.abs(pos)])
        amp = rng.uniform(0.6, 1.4, size=(n, 1))
        signal = amp * shapes[y] + rng.normal(0, 0.6, size=(n, t))
        return np.stack([signal, np.broadcast_to(pos, (n, t))], 2), y
    if name == "count_seq":
        n, t = 1500, 20
        high = rng.random((n, t)) < rng.uniform(0.1, 0.9, size=(n, 1))
        counts = high.sum(1)
        y = np.digitize(counts, (7, 13))
        x = high * 1.0 + rng.normal(0, 0.35, size=(n, t))
        return x[:, :, None], y
    raise ValueError(f"unknown dataset {name!r}")


def unseen_model(arch: str, n_in: int, n_out: int, depth: int, width: int, act: Any) -> Any:
    """The unseen zoo's models (``act``: an activation module class)."""
    import torch
    from torch import nn

    class ResMLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp = nn.Linear(n_in, width)
            self.blocks = nn.ModuleList(nn.Sequential(
                nn.Linear(width, width), act(), nn.Dropout(0.0), nn.Linear(width, width))
                for _ in range(depth))
            self.out = nn.Sequential(act(), nn.Linear(width, n_out))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.inp(x.flatten(1))
            for block in self.blocks:
                h = h + block(h)
            y: torch.Tensor = self.out(h)
            return y

    class BiGRU(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(n_in, width // 2, batch_first=True, bidirectional=True)
            self.head = nn.Sequential(nn.Linear(width, width // 2), act(), nn.Dropout(0.0),
                                      nn.Linear(width // 2, n_out))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.rnn(x)
            y: torch.Tensor = self.head(out.mean(1))
            return y

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            d = max(16, width // 4)
            self.embed = nn.Linear(n_in, d)
            self.layer = nn.TransformerEncoderLayer(d, 2, dim_feedforward=2 * d, dropout=0.0,
                                                    batch_first=True)
            self.head = nn.Sequential(nn.Linear(d, width // 2), act(), nn.Dropout(0.0),
                                      nn.Linear(width // 2, n_out))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y: torch.Tensor = self.head(self.layer(self.embed(x)).mean(1))
            return y

    def cnn_bn() -> nn.Module:
        c = max(8, width // 6)
        layers: list[nn.Module] = [nn.Conv2d(1, c, 3, padding=1), nn.BatchNorm2d(c), act()]
        for _ in range(depth - 1):
            layers += [nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), act()]
        layers += [nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Dropout(0.0),
                   nn.Linear(4 * c, n_out)]
        return nn.Sequential(*layers)

    build = {"resmlp": ResMLP, "bigru": BiGRU, "encoder": Encoder, "cnn_bn": cnn_bn}[arch]
    return build()


UNSEEN_ARCH_DATA = (("resmlp", "spiral12", "relu"), ("mlp", "blobs24", "gelu"),
                    ("cnn_bn", "grating_img", "relu"), ("bigru", "count_seq", "relu"),
                    ("encoder", "trend_seq", "relu"))
_OPTS = ("sgd", "adam", "adamw", "rmsprop")


def unseen_zoo() -> list[Any]:
    """The unseen zoo's cases (every code; healthy runs on every architecture)."""
    from benchmarks.doctor_zoo_cases import Case, _base

    rng = np.random.default_rng(4242)
    seeds = (41, 42, 43)
    cases: list[Case] = []

    def add(label: str, arch: str, data: str, opt: str, seed: int, cfg: dict[str, Any],
            model: dict[str, Any] | None = None, epochs: int = 8, n_train: int | None = None,
            curable: bool = True) -> None:
        model = {"width": int(rng.choice((40, 72, 112))), **(model or {})}
        name = f"{label}/{arch}-{data}/{opt}/s{seed}/{len(cases)}"
        cases.append(Case(name, label, data, arch, opt, seed, cfg, model, epochs, n_train,
                          curable))

    for i, (arch, data, act) in enumerate(UNSEEN_ARCH_DATA):
        for j, opt in enumerate(_OPTS):
            seed = seeds[(2 * i + j) % 3]
            m = {"act": act, "depth": 2}
            add("healthy", arch, data, opt, seed, _base(opt, seed), m)
            add("lr_too_high", arch, data, opt, seed,
                _base(opt, seed, float(rng.choice((20.0, 150.0, 1500.0, 8000.0)))), m)
            add("lr_too_low", arch, data, opt, seed,
                _base(opt, seed, float(rng.choice((4e-3, 4e-4, 4e-5)))), m)
    for j, opt in enumerate(_OPTS):
        seed = seeds[j % 3]
        add("healthy", "mlp", "spiral12", opt, seed, _base(opt, seed),
            {"depth": 3, "act": ("elu", "leaky")[j % 2]})
        add("healthy", "mlp", "blobs24", opt, seed, _base(opt, seed),
            {"depth": 2, "act": ("tanh", "sigmoid")[j % 2]})
    tables = ("spiral12", "blobs24")
    for j, opt in enumerate(_OPTS):
        for k, seed in enumerate(seeds[1:]):
            data = tables[k]
            add("vanishing_gradients", "mlp", data, opt, seed, _base(opt, seed),
                {"depth": int(rng.choice((10, 12, 14))), "act": "tanh",
                 "weight_scale": float(rng.choice((0.3, 0.4)))})
            add("exploding_gradients", "mlp", data, opt, seed, _base(opt, seed),
                {"depth": int(rng.choice((6, 8))), "act": ("leaky", "elu")[(j + k) % 2],
                 "weight_scale": float(rng.choice((3.5, 5.0)))})
            add("dead_units", ("mlp", "cnn")[k], (data, "grating_img")[k], opt, seed,
                _base(opt, seed), {"depth": 3, "bias": float(rng.choice((-1.5, -6.0)))})
            act = ("tanh", "sigmoid")[(j + k) % 2]
            add("saturated_units", "mlp", data, opt, seed, _base(opt, seed),
                {"depth": 2, "act": act, "bias": float(rng.choice((3.0, 5.0)))})
            add("overfitting", "resmlp", data, opt, seed, _base(opt, seed),
                {"depth": 2, "width": 256}, epochs=40, n_train=int(rng.choice((40, 90))))
            add("underfitting", ("mlp", "resmlp")[k], data, opt, seed,
                _base(opt, seed, dropout=float(rng.choice((0.8, 0.92)))) if k == 0
                else _base(opt, seed, weight_decay=40.0 if opt == "adamw" else 6.0),
                {"depth": 2})
            sched = ({"schedule": "step", "schedule_params": {"num_drops": 3, "gamma": 1e-2}}
                     if k == 0 else {"schedule": "polynomial",
                                     "schedule_params": {"power": 10.0}})
            add("plateau", ("resmlp", "bigru")[k], (data, "count_seq")[k], opt, seed,
                _base(opt, seed, 0.3, **sched), {"depth": 2}, epochs=10)
    return cases
