"""TrainConfig: one frozen, validated record of everything :func:`tunecraft.torch.fit` tunes.

Plain data (numbers and names, no torch objects), so a config prints, compares, round-trips
through JSON/YAML and can be rebuilt from a finished trial's parameters
(:meth:`TrainConfig.from_params`). It holds the optimizer as an
:class:`~tunecraft.torch.optimizers.OptimizerConfig` (``optim``), whose fields also read and
are accepted as ``lr``, ``optimizer`` (the name), ``weight_decay``, ``momentum``...; the
schedule is a name and parameters for :func:`~tunecraft.torch.schedules.schedule_from_config`,
with the warm-up given as a fraction of the run so that one config fits any data size.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from tunecraft._validation import InstanceOf, Interval, Options, Spec, Text, check, validate
from tunecraft.torch._types import SuggestTrial
from tunecraft.torch.declared_space import TrainingSpace, training_space_of
from tunecraft.torch.init import _ALIASES, SCHEMES
from tunecraft.torch.knobs import FixedParams
from tunecraft.torch.named_schedules import SCHEDULE_NAMES, schedule_from_config
from tunecraft.torch.optimizer_config import OptimizerConfig
from tunecraft.torch.regularization import has_dropout

__all__ = ["METRICS", "OPTIMIZER_KEYWORDS", "TrainConfig", "config_from_trial",
           "model_has_dropout"]

METRICS: tuple[str, ...] = ("accuracy", "loss")
OPTIMIZER_KEYWORDS: Mapping[str, str] = MappingProxyType({
    "lr": "lr", "optimizer": "name", "weight_decay": "weight_decay", "momentum": "momentum",
    "nesterov": "nesterov", "betas": "betas", "eps": "eps", "alpha": "alpha",
    "exclude_from_weight_decay": "exclude_from_weight_decay"})
"""TrainConfig keyword -> the :class:`OptimizerConfig` field it sets."""
_COPIED = ("patience", "min_delta", "seed", "metric")  # copied by suggest_training_config


_FRACTION = Interval(float, 0, 1, closed="left")
_CONSTRAINTS: Spec = {
    "batch_size": Interval(int, 1),
    "warmup_pct": _FRACTION, "dropout": _FRACTION, "label_smoothing": _FRACTION,
    "grad_clip": [Interval(float, 0, closed="neither"), Options(None)],
    "patience": [Interval(int, 1), Options(None)],
    "min_delta": Interval(float, 0),
    "seed": Interval(int, 0, 2**32, closed="left", label="an integer in [0, 2**32)"),
    "metric": Text("'accuracy', 'loss' or the name of a metric given to fit(metrics=...)"),
    "direction": Options("max", "min", None),
}


@dataclass(frozen=True, slots=True, init=False)
class TrainConfig:
    """How to train one model: optimizer, schedule, regularisation, stopping, seed, metric.

    Build it from an :class:`~tunecraft.torch.optimizers.OptimizerConfig` and keywords
    (``TrainConfig(OptimizerConfig("sgd", 0.1, momentum=0.9), batch_size=32)``), or from the
    optimizer's keywords alone (``TrainConfig(lr=0.1, optimizer="sgd", momentum=0.9)``; unset
    ones take the defaults ``adamw``, ``lr=1e-3``); optimizer keywords given with ``optim``
    override its fields (None leaves a field as it is).

    Attributes:
        optim: The optimizer and its settings (biases and norm weights are never decayed
            unless ``exclude_from_weight_decay=False``); ``lr`` is the peak learning rate
            (the base rate the schedule multiplies).
        lr, optimizer, weight_decay, momentum, nesterov, betas, eps, alpha: Read-only views
            of ``optim``'s fields (``optimizer`` is its name: ``sgd``, ``adam``, ``adamw``,
            ``rmsprop`` or ``adagrad``; ``momentum=None`` is the optimizer's usual default).
        batch_size: Mini-batch size (used when ``fit`` gets arrays or a loader factory).
        schedule: A name of :func:`~tunecraft.torch.schedules.schedule_from_config`.
        schedule_params: Its parameters (e.g. ``{"final": 1e-3}`` for cosine).
        warmup_pct: Linear warm-up over this fraction of all steps (0 = none).
        dropout: Rate set on every dropout module of the model.
        init: Weight initialisation of :func:`~tunecraft.torch.init.initialize`
            (``torch_default`` keeps torch's own).
        label_smoothing: Cross-entropy label smoothing (training loss only).
        grad_clip: Clip the global gradient norm to this (None = no clipping).
        patience: Early-stopping patience in epochs (None = train all epochs).
        min_delta: Smallest change of the metric that counts as an improvement.
        seed: Seeds torch, numpy and ``random``, and the batch order.
        metric: What is reported to the trial, early-stopped on, and returned as
            ``best_metric``: ``accuracy`` or ``loss`` on the validation data, or the name of
            one of the metrics given to ``fit(metrics=...)``.
        direction: ``max`` or ``min`` for ``metric``; None infers it (``accuracy``: max,
            ``loss``: min, other names from their wording, e.g. ``f1`` max, ``mae`` min).
    """

    optim: OptimizerConfig
    batch_size: int
    schedule: str
    schedule_params: Mapping[str, Any]
    warmup_pct: float
    dropout: float
    init: str
    label_smoothing: float
    grad_clip: float | None
    patience: int | None
    min_delta: float
    seed: int
    metric: str
    direction: Literal["max", "min"] | None

    def __init__(
        self, optim: OptimizerConfig | None = None, *, batch_size: int = 64,
        schedule: str = "constant", schedule_params: Mapping[str, Any] | None = None,
        warmup_pct: float = 0.0, dropout: float = 0.0, init: str = "torch_default",
        label_smoothing: float = 0.0, grad_clip: float | None = None,
        patience: int | None = None, min_delta: float = 0.0, seed: int = 0,
        metric: str = "accuracy", direction: Literal["max", "min"] | None = None,
        lr: float | None = None, optimizer: str | None = None,
        weight_decay: float | None = None, momentum: float | None = None,
        nesterov: bool | None = None, betas: tuple[float, float] | None = None,
        eps: float | None = None, alpha: float | None = None,
        exclude_from_weight_decay: bool | None = None,
    ) -> None:
        validate(_CONSTRAINTS, batch_size=batch_size)
        given: dict[str, Any] = {OPTIMIZER_KEYWORDS[k]: v for k, v in (
            ("lr", lr), ("optimizer", optimizer), ("weight_decay", weight_decay),
            ("momentum", momentum), ("nesterov", nesterov),
            ("betas", None if betas is None else tuple(betas)), ("eps", eps),
            ("alpha", alpha), ("exclude_from_weight_decay", exclude_from_weight_decay),
        ) if v is not None}
        if optim is None:
            optim = OptimizerConfig(**{"name": "adamw", "lr": 1e-3, **given})
        else:
            check("optim", optim, InstanceOf(OptimizerConfig, "an OptimizerConfig"),
                  fix="or give the optimizer's keywords instead: lr=..., optimizer='sgd'")
            if given:
                optim = dataclasses.replace(optim, **given)
        params = check("schedule_params", {} if schedule_params is None else schedule_params,
                       InstanceOf(Mapping, "a mapping"))
        for name, value in (
            ("optim", optim), ("batch_size", batch_size), ("schedule", schedule),
            ("schedule_params", MappingProxyType(dict(params))), ("warmup_pct", warmup_pct),
            ("dropout", dropout), ("init", init), ("label_smoothing", label_smoothing),
            ("grad_clip", grad_clip), ("patience", patience), ("min_delta", min_delta),
            ("seed", seed), ("metric", metric), ("direction", direction),
        ):
            object.__setattr__(self, name, value)
        self._validate()

    def _validate(self) -> None:
        if self.schedule not in SCHEDULE_NAMES:
            raise ValueError(f"schedule={self.schedule!r} must be one of {list(SCHEDULE_NAMES)}")
        params = dict(self.schedule_params)
        if "warmup_steps" in params:
            raise ValueError("give the warm-up as warmup_pct (a fraction of the run), not "
                             "schedule_params['warmup_steps']")
        schedule_from_config(self.schedule, 1000, **params)  # unknown/bad parameters raise
        if self.init not in SCHEMES and self.init not in _ALIASES:
            raise ValueError(f"init={self.init!r} must be one of {list(SCHEMES)} or "
                             f"{list(_ALIASES)}")
        validate(_CONSTRAINTS, warmup_pct=self.warmup_pct, dropout=self.dropout,
                 label_smoothing=self.label_smoothing, grad_clip=self.grad_clip,
                 patience=self.patience, min_delta=self.min_delta, seed=self.seed,
                 metric=self.metric, direction=self.direction)

    # the optimizer's fields, read where TrainConfig held them before it held an OptimizerConfig
    @property
    def lr(self) -> float:
        """The peak learning rate (``optim.lr``)."""
        return self.optim.lr

    @property
    def optimizer(self) -> str:
        """The optimizer's name (``optim.name``)."""
        return self.optim.name

    @property
    def weight_decay(self) -> float:
        """``optim.weight_decay``."""
        return self.optim.weight_decay

    @property
    def momentum(self) -> float | None:
        """``optim.momentum`` (None: the optimizer's usual default)."""
        return self.optim.momentum

    @property
    def nesterov(self) -> bool:
        """``optim.nesterov``."""
        return self.optim.nesterov

    @property
    def betas(self) -> tuple[float, float]:
        """``optim.betas``."""
        return self.optim.betas

    @property
    def eps(self) -> float:
        """``optim.eps``."""
        return self.optim.eps

    @property
    def alpha(self) -> float:
        """``optim.alpha``."""
        return self.optim.alpha

    def optimizer_config(self) -> OptimizerConfig:
        """The optimizer part, for :func:`~tunecraft.torch.optimizers.make_optimizer`
        (``optim``)."""
        return self.optim

    @property
    def mode(self) -> Literal["min", "max"]:
        """The direction of the study to use: ``direction``, or inferred from ``metric``
        (``max`` for accuracy, ``min`` for loss; see
        :func:`~tunecraft.torch.metrics.infer_direction`)."""
        if self.direction is not None:
            return self.direction
        from tunecraft.torch.metrics import infer_direction

        return infer_direction(self.metric)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (validated again); the optimizer's keywords
        (``lr``, ``momentum``, ...) change those fields of ``optim``."""
        optim = changes.pop("optim", self.optim)
        moved = {OPTIMIZER_KEYWORDS[k]: changes.pop(k) for k in list(changes)
                 if k in OPTIMIZER_KEYWORDS}
        if moved.get("betas") is not None:
            moved["betas"] = tuple(moved["betas"])
        if moved:
            optim = dataclasses.replace(optim, **moved)
        return dataclasses.replace(self, optim=optim, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-ready values, the optimizer's fields flat (tuples become lists;
        ``exclude_from_weight_decay`` only when it is False)."""
        o = self.optim
        out: dict[str, Any] = {
            "lr": o.lr, "batch_size": self.batch_size, "optimizer": o.name,
            "weight_decay": o.weight_decay, "momentum": o.momentum, "nesterov": o.nesterov,
            "betas": list(o.betas), "eps": o.eps, "alpha": o.alpha, "schedule": self.schedule,
            "schedule_params": dict(self.schedule_params), "warmup_pct": self.warmup_pct,
            "dropout": self.dropout, "init": self.init, "label_smoothing": self.label_smoothing,
            "grad_clip": self.grad_clip, "patience": self.patience, "min_delta": self.min_delta,
            "seed": self.seed, "metric": self.metric, "direction": self.direction,
        }
        if not o.exclude_from_weight_decay:
            out["exclude_from_weight_decay"] = False
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Rebuild a config from :meth:`to_dict` output (unknown keys are an error)."""
        names = set(cls().to_dict()) | {"exclude_from_weight_decay"}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s) {unknown}; known: {sorted(names)}")
        values = dict(data)
        if values.get("betas") is not None:
            values["betas"] = tuple(values["betas"])
        return cls(**values)

    @classmethod
    def from_params(cls, params: Mapping[str, Any], **space: Any) -> TrainConfig:
        """The config a trial of the ready search space trained, from its parameters alone.

        ``params`` is ``trial.params`` (e.g. ``study.best_trial.params``) of a trial that
        used :func:`~tunecraft.torch.search_space.suggest_training_config` or its declared
        form :func:`~tunecraft.torch.search_space.training_space` (the YAML ``space:`` block
        of ``tunecraft run``): an objective there calls ``TrainConfig.from_params(
        trial.params)`` instead of suggesting the space a second time. ``space`` holds the
        keywords that space was built with (those of ``suggest_training_config``, e.g.
        ``batch_size=64`` for a knob fixed there, and ``seed``, ``patience``, ``metric``).
        Parameters of other spaces (``mlp_*``, your own) are ignored.

        Raises:
            ValueError: a parameter of the space is missing from ``params`` (it names it).
        """
        return config_from_trial(FixedParams(params), space, cls)


def model_has_dropout(model: Any) -> bool:
    """Whether a model, or the model a factory builds from a default config, has dropout."""
    built = model if hasattr(model, "modules") else model(TrainConfig())
    return has_dropout(built)


def config_from_trial(trial: SuggestTrial, space: Mapping[str, Any],
                      cls: type[TrainConfig] = TrainConfig) -> TrainConfig:
    """The config that ``space`` (the keywords of ``suggest_training_config``) gives when
    ``trial`` answers its questions: a live trial, or :class:`FixedParams` to read one."""
    kw = dict(space)
    model = kw.pop("model", None)
    copied = {k: kw.pop(k) for k in _COPIED if k in kw}
    known = [f.name for f in dataclasses.fields(TrainingSpace)]
    unknown = sorted(set(kw) - set(known))
    if unknown:
        raise TypeError(f"unknown search-space keyword(s) {unknown}; known: "
                        f"{sorted([*known, *_COPIED, 'model'])}")
    knobs = training_space_of(**kw)
    if model is not None and knobs.searches_dropout and not model_has_dropout(model):
        knobs = dataclasses.replace(knobs, dropout=None)
    return cls(**knobs.ask(trial), **copied)
