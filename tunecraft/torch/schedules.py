"""Learning-rate schedules as pure functions of the step, so resuming needs only the step count.

A :data:`Schedule` maps the optimizer step ``t`` (0, 1, 2, ...) to a multiplier of the base
learning rate. Every schedule here is a frozen dataclass with a closed form (no hidden state),
so it can be printed, compared, pickled and replayed from any step. Schedules that have a
length (``total_steps``) reach their end value at ``t == total_steps`` and hold it afterwards.
``warmup(steps, then)`` puts a linear ramp in front of any schedule.

This is the public home of the schedules: the classes live in :mod:`~tunecraft.torch.decays`
and :mod:`~tunecraft.torch.one_cycle_schedule`, the named schedules and their search in
:mod:`~tunecraft.torch.schedule_search`; this module adds the factory functions and
:func:`to_torch`. It does not import torch; :func:`to_torch` imports it when called.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tunecraft.torch._schedule_base import Schedule
from tunecraft.torch.decays import (
    Constant,
    Cosine,
    CosineRestarts,
    Exponential,
    LinearDecay,
    MultiStep,
    Polynomial,
    StepDecay,
    Warmup,
)
from tunecraft.torch.one_cycle_schedule import CycledMomentum, OneCycle, cycled_momentum
from tunecraft.torch.schedule_search import schedule_from_config, suggest_schedule

if TYPE_CHECKING:
    from torch.optim import Optimizer

    from tunecraft.torch._torch_schedules import ScheduledLR

__all__ = [
    "Constant", "Cosine", "CosineRestarts", "CycledMomentum", "Exponential", "LinearDecay",
    "MultiStep", "OneCycle", "Polynomial", "Schedule", "StepDecay", "Warmup", "constant",
    "cosine", "cosine_restarts", "cycled_momentum", "exponential", "linear_decay", "multi_step",
    "one_cycle", "polynomial", "schedule_from_config", "step_decay", "suggest_schedule",
    "to_torch", "warmup",
]


# --------------------------------------------------------------------------- factories
def constant(value: float = 1.0) -> Constant:
    """The base learning rate times ``value`` at every step."""
    return Constant(value)


def step_decay(step_size: int, gamma: float = 0.1) -> StepDecay:
    """Multiply by ``gamma`` every ``step_size`` steps."""
    return StepDecay(step_size, gamma)


def multi_step(milestones: Sequence[int], gamma: float = 0.1) -> MultiStep:
    """Multiply by ``gamma`` at each milestone step."""
    return MultiStep(tuple(milestones), gamma)


def exponential(gamma: float) -> Exponential:
    """Multiply by ``gamma`` every step."""
    return Exponential(gamma)


def cosine(total_steps: int, *, final: float = 0.0) -> Cosine:
    """Cosine annealing from 1 to ``final`` over ``total_steps``."""
    return Cosine(total_steps, final)


def cosine_restarts(
    first_period: int, *, period_mult: int = 1, final: float = 0.0, decay: float = 1.0
) -> CosineRestarts:
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017)."""
    return CosineRestarts(first_period, period_mult, final, decay)


def one_cycle(
    total_steps: int, *, div: float = 25.0, div_final: float = 1e5, pct_start: float = 0.25,
    moms: tuple[float, float, float] = (0.95, 0.85, 0.95),
) -> OneCycle:
    """The 1cycle policy with fastai's defaults; pass ``momentum=s.momentum()`` to to_torch."""
    return OneCycle(total_steps, div, div_final, pct_start, moms)


def linear_decay(total_steps: int, *, final: float = 0.0) -> LinearDecay:
    """Linear decay from 1 to ``final`` over ``total_steps``."""
    return LinearDecay(total_steps, final)


def polynomial(total_steps: int, *, power: float = 1.0, final: float = 0.0) -> Polynomial:
    """Polynomial decay ``(1 - t/T) ** power`` from 1 to ``final``."""
    return Polynomial(total_steps, power, final)


def warmup(steps: int, then: Schedule | None = None, *, start: float | None = None) -> Warmup:
    """Linear warm-up over ``steps`` steps, then ``then`` (constant 1 when omitted)."""
    return Warmup(steps, Constant() if then is None else then, start)


# --------------------------------------------------------------------------- adapters
def to_torch(
    optimizer: Optimizer, schedule: Schedule, *, momentum: Schedule | None = None
) -> ScheduledLR:
    """A torch LR scheduler that sets ``lr = base_lr * schedule(t)`` after each ``.step()``.

    Its ``state_dict``/``load_state_dict`` hold only the step count and base rates, so a run
    resumed from a checkpoint follows the same sequence as an uninterrupted one. ``momentum``
    (absolute values, e.g. ``OneCycle.momentum()``) also drives ``momentum`` or ``betas[0]``.
    """
    from tunecraft.torch._torch_schedules import ScheduledLR

    return ScheduledLR(optimizer, schedule, momentum=momentum)
