"""The tenth doctor zoo's case list: healthy recipes and sick-making recipes, per code.

See benchmarks/doctor_zoo_tenth.py for what the zoo is and how it is run and labelled; data
and models are in benchmarks/doctor_zoo_tenth_data.py. Each sick recipe runs at three seeds
(101-103) with its magnitude growing with the seed (mild, medium, strong), so some runs sit
near the border of their sickness.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CODES: tuple[str, ...] = (
    "lr_too_high", "lr_too_low", "vanishing_gradients", "exploding_gradients", "dead_units",
    "saturated_units", "overfitting", "underfitting", "plateau")
EXTERNAL: frozenset[str] = frozenset({"radam", "adamax"})  # passed as fit(optimizer=...)
UNTRAINED = "healthy_untrained"
SEEDS: tuple[int, ...] = (101, 102, 103)
EPOCHS, OVERFIT_EPOCHS = 14, 25

# optimizer name -> TrainConfig keywords (RAdam/Adamax: the config says adam, the callable
# reads its lr and weight_decay)
_OPT: dict[str, dict[str, Any]] = {
    "sgd": {"optimizer": "sgd", "momentum": 0.9, "schedule": "step",
            "schedule_params": {"num_drops": 2, "gamma": 0.1}},
    "nesterov": {"optimizer": "sgd", "momentum": 0.9, "nesterov": True},
    "adam": {"optimizer": "adam"},
    "adamw": {"optimizer": "adamw", "weight_decay": 0.01},
    "rmsprop": {"optimizer": "rmsprop"},
    "radam": {"optimizer": "adam"},
    "adamax": {"optimizer": "adam"},
}


@dataclass(frozen=True)
class Case:
    """One zoo run: its label, the recipe that made it, the data, model and config."""

    name: str
    label: str  # "healthy" or a problem code (the recipe's, whatever the run reaches)
    recipe: str
    data: str
    arch: str
    optimizer: str  # a key of _OPT
    seed: int
    config: dict[str, Any]
    model: dict[str, Any] = field(default_factory=dict)
    epochs: int = EPOCHS
    n_train: int | None = None
    curable: bool = True  # False: no TrainConfig change can cure it


# (recipe, data, arch, model keywords, optimizer, lr, other config keywords)
_HEALTHY: list[tuple[str, str, str, dict[str, Any], str, float, dict[str, Any]]] = [
    ("maxout", "rings10", "maxout", {}, "adam", 3e-3, {"schedule": "cosine"}),
    ("widedeep", "credit", "widedeep", {}, "adamw", 3e-3, {"dropout": 0.2, "patience": 4}),
    ("convmixer", "ring", "convmixer", {}, "adam", 2e-3, {"schedule": "cosine"}),
    ("prelu_sig", "modsig", "prelu", {}, "nesterov", 0.02, {"dropout": 0.2}),
    ("gru_recall", "recall", "gru2", {}, "rmsprop", 2e-3, {}),
    ("resmlp_credit", "credit_1hot", "resmlp", {}, "radam", 2e-3, {}),
    ("gru_summod", "summod5", "gru2", {}, "adamax", 2e-2, {"batch_size": 16}),
    ("prelu_rings", "rings10", "prelu", {}, "sgd", 0.1, {}),
    ("resmlp_rings", "rings10", "resmlp", {}, "rmsprop", 1e-3, {"schedule": "cosine"}),
    ("convmixer_sgd", "ring", "convmixer", {}, "sgd", 0.05, {}),
    ("gru_sig", "modsig", "gru2", {}, "adam", 3e-3, {}),
]


def _sick() -> list[tuple[str, str, str, str, Any, str, Any, Any, bool, dict[str, Any]]]:
    """(label, recipe, data, arch, model kw per seed, optimizer, lr per seed, config extra per
    seed, curable, case extras); a per-seed value is a list of three."""
    deep10 = {"depth": 10}
    return [
        # lr_too_high: 33x-500x, 50x-1500x, 40x-800x the healthy recipe's rate
        ("lr_too_high", "maxout_adam", "rings10", "maxout", {}, "adam", [0.1, 0.4, 1.5], {},
         True, {}),
        ("lr_too_high", "gru_recall_rmsprop", "recall", "gru2", {}, "rmsprop", [0.25, 0.8, 3.0],
         {}, True, {}),
        ("lr_too_high", "widedeep_nesterov", "credit", "widedeep", {}, "nesterov",
         [2.0, 8.0, 40.0], {}, True, {}),
        # lr_too_low: 1e-2x to 1e-4x
        ("lr_too_low", "resmlp_adamw", "credit_1hot", "resmlp", {}, "adamw",
         [2e-5, 2e-6, 2e-7], {}, True, {}),
        ("lr_too_low", "convmixer_sgd", "ring", "convmixer", {}, "sgd", [5e-4, 5e-5, 5e-6], {},
         True, {}),
        ("lr_too_low", "gru_summod_adamax", "summod5", "gru2", {}, "adamax",
         [2e-4, 2e-5, 2e-6], {"batch_size": 16}, True, {}),
        # vanishing: deep stacks with shrunk weights (an init cures them), a deep sigmoid
        # stack without residuals or norms (an architecture change cures it)
        ("vanishing_gradients", "maxout_deep_shrunk", "rings10", "maxout",
         [{**deep10, "w_scale": s} for s in (0.35, 0.25, 0.15)], "nesterov", 0.05, {}, True, {}),
        ("vanishing_gradients", "prelu_nobn_deep_shrunk", "modsig", "prelu",
         [{**deep10, "bn": False, "w_scale": s} for s in (0.4, 0.3, 0.2)], "sgd", 0.05, {},
         True, {}),
        ("vanishing_gradients", "sigmoid_plain_deep", "credit_1hot", "resmlp",
         [{"depth": d, "act": "sigmoid", "residual": False, "norm": False} for d in (8, 10, 12)],
         "adam", 1e-3, {}, False, {}),
        # exploding: deep stacks with weights scaled up
        ("exploding_gradients", "maxout_deep_scaled", "rings10", "maxout",
         [{"depth": 8, "w_scale": s} for s in (1.8, 2.5, 3.5)], "nesterov", 0.01, {}, True, {}),
        ("exploding_gradients", "prelu_nobn_deep_scaled", "modsig", "prelu",
         [{"depth": 8, "bn": False, "w_scale": s} for s in (3.0, 4.5, 6.0)], "adam", 1e-3, {},
         True, {}),
        ("exploding_gradients", "widedeep_deep_scaled", "credit", "widedeep",
         [{"depth": 6, "w_scale": s} for s in (3.0, 4.0, 6.0)], "rmsprop", 1e-3, {}, True, {}),
        # dead units: negative biases before ReLUs (an init zeroes them)
        ("dead_units", "widedeep_negbias", "credit", "widedeep",
         [{"b_shift": b} for b in (-3.0, -5.0, -8.0)], "adamw", 3e-3, {}, True, {}),
        ("dead_units", "convmixer_relu_negbias", "ring", "convmixer",
         [{"act": "relu", "b_shift": b} for b in (-2.5, -4.0, -6.0)], "adam", 2e-3, {}, True,
         {}),
        ("dead_units", "resmlp_relu_negbias", "rings10", "resmlp",
         [{"act": "relu", "b_shift": b} for b in (-3.0, -4.5, -7.0)], "nesterov", 0.02, {},
         True, {}),
        # saturation: raw ADC counts into a GRU (standardising cures it, not a config),
        # tanh weights scaled up, sigmoid biases shifted up
        ("saturated_units", "gru_raw_counts", "modsig_raw", "gru2", {}, "adam", 3e-3, {},
         False, {}),
        ("saturated_units", "tanh_scaled", "rings10", "prelu",
         [{"bn": False, "act": "tanh", "w_scale": s} for s in (6.0, 10.0, 16.0)], "sgd", 0.05,
         {}, True, {}),
        ("saturated_units", "widedeep_sigmoid_posbias", "credit", "widedeep",
         [{"act": "sigmoid", "b_shift": b} for b in (4.0, 6.0, 8.0)], "adamw", 3e-3, {}, True,
         {}),
        # overfitting: big models on 40-56 examples for 25 epochs
        ("overfitting", "maxout_wide_small", "rings10", "maxout", {"width": 512}, "adam", 3e-3,
         {}, True, {"n_train": 48, "epochs": OVERFIT_EPOCHS}),
        ("overfitting", "convmixer_wide_small", "ring", "convmixer", {"dim": 96}, "adamw", 2e-3,
         {}, True, {"n_train": 40, "epochs": OVERFIT_EPOCHS}),
        ("overfitting", "widedeep_wide_small", "credit", "widedeep",
         {"emb": 16, "width": 256}, "adam", 3e-3, {}, True,
         {"n_train": 56, "epochs": OVERFIT_EPOCHS}),
        # underfitting: 1-2 unit maxout (not curable), decoupled decay 10-80, dropout .8-.93
        ("underfitting", "maxout_tiny", "rings10", "maxout",
         [{"width": w} for w in (2, 1, 1)], "adam", 3e-3, {}, False, {}),
        ("underfitting", "maxout_heavy_decay", "rings10", "maxout", {}, "adamw", 3e-3,
         [{"weight_decay": w} for w in (16.0, 24.0, 40.0)], True, {}),
        ("underfitting", "prelu_heavy_dropout", "modsig", "prelu", {}, "nesterov", 0.02,
         [{"dropout": d} for d in (0.8, 0.87, 0.93)], True, {}),
        # plateau: a step schedule counted in steps instead of epochs, a steep polynomial,
        # an early multistep collapse
        ("plateau", "prelu_step_in_steps", "rings10", "prelu", {}, "sgd", 0.1,
         [{"schedule_params": {"step_size": s, "gamma": 0.1}} for s in (30, 20, 12)], True, {}),
        ("plateau", "resmlp_polynomial", "credit_1hot", "resmlp", {}, "radam", 2e-3,
         [{"schedule": "polynomial", "schedule_params": {"power": p}} for p in (5, 8, 12)],
         True, {}),
        ("plateau", "convmixer_early_multistep", "ring", "convmixer", {}, "rmsprop", 1e-3,
         [{"schedule": "multistep", "schedule_params": {"milestones": [15, 30], "gamma": g}}
          for g in (0.01, 0.003, 0.001)], True, {}),
    ]


def _config(optimizer: str, lr: float, seed: int, extra: dict[str, Any]) -> dict[str, Any]:
    return {**_OPT[optimizer], "lr": lr, "seed": seed, **extra}


def _pick(value: Any, i: int) -> Any:
    return value[i] if isinstance(value, list) else value


def tenth_zoo() -> list[Case]:
    """Every case of the zoo, in a fixed order (healthy first, then per code)."""
    cases: list[Case] = []
    for recipe, data, arch, model, opt, lr, extra in _HEALTHY:
        for seed in SEEDS:
            cases.append(Case(f"healthy/{recipe}/s{seed}", "healthy", recipe, data, arch, opt,
                              seed, _config(opt, lr, seed, extra), dict(model)))
    for label, recipe, data, arch, model, opt, lr, extra, curable, more in _sick():
        for i, seed in enumerate(SEEDS):
            cases.append(Case(f"{label}/{recipe}/s{seed}", label, recipe, data, arch, opt, seed,
                              _config(opt, _pick(lr, i), seed, dict(_pick(extra, i))),
                              dict(_pick(model, i)), curable=curable, **more))
    return cases


def select(cases: list[Case], only: str | None) -> list[Case]:
    """The cases whose label or name contains ``only`` (all of them for None)."""
    if only is None:
        return cases
    return [c for c in cases if only in c.label or only in c.name]
