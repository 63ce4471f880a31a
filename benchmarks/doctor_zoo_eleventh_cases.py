"""Cases of the eleventh doctor zoo (benchmarks/doctor_zoo_eleventh.py): 10 healthy recipes and
27 sick ones (3 per code), each over seeds 111-113.

Optimizers (the ``Case.optimizer`` tag; the config says what the trainer builds): ``sgdr``
(SGD momentum 0.9 with cosine warm restarts, Loshchilov & Hutter 2017), ``nesterov`` (SGD
with Nesterov momentum 0.9), ``amsgrad`` (Adam with AMSGrad, Reddi et al. 2018, through
``fit(optimizer=...)``; the config names it ``adam``), ``adamw_1cycle`` (AdamW with a
one-cycle schedule, Smith 2018) and ``rmsprop`` (RMSprop with momentum 0.9).
"""

from __future__ import annotations

from typing import Any

from benchmarks.doctor_zoo import UNTRAINED
from benchmarks.doctor_zoo_cases import Case

__all__ = ["CODES", "EXTERNAL", "SEEDS", "UNTRAINED", "Case", "eleventh_zoo", "select"]

CODES: tuple[str, ...] = ("lr_too_high", "lr_too_low", "vanishing_gradients",
                          "exploding_gradients", "dead_units", "saturated_units",
                          "overfitting", "underfitting", "plateau")
EXTERNAL = frozenset({"amsgrad"})  # built by fit(optimizer=...)
SEEDS = (111, 112, 113)
_EPOCHS = 12


def _config(opt: str, lr: float, **extra: Any) -> dict[str, Any]:
    """The TrainConfig keywords of one optimizer tag at peak learning rate ``lr``."""
    bases: dict[str, dict[str, Any]] = {
        "sgdr": {"optimizer": "sgd", "momentum": 0.9, "schedule": "cosine_restarts",
                 "schedule_params": {"cycles": 3, "period_mult": 1}},
        "nesterov": {"optimizer": "sgd", "momentum": 0.9, "nesterov": True},
        "amsgrad": {"optimizer": "adam"},
        "adamw_1cycle": {"optimizer": "adamw", "schedule": "one_cycle"},
        "rmsprop": {"optimizer": "rmsprop", "momentum": 0.9},
    }
    base = bases[opt]
    return {**base, "lr": lr, "batch_size": 32, **extra}


# (label, tag, data, arch, optimizer, lr, model kwargs, config extras, case extras)
_Recipe = tuple[str, str, str, str, str, float, dict[str, Any], dict[str, Any], dict[str, Any]]
_NC = {"curable": False}
_OVER = {"n_train": 48, "epochs": 20}

