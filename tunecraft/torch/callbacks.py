"""Callbacks of :func:`tunecraft.torch.fit`: user code at the run's, the epochs' and the optimizer
steps' boundaries, reading (and, to stop early, writing) one shared :class:`TrainState`.

Subclass :class:`Callback` and override what you need; every hook receives the same state
object, updated before the call. Set ``state.stop = True`` to end the run after the current
step or epoch (``stop_reason="callback"``). Callbacks run in the order given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import Tensor, nn
    from torch.optim import Optimizer

    from tunecraft.torch.train_config import TrainConfig

__all__ = ["Callback", "TrainState"]


@dataclass
class TrainState:
    """What a callback sees; ``fit`` updates it in place.

    Attributes:
        model, optimizer, scheduler, config: The objects being trained with.
        epoch: The current epoch, from 1 (0 before the first).
        step: Optimizer steps taken so far in the run.
        loss: The last optimizer step's training loss (detached; summed over accumulated
            micro-batches), or None before the first.
        history: The finished epochs' :class:`~tunecraft.torch.trainer.EpochStats`.
        trial: The trial given to ``fit`` (or None).
        stop: Set it to True to stop after the current step or epoch.
    """

    model: nn.Module
    optimizer: Optimizer
    scheduler: Any
    config: TrainConfig
    epoch: int = 0
    step: int = 0
    loss: Tensor | None = None
    history: list[Any] = field(default_factory=list)
    trial: Any = None
    stop: bool = False


class Callback:
    """Base class: every hook does nothing. Override the ones you need."""

    def on_train_begin(self, state: TrainState) -> None:
        """Before the first epoch (after a resumed trial's checkpoint was loaded)."""

    def on_step_end(self, state: TrainState) -> None:
        """After each optimizer step (and the schedule's step)."""

    def on_epoch_end(self, state: TrainState) -> None:
        """After each epoch's evaluation and report; ``state.history[-1]`` is that epoch."""

    def on_train_end(self, state: TrainState) -> None:
        """After the last epoch, before ``fit`` returns (also after early stopping)."""
