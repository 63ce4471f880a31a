"""The tasks of the diagnosis-aware tuning benchmark (benchmarks/doctor_tuning.py).

Each task is a dataset made in code or bundled with scikit-learn (no downloads, see
benchmarks/doctor_zoo_cases.py) and a model family, searched over a wide, realistic space
that shares these knobs: learning rate log-uniform over 6.5 decades (1e-6..3),
SGD(momentum 0.9)/Adam, weight decay 1e-6..1e-1 (log), initialisation
torch_default/kaiming_normal/xavier_normal (of the Linear/Conv layers), activation
relu/tanh/sigmoid. The architecture and its depth differ per task:

- ``digits``: an MLP on digits as a 64-feature table (10 classes), depth 1..8, width 16..128;
- ``seq_gru``: a GRU (1..2 recurrent layers, 8..64 units) and an MLP head of depth 1..4 on
  16-step, 4-feature sequences whose class is the sign pattern of their running sums
  (4 classes: the network must integrate over time);
- ``bars_cnn``: a 2-D CNN (depth 1..6 conv layers of 4..24 channels, one 2x2 pooling after
  the first) on 12x12 images of a noisy bar in one of 4 orientations;
- ``seq_attn`` (added after DiagnosisPruner's hopeless-plateau rule was designed, to check
  it on a model and data it was not tuned on): a small self-attention encoder (1..3 blocks
  of single-head attention and a feed-forward layer with residual connections, model width
  8..32, mean-pooled) on 10-step, 3-feature sequences whose class is the argmax of summed
  tanh projections (3 classes).
- ``signal_cnn`` (added on 2026-12-08, before any run on it, to check the sub-epoch and
  sampler changes of that session on a fifth architecture): a 1-D CNN (1..5 conv layers of
  4..24 channels, kernel 5, one 2x pooling after the first, global average pooling) on
  48-sample noisy sinusoids whose class is their frequency band (4 classes), made here
  (:func:`load_task`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.doctor_zoo_cases import dims

TASK_DATA = {"digits": "digits", "seq_gru": "seq_sum", "bars_cnn": "bars_img",
             "seq_attn": "seq", "signal_cnn": "signal"}
"""Task name -> dataset name of ``benchmarks.doctor_zoo_cases.load`` (``signal``: made here)."""
_OWN_DIMS = {"signal": (48, 4)}


def load_task(task: str, seed: int) -> tuple[Any, Any]:
    """``(train, val)`` tensors of ``task``: the zoo's datasets, or the ones made here."""
    data = TASK_DATA[task]
    if data not in _OWN_DIMS:
        from benchmarks.doctor_zoo_cases import load

        return load(data, seed, None)
    import numpy as np
    import torch

    rng = np.random.default_rng(2000 + seed)
    n, length = 1500, _OWN_DIMS[data][0]
    y = rng.integers(0, 4, size=n)
    freq = (1.5 + 2.0 * y + rng.uniform(0, 1.5, size=n))[:, None]  # cycles per window
    t = np.arange(length)[None, :] / length
    x = rng.uniform(0.5, 1.5, size=(n, 1)) * np.sin(2 * np.pi * freq * t
                                                   + rng.uniform(0, 2 * np.pi, size=(n, 1)))
    x = (x + rng.normal(0, 0.8, size=(n, length)))[:, None, :].astype(np.float32)
    cut = int(0.6 * n)
    xs, ys = torch.tensor(x), torch.tensor(y.astype(np.int64))
    return (xs[:cut], ys[:cut]), (xs[cut:], ys[cut:])


def task_dims(task: str) -> tuple[int, int]:
    """``(inputs, classes)`` of ``task``."""
    data = TASK_DATA[task]
    return _OWN_DIMS[data] if data in _OWN_DIMS else dims(data)

_ACTS = ("relu", "tanh", "sigmoid")


def _shared(trial: Any) -> Any:
    """The TrainConfig knobs every task shares."""
    from tunecraft.torch import TrainConfig

    opt = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    return TrainConfig(
        lr=trial.suggest_float("lr", 1e-6, 3.0, log=True), optimizer=opt,
        momentum=0.9 if opt == "sgd" else None, batch_size=64,
        weight_decay=trial.suggest_float("weight_decay", 1e-6, 1e-1, log=True),
        init=trial.suggest_categorical("init", ["torch_default", "kaiming_normal",
                                                "xavier_normal"]), seed=trial.number)


def _act(name: str) -> Any:
    from torch import nn

    return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[name]


