"""Pruners that tests share: fixed, predictable decisions for checking what callbacks and
reports record about pruned trials."""

from __future__ import annotations

from tunecraft import FrozenTrial, History
from tunecraft.pruners.base import BasePruner, Decision


class PruneThirdTrials(BasePruner):
    """Prunes trials 1, 4, 7... at their second report."""

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        last = trial.last_step
        if trial.number % 3 == 1 and last is not None and last >= 2:
            return Decision.PRUNE
        return Decision.CONTINUE
