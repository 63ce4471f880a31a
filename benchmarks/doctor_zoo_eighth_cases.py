"""The eighth doctor zoo's case list: healthy recipes and sick-making recipes, per code.

See benchmarks/doctor_zoo_eighth.py for what the zoo is and how it is run and labelled; data
and models are in benchmarks/doctor_zoo_eighth_data.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CODES = ("lr_too_high", "lr_too_low", "vanishing_gradients", "exploding_gradients",
         "dead_units", "saturated_units", "overfitting", "underfitting", "plateau")
UNTRAINED = "healthy_untrained"
SEEDS = (81, 82, 83)
GOOD_LR = {"sgd": 0.05, "nesterov": 0.05, "adam": 2e-3, "adamw": 2e-3, "rmsprop": 1e-3,
           "adagrad": 0.05, "nadam": 2e-3, "radam": 3e-3, "adamax": 4e-3}
EXTERNAL = ("nadam", "radam", "adamax")  # built by the optimizer callable given to fit
EPOCHS = 14


@dataclass(frozen=True)
class Case:
    """One zoo run: its label and recipe, the data, a model and a ``TrainConfig``'s keywords."""

    name: str
    label: str  # "healthy" or a problem code (the recipe's, whatever the run reaches)
    recipe: str  # how it was made sick (or the healthy recipe)
    data: str
    arch: str
    optimizer: str
    seed: int
    config: dict[str, Any]
    model: dict[str, Any] = field(default_factory=dict)
    epochs: int = EPOCHS
    n_train: int | None = None
    curable: bool = True  # can a TrainConfig express the cure?


def _config(optimizer: str, lr_factor: float = 1.0, **extra: Any) -> dict[str, Any]:
    name = {"nesterov": "sgd", **{k: "adam" for k in EXTERNAL}}.get(optimizer, optimizer)
    cfg: dict[str, Any] = {"optimizer": name, "lr": GOOD_LR[optimizer] * lr_factor,
                           "batch_size": 48}
    if optimizer in ("sgd", "nesterov"):
        cfg["momentum"] = 0.9
    if optimizer == "nesterov":
        cfg["nesterov"] = True
    if optimizer == "adamw":
        cfg["weight_decay"] = 0.1  # AdamW with a large decoupled decay (a usual recipe)
    cfg.update(extra)
    return cfg


# (data, arch, optimizer, model keywords, config keywords)
_HEALTHY: tuple[tuple[str, str, str, dict[str, Any], dict[str, Any]], ...] = (
    ("hastie", "deepmlp", "adam", {}, {}),
    ("hastie", "gatedmlp", "nesterov", {}, {}),
    ("hastie", "densemlp", "nadam", {"act": "elu"}, {}),
    ("hastie", "deepmlp", "sgd", {}, {"schedule": "cosine", "warmup_pct": 0.05}),
    ("friedman", "deepmlp", "adamw", {"act": "mish"}, {}),
    ("friedman", "densemlp", "rmsprop", {"act": "silu"}, {}),
    ("friedman", "gatedmlp", "radam", {}, {}),
    ("friedman", "deepmlp", "adam", {}, {"schedule": "cosine"}),
    ("roll", "deepmlp", "sgd", {}, {}),
    ("roll", "densemlp", "adamax", {"act": "hardswish"}, {}),
    ("roll", "gatedmlp", "adagrad", {}, {}),
    ("roll", "deepmlp", "adamw", {"act": "elu"}, {}),
    ("irispoly", "deepmlp", "adam", {"act": "tanh"}, {}),
    ("irispoly", "densemlp", "nesterov", {}, {}),
    ("irispoly", "deepmlp", "rmsprop", {"act": "softplus"}, {}),
    ("quad12", "dwcnn", "adam", {"width": 16}, {}),
    ("quad12", "mixer", "adamw", {"act": "silu", "width": 32}, {}),
    ("quad12", "deepmlp", "sgd", {}, {}),
    ("quad12", "dwcnn", "nesterov", {"act": "mish", "width": 16}, {}),
    ("quad12", "mixer", "radam", {"act": "silu", "width": 32}, {}),
    ("maxpos", "lstm", "adam", {"width": 32}, {}),
    ("maxpos", "tcn", "adamw", {"width": 24}, {}),
    ("maxpos", "lstm", "rmsprop", {"width": 32}, {"lr": 3e-3}),
    ("maxpos", "deepmlp", "nesterov", {"act": "tanh"}, {}),
    ("pulses", "tcn", "nadam", {"act": "elu", "width": 24}, {}),
    ("pulses", "lstm", "radam", {"width": 32}, {}),
    ("pulses", "tcn", "sgd", {"width": 24}, {}),
    ("pulses", "deepmlp", "adam", {}, {}),
    ("motif", "tokcnn", "adam", {"width": 32}, {}),
    ("motif", "tokcnn", "adamax", {"act": "mish", "width": 32}, {}),
    ("motif", "tokcnn", "adagrad", {"width": 32}, {}),
    ("motif", "tokcnn", "rmsprop", {"act": "hardswish", "width": 32}, {}),
)

