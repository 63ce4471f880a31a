"""The doctor zoo's data, models and sick-making recipes (see benchmarks/doctor_zoo.py).

Datasets are made in code or read from scikit-learn's bundled files (no downloads): digits
as a table (64 features) and as 1x8x8 images, a synthetic classification table, and a
synthetic sequence task. Each case is a healthy recipe with one thing made wrong, labelled
by the problem that thing causes; the ``holdout`` zoo uses other seeds, sizes and factors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Arrays = tuple[Any, Any]

GOOD_LR = {"sgd": 0.05, "adam": 3e-3, "adamw": 3e-3, "rmsprop": 1e-3}


@dataclass(frozen=True)
class Case:
    """One zoo run: a label, the data, a model factory and a config."""

    name: str
    label: str  # "healthy" or a problem code
    data: str
    arch: str
    optimizer: str
    seed: int
    config: dict[str, Any]
    model: dict[str, Any] = field(default_factory=dict)
    epochs: int = 8
    n_train: int | None = None
    curable: bool = True  # False: no TrainConfig change can cure it (needs an architecture change)


def load(name: str, seed: int, n_train: int | None) -> tuple[Arrays, Arrays]:
    """``(train, val)`` float32 tensors for a dataset name."""
    import torch
    from sklearn.datasets import load_digits, make_classification

    rng = np.random.default_rng(1000 + seed)
    if name in ("digits", "digits_img"):
        x, y = load_digits(return_X_y=True)
        x = x / 16.0
        if name == "digits_img":
            x = x.reshape(-1, 1, 8, 8)
        else:
            x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    elif name == "table":
        x, y = make_classification(1400, 20, n_informative=10, n_classes=4,
                                   random_state=seed, class_sep=1.5)
    elif name == "seq":
        n, t, f = 1400, 10, 3
        x = rng.normal(size=(n, t, f))
        w = np.random.default_rng(7).normal(size=(f, 3))
        y = np.argmax(np.tanh(x @ w).sum(1), axis=1)
    elif name == "wide_table":
        x, y = make_classification(1500, 30, n_informative=12, n_redundant=6, n_classes=5,
                                   random_state=seed, class_sep=1.3, flip_y=0.02)
    elif name == "bars_img":
        x, y = _bars(rng, 1500)
    elif name == "seq_sum":
        n, t, f = 1500, 16, 4
        x = rng.normal(size=(n, t, f))
        s = x.cumsum(1)[:, -1]
        y = (s[:, 0] > 0).astype(int) * 2 + (s[:, 1] + 0.5 * s[:, 2] > 0).astype(int)
    else:
        from benchmarks.doctor_zoo_blind_data import BLIND_DIMS, blind_data
        from benchmarks.doctor_zoo_fresh import fresh_data
        from benchmarks.doctor_zoo_unseen import UNSEEN_DIMS, unseen_data

        make = (unseen_data if name in UNSEEN_DIMS else blind_data if name in BLIND_DIMS
                else fresh_data)
        x, y = make(name, rng, seed)
    order = rng.permutation(len(x))
    x, y = x[order].astype(np.float32), y[order].astype(np.int64)
    cut = int(0.6 * len(x))
    tr = slice(0, n_train or cut)
    return ((torch.tensor(x[tr]), torch.tensor(y[tr])),
            (torch.tensor(x[cut:]), torch.tensor(y[cut:])))


def _bars(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """1x12x12 images of a noisy bar in one of 4 orientations (the class)."""
    y = rng.integers(0, 4, size=n)
    x = rng.normal(0.0, 0.6, size=(n, 1, 12, 12))
    r = np.arange(12)
    for i, c in enumerate(y):
        k = int(rng.integers(2, 10))
        if c == 0:
            x[i, 0, k, :] += 1.5
        elif c == 1:
            x[i, 0, :, k] += 1.5
        elif c == 2:
            x[i, 0, r, r] += 1.5
        else:
            x[i, 0, r, 11 - r] += 1.5
    return x, y


def dims(data: str) -> tuple[int, int]:
    from benchmarks.doctor_zoo_blind_data import BLIND_DIMS
    from benchmarks.doctor_zoo_fresh import FRESH_DIMS
    from benchmarks.doctor_zoo_unseen import UNSEEN_DIMS

    return {"digits": (64, 10), "digits_img": (64, 10), "table": (20, 4), "seq": (3, 3),
            "wide_table": (30, 5), "bars_img": (144, 4), "seq_sum": (4, 4), **FRESH_DIMS,
            **UNSEEN_DIMS, **BLIND_DIMS}[data]


def make_model(arch: str, data: str, *, depth: int = 2, width: int = 64, act: str = "relu",
               weight_scale: float = 1.0, bias: float | None = None,
               recurrent_scale: float = 1.0) -> Callable[..., Any]:
    """A factory ``config -> nn.Module`` (the sickness is built in, after torch's init;
    ``recurrent_scale`` multiplies the hidden-to-hidden weights of recurrent layers)."""
    import torch
    from torch import nn

    n_in, n_out = dims(data)
    acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
            "elu": nn.ELU, "leaky": nn.LeakyReLU}

    def mlp() -> nn.Module:
        layers: list[nn.Module] = [nn.Flatten()]
        prev = n_in
        for _ in range(depth):
            layers += [nn.Linear(prev, width), acts[act](), nn.Dropout(0.0)]
            prev = width
        layers.append(nn.Linear(prev, n_out))
        return nn.Sequential(*layers)

    def cnn() -> nn.Module:
        c = max(4, width // 8)
        layers: list[nn.Module] = [nn.Conv2d(1, c, 3, padding=1), acts[act]()]
        for _ in range(depth - 1):
            layers += [nn.Conv2d(c, c, 3, padding=1), acts[act]()]
        side = int(round(n_in ** 0.5)) // 2
        layers += [nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.0),
                   nn.Linear(c * side * side, n_out)]
        return nn.Sequential(*layers)

    class GRUNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            cell = nn.LSTM if arch == "lstm" else nn.GRU
            self.rnn = cell(n_in, width // 2, batch_first=True)
            self.head = nn.Sequential(nn.Linear(width // 2, width // 2), acts[act](),
                                      nn.Dropout(0.0), nn.Linear(width // 2, n_out))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.rnn(x)
            y: torch.Tensor = self.head(out[:, -1])
            return y

    class AttnNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            d = max(8, width // 4)
            self.embed = nn.Linear(n_in, d)
            self.attn = nn.MultiheadAttention(d, 2, batch_first=True)
            self.head = nn.Sequential(nn.Linear(d, width // 2), acts[act](), nn.Dropout(0.0),
                                      nn.Linear(width // 2, n_out))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.embed(x)
            a, _ = self.attn(h, h, h, need_weights=False)
            y: torch.Tensor = self.head((h + a).mean(1))
            return y

    def conv1d() -> nn.Module:
        from benchmarks.doctor_zoo_fresh import cnn1d

        net: nn.Module = cnn1d(n_in, n_out, depth, width, acts[act])
        return net

    def unseen() -> nn.Module:
        from benchmarks.doctor_zoo_blind_data import BLIND_ARCHS, blind_model
        from benchmarks.doctor_zoo_unseen import unseen_model

        other = blind_model if arch in BLIND_ARCHS else unseen_model
        net: nn.Module = other(arch, n_in, n_out, depth, width, acts[act])
        return net

    build = {"mlp": mlp, "cnn": cnn, "gru": GRUNet, "lstm": GRUNet, "attn": AttnNet,
             "cnn1d": conv1d}.get(arch, unseen)

    def factory(config: Any) -> nn.Module:
        torch.manual_seed(config.seed)
        model = build()
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
                    m.weight.mul_(weight_scale)
                    if bias is not None and m.bias is not None and m is not _last(model):
                        m.bias.fill_(bias)
                if isinstance(m, nn.RNNBase) and recurrent_scale != 1.0:
                    for pname, p in m.named_parameters():
                        if pname.startswith("weight_hh"):
                            p.mul_(recurrent_scale)
        return model

    return factory


def _last(model: Any) -> Any:
    from torch import nn

    last = None
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            last = m
    return last


ARCH_DATA = (("mlp", "digits"), ("mlp", "table"), ("cnn", "digits_img"), ("gru", "seq"),
             ("attn", "seq"))
OPTS = ("sgd", "adam", "adamw", "rmsprop")


def _base(opt: str, seed: int, lr_mult: float = 1.0, **cfg: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"optimizer": opt, "lr": GOOD_LR[opt] * lr_mult, "seed": seed,
                           "batch_size": 64}
    if opt == "sgd":
        out["momentum"] = 0.9
    out.update(cfg)
    return out


def build_zoo(kind: str = "dev") -> list[Case]:
    """The labelled runs; ``kind="holdout"`` draws other seeds, sizes and sickness factors;
    ``kind="final"`` is the third zoo (other datasets, architectures, depths, widths, weight
    scales and seeds); ``kind="fresh"`` the fourth (benchmarks/doctor_zoo_fresh.py)."""
    if kind == "final":
        return _final_zoo()
    if kind == "fresh":
        from benchmarks.doctor_zoo_fresh import fresh_zoo

        return fresh_zoo()
    if kind == "unseen":
        from benchmarks.doctor_zoo_unseen import unseen_zoo

        return unseen_zoo()
    dev = kind == "dev"
    rng = np.random.default_rng(0 if dev else 12345)
    seeds = (0, 1, 2) if dev else (11, 12, 13)
    width = 64 if dev else 48
    cases: list[Case] = []

    def add(label: str, arch: str, data: str, opt: str, seed: int, cfg: dict[str, Any],
            model: dict[str, Any] | None = None, epochs: int = 8,
            n_train: int | None = None) -> None:
        model = {"width": width, **(model or {})}
        name = f"{label}/{arch}-{data}/{opt}/s{seed}/{len(cases)}"
        cases.append(Case(name, label, data, arch, opt, seed, cfg, model, epochs, n_train))

    for i, (arch, data) in enumerate(ARCH_DATA * 2):
        for j, opt in enumerate(OPTS):
            seed = seeds[(i + j) % len(seeds)]
            if (i + j) % 2 == 0 or arch in ("mlp", "cnn"):
                add("healthy", arch, data, opt, seed, _base(opt, seed))
            hi = float(rng.choice((300.0, 1000.0) if dev else (100.0, 3000.0)))
            lo = float(rng.choice((1e-3, 3e-4) if dev else (3e-3, 1e-4)))
            if (i + j) % 2 == 1:
                add("lr_too_high", arch, data, opt, seed, _base(opt, seed, hi))
            else:
                add("lr_too_low", arch, data, opt, seed, _base(opt, seed, lo))
    for j, opt in enumerate(OPTS):
        for act in ("tanh", "sigmoid"):
            seed = seeds[j % len(seeds)]
            data = "digits" if act == "tanh" else "table"
            add("healthy", "mlp", data, opt, seed, _base(opt, seed), {"depth": 2, "act": act})
    for opt in OPTS:
        for seed in seeds[:2]:
            depth = 10 if dev else 12
            cases.append(Case(f"vanishing_gradients/mlp/{opt}/s{seed}/{len(cases)}",
                              "vanishing_gradients", "digits" if seed == seeds[0] else "table",
                              "mlp", opt, seed, _base(opt, seed),
                              {"width": width, "depth": depth, "act": "sigmoid"},
                              curable=False))
            # torch's default init scales a ReLU layer's signal by about 0.41 (kaiming_uniform
            # with a=sqrt(5)): x3 gives 1.22 per layer, x4 gives 1.63 (x2.5, the first holdout,
            # gave 1.02: a He-like init, not an exploding one)
            add("exploding_gradients", "mlp", "digits" if seed == seeds[0] else "table", opt,
                seed, _base(opt, seed), {"depth": 6 if dev else 8,
                                         "weight_scale": 3.0 if dev else 4.0})
            add("dead_units", "mlp" if seed == seeds[0] else "cnn",
                "digits" if seed == seeds[0] else "digits_img", opt, seed, _base(opt, seed),
                {"depth": 3, "bias": -3.0 if dev else -2.0})
            add("saturated_units", "mlp", "digits" if seed == seeds[0] else "table", opt, seed,
                _base(opt, seed), {"depth": 2, "act": "tanh" if seed == seeds[0] else "sigmoid",
                                   "weight_scale": 8.0 if dev else 6.0})
            add("overfitting", "mlp", "digits" if seed == seeds[0] else "table", opt, seed,
                _base(opt, seed), {"depth": 2, "width": 256}, epochs=40,
                n_train=60 if dev else 80)
            add("underfitting", "mlp", "digits" if seed == seeds[0] else "table", opt, seed,
                _base(opt, seed, weight_decay=30.0 if opt == "adamw" else 3.0)
                if seed == seeds[0] else _base(opt, seed, dropout=0.9 if dev else 0.85),
                {"depth": 2})
            add("plateau", "mlp" if seed == seeds[0] else "gru",
                "digits" if seed == seeds[0] else "seq", opt, seed,
                _base(opt, seed, 0.3, schedule="exponential",
                      schedule_params={"final": 1e-7 if dev else 1e-6}), epochs=10)
    return cases


FINAL_ARCH_DATA = (("mlp", "wide_table"), ("mlp", "digits"), ("cnn", "bars_img"),
                   ("lstm", "seq_sum"), ("attn", "seq_sum"), ("gru", "seq"))


def _final_zoo() -> list[Case]:
    """The third zoo: other datasets (a 30-feature 5-class table, 12x12 bar images, a
    16-step sequence sum), an LSTM, widths 32..128, other depths, scales and seeds."""
    rng = np.random.default_rng(2718)
    seeds = (21, 22, 23)
    cases: list[Case] = []

    def add(label: str, arch: str, data: str, opt: str, seed: int, cfg: dict[str, Any],
            model: dict[str, Any] | None = None, epochs: int = 8, n_train: int | None = None,
            curable: bool = True) -> None:
        model = {"width": int(rng.choice((32, 80, 128))), **(model or {})}
        name = f"{label}/{arch}-{data}/{opt}/s{seed}/{len(cases)}"
        cases.append(Case(name, label, data, arch, opt, seed, cfg, model, epochs, n_train,
                          curable))

    for i, (arch, data) in enumerate(FINAL_ARCH_DATA):
        for j, opt in enumerate(OPTS):
            seed = seeds[(i + j) % 3]
            add("healthy", arch, data, opt, seed, _base(opt, seed))
            add("lr_too_high", arch, data, opt, seed,
                _base(opt, seed, float(rng.choice((50.0, 500.0, 5000.0)))))
            add("lr_too_low", arch, data, opt, seed,
                _base(opt, seed, float(rng.choice((3e-3, 3e-4, 3e-5)))))
    for j, opt in enumerate(OPTS):
        seed = seeds[j % 3]
        add("healthy", "mlp", "wide_table", opt, seed, _base(opt, seed),
            {"depth": 3, "act": "tanh"})
        add("healthy", "mlp", "digits", opt, seed, _base(opt, seed),
            {"depth": 3, "act": "sigmoid"})
        add("healthy", "mlp", "wide_table", opt, seed, _base(opt, seed), {"depth": 5})
    for j, opt in enumerate(OPTS):
        for k, seed in enumerate(seeds[:2]):
            data = ("wide_table", "digits")[k]
            add("vanishing_gradients", "mlp", data, opt, seed, _base(opt, seed),
                {"depth": int(rng.choice((9, 11, 13))), "act": "sigmoid"}, curable=False)
            add("exploding_gradients", "mlp", data, opt, seed, _base(opt, seed),
                {"depth": int(rng.choice((5, 7, 9))),
                 "weight_scale": float(rng.choice((3.5, 4.5, 6.0)))})
            add("dead_units", ("mlp", "cnn")[k], ("wide_table", "bars_img")[k], opt, seed,
                _base(opt, seed), {"depth": int(rng.choice((3, 4))),
                                   "bias": float(rng.choice((-2.5, -3.5)))})
            add("saturated_units", "mlp", data, opt, seed, _base(opt, seed),
                {"depth": int(rng.choice((2, 3))), "act": ("tanh", "sigmoid")[(j + k) % 2],
                 "weight_scale": float(rng.choice((5.0, 10.0)))})
            add("overfitting", "mlp", data, opt, seed, _base(opt, seed),
                {"depth": 2, "width": 256}, epochs=40, n_train=int(rng.choice((50, 100))))
            add("underfitting", "mlp", data, opt, seed,
                _base(opt, seed, weight_decay=20.0 if opt == "adamw" else 5.0) if k == 0
                else _base(opt, seed, dropout=float(rng.choice((0.8, 0.9)))), {"depth": 2})
            add("plateau", ("mlp", "lstm")[k], ("wide_table", "seq_sum")[k], opt, seed,
                _base(opt, seed, 0.3, schedule="exponential",
                      schedule_params={"final": float(rng.choice((1e-7, 1e-8)))}), epochs=10)
    return cases
