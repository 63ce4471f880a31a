"""TrainConfig: one frozen, validated record of everything :func:`tunecraft.torch.fit` tunes.

Plain data (numbers and names, no torch objects), so a config prints, compares, round-trips
through JSON/YAML and can be rebuilt from a finished trial's parameters. The optimizer fields
are those of :class:`~tunecraft.torch.optimizers.OptimizerConfig`; the schedule is a name and
parameters for :func:`~tunecraft.torch.schedules.schedule_from_config`, with the warm-up given as
a fraction of the run so that one config fits any data size.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from tunecraft.torch.init import _ALIASES, SCHEMES
from tunecraft.torch.optimizers import OptimizerConfig
from tunecraft.torch.schedule_search import SCHEDULE_NAMES, schedule_from_config

__all__ = ["METRICS", "TrainConfig"]

METRICS: tuple[str, ...] = ("accuracy", "loss")


def _fraction(name: str, value: object, *, high: float = 1.0) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            0.0 <= value < high):
        raise ValueError(f"{name}={value!r} must be a number in [0, {high})")


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """How to train one model: optimizer, schedule, regularisation, stopping, seed, metric.

    Attributes:
        lr: Peak learning rate (the base rate the schedule multiplies).
        batch_size: Mini-batch size (used when ``fit`` gets arrays or a loader factory).
        optimizer: ``sgd``, ``adam``, ``adamw``, ``rmsprop`` or ``adagrad``.
        weight_decay, momentum, nesterov, betas, eps, alpha: Optimizer settings, as in
            :class:`~tunecraft.torch.optimizers.OptimizerConfig` (biases and norm weights are
            never decayed; ``momentum=None`` is the optimizer's usual default).
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

    lr: float = 1e-3
    batch_size: int = 64
    optimizer: str = "adamw"
    weight_decay: float = 0.0
    momentum: float | None = None
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    alpha: float = 0.99
    schedule: str = "constant"
    schedule_params: Mapping[str, Any] = field(default_factory=dict)
    warmup_pct: float = 0.0
    dropout: float = 0.0
    init: str = "torch_default"
    label_smoothing: float = 0.0
    grad_clip: float | None = None
    patience: int | None = None
    min_delta: float = 0.0
    seed: int = 0
    metric: str = "accuracy"
    direction: Literal["max", "min"] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or (
                self.batch_size < 1):
            raise ValueError(f"batch_size={self.batch_size!r} must be a positive integer")
        object.__setattr__(self, "betas", tuple(self.betas))
        self.optimizer_config()  # validates lr and the optimizer fields
        if self.schedule not in SCHEDULE_NAMES:
            raise ValueError(f"schedule={self.schedule!r} must be one of {list(SCHEDULE_NAMES)}")
        if not isinstance(self.schedule_params, Mapping):
            raise TypeError(f"schedule_params={self.schedule_params!r} must be a mapping")
        params = dict(self.schedule_params)
        if "warmup_steps" in params:
            raise ValueError("give the warm-up as warmup_pct (a fraction of the run), not "
                             "schedule_params['warmup_steps']")
        schedule_from_config(self.schedule, 1000, **params)  # unknown/bad parameters raise
        object.__setattr__(self, "schedule_params", MappingProxyType(params))
        _fraction("warmup_pct", self.warmup_pct)
        _fraction("dropout", self.dropout)
        _fraction("label_smoothing", self.label_smoothing)
        if self.init not in SCHEMES and self.init not in _ALIASES:
            raise ValueError(f"init={self.init!r} must be one of {list(SCHEMES)} or "
                             f"{list(_ALIASES)}")
        if self.grad_clip is not None and (
                isinstance(self.grad_clip, bool) or not isinstance(self.grad_clip, (int, float))
                or not (math.isfinite(self.grad_clip) and self.grad_clip > 0)):
            raise ValueError(f"grad_clip={self.grad_clip!r} must be a positive number or None")
        if self.patience is not None and (
                isinstance(self.patience, bool) or not isinstance(self.patience, int)
                or self.patience < 1):
            raise ValueError(f"patience={self.patience!r} must be an integer >= 1 or None")
        _fraction("min_delta", self.min_delta, high=math.inf)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not (
                0 <= self.seed < 2**32):
            raise ValueError(f"seed={self.seed!r} must be an integer in [0, 2**32)")
        if not isinstance(self.metric, str) or not self.metric:
            raise ValueError(f"metric={self.metric!r} must be 'accuracy', 'loss' or the name "
                             "of a metric given to fit(metrics=...)")
        if self.direction not in (None, "max", "min"):
            raise ValueError(f"direction={self.direction!r} must be 'max', 'min' or None")

    def optimizer_config(self) -> OptimizerConfig:
        """The optimizer part, for :func:`~tunecraft.torch.optimizers.make_optimizer`."""
        return OptimizerConfig(self.optimizer, self.lr, self.weight_decay, self.momentum,
                               self.nesterov, self.betas, self.eps, self.alpha)

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
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-ready values (tuples become lists)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["betas"] = list(self.betas)
        out["schedule_params"] = dict(self.schedule_params)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Rebuild a config from :meth:`to_dict` output (unknown keys are an error)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s) {unknown}; known: {sorted(names)}")
        values = dict(data)
        if "betas" in values:
            values["betas"] = tuple(values["betas"])
        return cls(**values)
