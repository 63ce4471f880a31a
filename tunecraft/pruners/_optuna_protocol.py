"""Optuna's pruner protocol on tunecraft's ``BasePruner``, in both directions.

1. Every tunecraft pruner answers Optuna's ``prune(study, trial) -> bool`` (True: stop the
   trial), so an Optuna-style pruner that delegates to a built-in one works.
2. A subclass of ``tunecraft.pruners.BasePruner`` written the Optuna way (it defines ``prune``
   and no ``decide``, as code written for ``import tunecraft as optuna`` does) gets
   tunecraft's ``decide`` from it; it sees tunecraft's own records (the names it imported).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tunecraft.decision import Decision
    from tunecraft.history import History
    from tunecraft.record import FrozenTrial


class OptunaPrunerProtocol:
    """Optuna's ``prune`` for tunecraft pruners (module docstring)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = [k for k in cls.__mro__ if k.__module__ not in (__name__, "tunecraft.pruners.base")]
        optuna_style = any("prune" in k.__dict__ for k in own)
        if optuna_style and getattr(getattr(cls, "decide", None), "__isabstractmethod__", False):
            cls.decide = _native_decide  # type: ignore[attr-defined]  # before ABCMeta counts

    def prune(self, study: Any, trial: Any) -> bool:
        """Optuna's call: whether to stop ``trial`` now (this pruner's PRUNE decision)."""
        from tunecraft._optuna_bridge import history_of
        from tunecraft.decision import Decision
        from tunecraft.record import FrozenTrial

        history = history_of(study)
        record = trial if isinstance(trial, FrozenTrial) else history.trial(int(trial.number))
        decision = self.decide(record, history)  # type: ignore[attr-defined]
        return decision is Decision.PRUNE


def _native_decide(self: Any, trial: FrozenTrial, history: History) -> Decision:
    from tunecraft._optuna_bridge import StudyView
    from tunecraft.decision import Decision

    pruned = self.prune(StudyView(history, native=True), trial)
    return Decision.PRUNE if pruned else Decision.CONTINUE
