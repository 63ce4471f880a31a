"""Prune trials whose training doctor found a problem no later epoch recovers from.

BTTackler (Pei et al. 2026) stops trials on training-problem indicators beside the usual
accuracy rules and reaches the baseline accuracy in 40% less time. Here the indicators are
the training doctor's diagnosis, which ``fit(..., doctor=True)`` writes on the trial (user
attribute ``"diagnosis"``) every epoch before the pruner is asked. A slow problem
(``lr_too_low``) prunes only when the run's own curve shows it is a hopeless plateau
(``tunecraft.pruners._hopeless``). Fit also asks at half of the first epoch, before the
first report; with ``substep_progress`` set, an unrecoverable problem whose training loss
has not fallen prunes then (``tunecraft.pruners._substep``), so that a sick trial costs half
an epoch.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from typing import Any

from tunecraft._validation import InstanceOf, Interval, Options, Spec, validate
from tunecraft.history import History
from tunecraft.pruners._hopeless import hopeless_plateau
from tunecraft.pruners._substep import substep_reason
from tunecraft.pruners.base import BasePruner, Decision, NopPruner, WrappingPruner
from tunecraft.record import FrozenTrial

__all__ = ["HOPELESS", "UNRECOVERABLE", "DiagnosisPruner"]

UNRECOVERABLE: Mapping[str, str] = {
    "lr_too_high": "error",          # divergence: spikes, NaN, a loss back at chance
    "exploding_gradients": "error",  # the weights amplify: the next steps blow up
    "dead_units": "error",           # dead ReLUs pass no gradient, so they never revive
    "vanishing_gradients": "error",  # the early layers do not learn
    "plateau": "warning",            # the learning rate decayed to nothing: no more gain
}
"""Problem code -> the least severity that prunes (the default of :class:`DiagnosisPruner`)."""

HOPELESS: Mapping[str, str] = {
    "lr_too_low": "error",  # steps under 1e-3 of the weights, loss down under 15%: a crawl
}
"""Problem code -> the least severity that prunes when the run's curve, extrapolated over
its remaining steps, cannot reach the other trials' top third (the default ``hopeless``)."""

