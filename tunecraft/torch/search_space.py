"""A ready search space for :func:`tunecraft.torch.fit`: ``suggest_training_config(trial)``.

It asks for the batch size, the optimizer with its conditional parameters, the schedule with
warm-up, dropout, label smoothing and gradient clipping, and the weight initialisation;
network shape comes from :func:`~tunecraft.torch.mlp.suggest_mlp`. Every knob can be fixed (a
single value) or narrowed (a smaller range or fewer choices). The space is declared once, in
:mod:`tunecraft.torch.declared_space` (:class:`~tunecraft.torch.declared_space.TrainingSpace`),
and read three ways: :func:`suggest_training_config` asks a trial,
:func:`config_from_params` (:meth:`TrainConfig.from_params
<tunecraft.torch.TrainConfig.from_params>`) rebuilds the config of a finished trial from its
params, and :func:`training_space` writes the space as a declared-space mapping (the YAML
``space:`` block of the CLI).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from tunecraft.torch._types import SuggestTrial
from tunecraft.torch.declared_space import (
    BATCH_CHOICES,
    DROPOUT_RANGE,
    GRAD_CLIP_RANGE,
    INIT_CHOICES,
    LABEL_SMOOTHING_RANGE,
    LR_RANGE,
    MAX_WARMUP_PCT,
    OPTIMIZER_CHOICES,
    SCHEDULE_CHOICES,
    WEIGHT_DECAY_RANGE,
    MLPSpace,
    training_space_of,
)
from tunecraft.torch.knobs import FixedParams, Range
from tunecraft.torch.mlp import MLPSpec, suggest_mlp
from tunecraft.torch.train_config import TrainConfig, config_from_trial, model_has_dropout

__all__ = ["BATCH_CHOICES", "INIT_CHOICES", "FixedParams", "MLPSpec", "config_from_params",
           "suggest_mlp", "suggest_training_config", "training_space"]


def suggest_training_config(
    trial: SuggestTrial,
    *,
    lr: Range = LR_RANGE,
    batch_size: int | Sequence[int] = BATCH_CHOICES,
    lr_scaling: Literal["linear", "sqrt"] | None = None,
    base_batch_size: int = 32,
    optimizer: str | Sequence[str] = OPTIMIZER_CHOICES,
    weight_decay: Range = WEIGHT_DECAY_RANGE,
    schedule: str | Sequence[str] = SCHEDULE_CHOICES,
    max_warmup_pct: float = MAX_WARMUP_PCT,
    dropout: Range = DROPOUT_RANGE,
    label_smoothing: Range = LABEL_SMOOTHING_RANGE,
    grad_clip: Range = GRAD_CLIP_RANGE,
    init: str | Sequence[str] = INIT_CHOICES,
    patience: int | None = None,
    min_delta: float = 0.0,
    seed: int = 0,
    metric: str = "accuracy",
    model: Any = None,
) -> TrainConfig:
    """Ask ``trial`` for a full :class:`TrainConfig`; keywords fix or narrow each knob.

    A number or name fixes a knob (not asked); a ``(low, high)`` tuple narrows a range; a list
    of values narrows the choices; None switches a knob off. Parameters asked (by name):
    ``batch_size``; ``optimizer``, ``optimizer_lr`` (log), ``optimizer_weight_decay`` (log) and
    the chosen optimizer's own (``optimizer_sgd_momentum``, ``optimizer_adam_beta1``...);
    ``schedule``, ``schedule_warmup_pct`` and the chosen schedule's own; ``reg_dropout``,
    ``reg_label_smoothing``; ``grad_clip`` (on/off) then ``reg_max_grad_norm`` (log); ``init``.

    Args:
        lr: The learning-rate range; pass ``lr_bounds_from_range_test(result)`` to start from
            an LR range test instead of a blind range.
        lr_scaling: With ``"linear"`` or ``"sqrt"``, the searched ``optimizer_lr`` is the rate
            for ``base_batch_size`` and the config's ``lr`` is scaled to the chosen batch size
            (:func:`~tunecraft.torch.batch_size.scale_lr`).
        patience, min_delta, seed, metric: Copied into the config (not searched).
        model: The model (an ``nn.Module``, or the factory given to ``fit``, called once with
            a default config to look inside): when it has no dropout module, ``reg_dropout``
            is not asked (dropout 0) instead of every trial failing in ``fit``.
    """
    return config_from_trial(trial, dict(
        lr=lr, batch_size=batch_size, lr_scaling=lr_scaling, base_batch_size=base_batch_size,
        optimizer=optimizer, weight_decay=weight_decay, schedule=schedule,
        max_warmup_pct=max_warmup_pct, dropout=dropout, label_smoothing=label_smoothing,
        grad_clip=grad_clip, init=init, patience=patience, min_delta=min_delta, seed=seed,
        metric=metric, model=model))


def config_from_params(params: Mapping[str, Any], **space: Any) -> TrainConfig:
    """The :class:`TrainConfig` a trial with these ``params`` trained (e.g. the best trial's),
    given the same keywords as its :func:`suggest_training_config` call; the same as
    :meth:`TrainConfig.from_params <tunecraft.torch.TrainConfig.from_params>`."""
    return TrainConfig.from_params(params, **space)


def training_space(
    *,
    lr: Range = LR_RANGE,
    batch_size: int | Sequence[int] = BATCH_CHOICES,
    optimizer: str | Sequence[str] = OPTIMIZER_CHOICES,
    weight_decay: Range = WEIGHT_DECAY_RANGE,
    schedule: str | Sequence[str] = SCHEDULE_CHOICES,
    max_warmup_pct: float = MAX_WARMUP_PCT,
    dropout: Range = DROPOUT_RANGE,
    label_smoothing: Range = LABEL_SMOOTHING_RANGE,
    grad_clip: Range = GRAD_CLIP_RANGE,
    init: str | Sequence[str] = INIT_CHOICES,
    mlp: Mapping[str, Any] | None = None,
    model: Any = None,
) -> dict[str, Any]:
    """The space of :func:`suggest_training_config` as a declared-space mapping.

    Same keywords, same parameter names, ranges and ``when`` conditions, so a study driven by
    ``tunecraft.config.suggest_space(trial, training_space())`` (e.g. the CLI's YAML ``space:``
    block) yields params that :meth:`TrainConfig.from_params
    <tunecraft.torch.TrainConfig.from_params>` (given the same keywords) turns into the same
    config, without suggesting anything again. ``mlp`` adds :func:`suggest_mlp`'s parameters
    (its keywords, e.g. ``{"depth": (1, 2)}``).
    """
    knobs = training_space_of(lr=lr, batch_size=batch_size, optimizer=optimizer,
                              weight_decay=weight_decay, schedule=schedule,
                              max_warmup_pct=max_warmup_pct, dropout=dropout,
                              label_smoothing=label_smoothing, grad_clip=grad_clip, init=init)
    if model is not None and knobs.searches_dropout and not model_has_dropout(model):
        knobs = dataclasses.replace(knobs, dropout=None)
    out = knobs.declared()
    if mlp is not None:
        out.update(MLPSpace(**mlp).declared())
    return out

