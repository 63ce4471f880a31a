"""What the doctor reads off the optimizer and the model, not off the training signal: the
share of the weights weight decay removes per step, the learning rate in force, whether the
optimizer's steps shrink by design, the largest dropout probability, and the width of the
model's output layer."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

__all__ = ["accumulates", "decay_per_step", "dropout_rate", "learning_rate", "output_width"]


def decay_per_step(optimizer: Any) -> float | None:
    """The share of the weights that weight decay alone removes per step: ``lr * wd`` for
    decoupled decay (AdamW), ``lr * wd / (1 - momentum)`` for SGD (heavy-ball steps add up);
    None without an optimizer, without decay, or for coupled decay in adaptive optimizers
    (Adam, RMSprop), whose normalised steps the update/weight cosine measures instead."""
    if optimizer is None or not getattr(optimizer, "param_groups", None):
        return None
    group = max(optimizer.param_groups, key=lambda g: float(g.get("weight_decay") or 0.0))
    wd = float(group.get("weight_decay") or 0.0)
    lr = float(group.get("initial_lr", group.get("lr", 0.0)) or 0.0)
    name = type(optimizer).__name__
    if wd <= 0 or lr <= 0:
        return None
    if name == "AdamW":
        return lr * wd
    if name == "SGD":
        momentum = min(float(group.get("momentum") or 0.0), 0.99)
        return lr * wd / (1.0 - momentum)
    return None


def learning_rate(optimizer: Any) -> float | None:
    """The largest learning rate over the optimizer's parameter groups now (what a schedule
    set for this step), or None without an optimizer or a numeric rate."""
    if optimizer is None or not getattr(optimizer, "param_groups", None):
        return None
    try:
        rates = [float(g.get("lr") or 0.0) for g in optimizer.param_groups]
    except (TypeError, ValueError):  # a tensor-valued or odd rate: not read
        return None
    rate = max(rates, default=0.0)
    return rate if math.isfinite(rate) and rate > 0 else None


def accumulates(optimizer: Any) -> bool:
    """Whether the optimizer divides each step by the root of the *sum* of all past squared
    gradients (Adagrad; Duchi, Hazan & Singer, JMLR 2011, Eq. 1 with a diagonal matrix).

    Its first step is ``lr x g / |g| = lr x sign(g)`` per weight, the largest it ever takes:
    the denominator only grows, so the steps shrink about as ``1 / sqrt(t)`` on their own.
    The first step's size therefore says how large the steps *start*, not how large they
    stay (for Adam and RMSprop, whose moving averages forget, it says both)."""
    return optimizer is not None and type(optimizer).__name__ == "Adagrad"


def output_width(model: nn.Module) -> int | None:
    """``out_features`` of the model's last registered ``nn.Linear`` (the number of classes
    of a classifier's head), or None without one."""
    import torch

    widths = [m.out_features for m in model.modules() if isinstance(m, torch.nn.Linear)]
    return int(widths[-1]) if widths else None


def dropout_rate(model: nn.Module) -> float:
    """The largest dropout probability among the model's dropout modules (0 if none)."""
    import torch

    rates = [float(m.p) for m in model.modules()
             if isinstance(m, torch.nn.modules.dropout._DropoutNd)]
    return max(rates, default=0.0)
