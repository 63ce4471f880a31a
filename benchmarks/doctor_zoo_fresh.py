"""The fourth doctor zoo, ``fresh``: datasets, a model and recipes not used to write the rules.

Built after the second round of rule changes was frozen and run once (see
benchmarks/results/issue-15.md). New datasets made in code: Gaussian quantiles (a
nonlinear 8-feature, 3-class table), a 40-feature 3-class table with few informative
features, a 1-D signal task (the frequency band of a noisy, phase-shifted wave: as a
sequence for GRU/LSTM/attention and as a 1-channel signal for a 1-D CNN) and 10x10 shape
images (ring, square, cross); a 1-D CNN; widths 48/96/160; seeds 31-33; other sickness
factors (LR 30/300/3000x too high, 2e-3/2e-4/2e-5 too low, weight scales, biases, depths).
"""

from __future__ import annotations

from typing import Any

import numpy as np

FRESH_DIMS = {"gauss_table": (8, 3), "wide40": (40, 3), "wave": (1, 3), "wave1d": (24, 3),
              "shapes_img": (100, 3)}


def fresh_data(name: str, rng: np.random.Generator, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` for a fresh dataset name (no downloads)."""
    from sklearn.datasets import make_classification, make_gaussian_quantiles

    if name == "gauss_table":
        x, y = make_gaussian_quantiles(n_samples=1400, n_features=8, n_classes=3,
                                       random_state=seed)
        return x, y
    if name == "wide40":
        x, y = make_classification(1300, 40, n_informative=6, n_redundant=4, n_classes=3,
                                   n_clusters_per_class=2, class_sep=1.6, random_state=seed)
        return (x - x.mean(0)) / x.std(0), y
    if name in ("wave", "wave1d"):
        n, t = 1400, 24
        y = rng.integers(0, 3, size=n)
        freq = np.array([0.06, 0.13, 0.22])[y] * rng.uniform(0.9, 1.1, size=n)
        phase = rng.uniform(0, 2 * np.pi, size=n)
        steps = np.arange(t)
        x = np.sin(2 * np.pi * freq[:, None] * steps[None] + phase[:, None])
        x = x + rng.normal(0.0, 0.5, size=(n, t))
        return (x[:, :, None] if name == "wave" else x[:, None, :]), y
    if name == "shapes_img":
        return _shapes(rng, 1400)
    raise ValueError(f"unknown dataset {name!r}")


def _shapes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """1x10x10 images of a ring, a filled square or a cross at a random place, with noise."""
    y = rng.integers(0, 3, size=n)
    x = rng.normal(0.0, 0.5, size=(n, 1, 10, 10))
    for i, c in enumerate(y):
        r, q = (int(v) for v in rng.integers(2, 8, size=2))
        if c == 0:
            rr, cc = np.mgrid[-2:3, -2:3]
            ring = np.abs(np.hypot(rr, cc) - 1.8) < 0.6
            x[i, 0, r - 2:r + 3, q - 2:q + 3][ring] += 1.4
        elif c == 1:
            x[i, 0, r - 1:r + 2, q - 1:q + 2] += 1.4
        else:
            x[i, 0, r, max(q - 2, 0):q + 3] += 1.4
            x[i, 0, max(r - 2, 0):r + 3, q] += 1.4
    return x, y


def cnn1d(n_in: int, n_out: int, depth: int, width: int, act: Any) -> Any:
    """A 1-D CNN over a (1, n_in) signal."""
    from torch import nn

    c = max(4, width // 8)
    layers: list[Any] = [nn.Conv1d(1, c, 5, padding=2), act()]
    for _ in range(depth - 1):
        layers += [nn.Conv1d(c, c, 5, padding=2), act()]
    layers += [nn.MaxPool1d(2), nn.Flatten(), nn.Dropout(0.0), nn.Linear(c * (n_in // 2), n_out)]
    return nn.Sequential(*layers)


FRESH_ARCH_DATA = (("mlp", "gauss_table"), ("mlp", "wide40"), ("cnn", "shapes_img"),
                   ("cnn1d", "wave1d"), ("gru", "wave"), ("lstm", "wave"), ("attn", "wave"))
_OPTS = ("sgd", "adam", "adamw", "rmsprop")


def fresh_zoo() -> list[Any]:
    """The fresh zoo's cases (every code, healthy runs on every architecture)."""
    from benchmarks.doctor_zoo_cases import Case, _base

    rng = np.random.default_rng(31415)
    seeds = (31, 32, 33)
    cases: list[Case] = []

    def add(label: str, arch: str, data: str, opt: str, seed: int, cfg: dict[str, Any],
            model: dict[str, Any] | None = None, epochs: int = 8, n_train: int | None = None,
            curable: bool = True) -> None:
        model = {"width": int(rng.choice((48, 96, 160))), **(model or {})}
        name = f"{label}/{arch}-{data}/{opt}/s{seed}/{len(cases)}"
        cases.append(Case(name, label, data, arch, opt, seed, cfg, model, epochs, n_train,
                          curable))

    for i, (arch, data) in enumerate(FRESH_ARCH_DATA):
        for j, opt in enumerate(_OPTS):
            seed = seeds[(i + 2 * j) % 3]
            add("healthy", arch, data, opt, seed, _base(opt, seed))
            add("lr_too_high", arch, data, opt, seed,
                _base(opt, seed, float(rng.choice((30.0, 300.0, 3000.0)))))
            add("lr_too_low", arch, data, opt, seed,
                _base(opt, seed, float(rng.choice((2e-3, 2e-4, 2e-5)))))
    for j, opt in enumerate(_OPTS):
        seed = seeds[(j + 1) % 3]
        add("healthy", "mlp", "wide40", opt, seed, _base(opt, seed), {"depth": 2, "act": "tanh"})
        add("healthy", "mlp", "gauss_table", opt, seed, _base(opt, seed), {"depth": 4})
    for j, opt in enumerate(("adam", "rmsprop")):
        add("healthy", "mlp", "gauss_table", opt, seeds[j], _base(opt, seeds[j]),
            {"depth": 2, "act": "sigmoid"})
    tables = ("gauss_table", "wide40")
    for j, opt in enumerate(_OPTS):
        for k, seed in enumerate(seeds[1:]):
            data = tables[k]
            add("vanishing_gradients", "mlp", data, opt, seed, _base(opt, seed),
                {"depth": int(rng.choice((8, 10, 12))), "act": "sigmoid"}, curable=False)
            add("exploding_gradients", "mlp", data, opt, seed, _base(opt, seed),
                {"depth": int(rng.choice((4, 6, 8))),
                 "weight_scale": float(rng.choice((3.2, 4.0, 5.0)))})
            add("dead_units", ("mlp", "cnn1d")[k], (data, "wave1d")[k], opt, seed,
                _base(opt, seed), {"depth": int(rng.choice((3, 4))),
                                   "bias": float(rng.choice((-2.0, -3.0, -4.0)))})
            act = ("tanh", "sigmoid")[(j + k) % 2]
            add("saturated_units", "mlp", data, opt, seed, _base(opt, seed),
                {"depth": int(rng.choice((2, 3))), "act": act,
                 "weight_scale": float(rng.choice((4.5, 7.0) if act == "tanh" else (9.0, 13.0)))})
            add("overfitting", "mlp", data, opt, seed, _base(opt, seed),
                {"depth": 2, "width": int(rng.choice((256, 384)))}, epochs=40,
                n_train=int(rng.choice((60, 120))))
            add("underfitting", "mlp", data, opt, seed,
                _base(opt, seed, weight_decay=25.0 if opt == "adamw" else 4.0) if k == 0
                else _base(opt, seed, dropout=0.85), {"depth": 2})
            add("plateau", ("mlp", "gru")[k], (data, "wave")[k], opt, seed,
                _base(opt, seed, 0.3, schedule="exponential",
                      schedule_params={"final": float(rng.choice((3e-8, 3e-7)))}), epochs=10)
    return cases
