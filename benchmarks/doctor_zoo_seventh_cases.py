"""The seventh doctor zoo's case list: healthy recipes and sick-making recipes, per code.

See benchmarks/doctor_zoo_seventh.py for what the zoo is and how it is run and labelled;
data and models are in benchmarks/doctor_zoo_seventh_data.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

CODES = ("lr_too_high", "lr_too_low", "vanishing_gradients", "exploding_gradients",
         "dead_units", "saturated_units", "overfitting", "underfitting", "plateau")
UNTRAINED = "healthy_untrained"
SEEDS = (61, 62, 63)
GOOD_LR = {"sgd": 0.05, "nesterov": 0.05, "adam": 2e-3, "adamw": 2e-3, "rmsprop": 1e-3,
           "adagrad": 0.05, "nadam": 2e-3, "radam": 3e-3, "adamax": 4e-3}
EXTERNAL = ("nadam", "radam", "adamax")  # built by the optimizer callable given to fit


@dataclass(frozen=True)
class Case:
    """One run: its label and how it was made sick (``recipe``), data, model and config."""

    name: str
    label: str
    recipe: str
    data: str
    arch: str
    optimizer: str
    seed: int
    config: dict[str, Any]
    model: dict[str, Any] = field(default_factory=dict)
    epochs: int = 20
    n_train: int | None = None
    curable: bool = True


def base_config(opt: str, seed: int, lr_mult: float = 1.0, **cfg: Any) -> dict[str, Any]:
    """A recipe's TrainConfig keywords: the optimizer at its usual rate, batch 32."""
    out: dict[str, Any] = {"lr": GOOD_LR[opt] * lr_mult, "seed": seed, "batch_size": 32,
                           "optimizer": "adam" if opt in EXTERNAL else opt}
    if opt in ("sgd", "nesterov"):
        out.update(optimizer="sgd", momentum=0.9, nesterov=opt == "nesterov")
    out.update(cfg)
    return out


def _steps(data: str, n_train: int | None, batch: int, epochs: int) -> int:
    n = n_train or {"wine_aug": 530, "cancer": 341, "noisy_mc": 660, "checker": 720}.get(
        data, 720)
    return math.ceil(n / batch) * epochs


# (data, arch, optimizer, model keywords, config keywords, epochs)
HEALTHY: tuple[tuple[Any, ...], ...] = (
    ("wine_aug", "mixmlp", "nadam", {"depth": 3}, {"patience": 4}, 20),
    ("cancer", "mlp", "nesterov", {}, {"patience": 4}, 20),
    ("noisy_mc", "resmlp", "adamw", {"depth": 3, "act": "silu"},
     {"weight_decay": 0.05, "dropout": 0.3, "patience": 3}, 20),
    ("checker", "mlp", "adam", {"depth": 3, "width": 96}, {"schedule": "cosine"}, 20),
    ("shapes12", "bncnn", "sgd", {}, {"warmup_pct": 0.05, "schedule": "cosine"}, 15),
    ("shapes12", "cnn", "adamax", {}, {}, 15),
    ("chirp", "cnn1d", "rmsprop", {}, {}, 20),
    ("tokens", "gru_emb", "adam", {"width": 48}, {}, 15),
    ("tokens", "attnpool", "radam", {}, {}, 15),
    ("majority", "bilstm", "adam", {"width": 32}, {"grad_clip": 1.0}, 15),
    ("noisy_mc", "mixmlp", "adagrad", {"depth": 3}, {"dropout": 0.3, "patience": 3}, 20),
    ("cancer", "resmlp", "adamw", {"depth": 2, "act": "silu"},
     {"schedule": "one_cycle", "weight_decay": 0.01, "patience": 4}, 20),
)

