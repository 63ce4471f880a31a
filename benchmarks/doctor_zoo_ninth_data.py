"""Data and models of the ninth doctor zoo (benchmarks/doctor_zoo_ninth.py).

Data, all made in code or bundled with scikit-learn (nothing downloaded): tic-tac-toe final
boards of random games (``ttt``: 9 cells one-hot, 27 inputs; ``ttt_tok``: the 9 cells as
tokens), class = X won / O won / draw; Dyck bracket sequences (``dyck``: 14 tokens of
``( ) [ ]``, valid or not, invalid ones one edit away from a valid one); a 20-class
Gaussian mixture in 16-D (``gmm``, and ``gmm_raw`` = the same times 25 plus 40,
unstandardised); "count the dots" 10x10 images
(``dots``: 1-6 dots, class = count - 1); scikit-learn's bundled diabetes regression target
cut in tertiles (``diabetes``: 10 standardised features, 300 train / 142 val).

Models (``make_model(arch, data, **kw)`` returns a ``config -> nn.Module`` factory): plain
MLPs (ReLU, LeakyReLU, tanh, sigmoid) with optional weight scale and bias shift, a SELU
self-normalising MLP with LeCun-normal init (Klambauer et al. 2017), a highway MLP
(Srivastava et al. 2015, carry gate biased to -2), a VGG-style 6-conv CNN without
normalisation (Simonyan & Zisserman 2015), a small transformer encoder with a CLS token and
learned positions, and a vanilla tanh ``nn.RNN``. ``w_scale`` multiplies every weight after
the model's own init, ``b_shift`` adds to every hidden bias; ``w_std`` draws every Linear/Conv
weight from N(0, w_std) with zero biases instead; ``rnn_scale`` and ``in_scale`` scale the
RNN's recurrent and input matrices.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["NINTH_DIMS", "SEQ_LEN", "TOKEN_DATA", "load", "make_model"]

Arrays = tuple[Any, Any]

SEQ_LEN = {"dyck": 14, "ttt_tok": 9}
TOKEN_DATA = frozenset(SEQ_LEN)
# name -> (inputs: features, or the vocabulary size for token data; classes)
NINTH_DIMS: dict[str, tuple[int, int]] = {
    "ttt": (27, 3), "ttt_tok": (3, 3), "dyck": (4, 2),
    "gmm": (16, 20), "gmm_raw": (16, 20), "dots": (100, 6), "diabetes": (10, 3),
}
_N_VAL = 240
_LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8),
          (2, 4, 6))


def _winner(board: list[int]) -> int:
    for a, b, c in _LINES:
        if board[a] != 0 and board[a] == board[b] == board[c]:
            return board[a]
    return 0


def _ttt(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Final boards of random games: cells 0 empty, 1 X, 2 O; class 0 X won, 1 O won, 2 draw."""
    boards, labels = [], []
    for _ in range(n):
        board = [0] * 9
        player, win = 1, 0
        for cell in rng.permutation(9):
            board[int(cell)] = player
            win = _winner(board)
            if win:
                break
            player = 3 - player
        boards.append(board)
        labels.append(0 if win == 1 else 1 if win == 2 else 2)
    return np.array(boards), np.array(labels)


