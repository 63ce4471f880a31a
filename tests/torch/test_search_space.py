"""The ready search space: valid conditional configs, overrides, the declared (YAML) twin, and
replaying a finished trial's params into the same config."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import tunecraft
from tunecraft.config import parse_space, suggest_space
from tunecraft.samplers import RandomSampler
from tunecraft.torch.optimizers import OptimizerConfig
from tunecraft.torch.schedule_search import suggest_schedule
from tunecraft.torch.search_space import (
    FixedParams,
    config_from_params,
    suggest_mlp,
    suggest_training_config,
    training_space,
)
from tunecraft.torch.train_config import TrainConfig

ALL_OPTIMIZERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad"]
ALL_SCHEDULES = ["constant", "step", "multistep", "exponential", "cosine", "cosine_restarts",
                 "one_cycle", "linear", "polynomial"]
WIDE: dict[str, Any] = {"optimizer": ALL_OPTIMIZERS, "schedule": ALL_SCHEDULES}


def _trials(n: int, seed: int = 0) -> list[tunecraft.Trial]:
    study = tunecraft.create_study(sampler=RandomSampler(seed=seed))
    return [study.ask() for _ in range(n)]


def test_every_sampled_config_is_valid_and_conditional_params_follow_their_parent() -> None:
    seen_optimizers, seen_schedules = set(), set()
    for trial in _trials(60):
        cfg = suggest_training_config(trial, **WIDE)
        assert isinstance(cfg, TrainConfig)  # __post_init__ validated every field
        names = set(trial.params)
        seen_optimizers.add(cfg.optimizer)
        seen_schedules.add(cfg.schedule)
        assert ("optimizer_sgd_momentum" in names) == (cfg.optimizer == "sgd")
        assert ("optimizer_adam_beta1" in names) == (cfg.optimizer in ("adam", "adamw"))
        assert ("optimizer_rmsprop_alpha" in names) == (cfg.optimizer == "rmsprop")
        assert ("schedule_warmup_pct" in names) == (cfg.schedule != "one_cycle")
        assert ("reg_max_grad_norm" in names) == bool(trial.params["grad_clip"])
        assert (cfg.grad_clip is None) == (not trial.params["grad_clip"])
        assert cfg.lr == trial.params["optimizer_lr"]
        assert cfg.batch_size in (16, 32, 64, 128, 256)
        if cfg.optimizer in ("adam", "adamw"):
            assert cfg.betas == (trial.params["optimizer_adam_beta1"],
                                 trial.params["optimizer_adam_beta2"])
    assert seen_optimizers == set(ALL_OPTIMIZERS)
    assert len(seen_schedules) >= 7


def test_fit_rebuilds_exactly_the_schedule_that_suggest_schedule_builds() -> None:
    from tunecraft.torch.schedules import schedule_from_config

    for trial in _trials(60, seed=3):
        cfg = suggest_training_config(trial, **WIDE)
        for total in (37, 1000):  # fit's formula, for any run length
            warm = min(round(cfg.warmup_pct * total), total - 1)
            ours = schedule_from_config(cfg.schedule, total, warmup_steps=warm,
                                        **cfg.schedule_params)
            theirs = suggest_schedule(FixedParams(trial.params), total,
                                      choices=ALL_SCHEDULES)
            assert ours == theirs


def test_overrides_fix_values_and_narrow_ranges() -> None:
    for trial in _trials(15):
        cfg = suggest_training_config(
            trial, lr=(1e-3, 1e-2), batch_size=64, optimizer="adamw", weight_decay=1e-4,
            schedule=["cosine"], dropout=0.0, label_smoothing=None, grad_clip=1.0,
            init="kaiming_uniform", patience=3, seed=7, metric="loss")
        assert 1e-3 <= cfg.lr <= 1e-2
        assert (cfg.batch_size, cfg.optimizer, cfg.weight_decay) == (64, "adamw", 1e-4)
        assert (cfg.schedule, cfg.dropout, cfg.label_smoothing) == ("cosine", 0.0, 0.0)
        assert (cfg.grad_clip, cfg.init, cfg.patience, cfg.seed) == (1.0, "kaiming_uniform", 3, 7)
        assert cfg.metric == "loss"
        assert not {"batch_size", "init", "grad_clip", "reg_dropout",
                    "optimizer_weight_decay"} & set(trial.params)
    with pytest.raises(ValueError, match="dropout"):
        suggest_training_config(_trials(1)[0], dropout=(0.5, 0.1))


def test_lr_scaling_scales_the_searched_rate_to_the_chosen_batch() -> None:
    for trial in _trials(10):
        cfg = suggest_training_config(trial, lr_scaling="sqrt", base_batch_size=32)
        searched = trial.params["optimizer_lr"]
        assert cfg.lr == pytest.approx(searched * (cfg.batch_size / 32) ** 0.5)


def test_the_declared_space_has_the_same_dims_and_conditions() -> None:
    declared = parse_space(training_space(**WIDE, mlp={}))
    dims = declared.dims
    for trial in _trials(80, seed=5):
        suggest_training_config(trial, **WIDE)
        suggest_mlp(trial, 64, 10)
        asked = dict(trial.distributions)
        active = {p.name for p in declared if p.is_active(dict(trial.params))}
        assert set(asked) == active
        for name, dim in asked.items():
            assert dims[name] == dim, name


def test_params_from_the_declared_space_replay_into_a_config() -> None:
    study = tunecraft.create_study(sampler=RandomSampler(seed=2))
    space = training_space(lr=(1e-4, 1e-1), optimizer=["sgd", "adamw"], mlp={"depth": (1, 2)})
    for _ in range(20):
        trial = study.ask()
        params = suggest_space(trial, space)
        cfg = config_from_params(params, lr=(1e-4, 1e-1), optimizer=["sgd", "adamw"])
        assert cfg.lr == params["optimizer_lr"] and cfg.optimizer == params["optimizer"]
        net = suggest_mlp(FixedParams(params), 64, 10, depth=(1, 2))
        assert net.depth == params["mlp_depth"] and net.activation == params["mlp_activation"]
    with pytest.raises(ValueError, match="'batch_size' is missing"):
        config_from_params({})


def test_suggest_mlp_builds_the_asked_network() -> None:
    pytest.importorskip("torch")
    from torch import nn

    trial = _trials(1)[0]
    spec = suggest_mlp(trial, 64, 10, depth=(2, 2), width=(16, 16), activation=["tanh"])
    model = spec(TrainConfig(dropout=0.25))
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "Tanh", "Dropout"] * 2 + ["Linear"]
    assert model[2].p == 0.25 and model[0].in_features == 64 and model[-1].out_features == 10
    assert isinstance(model, nn.Sequential)
    fixed = suggest_mlp(_trials(1)[0], 8, 2, depth=1, width=4, activation="gelu")
    assert (fixed.depth, fixed.width, fixed.activation) == (1, 4, "gelu")


def test_train_config_validates_and_round_trips() -> None:
    cfg = TrainConfig(lr=0.1, optimizer="sgd", nesterov=True, schedule="cosine",
                      schedule_params={"final": 0.01}, warmup_pct=0.1, grad_clip=5.0)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    for bad, match in [({"lr": 0.0}, "lr"), ({"batch_size": 0}, "batch_size"),
                       ({"schedule": "zigzag"}, "schedule"), ({"init": "zeros"}, "init"),
                       # since issue #14 metric may name a fit(metrics=...) entry ("f1"
                       # is valid); an empty name or a bad direction is not
                       ({"metric": ""}, "metric"), ({"direction": "up"}, "direction"),
                       ({"patience": 0}, "patience"),
                       ({"schedule_params": {"warmup_steps": 5}}, "warmup_pct")]:
        with pytest.raises(ValueError, match=match):
            TrainConfig(**bad)
    with pytest.raises(TypeError, match="does not take"):
        TrainConfig(schedule="cosine", schedule_params={"gamma": 0.5})


def test_yaml_users_rebuild_the_config_from_params_without_suggesting_twice() -> None:
    """The YAML ``space:`` block (training_space) is suggested once, by the CLI's wrapper;
    the objective reads its config with TrainConfig.from_params: the same params, hence the
    same configs, as define-by-run suggest_training_config on an identically seeded study."""
    from tunecraft.config.build import with_space

    declared = parse_space(training_space())
    configs: list[TrainConfig] = []

    def objective(trial: tunecraft.Trial) -> float:
        asked = dict(trial.distributions)
        configs.append(TrainConfig.from_params(trial.params))
        assert dict(trial.distributions) == asked  # nothing was suggested again
        return configs[-1].lr

    yaml_study = tunecraft.create_study(sampler=RandomSampler(seed=3))
    yaml_study.optimize(with_space(objective, declared), n_trials=25)
    study = tunecraft.create_study(sampler=RandomSampler(seed=3))
    for trial, cfg, done in zip(_trials_of(study, 25), configs, yaml_study.trials, strict=True):
        assert suggest_training_config(trial) == cfg
        assert trial.params == done.params
        study.tell(trial, cfg.lr)


def _trials_of(study: tunecraft.Study, n: int) -> Iterator[tunecraft.Trial]:
    for _ in range(n):
        yield study.ask()


def test_from_params_takes_the_keywords_of_the_space_and_names_what_is_missing() -> None:
    trial = _trials(1)[0]
    space: dict[str, Any] = {"batch_size": 32, "optimizer": "sgd", "schedule": "cosine",
                             "grad_clip": None, "seed": 4, "metric": "loss"}
    cfg = suggest_training_config(trial, **space)
    assert TrainConfig.from_params(trial.params, **space) == cfg
    assert (cfg.batch_size, cfg.seed, cfg.metric, cfg.grad_clip) == (32, 4, "loss", None)
    with pytest.raises(ValueError, match="'batch_size' is missing.*fixed value"):
        TrainConfig.from_params(trial.params)  # batch_size was fixed, not searched
    with pytest.raises(TypeError, match="unknown search-space keyword.*'optimiser'"):
        TrainConfig.from_params(trial.params, optimiser="sgd")


def test_train_config_holds_an_optimizer_config_and_keeps_the_flat_keywords() -> None:
    sgd = OptimizerConfig("sgd", 0.1, momentum=0.8, nesterov=True)
    cfg = TrainConfig(sgd, batch_size=32)
    assert cfg.optim is sgd and cfg.optimizer_config() is sgd
    assert cfg == TrainConfig(lr=0.1, optimizer="sgd", momentum=0.8, nesterov=True,
                              batch_size=32)
    assert (cfg.lr, cfg.optimizer, cfg.momentum, cfg.nesterov) == (0.1, "sgd", 0.8, True)
    assert TrainConfig().optim == OptimizerConfig("adamw", 1e-3)
    # flat keywords override the given optim's fields; replace() changes them in optim
    assert TrainConfig(sgd, lr=0.5).optim == OptimizerConfig("sgd", 0.5, momentum=0.8,
                                                             nesterov=True)
    moved = cfg.replace(lr=0.2, momentum=None, nesterov=False, warmup_pct=0.1)
    assert moved.optim == OptimizerConfig("sgd", 0.2) and moved.warmup_pct == 0.1
    assert cfg.replace(optim=OptimizerConfig("adam", 3e-4)).optimizer == "adam"
    # to_dict stays flat (stored checkpoints compare equal); a non-default exclusion survives
    assert cfg.to_dict()["optimizer"] == "sgd" and "optim" not in cfg.to_dict()
    kept = TrainConfig(OptimizerConfig("adamw", 1e-3, exclude_from_weight_decay=False))
    assert TrainConfig.from_dict(kept.to_dict()) == kept
    assert "exclude_from_weight_decay" not in TrainConfig().to_dict()
    with pytest.raises(TypeError, match="OptimizerConfig"):
        TrainConfig("sgd")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nesterov"):
        cfg.replace(optimizer="adam")


def test_every_declared_knob_is_a_keyword_of_what_its_option_builds() -> None:
    """The declaration maps each searched parameter onto a keyword of schedule_from_config
    or OptimizerConfig; a renamed keyword fails here, not in a user's study."""
    from tunecraft.space import Categorical, Float, Int
    from tunecraft.torch.declared_space import OPTIMIZER_KNOBS, SCHEDULE_KNOBS
    from tunecraft.torch.named_schedules import SCHEDULE_NAMES, schedule_from_config

    def value(dim: Float | Int | Categorical) -> Any:
        return dim.choices[-1] if isinstance(dim, Categorical) else dim.high

    for knob in SCHEDULE_KNOBS:
        for option in knob.options:
            assert option in SCHEDULE_NAMES
            schedule_from_config(option, 100, **{knob.key: value(knob.dim)})
    fields = set(OptimizerConfig.__dataclass_fields__) | {"beta1", "beta2"}
    assert {k.key for k in OPTIMIZER_KNOBS} <= fields


def test_the_space_of_the_same_keywords_is_built_once_and_bools_are_not_numbers() -> None:
    from tunecraft.torch.declared_space import training_space_of

    assert training_space_of(optimizer=["sgd", "adam"]) is training_space_of(
        optimizer=("sgd", "adam"))
    assert training_space_of(max_warmup_pct=0).max_warmup_pct == 0
    with pytest.raises(ValueError, match="max_warmup_pct=False"):
        training_space_of(max_warmup_pct=False)  # not the cached space of max_warmup_pct=0
    with pytest.raises(ValueError, match="grad_clip=\\(1.0, 0.5\\): low must be below high"):
        suggest_training_config(_trials(1)[0], grad_clip=(1.0, 0.5))