# per code: (recipe, data, arch, optimizer, lr multiplier, model kw, config kw, extra)
# extra: epochs, n_train, curable (defaults 20 / all / True)
_E: dict[str, Any] = {}
_NC = {"curable": False}
SICK: dict[str, tuple[tuple[Any, ...], ...]] = {
    "lr_too_high": (
        ("lr x80", "checker", "mlp", "nesterov", 80, {}, {}, _E),
        ("lr x400", "noisy_mc", "resmlp", "adamw", 400, {"act": "silu"}, {}, _E),
        ("lr x1500", "checker", "mlp", "adam", 1500, {"depth": 3}, {}, _E),
        ("lr x60", "shapes12", "cnn", "sgd", 60, {}, {}, {"epochs": 15}),
        ("lr x600", "chirp", "cnn1d", "rmsprop", 600, {}, {}, _E),
        ("lr x800", "tokens", "gru_emb", "adam", 800, {"width": 48}, {}, {"epochs": 15}),
        ("lr x1000", "wine_aug", "mixmlp", "nadam", 1000, {"depth": 3}, {}, _E),
        ("lr x600", "majority", "bilstm", "sgd", 600, {"width": 32}, {}, {"epochs": 15}),
        ("lr x120", "noisy_mc", "mlp", "adagrad", 120, {}, {}, _E),
        ("lr x30 on ReLUs (kills units)", "noisy_mc", "mlp", "sgd", 30, {"depth": 3}, {}, _E),
    ),
    "lr_too_low": (
        ("lr x1.2e-3", "checker", "mlp", "nesterov", 1.2e-3, {"depth": 3}, {}, _E),
        ("lr x3e-4", "noisy_mc", "resmlp", "adamw", 3e-4, {"act": "silu"}, {}, _E),
        ("lr x1.5e-5", "checker", "mlp", "adam", 1.5e-5, {}, {}, _E),
        ("lr x1.2e-3", "shapes12", "bncnn", "sgd", 1.2e-3, {}, {}, {"epochs": 15}),
        ("lr x3e-4", "chirp", "cnn1d", "rmsprop", 3e-4, {}, {}, _E),
        ("lr x6e-5", "tokens", "gru_emb", "adam", 6e-5, {"width": 48}, {}, {"epochs": 15}),
        ("lr x3e-4", "wine_aug", "mixmlp", "nadam", 3e-4, {"depth": 3}, {}, _E),
        ("lr x1.2e-3", "majority", "bilstm", "adam", 1.2e-3, {"width": 32}, {},
         {"epochs": 15}),
        ("lr x1.5e-5", "tokens", "attnpool", "radam", 1.5e-5, {}, {}, {"epochs": 15}),
        ("lr x6e-5", "noisy_mc", "mixmlp", "adagrad", 6e-5, {"depth": 3}, {}, _E),
    ),
    "vanishing_gradients": (
        ("10 sigmoid layers", "noisy_mc", "mlp", "sgd", 1, {"depth": 10, "act": "sigmoid"},
         {}, _NC),
        ("8 sigmoid layers", "shapes12", "mlp", "sgd", 1, {"depth": 8, "act": "sigmoid"},
         {}, _NC),
        ("10 sigmoid layers", "cancer", "mlp", "rmsprop", 1, {"depth": 10, "act": "sigmoid"},
         {}, _NC),
        ("8 sigmoid layers", "checker", "mlp", "nesterov", 1, {"depth": 8, "act": "sigmoid"},
         {}, _NC),
        ("8 tanh layers, weights x0.25", "cancer", "mlp", "nesterov", 1,
         {"depth": 8, "act": "tanh", "weight_scale": 0.25}, {}, _E),
        ("9 mixed layers, weights x0.3", "noisy_mc", "mixmlp", "sgd", 1,
         {"depth": 9, "weight_scale": 0.3}, {}, _E),
        ("8 mixed layers, weights x0.2", "wine_aug", "mixmlp", "sgd", 1,
         {"depth": 8, "weight_scale": 0.2}, {}, _E),
        ("tanh 1-D CNN, weights x0.15", "chirp", "cnn1d", "sgd", 1,
         {"act": "tanh", "weight_scale": 0.15}, {}, _E),
        ("8 softplus layers, weights x0.3", "checker", "mlp", "nesterov", 1,
         {"depth": 8, "act": "softplus", "weight_scale": 0.3}, {}, _E),
        ("12 tanh layers, weights x0.5", "noisy_mc", "mlp", "sgd", 1,
         {"depth": 12, "act": "tanh", "weight_scale": 0.5}, {}, _E),
    ),
    "exploding_gradients": (
        ("8 ReLU layers, weights x6", "noisy_mc", "mlp", "sgd", 1,
         {"depth": 8, "weight_scale": 6.0}, {}, _E),
        ("8 ReLU layers, weights x5.5", "checker", "mlp", "nesterov", 1,
         {"depth": 8, "weight_scale": 5.5}, {}, _E),
        ("CNN weights x10", "shapes12", "cnn", "sgd", 1, {"weight_scale": 10.0}, {},
         {"epochs": 15}),
        ("1-D CNN weights x9", "chirp", "cnn1d", "sgd", 1, {"weight_scale": 9.0}, {}, _E),
        ("8 ReLU layers, weights x6", "wine_aug", "mlp", "adagrad", 1,
         {"depth": 8, "weight_scale": 6.0}, {}, _E),
        ("residual MLP weights x6", "cancer", "resmlp", "sgd", 1,
         {"depth": 6, "act": "silu", "weight_scale": 6.0}, {}, _E),
        ("attention model weights x9", "tokens", "attnpool", "sgd", 1,
         {"weight_scale": 9.0}, {}, {"epochs": 15}),
        ("8 SiLU layers, weights x7", "noisy_mc", "mlp", "sgd", 1,
         {"depth": 8, "act": "silu", "weight_scale": 7.0}, {}, _E),
        ("8 ReLU layers, weights x6", "checker", "mlp", "rmsprop", 1,
         {"depth": 8, "weight_scale": 6.0}, {}, _E),
        ("8 ReLU layers, weights x6", "shapes12", "mlp", "adam", 1,
         {"depth": 8, "weight_scale": 6.0}, {}, {"epochs": 15}),
    ),
    "dead_units": (
        ("ReLU biases -3", "noisy_mc", "mlp", "adam", 1, {"depth": 3, "bias": -3.0}, {}, _E),
        ("ReLU biases -2.5", "checker", "mlp", "sgd", 1, {"depth": 3, "bias": -2.5}, {}, _E),
        ("conv biases -4", "shapes12", "cnn", "adam", 1, {"bias": -4.0}, {}, {"epochs": 15}),
        ("1-D conv biases -3", "chirp", "cnn1d", "rmsprop", 1, {"bias": -3.0}, {}, _E),
        ("ReLU biases -4", "cancer", "mlp", "nesterov", 1, {"depth": 4, "bias": -4.0}, {}, _E),
        ("ReLU biases -3.5", "wine_aug", "mlp", "adagrad", 1, {"depth": 3, "bias": -3.5}, {},
         _E),
        ("ReLU biases -3", "tokens", "attnpool", "radam", 1, {"bias": -3.0}, {},
         {"epochs": 15}),
        ("residual ReLU biases -3", "noisy_mc", "resmlp", "adamax", 1,
         {"depth": 3, "bias": -3.0}, {}, _E),
        ("narrow ReLU biases -5", "checker", "mlp", "adam", 1,
         {"depth": 4, "width": 32, "bias": -5.0}, {}, _E),
        ("ReLU biases -3", "cancer", "mlp", "nadam", 1, {"depth": 3, "bias": -3.0}, {}, _E),
    ),
    "saturated_units": (
        ("raw inputs, tanh", "cancer_raw", "mlp", "sgd", 1, {"act": "tanh"}, {}, _NC),
        ("raw inputs, sigmoid", "cancer_raw", "mlp", "nesterov", 1,
         {"depth": 3, "act": "sigmoid"}, {}, _NC),
        ("tanh weights x10", "noisy_mc", "mlp", "sgd", 1,
         {"depth": 3, "act": "tanh", "weight_scale": 10.0}, {}, _E),
        ("tanh weights x5", "checker", "mlp", "nesterov", 1,
         {"depth": 3, "act": "tanh", "weight_scale": 5.0}, {}, _E),
        ("sigmoid weights x12", "noisy_mc", "mlp", "sgd", 1,
         {"depth": 4, "act": "sigmoid", "weight_scale": 12.0}, {}, _E),
        ("inputs x40, tanh", "noisy_mc_x40", "mlp", "sgd", 1, {"act": "tanh"}, {}, _NC),
        ("sigmoid 1-D CNN biases +4", "chirp", "cnn1d", "sgd", 1,
         {"act": "sigmoid", "bias": 4.0}, {}, _E),
        ("sigmoid CNN biases +4", "shapes12", "cnn", "sgd", 1,
         {"act": "sigmoid", "bias": 4.0}, {}, {"epochs": 15}),
        ("tanh attention weights x10", "tokens", "attnpool", "sgd", 1,
         {"act": "tanh", "weight_scale": 10.0}, {}, {"epochs": 15}),
        ("sigmoid biases +5", "checker", "mlp", "sgd", 1,
         {"depth": 3, "act": "sigmoid", "bias": 5.0}, {}, _E),
    ),
    "overfitting": (
        ("width 512 on 60 rows", "noisy_mc", "mlp", "adam", 1, {"depth": 3, "width": 512},
         {"batch_size": 16}, {"epochs": 30, "n_train": 60}),
        ("CNN on 48 images", "shapes12", "cnn", "adam", 1, {}, {"batch_size": 16},
         {"epochs": 30, "n_train": 48}),
        ("width 512 on 40 rows", "cancer", "mlp", "adamw", 1, {"depth": 3, "width": 512},
         {"batch_size": 16, "weight_decay": 0.0}, {"epochs": 30, "n_train": 40}),
        ("width 512 on 80 rows", "checker", "mlp", "adam", 1, {"depth": 4, "width": 512},
         {"batch_size": 16}, {"epochs": 30, "n_train": 80}),
        ("attention width 256 on 60", "tokens", "attnpool", "adam", 1, {"width": 256},
         {"batch_size": 16}, {"epochs": 30, "n_train": 60}),
        ("width 512 MLP on 40 signals", "chirp", "mlp", "adam", 1, {"depth": 3, "width": 512},
         {"batch_size": 16},
         {"epochs": 30, "n_train": 40}),
        ("residual width 384 on 50", "noisy_mc", "resmlp", "nadam", 1,
         {"depth": 3, "width": 384, "act": "silu"}, {"batch_size": 16},
         {"epochs": 30, "n_train": 50}),
        ("width 512 MLP on 40 images", "shapes12", "mlp", "adam", 1, {"width": 512},
         {"batch_size": 16},
         {"epochs": 30, "n_train": 40}),
        ("BiLSTM on 60 sequences", "majority", "bilstm", "adam", 1, {"width": 64},
         {"batch_size": 16}, {"epochs": 30, "n_train": 60}),
        ("mixed width 512 on 70", "noisy_mc", "mixmlp", "rmsprop", 1,
         {"depth": 3, "width": 512}, {"batch_size": 16}, {"epochs": 30, "n_train": 70}),
    ),
    "underfitting": (
        ("2 hidden units", "noisy_mc", "mlp", "adam", 1, {"depth": 1, "width": 2}, {}, _NC),
        ("3 hidden units", "checker", "mlp", "adam", 1, {"depth": 1, "width": 3}, {}, _NC),
        ("2 hidden units", "shapes12", "mlp", "adam", 1, {"depth": 1, "width": 2}, {},
         {"epochs": 15, "curable": False}),
        ("AdamW decay 20", "noisy_mc", "mlp", "adamw", 1, {"depth": 3},
         {"weight_decay": 20.0}, _E),
        ("SGD L2 0.2", "checker", "mlp", "sgd", 1, {"depth": 3}, {"weight_decay": 0.2}, _E),
        ("dropout 0.85", "checker", "mlp", "adam", 1, {"depth": 3}, {"dropout": 0.85}, _E),
        ("RMSprop L2 0.5", "chirp", "cnn1d", "rmsprop", 1, {}, {"weight_decay": 0.5}, _E),
        ("dropout 0.9", "noisy_mc", "mixmlp", "nadam", 1, {"depth": 3}, {"dropout": 0.9}, _E),
        ("Adam L2 1.0", "majority", "bilstm", "adam", 1, {"width": 32},
         {"weight_decay": 1.0}, {"epochs": 15}),
        ("dropout 0.8 + L2 0.05", "checker", "mlp", "adagrad", 1, {"depth": 3},
         {"dropout": 0.8, "weight_decay": 0.05}, _E),
    ),
}