RECIPES: tuple[_Recipe, ...] = (
    # healthy: realistic, well-configured runs of the same models
    ("healthy", "moe-f2", "fried2", "moe", "amsgrad", 3e-3, {}, {}, {}),
    ("healthy", "moe-f3", "fried3", "moe", "nesterov", 0.05, {}, {}, {}),
    ("healthy", "moe-sc", "scurve", "moe", "sgdr", 0.05, {}, {}, {}),
    ("healthy", "wn-sc", "scurve", "wnmlp", "adamw_1cycle", 3e-3, {}, {}, {}),
    ("healthy", "wn-se", "season", "wnmlp", "nesterov", 0.03, {}, {}, {}),
    ("healthy", "ir-nest", "mirror", "irse", "nesterov", 0.03, {}, {}, {}),
    ("healthy", "ir-1cyc", "mirror", "irse", "adamw_1cycle", 3e-3, {}, {}, {}),
    ("healthy", "lstm-se", "season", "lstm", "amsgrad", 1e-2, {"hidden": 48}, {}, {}),
    ("healthy", "lstm-pa", "palin", "lstm", "rmsprop", 1e-3, {}, {}, {}),
    ("healthy", "caus-pa", "palin", "causal", "adamw_1cycle", 3e-3, {}, {}, {}),
    # lr_too_high: 40x to 170x the healthy recipe's rate
    ("lr_too_high", "wn-sgdr", "scurve", "wnmlp", "sgdr", 2.0, {}, {}, {}),
    ("lr_too_high", "lstm-rms", "season", "lstm", "rmsprop", 0.3, {"hidden": 48}, {}, {}),
    ("lr_too_high", "caus-1cyc", "palin", "causal", "adamw_1cycle", 0.5, {}, {}, {}),
    # lr_too_low: 1e-3x to 7e-4x
    ("lr_too_low", "wn-ams", "scurve", "wnmlp", "amsgrad", 2e-6, {}, {}, {}),
    ("lr_too_low", "caus-1cyc", "palin", "causal", "adamw_1cycle", 3e-6, {}, {}, {}),
    ("lr_too_low", "ir-nest", "mirror", "irse", "nesterov", 3e-5, {}, {}, {}),
    # vanishing: 8 sigmoid layers (an architecture change cures it), 8-layer tanh stacks
    # with weights 0.15-0.25x
    ("vanishing_gradients", "wn-sig8", "scurve", "wnmlp", "amsgrad", 3e-3,
     {"depth": 8, "act": "sigmoid"}, {}, _NC),
    ("vanishing_gradients", "moe-tanh8", "fried2", "moe", "nesterov", 0.01,
     {"depth": 8, "act": "tanh", "weight": 0.15}, {}, {}),
    ("vanishing_gradients", "wn-tanh8", "season", "wnmlp", "rmsprop", 1e-3,
     {"depth": 8, "act": "tanh", "weight": 0.25}, {}, {}),
    # exploding: ReLU/ELU stacks with weights 5-7x torch's default
    ("exploding_gradients", "wn-relu7", "fried3", "wnmlp", "nesterov", 0.05,
     {"depth": 7, "weight": 5.0}, {}, {}),
    ("exploding_gradients", "moe-relu5", "scurve", "moe", "amsgrad", 3e-3,
     {"depth": 5, "weight": 7.0}, {}, {}),
    ("exploding_gradients", "wn-elu6", "mirror", "wnmlp", "sgdr", 0.05,
     {"depth": 6, "act": "elu", "weight": 6.0}, {}, {}),
    # dead units: hidden biases -5 and -2, BatchNorm shifts -3 before ReLU
    ("dead_units", "wn-b5", "fried2", "wnmlp", "amsgrad", 3e-3, {"bias": -5.0}, {}, {}),
    ("dead_units", "moe-b2", "scurve", "moe", "nesterov", 0.05, {"bias": -2.0}, {}, {}),
    ("dead_units", "ir-bn3", "mirror", "irse", "nesterov", 0.03,
     {"act": "relu", "bn_shift": -3.0}, {}, {}),
    # saturation: raw Friedman #2 inputs into tanh (standardising cures it, not a config),
    # LSTM weights 8x, sigmoid experts with biases +6
    ("saturated_units", "wn-raw", "fried2_raw", "wnmlp", "amsgrad", 3e-3, {"act": "tanh"},
     {}, _NC),
    ("saturated_units", "lstm-w8", "season", "lstm", "amsgrad", 1e-2,
     {"hidden": 48, "weight": 8.0}, {}, {}),
    ("saturated_units", "moe-sig", "fried3", "moe", "nesterov", 0.05,
     {"act": "sigmoid", "bias": 6.0}, {}, {}),
    # overfitting: wide models on 48 examples for 20 epochs
    ("overfitting", "moe-w256", "scurve", "moe", "amsgrad", 3e-3, {"width": 256}, {}, _OVER),
    ("overfitting", "lstm-h128", "palin", "lstm", "rmsprop", 3e-3, {"hidden": 128}, {}, _OVER),
    ("overfitting", "wn-w256", "mirror", "wnmlp", "adamw_1cycle", 3e-3, {"width": 256}, {},
     _OVER),
    # underfitting: a 1-unit bottleneck (not curable), L2 1.0 with RMSprop, dropout 0.9
    ("underfitting", "wn-w1", "scurve", "wnmlp", "amsgrad", 3e-3, {"width": 1}, {}, _NC),
    ("underfitting", "moe-l2", "fried3", "moe", "rmsprop", 1e-3, {}, {"weight_decay": 1.0},
     {}),
    ("underfitting", "wn-drop9", "season", "wnmlp", "nesterov", 0.03, {},
     {"dropout": 0.9}, {}),
    # plateau: the rate cut 1e-4x after 25 steps, a power-12 polynomial decay, 1e-3x after 8
    ("plateau", "moe-ms", "fried2", "moe", "nesterov", 0.05, {},
     {"schedule": "multistep", "schedule_params": {"milestones": (25,), "gamma": 1e-4}}, {}),
    ("plateau", "lstm-poly", "season", "lstm", "amsgrad", 1e-2, {"hidden": 48},
     {"schedule": "polynomial", "schedule_params": {"power": 12.0}}, {}),
    ("plateau", "ir-ms", "mirror", "irse", "nesterov", 0.03, {},
     {"schedule": "multistep", "schedule_params": {"milestones": (8,), "gamma": 1e-3}}, {}),
)


def eleventh_zoo() -> list[Case]:
    """Every case, in a fixed order: each recipe over seeds 111-113."""
    cases = []
    for label, tag, data, arch, opt, lr, model, extra, more in RECIPES:
        for seed in SEEDS:
            cases.append(Case(
                name=f"{label}-{tag}-{data}-s{seed}", label=label, data=data, arch=arch,
                optimizer=opt, seed=seed, config=_config(opt, lr, seed=seed, **extra),
                model=dict(model), epochs=more.get("epochs", _EPOCHS),
                n_train=more.get("n_train"), curable=more.get("curable", True)))
    return cases


def select(cases: list[Case], only: str | None) -> list[Case]:
    """The cases whose label or name contains ``only`` (all of them for None)."""
    return [c for c in cases if only is None or only in c.label or only in c.name]
