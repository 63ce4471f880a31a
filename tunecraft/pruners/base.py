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

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tunecraft.history import History
from tunecraft.record import FrozenTrial


class Decision(enum.Enum):
    """What a pruner tells a running trial at a report.

    ``PAUSE`` stops the trial like ``PRUNE`` (``should_prune()`` is True for both), but the
    trial may save a checkpoint first and a scheduler may later resume it from there.
    """

    CONTINUE = "continue"
    PRUNE = "prune"
    PAUSE = "pause"


@dataclass(frozen=True, slots=True)
class Budget:
    """What a scheduler gives a trial when it starts.

    Attributes:
        bracket: The trial's bracket; samplers see only the trials of the same bracket
            unless they model budgets themselves (``multi_fidelity``).
        min_resource: Steps before the trial's first decision.
        max_resource: Steps of a full run, or None when unknown.
        rungs: The steps at which the trial is decided (its milestones), ascending; a trainer
            can end a learning-rate schedule cycle at each (see ``fit(horizon="rungs")``).
    """

    bracket: int
    min_resource: int
    max_resource: int | None = None
    rungs: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain values for a system attribute."""
        return {"bracket": self.bracket, "min_resource": self.min_resource,
                "max_resource": self.max_resource, "rungs": list(self.rungs)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Budget:
        """Inverse of :meth:`to_json`."""
        return cls(int(data["bracket"]), int(data["min_resource"]),
                   None if data.get("max_resource") is None else int(data["max_resource"]),
                   tuple(int(r) for r in data.get("rungs", ())))


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


class BasePruner(ABC):
    """A pruner reads, it never writes: ``decide`` is a function of the trial and history."""

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
        from tunecraft.pruners.lineage import default_keep

        return default_keep(history)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NopPruner(BasePruner):
    """Never prunes: ``should_prune()`` is always False."""

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        return Decision.CONTINUE
