"""Patience: let a trial that is still improving run on, whatever another pruner says."""

from __future__ import annotations

import math

from tunecraft.history import History
from tunecraft.pruners._rungs import check_int
from tunecraft.pruners.base import BasePruner, Budget, Decision, Resume
from tunecraft.record import FrozenTrial


class PatientPruner(BasePruner):
    """Consult ``wrapped`` only once the trial has stopped improving for ``patience`` steps.

    The trial has stopped improving when the best of its last ``patience + 1`` reports is
    not better, by more than ``min_delta``, than its best before them (Optuna's
    ``PatientPruner``). While it improves it always continues; once it has stalled, the
    decision is ``wrapped``'s, or PRUNE when ``wrapped`` is None (plain early stopping).
    NaN reports are ignored.

    Args:
        wrapped: The pruner to consult after a stall, or None.
        patience: Reports without improvement that make a stall (>= 0).
        min_delta: Smallest change that counts as an improvement (>= 0).
    """

    def __init__(self, wrapped: BasePruner | None, patience: int, min_delta: float = 0.0
                 ) -> None:
        if wrapped is not None and not isinstance(wrapped, BasePruner):
            raise TypeError(f"wrapped={wrapped!r} must be a tunecraft pruner or None")
        self.wrapped = wrapped
        self.patience = check_int("patience", patience, 0)
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) or not (
                min_delta >= 0):
            raise ValueError(f"min_delta={min_delta!r} must be a number >= 0")
        self.min_delta = float(min_delta)

    def stalled(self, trial: FrozenTrial, history: History) -> bool:
        """Whether the trial's last ``patience + 1`` reports improved on none before them."""
        values = [v for v in trial.intermediate_values.values() if not math.isnan(v)]
        if len(values) <= self.patience + 1:
            return False
        before, recent = values[:-(self.patience + 1)], values[-(self.patience + 1):]
        if history.directions[0].sign > 0:  # minimise
            return min(before) - min(recent) <= self.min_delta
        return max(recent) - max(before) <= self.min_delta

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        if len(history.directions) != 1:
            raise ValueError(f"{type(self).__name__} supports single-objective studies only")
        if not self.stalled(trial, history):
            return Decision.CONTINUE
        return Decision.PRUNE if self.wrapped is None else self.wrapped.decide(trial, history)

    # A wrapped scheduler keeps its brackets, promotions and checkpoints.
    def allocate(self, number: int, history: History) -> Budget | None:
        return None if self.wrapped is None else self.wrapped.allocate(number, history)

    def promote(self, history: History) -> Resume | None:
        return None if self.wrapped is None else self.wrapped.promote(history)

    def keep_checkpoints(self, history: History) -> set[int]:
        if self.wrapped is None:
            return super().keep_checkpoints(history)
        return self.wrapped.keep_checkpoints(history)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(wrapped={self.wrapped!r}, patience={self.patience}, "
                f"min_delta={self.min_delta})")
