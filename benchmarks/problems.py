"""Benchmark problems: synthetic test functions, scikit-learn tuning and the digits MLP demo.

A problem is a search space (tunecraft dimensions, translated by each adapter into its
library's own space) and a function of the sampled parameters that returns a loss to minimise.
Synthetic functions know their optimum, so results are reported as regret; the learning
problems report their loss (cross-validated error or MSE, validation error). Data sets are the
ones bundled with scikit-learn (no download) and are loaded when a problem is built.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunecraft.space import Categorical, Dim, Float, Int

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Problem:
    """One benchmark problem.

    Attributes:
        name: Short id used on the command line and in tables.
        kind: ``"synthetic"``, ``"sklearn"`` or ``"dl"``.
        space: The search space, as tunecraft dimensions (ordered).
        evaluate: Parameters -> loss (minimised); deterministic in the parameters.
        optimum: The known minimum of ``evaluate`` (results are reported as regret), or None.
        description: One line for the tables.
    """

    name: str
    kind: str
    space: Mapping[str, Dim]
    evaluate: Callable[[Params], float]
    optimum: float | None
    description: str


def _vector(params: Params, d: int) -> np.ndarray:
    return np.array([params[f"x{i}"] for i in range(d)], dtype=float)


def _box(d: int, low: float, high: float) -> dict[str, Dim]:
    return {f"x{i}": Float(low, high) for i in range(d)}


# ---------------------------------------------------------------------------------- synthetic
def branin(x: np.ndarray) -> float:
    """Branin-Hoo on [-5, 10] x [0, 15]; minimum 0.397887 at three points."""
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return float((x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * np.cos(x[0]) + 10)


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array([
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
])
_H6_P = 1e-4 * np.array([
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
])
HARTMANN6_MIN = -3.322368011415515


def hartmann6(x: np.ndarray) -> float:
    """Hartmann 6-D on [0, 1]^6; minimum -3.32237."""
    inner = np.sum(_H6_A * (x[None, :] - _H6_P) ** 2, axis=1)
    return float(-np.sum(_H6_ALPHA * np.exp(-inner)))


def rosenbrock(x: np.ndarray) -> float:
    """Rosenbrock on [-5, 10]^d; minimum 0 at (1, ..., 1)."""
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


def ackley(x: np.ndarray) -> float:
    """Ackley on [-32.768, 32.768]^d; minimum 0 at the origin."""
    d = len(x)
    s1 = np.sqrt(np.sum(x**2) / d)
    s2 = np.sum(np.cos(2 * math.pi * x)) / d
    return float(-20.0 * np.exp(-0.2 * s1) - np.exp(s2) + 20.0 + math.e)


_ACT_COST = {"relu": 0.0, "gelu": 0.3, "tanh": 0.8}
_OPT_COST = {"adam": 0.0, "adamw": 0.2, "rmsprop": 0.6, "sgd": 1.0}

MIXED_SPACE: dict[str, Dim] = {
    "x0": Float(-5.0, 5.0),
    "x1": Float(-5.0, 5.0),
    "lr": Float(1e-5, 1.0, log=True),
    "dropout": Float(0.0, 0.5),
    "width": Int(16, 1024, log=True),
    "depth": Int(1, 8),
    "act": Categorical(("relu", "tanh", "gelu")),
    "optimizer": Categorical(("sgd", "adam", "adamw", "rmsprop")),
}


def mixed(params: Params) -> float:
    """A cheap 8-D mixed function (floats, log float, ints, log int, two categoricals).

    Minimum 0 at x0=1.3, x1=-2.1, lr=1e-3, dropout=0, width=128, depth=3, relu, adam.
    Also the trivial objective of the overhead benchmark.
    """
    return float(
        (params["x0"] - 1.3) ** 2 + (params["x1"] + 2.1) ** 2
        + (math.log10(params["lr"]) + 3.0) ** 2
        + params["dropout"]
        + 0.25 * (math.log2(params["width"]) - 7.0) ** 2
        + 0.25 * (params["depth"] - 3) ** 2
        + _ACT_COST[params["act"]] + _OPT_COST[params["optimizer"]]
    )


def _synthetic(name: str, fn: Callable[[np.ndarray], float], space: dict[str, Dim],
               optimum: float, description: str) -> Problem:
    d = len(space)
    return Problem(name, "synthetic", space, lambda p: fn(_vector(p, d)), optimum, description)


# ---------------------------------------------------------------------------------- sklearn
@functools.cache
def _digits_subset() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    xs, _, ys, _ = train_test_split(x, y, train_size=1000, stratify=y, random_state=0)
    return xs / 16.0, ys


def _svc_digits(params: Params) -> float:
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.svm import SVC

    x, y = _digits_subset()
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    model = SVC(C=params["C"], gamma=params["gamma"])
    return 1.0 - float(cross_val_score(model, x, y, cv=cv).mean())


@functools.cache
def _diabetes() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    return x, y


def _gbr_diabetes(params: Params) -> float:
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.model_selection import KFold, cross_val_score

    x, y = _diabetes()
    features = params["max_features"]
    model = GradientBoostingRegressor(
        learning_rate=params["learning_rate"], n_estimators=params["n_estimators"],
        max_depth=params["max_depth"], subsample=params["subsample"],
        min_samples_leaf=params["min_samples_leaf"], loss=params["loss"],
        max_features=None if features == "all" else features, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    mse = -cross_val_score(model, x, y, cv=cv, scoring="neg_mean_squared_error").mean()
    return float(mse) / 1000.0


# ---------------------------------------------------------------------------------- deep learning
# The demo's task (examples/digits_mlp.py) in a compact, fixed form: the same digits split
# (60/20/20, stratified, seed 0), features standardised on the training part, an MLP of
# ``n_layers`` x (Linear, ReLU, Dropout) with Xavier or He initialisation, one of four
# optimisers (SGD with Nesterov momentum 0.9), shuffled mini-batches. It lives here rather than
# being imported from the demo so that the benchmark stays fixed while the demo evolves.
MLP_EPOCHS = 5


@functools.cache
def _mlp_data() -> tuple[Any, Any, Any, Any]:
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    torch.set_num_threads(1)
    x, y = load_digits(return_X_y=True)
    x_rest, _, y_rest, _ = train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
    x_tr, x_val, y_tr, y_val = train_test_split(x_rest, y_rest, test_size=0.25,
                                                stratify=y_rest, random_state=0)
    mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
    std[std == 0.0] = 1.0
    return (torch.as_tensor((x_tr - mean) / std, dtype=torch.float32),
            torch.as_tensor(y_tr, dtype=torch.long),
            torch.as_tensor((x_val - mean) / std, dtype=torch.float32),
            torch.as_tensor(y_val, dtype=torch.long))


def _mlp(params: Params) -> Any:
    from torch import nn

    layers: list[Any] = []
    width_in = 64
    for _ in range(params["n_layers"]):
        layers += [nn.Linear(width_in, params["width"]), nn.ReLU(), nn.Dropout(params["dropout"])]
        width_in = params["width"]
    layers.append(nn.Linear(width_in, 10))
    model = nn.Sequential(*layers)
    for module in model.modules():
        if isinstance(module, nn.Linear):
            if params["init"] == "xavier":
                nn.init.xavier_uniform_(module.weight)
            else:
                nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return model


def _optimizer(params: Params, weights: Any) -> Any:
    import torch

    lr, wd, name = params["lr"], params["weight_decay"], params["optimizer"]
    if name == "sgd":
        return torch.optim.SGD(weights, lr=lr, momentum=0.9, nesterov=True, weight_decay=wd)
    kinds = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
             "rmsprop": torch.optim.RMSprop}
    return kinds[name](weights, lr=lr, weight_decay=wd)


def _mlp_digits(params: Params) -> float:
    import torch

    x_tr, y_tr, x_val, y_val = _mlp_data()
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = _mlp(params)
    opt = _optimizer(params, model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(MLP_EPOCHS):
        model.train()
        order = torch.randperm(len(y_tr), generator=gen)
        for start in range(0, len(order), params["batch_size"]):
            idx = order[start:start + params["batch_size"]]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x_tr[idx]), y_tr[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        accuracy = float((model(x_val).argmax(dim=1) == y_val).float().mean())
    return 1.0 - accuracy


# ---------------------------------------------------------------------------------- registry
def _build(name: str) -> Problem:
    if name == "branin":
        return _synthetic(name, branin, {"x0": Float(-5.0, 10.0), "x1": Float(0.0, 15.0)},
                          0.39788735772973816, "Branin 2-D, regret")
    if name == "hartmann6":
        return _synthetic(name, hartmann6, _box(6, 0.0, 1.0), HARTMANN6_MIN,
                          "Hartmann 6-D, regret")
    if name == "rosenbrock10":
        return _synthetic(name, rosenbrock, _box(10, -5.0, 10.0), 0.0,
                          "Rosenbrock 10-D on [-5, 10]^10, regret")
    if name == "ackley5":
        return _synthetic(name, ackley, _box(5, -32.768, 32.768), 0.0,
                          "Ackley 5-D on [-32.768, 32.768]^5, regret")
    if name == "mixed8":
        return Problem(name, "synthetic", MIXED_SPACE, mixed, 0.0,
                       "mixed 8-D (2 float, log float, float, log int, int, 2 categorical), "
                       "regret")
    if name == "svc-digits":
        return Problem(name, "sklearn",
                       {"C": Float(1e-2, 1e4, log=True), "gamma": Float(1e-6, 1.0, log=True)},
                       _svc_digits, None, "SVC C, gamma (log) on 1000 digits, 3-fold CV error")
    if name == "gbr-diabetes":
        space: dict[str, Dim] = {
            "learning_rate": Float(5e-3, 0.5, log=True),
            "n_estimators": Int(10, 100, log=True),
            "max_depth": Int(1, 5),
            "subsample": Float(0.3, 1.0),
            "min_samples_leaf": Int(1, 50, log=True),
            "loss": Categorical(("squared_error", "absolute_error", "huber")),
            "max_features": Categorical(("sqrt", "log2", "all")),
        }
        return Problem(name, "sklearn", space, _gbr_diabetes, None,
                       "GradientBoostingRegressor 7-D mixed on diabetes, 3-fold CV MSE/1000")
    if name == "mlp-digits":
        demo_space: dict[str, Dim] = {
            "lr": Float(1e-4, 3e-1, log=True),
            "batch_size": Categorical((16, 32, 64, 128)),
            "weight_decay": Float(1e-6, 1e-2, log=True),
            "dropout": Float(0.0, 0.5),
            "optimizer": Categorical(("sgd", "adam", "adamw", "rmsprop")),
            "init": Categorical(("xavier", "he")),
            "n_layers": Int(1, 3),
            "width": Int(32, 512, log=True),
        }
        return Problem(name, "dl", demo_space, _mlp_digits, None,
                       f"the demo's task: PyTorch MLP on digits (8-D mixed), {MLP_EPOCHS} "
                       "epochs, validation error")
    raise ValueError(f"problem={name!r} is unknown; use one of {PROBLEM_NAMES}")


SYNTHETIC = ("branin", "hartmann6", "rosenbrock10", "ackley5", "mixed8")
LEARNING = ("svc-digits", "gbr-diabetes", "mlp-digits")
PROBLEM_NAMES = SYNTHETIC + LEARNING


@functools.cache
def get_problem(name: str) -> Problem:
    """The problem called ``name`` (one of PROBLEM_NAMES), built once per process."""
    return _build(name)