# code -> (data, arch, optimizer, model keywords, config keywords or lr factor, recipe,
#          curable, n_train, epochs)
_Sick = tuple[str, str, str, dict[str, Any], dict[str, Any], str, bool, int | None, int]
_OVER = 20  # overfitting runs train longer on few examples


def _sick() -> dict[str, tuple[_Sick, ...]]:
    def lr(f: float) -> dict[str, Any]:
        return {"lr_factor": f}

    deep = {"depth": 8, "width": 48}
    return {
        "lr_too_high": (
            ("hastie", "deepmlp", "sgd", {}, lr(400), "lr 400x", True, None, EPOCHS),
            ("friedman", "gatedmlp", "adam", {}, lr(700), "lr 700x", True, None, EPOCHS),
            ("roll", "densemlp", "rmsprop", {"act": "elu"}, lr(5000), "lr 5000x", True, None,
             EPOCHS),
            ("quad12", "dwcnn", "nesterov", {"width": 16}, lr(120), "lr 120x", True, None,
             EPOCHS),
            ("maxpos", "lstm", "adam", {"width": 32}, lr(400), "lr 400x", True, None, EPOCHS),
            ("pulses", "tcn", "adamw", {"width": 24}, lr(20000), "lr 20000x", True, None,
             EPOCHS),
            ("motif", "tokcnn", "adagrad", {"width": 32}, lr(120), "lr 120x", True, None,
             EPOCHS),
            ("irispoly", "deepmlp", "sgd", {}, {"lr_factor": 700, "momentum": 0.0},
             "lr 700x, plain SGD (kills ReLUs)", True, None, EPOCHS),
            ("quad12", "mixer", "nadam", {"act": "silu", "width": 32}, lr(5000), "lr 5000x",
             True, None, EPOCHS),
        ),
        "lr_too_low": (
            ("hastie", "densemlp", "sgd", {}, lr(6e-4), "lr 6e-4x", True, None, EPOCHS),
            ("friedman", "deepmlp", "adam", {"act": "mish"}, lr(2.5e-4), "lr 2.5e-4x", True,
             None, EPOCHS),
            ("roll", "gatedmlp", "radam", {}, lr(9e-5), "lr 9e-5x", True, None, EPOCHS),
            ("irispoly", "deepmlp", "rmsprop", {"act": "tanh"}, lr(3e-5), "lr 3e-5x", True,
             None, EPOCHS),
            ("quad12", "dwcnn", "adamw", {"width": 16}, lr(1e-5), "lr 1e-5x", True, None,
             EPOCHS),
            ("maxpos", "tcn", "nesterov", {"width": 24}, lr(6e-4), "lr 6e-4x", True, None,
             EPOCHS),
            ("pulses", "lstm", "adamax", {"width": 32}, lr(2.5e-4), "lr 2.5e-4x", True, None,
             EPOCHS),
            ("motif", "tokcnn", "adam", {"width": 32}, lr(5e-6), "lr 5e-6x", True, None,
             EPOCHS),
            ("quad12", "mixer", "adagrad", {"act": "silu", "width": 32}, lr(9e-5), "lr 9e-5x",
             True, None, EPOCHS),
        ),
        "vanishing_gradients": (
            ("hastie", "deepmlp", "sgd", {**deep, "act": "sigmoid"}, {},
             "8 sigmoid layers (architecture)", False, None, EPOCHS),
            ("friedman", "deepmlp", "nesterov", {"depth": 9, "width": 40, "act": "sigmoid"},
             {}, "9 sigmoid layers (architecture)", False, None, EPOCHS),
            ("irispoly", "deepmlp", "rmsprop", {**deep, "act": "sigmoid"}, {},
             "8 sigmoid layers (architecture)", False, None, EPOCHS),
            ("friedman", "deepmlp", "sgd", {**deep, "act": "tanh", "weight_scale": 0.3}, {},
             "8 tanh layers, weights 0.3x", True, None, EPOCHS),
            ("roll", "deepmlp", "adam", {**deep, "act": "softplus", "weight_scale": 0.35}, {},
             "8 softplus layers, weights 0.35x", True, None, EPOCHS),
            ("irispoly", "deepmlp", "nesterov", {**deep, "act": "mish", "weight_scale": 0.3},
             {}, "8 mish layers, weights 0.3x", True, None, EPOCHS),
            ("quad12", "deepmlp", "sgd", {**deep, "act": "tanh", "weight_scale": 0.3}, {},
             "8 tanh layers, weights 0.3x", True, None, EPOCHS),
            ("pulses", "deepmlp", "nesterov", {**deep, "act": "elu", "weight_scale": 0.25}, {},
             "8 elu layers, weights 0.25x", True, None, EPOCHS),
            ("maxpos", "deepmlp", "adamw", {**deep, "act": "tanh", "weight_scale": 0.2}, {},
             "8 tanh layers, weights 0.2x", True, None, EPOCHS),
        ),
        "exploding_gradients": (
            ("hastie", "deepmlp", "sgd", {**deep, "weight_scale": 9}, {},
             "8 relu layers, weights 9x", True, None, EPOCHS),
            ("friedman", "deepmlp", "nesterov", {"depth": 7, "act": "elu",
                                                 "weight_scale": 13}, {},
             "7 elu layers, weights 13x", True, None, EPOCHS),
            ("roll", "deepmlp", "adam", {**deep, "act": "hardswish", "weight_scale": 16}, {},
             "8 hardswish layers, weights 16x", True, None, EPOCHS),
            ("irispoly", "deepmlp", "rmsprop", {"depth": 6, "weight_scale": 13}, {},
             "6 relu layers, weights 13x", True, None, EPOCHS),
            ("quad12", "deepmlp", "adagrad", {"depth": 6, "weight_scale": 9}, {},
             "6 relu layers, weights 9x", True, None, EPOCHS),
            ("pulses", "tcn", "sgd", {"depth": 6, "width": 24, "weight_scale": 7}, {},
             "6 residual conv layers, weights 7x", True, None, EPOCHS),
            ("friedman", "gatedmlp", "adamw", {"depth": 5, "weight_scale": 6}, {},
             "5 GLU blocks, weights 6x", True, None, EPOCHS),
            ("roll", "densemlp", "radam", {"depth": 5, "weight_scale": 10}, {},
             "5 dense relu layers, weights 10x", True, None, EPOCHS),
            ("maxpos", "deepmlp", "nadam", {"depth": 7, "act": "mish", "weight_scale": 14},
             {}, "7 mish layers, weights 14x", True, None, EPOCHS),
        ),
        "dead_units": (
            ("hastie", "deepmlp", "adam", {"depth": 3, "bias": -4.5}, {}, "relu biases -4.5",
             True, None, EPOCHS),
            ("friedman", "deepmlp", "sgd", {"depth": 4, "bias": -7.0}, {}, "relu biases -7",
             True, None, EPOCHS),
            ("roll", "densemlp", "nesterov", {"depth": 3, "bias": -3.5}, {},
             "dense relu biases -3.5", True, None, EPOCHS),
            ("irispoly", "deepmlp", "rmsprop", {"depth": 3, "bias": -9.0}, {},
             "relu biases -9", True, None, EPOCHS),
            ("quad12", "deepmlp", "adamw", {"depth": 3, "bias": -4.5}, {}, "relu biases -4.5",
             True, None, EPOCHS),
            ("pulses", "tcn", "adam", {"width": 24, "bias": -7.0}, {},
             "residual conv relu biases -7", True, None, EPOCHS),
            ("motif", "tokcnn", "nesterov", {"width": 32, "bias": -9.0}, {},
             "token conv relu biases -9", True, None, EPOCHS),
            ("maxpos", "deepmlp", "adagrad", {"depth": 3, "bias": -5.5}, {},
             "relu biases -5.5", True, None, EPOCHS),
            ("roll", "deepmlp", "radam", {"depth": 3, "act": "hardswish", "bias": -8.0}, {},
             "hardswish biases -8", True, None, EPOCHS),
        ),
        "saturated_units": (
            ("hastie_x30", "deepmlp", "sgd", {"act": "tanh"}, {},
             "raw inputs x30+12, tanh (standardise: not a config)", False, None, EPOCHS),
            ("hastie_x30", "deepmlp", "adam", {"act": "sigmoid"}, {},
             "raw inputs x30+12, sigmoid (standardise: not a config)", False, None, EPOCHS),
            ("hastie_x30", "densemlp", "rmsprop", {"act": "tanh"}, {},
             "raw inputs x30+12, dense tanh (standardise: not a config)", False, None,
             EPOCHS),
            ("friedman", "deepmlp", "nesterov", {"depth": 3, "act": "tanh",
                                                 "weight_scale": 20}, {},
             "tanh weights 20x", True, None, EPOCHS),
            ("roll", "deepmlp", "adamw", {"depth": 3, "act": "sigmoid", "weight_scale": 8},
             {}, "sigmoid weights 8x", True, None, EPOCHS),
            ("irispoly", "deepmlp", "sgd", {"depth": 3, "act": "sigmoid", "bias": 7.0}, {},
             "sigmoid biases +7", True, None, EPOCHS),
            ("quad12", "deepmlp", "sgd", {"depth": 3, "act": "tanh", "bias": 5.0}, {},
             "tanh biases +5", True, None, EPOCHS),
            ("maxpos", "lstm", "adam", {"width": 32, "weight_scale": 15}, {},
             "LSTM weights 15x", True, None, EPOCHS),
            ("motif", "tokcnn", "radam", {"act": "tanh", "width": 32, "weight_scale": 20}, {},
             "token conv tanh weights 20x", True, None, EPOCHS),
        ),
        "overfitting": (
            ("hastie", "deepmlp", "adam", {"width": 512}, {}, "512 wide, 48 examples", True,
             48, _OVER),
            ("friedman", "densemlp", "adam", {"width": 384}, {}, "dense 384 wide, 40 examples",
             True, 40, _OVER),
            ("roll", "gatedmlp", "nadam", {"width": 256}, {}, "GLU 256 wide, 56 examples",
             True, 56, _OVER),
            ("pulses", "deepmlp", "adam", {"width": 640}, {}, "640 wide, 48 examples", True,
             48, _OVER),
            ("maxpos", "deepmlp", "adam", {"width": 512}, {"batch_size": 16},
             "512 wide, 40 sequences, batch 16", True, 40, _OVER),
            ("quad12", "mixer", "adamax", {"act": "silu", "width": 96}, {},
             "mixer 96 wide, 48 examples", True, 48, _OVER),
            ("maxpos", "lstm", "adam", {"width": 128}, {"batch_size": 8},
             "LSTM 128 wide, 40 examples, batch 8", True, 40, _OVER),
            ("motif", "tokcnn", "adam", {"width": 256}, {}, "token CNN 256 wide, 48 examples",
             True, 48, _OVER),
            ("friedman", "deepmlp", "rmsprop", {"width": 768, "depth": 3}, {},
             "768 wide x3, 40 examples", True, 40, _OVER),
        ),
        "underfitting": (
            ("roll", "deepmlp", "adam", {"width": 2, "depth": 1}, {}, "2 hidden units",
             False, None, EPOCHS),
            ("hastie", "deepmlp", "adam", {"width": 2, "depth": 1}, {}, "2 hidden units",
             False, None, EPOCHS),
            ("motif", "tokcnn", "adam", {"width": 1}, {}, "1 filter per width", False, None,
             EPOCHS),
            ("friedman", "deepmlp", "sgd", {}, {"weight_decay": 0.3}, "L2 0.3 (SGD)", True,
             None, EPOCHS),
            ("irispoly", "deepmlp", "rmsprop", {}, {"weight_decay": 0.8}, "L2 0.8 (RMSprop)",
             True, None, EPOCHS),
            ("pulses", "tcn", "adagrad", {"width": 24}, {"weight_decay": 0.8},
             "L2 0.8 (Adagrad)", True, None, EPOCHS),
            ("friedman", "deepmlp", "adamw", {}, {"weight_decay": 40.0},
             "decoupled decay 40 (AdamW)", True, None, EPOCHS),
            ("roll", "densemlp", "nadam", {}, {"weight_decay": 2.0}, "L2 2.0 (NAdam)", True,
             None, EPOCHS),
            ("maxpos", "deepmlp", "adam", {"width": 96}, {"dropout": 0.88}, "dropout 0.88",
             True, None, EPOCHS),
            ("hastie", "densemlp", "nesterov", {}, {"dropout": 0.9}, "dropout 0.9", True,
             None, EPOCHS),
        ),
        "plateau": (
            ("hastie", "deepmlp", "adam", {}, {"schedule": "cosine_restarts",
             "schedule_params": {"cycles": 10, "period_mult": 1, "decay": 0.01}},
             "cosine restarts, each peak 0.01x the last", True, None, EPOCHS),
            ("friedman", "gatedmlp", "sgd", {}, {"schedule": "cosine_restarts",
             "schedule_params": {"cycles": 12, "period_mult": 1, "decay": 0.003}},
             "cosine restarts, each peak 0.003x the last", True, None, EPOCHS),
            ("roll", "densemlp", "nesterov", {}, {"schedule": "exponential",
             "schedule_params": {"final": 1e-9}}, "exponential to 1e-9", True, None, EPOCHS),
            ("irispoly", "deepmlp", "adamw", {}, {"schedule": "cosine_restarts",
             "schedule_params": {"cycles": 8, "period_mult": 1, "decay": 0.02}},
             "cosine restarts, each peak 0.02x the last", True, None, EPOCHS),
            ("quad12", "dwcnn", "adam", {"width": 16}, {"schedule": "cosine_restarts",
             "schedule_params": {"cycles": 4, "period_mult": 1, "decay": 0.01}},
             "cosine restarts x4, each peak 0.01x the last", True, None, EPOCHS),
            ("maxpos", "tcn", "rmsprop", {"width": 24}, {"schedule": "cosine_restarts",
             "schedule_params": {"cycles": 10, "period_mult": 1, "decay": 0.005}},
             "cosine restarts, each peak 0.005x the last", True, None, EPOCHS),
            ("pulses", "lstm", "adam", {"width": 32}, {"schedule": "cosine_restarts",
             "schedule_params": {"cycles": 4, "period_mult": 1, "decay": 0.005}},
             "cosine restarts x4, each peak 0.005x the last", True, None, EPOCHS),
            ("motif", "tokcnn", "adamax", {"width": 32}, {"schedule": "cosine_restarts",
             "schedule_params": {"cycles": 10, "period_mult": 1, "decay": 0.01}},
             "cosine restarts, each peak 0.01x the last", True, None, EPOCHS),
            ("quad12", "mixer", "adamw", {"act": "silu", "width": 32},
             {"schedule": "cosine_restarts",
             "schedule_params": {"cycles": 3, "period_mult": 1, "decay": 0.01}},
             "cosine restarts x3, each peak 0.01x the last", True, None, EPOCHS),
        ),
    }


def eighth_zoo() -> list[Case]:
    """Every case of the zoo, in a fixed order (healthy first, then per code)."""
    cases = []
    for i, (data, arch, opt, model, extra) in enumerate(_HEALTHY):
        seed = SEEDS[i % len(SEEDS)]
        cases.append(Case(f"healthy-{i:02d}-{data}-{arch}-{opt}", "healthy", "healthy recipe",
                          data, arch, opt, seed, _config(opt, seed=seed, **extra), dict(model)))
    for code, recipes in _sick().items():
        for i, (data, arch, opt, model, extra, recipe, curable, n, epochs) in enumerate(
                recipes):
            seed = SEEDS[(i + len(code)) % len(SEEDS)]
            kw = dict(extra)
            factor = kw.pop("lr_factor", 1.0)
            cases.append(Case(f"{code}-{i:02d}-{data}-{arch}-{opt}", code, recipe, data, arch,
                              opt, seed, _config(opt, factor, seed=seed, **kw), dict(model),
                              epochs, n, curable))
    return cases


def select(cases: list[Case], only: str | None) -> list[Case]:
    """The cases whose label or name contains ``only`` (all of them for None)."""
    return [c for c in cases if only is None or only in c.label or only in c.name]
