"""Threshold pruning: stop a trial whose latest value leaves a fixed range or is NaN."""

from __future__ import annotations

import math

from tunecraft._validation import Interval, Options, check
from tunecraft.history import History
from tunecraft.pruners._rungs import check_int, single_objective
from tunecraft.pruners.base import BasePruner, Decision
from tunecraft.record import FrozenTrial


def _bound(name: str, value: float | None) -> float | None:
    check(name, value, Interval(float, finite=False), Options(None))
    return None if value is None else float(value)


def on_interval(step: int, trial: FrozenTrial, n_warmup_steps: int, interval_steps: int) -> bool:
    """Whether ``step`` (the trial's newest report) is the first report at or after an
    interval boundary past the warm-up (Optuna's ``interval_steps`` semantics, robust to
    trials that report every few steps)."""
    if step < n_warmup_steps:
        return False
    boundary = step - (step - n_warmup_steps) % interval_steps
    previous = max((s for s in trial.intermediate_values if s != step), default=-1)
    return previous < boundary


class ThresholdPruner(BasePruner):
    """Prune when the latest reported value is below ``lower``, above ``upper`` or NaN.

    Needs no other trial, so it works from the very first trial (e.g. stop a diverging
    loss: ``ThresholdPruner(upper=10.0)``). Works whatever the study's direction; a study
    with several objectives is refused (its bounds would be ambiguous).

    Args:
        lower: Prune below this (None: no lower bound).
        upper: Prune above this (None: no upper bound).
        n_warmup_steps: Never prune before this step.
        interval_steps: Decide at the first report at or after every this many steps.
    """

    name = "threshold"

    def __init__(self, lower: float | None = None, upper: float | None = None,
                 n_warmup_steps: int = 0, interval_steps: int = 1) -> None:
        self.lower = _bound("lower", lower)
        self.upper = _bound("upper", upper)
        if self.lower is None and self.upper is None:
            raise ValueError("ThresholdPruner needs lower=, upper= or both")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"lower={lower!r} must be <= upper={upper!r}")
        self.n_warmup_steps = check_int("n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = check_int("interval_steps", interval_steps, 1)

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        single_objective(history, type(self).__name__)
        step = trial.last_step
        if step is None or not on_interval(step, trial, self.n_warmup_steps,
                                           self.interval_steps):
            return Decision.CONTINUE
        value = trial.intermediate_values[step]
        out = (math.isnan(value) or (self.lower is not None and value < self.lower)
               or (self.upper is not None and value > self.upper))
        return Decision.PRUNE if out else Decision.CONTINUE

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(lower={self.lower}, upper={self.upper}, "
                f"n_warmup_steps={self.n_warmup_steps}, interval_steps={self.interval_steps})")
