"""The slice of a trial that :func:`tunecraft.torch.fit` uses, for tunecraft's, Optuna's or any
duck-typed trial.

Needed: ``report(value, step)`` and either ``decide()`` (tunecraft: CONTINUE, PRUNE or PAUSE)
or ``should_prune()`` (Optuna and most others). Used when present: ``number``, ``budget``
(scheduler rungs), ``save_checkpoint``/``load_checkpoint`` (pause and resume) and
``set_user_attr`` (to record why a run diverged). A pruned run raises the exception the
trial's own library expects: ``optuna.TrialPruned`` for an Optuna trial (Optuna records
anything else as FAIL), :class:`tunecraft.TrialPruned` otherwise.
"""

from __future__ import annotations

from typing import Any

from tunecraft.exceptions import TrialPruned
from tunecraft.pruners.base import Decision

__all__ = ["TrialAdapter"]


class TrialAdapter:
    """Wraps a trial; see the module docstring for what it needs and what it uses."""

    def __init__(self, trial: Any) -> None:
        if not callable(getattr(trial, "report", None)) or not (
                callable(getattr(trial, "decide", None))
                or callable(getattr(trial, "should_prune", None))):
            raise TypeError(
                f"trial={trial!r} needs report(value, step) and should_prune() (or decide()); "
                "pass a tunecraft or Optuna trial, or None to train without reporting")
        self.trial = trial
        self.number = getattr(trial, "number", "?")
        self.optuna = type(trial).__module__.split(".")[0] == "optuna"

    @property
    def budget(self) -> Any:
        """The scheduler's budget (tunecraft), or None."""
        return getattr(self.trial, "budget", None)

    @property
    def checkpoints(self) -> bool:
        """Whether the trial can store and load checkpoints (tunecraft's can)."""
        return callable(getattr(self.trial, "save_checkpoint", None)) and callable(
            getattr(self.trial, "load_checkpoint", None))

    def report(self, value: float, step: int) -> None:
        self.trial.report(float(value), int(step))

    def decide(self) -> Decision:
        decide = getattr(self.trial, "decide", None)
        if callable(decide):
            return Decision(decide())
        return Decision.PRUNE if self.trial.should_prune() else Decision.CONTINUE

    def note(self, key: str, value: Any) -> None:
        """``set_user_attr`` when the trial has it."""
        setter = getattr(self.trial, "set_user_attr", None)
        if callable(setter):
            setter(key, value)

    def pruned(self, message: str) -> BaseException:
        """The pruning exception the trial's library records as PRUNED."""
        if self.optuna:
            import optuna

            return optuna.TrialPruned(message)
        return TrialPruned(message)
