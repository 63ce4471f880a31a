"""Prune trials whose training doctor found a problem no later epoch recovers from.

BTTackler (Pei et al. 2026) stops trials on training-problem indicators beside the usual
accuracy rules and reaches the baseline accuracy in 40% less time. Here the indicators are
the training doctor's diagnosis, which ``fit(..., doctor=True)`` writes on the trial (user
attribute ``"diagnosis"``) every epoch before the pruner is asked.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from typing import Any

from tunecraft._validation import InstanceOf, Interval, Options, Spec, validate
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
_CONSTRAINTS: Spec = {
    "wrapped": [InstanceOf(BasePruner, "a tunecraft pruner"), Options(None)],
    "min_epochs": Interval(int, 1),
}


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
        confirm: Prune on a diagnosis only once the reported metric stops contradicting
            it: at least two reports, the last no better than the best before it, and the
            best no better than the median of the other trials' reports at this step. A
            metric that still improves, or that beats most trials, is a run that recovered,
            so its problem was not unrecoverable (a GRU's first epoch moves the weights fast
            and barely lowers the loss, then learns; a CNN's loss spikes at step 1, then it
            reaches 96%); a diverged, dead or vanishing run stays flat and low and is pruned
            one epoch later. False prunes on the diagnosis alone.
    """

    name = "diagnosis"

    def __init__(self, wrapped: BasePruner | None = None, *,
                 codes: Mapping[str, str] | Iterable[str] | None = None, min_epochs: int = 1,
                 attr: str = "diagnosis", confirm: bool = True) -> None:
        validate(_CONSTRAINTS, wrapped=wrapped, min_epochs=min_epochs)
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
        self.wrapped = wrapped
        self.codes = table
        self.min_epochs = min_epochs
        self.attr = attr
        self.confirm = bool(confirm)

    def reason(self, trial: FrozenTrial, history: History | None = None) -> str | None:
        """Why the diagnosis prunes ``trial`` ("code: evidence"), or None.

        With ``confirm``, ``history`` (``study.history()``: for its direction) is needed to
        read the reports; without it only the diagnosis is judged.
        """
        if self.confirm and history is not None and not _confirmed(trial, history):
            return None
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
        if self.reason(trial, history) is not None:
            return Decision.PRUNE
        return (self.wrapped or NopPruner()).decide(trial, history)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(wrapped={self.wrapped!r}, codes={self.codes!r}, "
                f"min_epochs={self.min_epochs}, confirm={self.confirm})")


def _confirmed(trial: FrozenTrial, history: History) -> bool:
    """Whether ``trial``'s reports agree that it is sick: two or more, the last no better
    than the best before it, and the best no better than the median of the other trials'
    reports at the same step (the study's direction decides "better"). Multi-objective
    studies have no single metric to read: True."""
    directions = history.directions
    if len(directions) != 1:
        return True
    step = trial.last_step
    reports = [v for _, v in sorted(trial.intermediate_values.items())]
    if len(reports) < 2 or step is None:
        return False
    sign = directions[0].sign
    earlier = [sign * v for v in reports[:-1] if math.isfinite(v)]
    last = sign * reports[-1]
    if not earlier:  # a first finite report after NaNs is an improvement
        return not math.isfinite(last)
    if last < min(earlier):  # still improving (a NaN last is not an improvement)
        return False
    others = [sign * v for t in history.trials if t.number != trial.number
              for v in (t.intermediate_values.get(step),) if v is not None and math.isfinite(v)]
    # a run better than most at this step has recovered from whatever the doctor saw
    return len(others) < 2 or not min(earlier) < statistics.median(others)
