"""PyTorch tasks of the broad suite (the ``dl`` family): three small networks, ~1 s a trial.

- ``torch-digits-cnn``: a 2-layer CNN on scikit-learn's bundled 8x8 digits (classification).
- ``torch-signal-cnn1d``: a 1-D CNN classifying simulated waveforms (sine, square, sawtooth,
  chirp) with random frequency, phase, amplitude and noise.
- ``torch-seq-gru``: a one-layer GRU reading token sequences and saying whether token 0 or
  token 1 occurs more often (or equally often): counting across the whole sequence.

Every data set is bundled or generated from a fixed seed (nothing is downloaded), training is
seeded and single-threaded, and the loss is the validation error after a few epochs, so an
evaluation is a deterministic function of the parameters. The spaces mix log-scaled floats,
integers and a categorical batch size, as deep-learning tuning does.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.problems import Params, Problem
from tunecraft.space import Categorical, Dim, Float, Int

#: 2 epochs and batches of 32-256 (3 epochs and 16-128 before 2026-12-07): a 20-trial run
#: of each of 7 optimisers x 3 tasks x 10 seeds fits about an hour on 2 shared cores.
EPOCHS = 2
Data = tuple[Any, Any, Any, Any]


def _tensors(x: np.ndarray, y: np.ndarray, n_val: int) -> Data:
    """Train/validation tensors (the last ``n_val`` rows validate)."""
    import torch

    torch.set_num_threads(1)
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.long)
    return xt[:-n_val], yt[:-n_val], xt[-n_val:], yt[-n_val:]


@functools.cache
def _digits() -> Data:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))
    x = (x[order] / 16.0 - 0.3) / 0.4
    return _tensors(x.reshape(-1, 1, 8, 8), y[order], 450)


@functools.cache
def _signals(n: int = 1600, length: int = 64) -> Data:
    rng = np.random.default_rng(0)
    t = np.linspace(0.0, 1.0, length, endpoint=False)
    y = rng.integers(0, 4, n)
    freq = rng.uniform(2.0, 6.0, n)[:, None]
    phase = rng.uniform(0.0, 2 * math.pi, n)[:, None]
    arg = 2 * math.pi * freq * t[None, :] + phase
    waves = np.stack([np.sin(arg), np.sign(np.sin(arg)),
                      2.0 * ((arg / (2 * math.pi)) % 1.0) - 1.0,
                      np.sin(2 * math.pi * freq * t[None, :] ** 2 * 2.0 + phase)])
    x = waves[y, np.arange(n)] * rng.uniform(0.5, 1.5, (n, 1))
    x = x + rng.normal(0.0, 0.6, x.shape)
    return _tensors(x[:, None, :], y, 400)


@functools.cache
def _sequences(n: int = 1400, length: int = 20, vocab: int = 6) -> Data:
    rng = np.random.default_rng(0)
    x = rng.integers(0, vocab, (n, length))
    diff = (x == 0).sum(1) - (x == 1).sum(1)
    y = np.sign(diff) + 1  # 0: fewer zeros than ones, 1: as many, 2: more
    return _tensors(x.astype(float), y, 400)


def _digits_cnn(p: Params) -> Any:
    from torch import nn

    c = p["channels"]
    return nn.Sequential(nn.Conv2d(1, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(p["dropout"]),
                         nn.Linear(2 * c, 10))


def _signal_cnn(p: Params) -> Any:
    from torch import nn

    c, k = p["channels"], p["kernel_size"]
    return nn.Sequential(nn.Conv1d(1, c, k, padding=k // 2), nn.ReLU(), nn.MaxPool1d(2),
                         nn.Conv1d(c, c, k, padding=k // 2), nn.ReLU(),
                         nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(c, 4))


@functools.cache
def _gru_class() -> Any:
    """Embedding, one GRU layer, a linear read-out of the last state (torch imported here)."""
    from torch import nn

    class Net(nn.Module):
        def __init__(self, hidden: int) -> None:
            super().__init__()
            self.embed = nn.Embedding(6, hidden)
            self.gru = nn.GRU(hidden, hidden, batch_first=True)
            self.out = nn.Linear(hidden, 3)

        def forward(self, x: Any) -> Any:
            h, _ = self.gru(self.embed(x.long()))
            return self.out(h[:, -1])

    return Net


def _gru(p: Params) -> Any:
    return _gru_class()(p["hidden"])


def _train(build: Callable[[Params], Any], data: Callable[[], Data], p: Params) -> float:
    """Validation error of the network after ``EPOCHS`` epochs of AdamW (or SGD with
    momentum where the space has ``momentum``), gradients clipped at ``clip`` if given."""
    import torch

    x_tr, y_tr, x_val, y_val = data()
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = build(p)
    if "momentum" in p:
        opt: Any = torch.optim.SGD(model.parameters(), lr=p["lr"], momentum=p["momentum"],
                                   weight_decay=p["weight_decay"])
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(EPOCHS):
        model.train()
        order = torch.randperm(len(y_tr), generator=gen)
        for start in range(0, len(order), p["batch_size"]):
            idx = order[start:start + p["batch_size"]]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_tr[idx]), y_tr[idx])
            if not torch.isfinite(loss):
                return 1.0  # diverged: as bad as a constant guess can be
            loss.backward()
            if "clip" in p:
                torch.nn.utils.clip_grad_norm_(model.parameters(), p["clip"])
            opt.step()
    model.eval()
    with torch.no_grad():
        return 1.0 - float((model(x_val).argmax(dim=1) == y_val).float().mean())


_BATCH = Categorical((32, 64, 128, 256))
_TASKS: dict[str, tuple[Callable[[Params], Any], Callable[[], Data], dict[str, Dim], str]] = {
    "torch-digits-cnn": (_digits_cnn, _digits, {
        "lr": Float(1e-4, 0.3, log=True), "weight_decay": Float(1e-6, 1e-1, log=True),
        "channels": Int(4, 32, log=True), "dropout": Float(0.0, 0.6), "batch_size": _BATCH},
        "2-layer CNN on 8x8 digits, AdamW, validation error"),
    "torch-signal-cnn1d": (_signal_cnn, _signals, {
        "lr": Float(1e-4, 1.0, log=True), "momentum": Float(0.0, 0.99),
        "weight_decay": Float(1e-6, 1e-1, log=True), "channels": Int(4, 32, log=True),
        "kernel_size": Int(3, 11, step=2), "batch_size": _BATCH},
        "1-D CNN on simulated waveforms (4 classes), SGD, validation error"),
    "torch-seq-gru": (_gru, _sequences, {
        "lr": Float(1e-4, 0.3, log=True), "weight_decay": Float(1e-6, 1e-1, log=True),
        "hidden": Int(8, 64, log=True), "clip": Float(0.1, 10.0, log=True),
        "batch_size": _BATCH},
        "GRU counting tokens over sequences of 20 (3 classes), AdamW, validation error"),
}


def torch_problems() -> dict[str, Problem]:
    """The ``dl`` family, by name."""
    out = {}
    for name, (build, data, space, text) in _TASKS.items():
        evaluate = functools.partial(_train, build, data)
        out[name] = Problem(name, "dl", dict(space), evaluate, None,
                            f"{text}, {EPOCHS} epochs")
    return out