def _digits(trial: Any, n_in: int, n_out: int) -> Callable[..., Any]:
    from tunecraft.torch.mlp import MLPSpec

    return MLPSpec(n_in, n_out, depth=trial.suggest_int("depth", 1, 8),
                   width=trial.suggest_int("width", 16, 128, log=True),
                   activation=trial.suggest_categorical("activation", list(_ACTS)))


def _seq_gru(trial: Any, n_in: int, n_out: int) -> Callable[..., Any]:
    import torch
    from torch import nn

    layers = trial.suggest_int("rnn_layers", 1, 2)
    hidden = trial.suggest_int("width", 8, 64, log=True)
    depth = trial.suggest_int("depth", 1, 4)
    act = _act(trial.suggest_categorical("activation", list(_ACTS)))

    class GRUNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(n_in, hidden, num_layers=layers, batch_first=True)
            head: list[nn.Module] = []
            for _ in range(depth):
                head += [nn.Linear(hidden, hidden), act()]
            self.head = nn.Sequential(*head, nn.Linear(hidden, n_out))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.rnn(x)
            y: torch.Tensor = self.head(out[:, -1])
            return y

    def factory(config: Any) -> nn.Module:
        torch.manual_seed(config.seed)
        return GRUNet()

    return factory


def _bars_cnn(trial: Any, n_in: int, n_out: int) -> Callable[..., Any]:
    import torch
    from torch import nn

    depth = trial.suggest_int("depth", 1, 6)
    c = trial.suggest_int("width", 4, 24, log=True)
    act = _act(trial.suggest_categorical("activation", list(_ACTS)))
    side = int(round(n_in ** 0.5)) // 2

    def factory(config: Any) -> nn.Module:
        torch.manual_seed(config.seed)
        layers: list[nn.Module] = [nn.Conv2d(1, c, 3, padding=1), act(), nn.MaxPool2d(2)]
        for _ in range(depth - 1):
            layers += [nn.Conv2d(c, c, 3, padding=1), act()]
        layers += [nn.Flatten(), nn.Linear(c * side * side, n_out)]
        return nn.Sequential(*layers)

    return factory


def _seq_attn(trial: Any, n_in: int, n_out: int) -> Callable[..., Any]:
    import torch
    from torch import nn

    blocks = trial.suggest_int("depth", 1, 3)
    d = trial.suggest_int("width", 8, 32, log=True)
    act = _act(trial.suggest_categorical("activation", list(_ACTS)))

    class Block(nn.Module):  # Linear projections, so that config.init reaches them
        def __init__(self) -> None:
            super().__init__()
            self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
            self.ff = nn.Sequential(nn.Linear(d, 2 * d), act(), nn.Linear(2 * d, d))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            w = torch.softmax(self.q(x) @ self.k(x).transpose(1, 2) / d ** 0.5, dim=-1)
            x = x + self.o(w @ self.v(x))
            out: torch.Tensor = x + self.ff(x)
            return out

    class AttnNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Linear(n_in, d)
            self.blocks = nn.Sequential(*(Block() for _ in range(blocks)))
            self.head = nn.Linear(d, n_out)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y: torch.Tensor = self.head(self.blocks(self.embed(x)).mean(1))
            return y

    def factory(config: Any) -> nn.Module:
        torch.manual_seed(config.seed)
        return AttnNet()

    return factory


def _signal_cnn(trial: Any, n_in: int, n_out: int) -> Callable[..., Any]:
    import torch
    from torch import nn

    depth = trial.suggest_int("depth", 1, 5)
    c = trial.suggest_int("width", 4, 24, log=True)
    act = _act(trial.suggest_categorical("activation", list(_ACTS)))

    def factory(config: Any) -> nn.Module:
        torch.manual_seed(config.seed)
        layers: list[nn.Module] = [nn.Conv1d(1, c, 5, padding=2), act(), nn.MaxPool1d(2)]
        for _ in range(depth - 1):
            layers += [nn.Conv1d(c, c, 5, padding=2), act()]
        layers += [nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(c, n_out)]
        return nn.Sequential(*layers)

    return factory


_MODELS = {"digits": _digits, "seq_gru": _seq_gru, "bars_cnn": _bars_cnn,
           "seq_attn": _seq_attn, "signal_cnn": _signal_cnn}


def suggest(trial: Any, task: str) -> tuple[Any, Callable[..., Any]]:
    """A TrainConfig and a model factory ``config -> nn.Module`` for ``task``."""
    config = _shared(trial)
    n_in, n_out = task_dims(task)
    return config, _MODELS[task](trial, n_in, n_out)
