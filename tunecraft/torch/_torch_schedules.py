"""Torch adapters for pure schedules: an ``LRScheduler`` whose state is just the step count."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from tunecraft._validation import InstanceOf, check

if TYPE_CHECKING:
    from tunecraft.torch._schedule_base import Schedule
    from tunecraft.torch.plateau import ReduceOnPlateau

__all__ = ["PlateauLR", "ScheduledLR", "set_momentum"]


def _factor(schedule: Schedule, step: int, what: str) -> float:
    value = float(schedule(step))
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{what} {schedule!r} returned {value!r} at step {step}; "
                         "a schedule must return finite values >= 0")
    return value


def set_momentum(optimizer: Optimizer, value: float) -> None:
    """Sets ``momentum`` (SGD, RMSprop) or ``betas[0]`` (Adam, AdamW) in every param group."""
    for i, group in enumerate(optimizer.param_groups):
        if "betas" in group:
            group["betas"] = (value, group["betas"][1])
        elif "momentum" in group:
            group["momentum"] = value
        else:
            raise ValueError(
                f"param group {i} of {type(optimizer).__name__} has neither 'momentum' nor "
                "'betas'; drop the momentum schedule for this optimizer")


class ScheduledLR(LRScheduler):
    """Sets ``lr = base_lr * schedule(t)`` (and optionally momentum) at step ``t``.

    Call ``.step()`` after each ``optimizer.step()``. ``state_dict()`` holds the step count and
    base rates only (the schedule is code, not state), so build a fresh ``ScheduledLR`` with the
    same schedule, load the optimizer's and then this state, and the run continues exactly.
    """

    def __init__(
        self, optimizer: Optimizer, schedule: Schedule, *, momentum: Schedule | None = None,
        last_epoch: int = -1,
    ) -> None:
        if not callable(schedule):
            raise TypeError(f"schedule={schedule!r} must be a callable step -> float")
        if momentum is not None and not callable(momentum):
            raise TypeError(f"momentum={momentum!r} must be a callable step -> float or None")
        self.schedule = schedule
        self.momentum_schedule = momentum
        if momentum is not None:  # fail before touching the optimizer
            for group in optimizer.param_groups:
                if "betas" not in group and "momentum" not in group:
                    raise ValueError(
                        f"{type(optimizer).__name__} has no momentum or betas to schedule; "
                        "pass momentum=None")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float | Tensor]:
        """``base_lr * schedule(last_epoch)`` for each param group."""
        factor = _factor(self.schedule, self.last_epoch, "schedule")
        return [base * factor for base in self.base_lrs]

    def step(self, epoch: int | None = None) -> None:
        """Advances one step and sets the new learning rate (and momentum)."""
        super().step(epoch)
        if self.momentum_schedule is not None:
            set_momentum(self.optimizer,
                         _factor(self.momentum_schedule, self.last_epoch, "momentum"))

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's counters and base rates, without the schedule functions."""
        skip = ("optimizer", "schedule", "momentum_schedule")
        return {k: v for k, v in self.__dict__.items() if k not in skip}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores counters saved by :meth:`state_dict` (the schedules stay as constructed)."""
        skip = ("optimizer", "schedule", "momentum_schedule")
        self.__dict__.update({k: v for k, v in state_dict.items() if k not in skip})


class PlateauLR:
    """Drives an optimizer from a :class:`ReduceOnPlateau` rule: ``step(metric)`` per evaluation.

    ``lr = base_lr * state.factor``; ``state`` is the rule's frozen :class:`PlateauState`.
    """

    def __init__(self, optimizer: Optimizer, rule: ReduceOnPlateau) -> None:
        check("optimizer", optimizer, InstanceOf(Optimizer, "a torch.optim.Optimizer"))
        self.optimizer = optimizer
        self.rule = rule
        self.state = rule.init()
        self.base_lrs = [float(g["lr"]) for g in optimizer.param_groups]

    def step(self, metric: float) -> None:
        """Feeds one evaluation of the monitored metric and updates the learning rates."""
        self.state = self.rule.step(self.state, metric)
        self._apply()

    def _apply(self) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = base * self.state.factor

    def get_last_lr(self) -> list[float]:
        """The learning rate of each param group."""
        return [float(g["lr"]) for g in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Base rates and the plateau state as plain values."""
        return {"base_lrs": list(self.base_lrs), "state": dataclasses.asdict(self.state)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores what :meth:`state_dict` saved and re-applies the learning rates."""
        self.base_lrs = [float(x) for x in state_dict["base_lrs"]]
        self.state = dataclasses.replace(self.rule.init(), **state_dict["state"])
        self._apply()