_RANK = {"info": 0, "warning": 1, "error": 2}
_CONSTRAINTS: Spec = {
    "wrapped": [InstanceOf(BasePruner, "a tunecraft pruner"), Options(None)],
    "min_epochs": Interval(int, 1),
    "horizon": [Interval(int, 1), Options(None)],
    "substep_progress": [Interval(float, 0.0, 1.0), Options(None)],
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
        hopeless: Problem codes (with their least severity, or an iterable at ``error``)
            that a run may outgrow, so they prune only a hopeless plateau: after three or
            more reports, the best gain per step the run has shown, tripled and kept up to
            ``horizon``, stays below the top third of the other trials' reports at its step
            (``tunecraft.pruners._hopeless``; default :data:`HOPELESS`:
            ``lr_too_low``; ``()`` turns this off). ``confirm`` does not apply: the
            projection is the metric's evidence.
        horizon: The last step of a full run (e.g. Hyperband's ``max_resource``); None
            reads it from the history: the last step of the longest COMPLETE trial (the
            hopeless rule waits for one).
        substep_progress: Before a trial's first report (fit asks at half of the first
            epoch), prune on ``lr_too_high``, ``exploding_gradients`` or ``dead_units`` of
            ``codes`` when the training loss fell by less than this fraction of the first
            step's loss (e.g. ``0.05``, ``tunecraft.pruners._substep.MIN_PROGRESS``), or is
            not finite; ``wrapped`` is not asked then, so its steps stay epochs. None (the
            default) never prunes before the first report: on the tuning benchmark
            (benchmarks/results/issue-15.md, section 14) it saved no compute to the target
            (digits: 58 epochs with it, 48 without) and one of its 14 prunes in four audits
            was a run that recovered into the top 10.
    """

    name = "diagnosis"

    def __init__(self, wrapped: BasePruner | None = None, *,
                 codes: Mapping[str, str] | Iterable[str] | None = None, min_epochs: int = 1,
                 attr: str = "diagnosis", confirm: bool = True,
                 hopeless: Mapping[str, str] | Iterable[str] | None = None,
                 horizon: int | None = None,
                 substep_progress: float | None = None) -> None:
        validate(_CONSTRAINTS, wrapped=wrapped, min_epochs=min_epochs, horizon=horizon,
                 substep_progress=substep_progress)
        self.wrapped = wrapped
        self.codes = _table("codes", codes, UNRECOVERABLE)
        self.hopeless = _table("hopeless", hopeless, HOPELESS)
        self.min_epochs = min_epochs
        self.attr = attr
        self.confirm = bool(confirm)
        self.horizon = horizon
        self.substep_progress = substep_progress

    def reason(self, trial: FrozenTrial, history: History | None = None) -> str | None:
        """Why the diagnosis prunes ``trial`` ("code: evidence"), or None.

        With ``confirm``, ``history`` (``study.history()``: for its direction) is needed to
        read the reports; without it only the diagnosis is judged. The hopeless-plateau rule
        needs it too (the other trials' reports): without it, it never prunes.
        """
        data: Any = trial.user_attrs.get(self.attr)
        if not isinstance(data, Mapping):
            return None
        problems = [p for p in data.get("problems") or () if isinstance(p, Mapping)]
        fatal = _matching(problems, self.codes)
        if "substep" in data:  # a first-epoch diagnosis, written before any report
            if self.substep_progress is None or trial.last_step is not None:
                return None
            return substep_reason(data, fatal, self.substep_progress)
        if int(data.get("epochs", 0) or 0) < self.min_epochs:
            return None
        if fatal and not (self.confirm and history is not None
                          and not _confirmed(trial, history)):
            return f"{fatal[0].get('code')}: {fatal[0].get('evidence', '')}"
        slow = _matching(problems, self.hopeless)
        if slow and history is not None:
            why = hopeless_plateau(trial, history, self.horizon)
            if why is not None:
                return f"{slow[0].get('code')}: {slow[0].get('evidence', '')}; {why}"
        return None

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        if self.reason(trial, history) is not None:
            return Decision.PRUNE
        data = trial.user_attrs.get(self.attr)
        if trial.last_step is None and isinstance(data, Mapping) and "substep" in data:
            return Decision.CONTINUE  # asked within epoch 1: nothing reported to the wrapped
        return (self.wrapped or NopPruner()).decide(trial, history)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(wrapped={self.wrapped!r}, codes={self.codes!r}, "
                f"min_epochs={self.min_epochs}, confirm={self.confirm}, "
                f"hopeless={self.hopeless!r}, horizon={self.horizon}, "
                f"substep_progress={self.substep_progress})")


def _table(name: str, codes: Mapping[str, str] | Iterable[str] | None,
           default: Mapping[str, str]) -> dict[str, str]:
    """``codes`` as a table code -> least severity (``default`` for None)."""
    if codes is None:
        table = dict(default)
    elif isinstance(codes, Mapping):
        table = dict(codes)
    else:
        table = dict.fromkeys(codes, "error")
    for code, severity in table.items():
        if severity not in _RANK:
            raise ValueError(f"{name}[{code!r}]={severity!r} must be 'info', 'warning' or "
                             "'error'")
    return table


def _matching(problems: list[Mapping[str, Any]], table: Mapping[str, str]
              ) -> list[Mapping[str, Any]]:
    """The problems whose code is in ``table`` at its least severity or above."""
    out = []
    for problem in problems:
        least = table.get(str(problem.get("code")))
        if least is not None and _RANK.get(str(problem.get("severity")), -1) >= _RANK[least]:
            out.append(problem)
    return out


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
