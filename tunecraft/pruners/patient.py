"""Patience: let a trial that is still improving run on, whatever another pruner says."""

from __future__ import annotations

import math

from tunecraft._validation import Interval, Spec, validate
from tunecraft.history import History
from tunecraft.pruners.base import BasePruner, Decision, WrappingPruner
from tunecraft.record import FrozenTrial


class _Unset:
    """The type of ``_UNSET``: no argument given."""


_UNSET = _Unset()

_CONSTRAINTS: Spec = {"patience": Interval(int, 0), "min_delta": Interval(float, 0, finite=False)}


class PatientPruner(WrappingPruner):
    """Consult ``wrapped`` only once the trial has stopped improving for ``patience`` steps.

    The trial has stopped improving when the best of its last ``patience + 1`` reports is
    not better, by more than ``min_delta``, than its best before them (Optuna's
    ``PatientPruner``). While it improves it always continues; once it has stalled, the
    decision is ``wrapped``'s, or PRUNE when ``wrapped`` is None (plain early stopping).
    NaN reports are ignored.

    Args:
        wrapped: The pruner to consult after a stall, or None (Optuna spells it
            ``wrapped_pruner=``, accepted too; Optuna-style pruners are adapted).
        patience: Reports without improvement that make a stall (>= 0).
        min_delta: Smallest change that counts as an improvement (>= 0).
    """

    name = "patient"

    def __init__(self, wrapped: BasePruner | None | _Unset = _UNSET, patience: int | None = None,
                 min_delta: float = 0.0, *,
                 wrapped_pruner: BasePruner | None | _Unset = _UNSET) -> None:
        chosen: object = wrapped_pruner if isinstance(wrapped, _Unset) else wrapped
        if isinstance(wrapped, _Unset) == isinstance(wrapped_pruner, _Unset):
            raise TypeError("PatientPruner takes the pruner to wrap once: as wrapped= (or "
                            "positionally) or as Optuna's wrapped_pruner=; None for none")
        if patience is None:
            raise TypeError("PatientPruner needs patience=, the reports without improvement "
                            "that make a stall (e.g. patience=3)")
        if chosen is not None and not isinstance(chosen, BasePruner):
            from tunecraft.plugins import adapt_pruner

            chosen = adapt_pruner(chosen)  # an Optuna-style pruner: prune(study, trial)
        if chosen is not None and not isinstance(chosen, BasePruner):
            raise TypeError(f"wrapped={chosen!r} must be a pruner (tunecraft's, or one with "
                            "Optuna's prune(study, trial)) or None")
        validate(_CONSTRAINTS, patience=patience, min_delta=min_delta)
        self.wrapped: BasePruner | None = chosen
        self.patience = patience
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

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(wrapped={self.wrapped!r}, patience={self.patience}, "
                f"min_delta={self.min_delta})")