def _plateau() -> list[Case]:
    """Schedules that collapse the rate early (step counts from the data size)."""
    rows: tuple[tuple[Any, ...], ...] = (  # recipe, data, arch, opt, model kw, epochs,
        # schedule, its parameters from the total steps
        ("polynomial power 14", "checker", "mlp", "adam", {"depth": 3}, 20, "polynomial",
         lambda t: {"power": 14.0}),
        ("multistep at 3%, x1e-4", "shapes12", "cnn", "sgd", {}, 15, "multistep",
         lambda t: {"milestones": [int(0.03 * t)], "gamma": 1e-4}),
        ("exponential to 1e-10", "chirp", "cnn1d", "rmsprop", {}, 20, "exponential",
         lambda t: {"final": 1e-10}),
        ("cosine restarts, x0.01 per cycle", "tokens", "gru_emb", "adam", {"width": 48}, 15,
         "cosine_restarts",
         lambda t: {"first_period": max(1, t // 15), "period_mult": 1, "cycles": 15,
                    "decay": 0.01}),
        ("polynomial power 16", "majority", "bilstm", "adam", {"width": 32}, 15,
         "polynomial", lambda t: {"power": 16.0}),
        ("multistep at 6%, x1e-5", "noisy_mc", "resmlp", "adamw", {"act": "silu"}, 20,
         "multistep", lambda t: {"milestones": [int(0.06 * t)], "gamma": 1e-5}),
        ("exponential to 1e-8", "checker", "mlp", "nesterov", {"depth": 3}, 20,
         "exponential", lambda t: {"final": 1e-8}),
        ("polynomial power 30", "shapes12", "bncnn", "adamax", {}, 15, "polynomial",
         lambda t: {"power": 30.0}),
        ("multistep at 10%, x1e-4", "tokens", "attnpool", "radam", {}, 15, "multistep",
         lambda t: {"milestones": [int(0.10 * t)], "gamma": 1e-4}),
        ("cosine restarts, x0.01 per cycle", "checker", "mixmlp", "sgd", {"depth": 3}, 20,
         "cosine_restarts",
         lambda t: {"first_period": max(1, t // 12), "period_mult": 1, "cycles": 12,
                    "decay": 0.01}),
    )
    out = []
    for i, (recipe, data, arch, opt, model, epochs, sched, params) in enumerate(rows):
        seed = SEEDS[i % 3]
        cfg = base_config(opt, seed, schedule=sched,
                          schedule_params=params(_steps(data, None, 32, epochs)))
        out.append(Case(f"plateau-{i:02d}-{data}-{arch}-{opt}", "plateau", recipe, data, arch,
                        opt, seed, cfg, model, epochs))
    return out


def seventh_zoo() -> list[Case]:
    """The zoo: 12 healthy recipes x 3 seeds, and 10 sick runs per code (90)."""
    cases: list[Case] = []
    for i, (data, arch, opt, model, cfg, epochs) in enumerate(HEALTHY):
        for seed in SEEDS:
            cases.append(Case(f"healthy-{i:02d}-{data}-{arch}-{opt}-s{seed}", "healthy",
                              "a practitioner's recipe", data, arch, opt, seed,
                              base_config(opt, seed, **cfg), dict(model), epochs))
    for code, rows in SICK.items():
        for i, (recipe, data, arch, opt, mult, model, cfg, extra) in enumerate(rows):
            seed = SEEDS[i % 3]
            cases.append(Case(f"{code}-{i:02d}-{data}-{arch}-{opt}", code, recipe, data, arch,
                              opt, seed, base_config(opt, seed, mult, **cfg), dict(model),
                              extra.get("epochs", 20), extra.get("n_train"),
                              extra.get("curable", True)))
    cases.extend(_plateau())
    return cases


def select(cases: list[Case], only: str | None) -> list[Case]:
    """The cases whose label or name contains ``only`` (all for None)."""
    return [c for c in cases if only is None or only in c.label or only in c.name]
