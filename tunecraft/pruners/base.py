"""The pruner interface: from a trial's reports and the history, decide whether to stop it."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod

from tunecraft.history import History
from tunecraft.record import FrozenTrial


class Decision(enum.Enum):
    """What a pruner tells a running trial at a report."""

    CONTINUE = "continue"
    PRUNE = "prune"


class BasePruner(ABC):
    """A pruner reads, it never writes: ``decide`` is a function of the trial and history."""

    @abstractmethod
    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        """CONTINUE or PRUNE the running ``trial``, whose reports are in ``trial``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NopPruner(BasePruner):
    """Never prunes: ``should_prune()`` is always False."""

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        return Decision.CONTINUE
