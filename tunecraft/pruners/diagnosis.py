"""Prune trials whose training doctor found a problem no later epoch recovers from.

BTTackler (Pei et al. 2026) stops trials on training-problem indicators beside the usual
accuracy rules and reaches the baseline accuracy in 40% less time. Here the indicators are
the training doctor's diagnosis, which ``fit(..., doctor=True)`` writes on the trial (user
attribute ``"diagnosis"``) every epoch before the pruner is asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tunecraft.history import History
from tunecraft.pruners.base import BasePruner, Decision, NopPruner, WrappingPruner
from tunecraft.record import FrozenTrial

__all__ = ["UNRECOVERABLE", "DiagnosisPruner"]

UNRECOVERABLE: Mapping[str, str] = {
    "lr_too_high": "error",          # divergence: spikes, NaN, a loss back at chance
    "exploding_gradients": "error",  # the weights amplify: the next steps blow up
    "dead_units": "error",           # dead ReLUs pass no gradient, so they never revive
    "vanishing_gradients": "error",  # the early layers do not learn
    "plateau": "warning",            # the learning rate decayed to nothing: no more gain
}
"""Problem code -> the least severity that prunes (the default of :class:`DiagnosisPruner`)."""

_RANK = {"info": 0, "warning": 1, "error": 2}


class DiagnosisPruner(WrappingPruner):
    """PRUNE a trial whose diagnosis shows an unrecoverable problem; else ask ``wrapped``.

    Pruned trials end PRUNED (never FAIL), with their reports kept, so samplers that learn
    from pruned trials (TPE ranks them by how far they got) learn that the region is bad.

    Args:
        wrapped: The pruner to defer to otherwise (Hyperband, median, ...); None never prunes
            for other reasons.
        codes: Problem codes that prune, each with the least severity that does
            (default :data:`UNRECOVERABLE`), or an iterable of codes (at ``error``).
        min_epochs: Epochs with a diagnosis before the first diagnosis-based decision.
        attr: The trial user attribute holding ``Diagnosis.to_dict()``.
    """

    name = "diagnosis"

    def __init__(self, wrapped: BasePruner | None = None, *,
                 codes: Mapping[str, str] | Iterable[str] | None = None, min_epochs: int = 1,
                 attr: str = "diagnosis") -> None:
        if wrapped is not None and not isinstance(wrapped, BasePruner):
            raise TypeError(f"wrapped={wrapped!r} must be a tunecraft pruner or None")
        if codes is None:
            table = dict(UNRECOVERABLE)
        elif isinstance(codes, Mapping):
            table = dict(codes)
        else:
            table = dict.fromkeys(codes, "error")
        for code, severity in table.items():
            if severity not in _RANK:
                raise ValueError(f"codes[{code!r}]={severity!r} must be 'info', 'warning' or "
                                 "'error'")
        if isinstance(min_epochs, bool) or not isinstance(min_epochs, int) or min_epochs < 1:
            raise ValueError(f"min_epochs={min_epochs!r} must be an integer >= 1")
        self.wrapped = wrapped
        self.codes = table
        self.min_epochs = min_epochs
        self.attr = attr

    def reason(self, trial: FrozenTrial) -> str | None:
        """Why the diagnosis prunes ``trial`` ("code: evidence"), or None."""
        data: Any = trial.user_attrs.get(self.attr)
        if not isinstance(data, Mapping) or int(data.get("epochs", 0) or 0) < self.min_epochs:
            return None
        for problem in data.get("problems") or ():
            if not isinstance(problem, Mapping):
                continue
            least = self.codes.get(str(problem.get("code")))
            rank = _RANK.get(str(problem.get("severity")), -1)
            if least is not None and rank >= _RANK[least]:
                return f"{problem.get('code')}: {problem.get('evidence', '')}"
        return None

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        if self.reason(trial) is not None:
            return Decision.PRUNE
        return (self.wrapped or NopPruner()).decide(trial, history)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(wrapped={self.wrapped!r}, codes={self.codes!r}, "
                f"min_epochs={self.min_epochs})")
