"""The pruner interface: from a trial's reports and the history, decide whether to stop it.

A pruner is one method, :meth:`BasePruner.decide`. Schedulers (successive halving, Hyperband,
population-based training) are pruners that also use three optional hooks, each with a
do-nothing default, so the study calls them on every pruner and never checks its type:

- :meth:`~BasePruner.allocate`: the :class:`Budget` of a new trial (its bracket and the steps
  where it is decided); the study records it and shows the sampler that bracket's history.
- :meth:`~BasePruner.promote`: a :class:`Resume` order that continues a paused trial (an ASHA
  promotion, PBT's next interval); the study queues it before any new trial.
- :meth:`~BasePruner.keep_checkpoints`: which trials' checkpoints may still be resumed; the
  study deletes the others.

Every hook is a pure function of the History: a pruner reads, it never writes, so any process
that shares the storage takes the same decisions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tunecraft.decision import Decision as Decision  # re-exported: pruners return it
from tunecraft.history import History
from tunecraft.pruners._optuna_protocol import OptunaPrunerProtocol
from tunecraft.pruners.lineage import default_keep
from tunecraft.record import FrozenTrial
from tunecraft.system_attrs import Budget as Budget  # re-exported: schedulers allocate it


def _frozen_empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Resume:
    """A scheduler's order to continue a paused trial in a new trial.

    Attributes:
        trial: The paused trial that the new trial continues (and supersedes).
        source: The trial whose checkpoint, and whose reports up to ``step``, the new trial
            starts from: ``trial`` itself, or another member for PBT's exploit.
        step: The last step done in that checkpoint; the new trial trains from ``step + 1``.
        params: The new trial's parameters (``source``'s, perhaps perturbed).
        attrs: Extra system attributes for the new trial (e.g. PBT's schedule).
    """

    trial: int
    source: int
    step: int
    params: Mapping[str, Any]
    attrs: Mapping[str, Any] = field(default_factory=_frozen_empty)


class BasePruner(OptunaPrunerProtocol, ABC):
    """A pruner reads, it never writes: ``decide`` is a function of the trial and history.

    Every pruner also answers Optuna's ``prune(study, trial)``, and a subclass may implement
    that instead of ``decide`` (``_optuna_protocol``)."""

    @abstractmethod
    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        """CONTINUE, PRUNE or PAUSE the running ``trial``, whose reports are in ``trial``."""

    def allocate(self, number: int, history: History) -> Budget | None:
        """The budget of new trial ``number`` (None: no bracket, the default)."""
        return None

    def promote(self, history: History) -> Resume | None:
        """A paused trial to continue now, or None to start a new trial (the default)."""
        return None

    def keep_checkpoints(self, history: History) -> set[int]:
        """Numbers of the trials whose checkpoints may still be loaded.

        The default keeps those of running and queued trials, of the trials they resume
        from, and of every paused trial that nothing has continued yet.
        """
        return default_keep(history)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class WrappingPruner(BasePruner, ABC):
    """A pruner that adds a rule on top of an optional ``wrapped`` one: a wrapped scheduler
    keeps its budgets, promotions and checkpoints (without one, the defaults)."""

    wrapped: BasePruner | None

    def allocate(self, number: int, history: History) -> Budget | None:
        return None if self.wrapped is None else self.wrapped.allocate(number, history)

    def promote(self, history: History) -> Resume | None:
        return None if self.wrapped is None else self.wrapped.promote(history)

    def keep_checkpoints(self, history: History) -> set[int]:
        if self.wrapped is None:
            return super().keep_checkpoints(history)
        return self.wrapped.keep_checkpoints(history)


class NopPruner(BasePruner):
    """Never prunes: ``should_prune()`` is always False."""

    name = "none"
    aliases = ("nop",)

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        return Decision.CONTINUE