def _dyck(n: int, rng: np.random.Generator, length: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """Half valid two-bracket Dyck words; the other half one edit (flip, swap or retype) off.

    Tokens: 0 ``(``, 1 ``)``, 2 ``[``, 3 ``]``.
    """

    def valid() -> list[int]:
        out: list[int] = []
        stack: list[int] = []
        while len(out) < length:
            left = length - len(out)
            if stack and (left == len(stack) or rng.random() < 0.5):
                out.append(stack.pop() + 1)
            else:
                kind = 2 * int(rng.integers(2))
                out.append(kind)
                stack.append(kind)
        return out

    def ok(word: list[int]) -> bool:
        stack: list[int] = []
        for t in word:
            if t % 2 == 0:
                stack.append(t)
            elif not stack or stack.pop() != t - 1:
                return False
        return not stack

    xs, ys = [], []
    for i in range(n):
        word = valid()
        if i % 2:
            while ok(word):
                j = int(rng.integers(length))
                kind = int(rng.integers(3))
                if kind == 0:
                    word[j] ^= 1  # open <-> close
                elif kind == 1:
                    k = int(rng.integers(length))
                    word[j], word[k] = word[k], word[j]
                else:
                    word[j] ^= 2  # ( <-> [
        xs.append(word)
        ys.append(int(ok(word)))
    return np.array(xs), np.array(ys)


def _dots(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(6, size=n)
    x = rng.normal(0.0, 0.1, size=(n, 1, 10, 10))
    for i, k in enumerate(y):
        cells = rng.choice(100, size=int(k) + 1, replace=False)
        x[i, 0].flat[cells] += 1.0
    return x, y


def _gmm(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    centres = np.random.default_rng(9).normal(0.0, 1.0, size=(20, 16)) * 1.1
    rng = np.random.default_rng(2000 + seed)
    y = rng.integers(20, size=n)
    return centres[y] + rng.normal(size=(n, 16)), y


def load(name: str, seed: int, n_train: int | None = None) -> tuple[Arrays, Arrays]:
    """``(train, val)`` as ``(x, y)`` tensors: float inputs, or long tokens for token data;
    the split depends on ``seed`` only; ``n_train`` keeps the first so many training rows."""
    import torch

    if name not in NINTH_DIMS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(NINTH_DIMS)}")
    rng = np.random.default_rng(1900 + seed)
    n = 900 + _N_VAL
    if name in ("ttt", "ttt_tok"):
        cells, y = _ttt(n, rng)
        x = cells if name == "ttt_tok" else np.eye(3)[cells].reshape(n, 27)
    elif name == "dyck":
        x, y = _dyck(n, rng)
    elif name in ("gmm", "gmm_raw"):
        x, y = _gmm(n, seed)
        if name == "gmm_raw":
            x = x * 25.0 + 40.0
    elif name == "dots":
        x, y = _dots(n, rng)
    else:
        from sklearn.datasets import load_diabetes

        x, target = load_diabetes(return_X_y=True)
        x = (x - x.mean(0)) / x.std(0)
        y = np.searchsorted(np.quantile(target, [1 / 3, 2 / 3]), target, side="right")
        order = rng.permutation(len(y))
        x, y = x[order], y[order]
        n = len(y)
    n_val = 142 if name == "diabetes" else _N_VAL
    cut = n - n_val
    dtype = torch.long if name in TOKEN_DATA else torch.float32
    xt = torch.as_tensor(np.ascontiguousarray(x), dtype=dtype)
    yt = torch.as_tensor(y, dtype=torch.long)
    keep = cut if n_train is None else min(n_train, cut)
    return (xt[:keep], yt[:keep]), (xt[cut:], yt[cut:])


# --------------------------------------------------------------------------- models
def _scale(model: Any, w_scale: float, b_shift: float, skip_last: bool = False) -> None:
    """Multiply every weight matrix by ``w_scale``; add ``b_shift`` to hidden biases."""
    import torch
    from torch import nn

    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    with torch.no_grad():
        for i, m in enumerate(layers):
            last = i == len(layers) - 1
            if w_scale != 1.0 and not (skip_last and last):
                m.weight.mul_(w_scale)
            if b_shift and not last and m.bias is not None:
                m.bias.add_(b_shift)


def _act(name: str) -> Any:
    from torch import nn

    makers: dict[str, Callable[[], Any]] = {
        "relu": nn.ReLU, "leaky": lambda: nn.LeakyReLU(0.1), "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid, "selu": nn.SELU}
    return makers[name]()


def make_model(arch: str, data: str, *, depth: int = 3, width: int = 64, act: str = "relu",
               w_scale: float = 1.0, b_shift: float = 0.0, rnn_scale: float = 1.0,
               in_scale: float = 1.0, w_std: float | None = None) -> Callable[[Any], Any]:
    """A ``config -> nn.Module`` factory for ``arch`` on ``data`` (see the module docstring)."""
    import torch
    from torch import nn

    n_in, classes = NINTH_DIMS[data]

    class Highway(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp = nn.Linear(n_in, width)
            self.h = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
            self.t = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
            self.drop = nn.Dropout(0.0)
            self.out = nn.Linear(width, classes)
            with torch.no_grad():
                for t in self.t:
                    nn.init.constant_(t.bias, -2.0)  # type: ignore[arg-type]

        def forward(self, x: Any) -> Any:
            z = torch.relu(self.inp(x.flatten(1)))
            for h, t in zip(self.h, self.t, strict=True):
                gate = torch.sigmoid(t(z))
                z = gate * torch.relu(h(z)) + (1 - gate) * z
            return self.out(self.drop(z))

    class VGG(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            chans = (1, 16, 16, 32, 32, 48, 48)
            layers: list[nn.Module] = []
            for i in range(6):
                layers += [nn.Conv2d(chans[i], chans[i + 1], 3, padding=1), _act(act)]
                if i in (1, 3):
                    layers.append(nn.MaxPool2d(2))
            self.features = nn.Sequential(*layers)
            self.drop = nn.Dropout(0.0)
            self.head = nn.Linear(48 * 2 * 2, classes)

        def forward(self, x: Any) -> Any:
            return self.head(self.drop(self.features(x).flatten(1)))

    class Transformer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            d = 32
            self.embed = nn.Embedding(n_in, d)
            self.cls = nn.Parameter(torch.zeros(1, 1, d))
            self.pos = nn.Parameter(torch.randn(1, SEQ_LEN[data] + 1, d) * 0.1)
            layer = nn.TransformerEncoderLayer(d, 4, 64, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
            self.head = nn.Linear(d, classes)

        def forward(self, x: Any) -> Any:
            z = self.embed(x)
            z = torch.cat([self.cls.expand(z.shape[0], -1, -1), z], 1) + self.pos
            return self.head(self.encoder(z)[:, 0])

    class RNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(n_in, 16)
            self.rnn = nn.RNN(16, width, nonlinearity="tanh", batch_first=True)
            self.head = nn.Linear(width, classes)
            with torch.no_grad():
                for name, scale in (("weight_hh_l0", rnn_scale), ("weight_ih_l0", in_scale)):
                    getattr(self.rnn, name).mul_(scale)

        def forward(self, x: Any) -> Any:
            out, _ = self.rnn(self.embed(x))
            return self.head(out[:, -1])

    def mlp() -> Any:
        layers: list[nn.Module] = [nn.Flatten()]
        size = n_in
        for _ in range(depth):
            layers += [nn.Linear(size, width), _act(act), nn.Dropout(0.0)]
            size = width
        layers.append(nn.Linear(size, classes))
        return nn.Sequential(*layers)

    def selu() -> Any:
        model = nn.Sequential(nn.Flatten(), *[m for i in range(depth) for m in (
            nn.Linear(n_in if i == 0 else width, width), nn.SELU(), nn.AlphaDropout(0.0))],
            nn.Linear(width, classes))
        with torch.no_grad():  # LeCun normal: std 1/sqrt(fan_in), zero biases
            for m in model.modules():
                if isinstance(m, nn.Linear):
                    m.weight.normal_(0.0, 1.0 / math.sqrt(m.in_features))
                    m.bias.zero_()
        return model

    builders: dict[str, Callable[[], Any]] = {
        "mlp": mlp, "selu": selu, "highway": Highway, "vgg": VGG, "transformer": Transformer,
        "rnn": RNN}
    if arch not in builders:
        raise ValueError(f"unknown arch {arch!r}; choose one of {sorted(builders)}")
    if (arch in ("transformer", "rnn")) != (data in TOKEN_DATA):
        raise ValueError(f"arch {arch!r} does not take data {data!r}: transformer and rnn "
                         f"read token data {sorted(TOKEN_DATA)}, the others read features")

    def factory(config: Any) -> Any:
        model = builders[arch]()
        if w_std is not None:  # a fixed-std Gaussian init with zero biases
            with torch.no_grad():
                for m in model.modules():
                    if isinstance(m, (nn.Linear, nn.Conv2d)):
                        m.weight.normal_(0.0, w_std)
                        if m.bias is not None:
                            m.bias.zero_()
        _scale(model, w_scale, b_shift)
        return model

    return factory
