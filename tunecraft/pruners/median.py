"""Median stopping: prune a trial whose best report is worse than the median of other trials."""

from __future__ import annotations

import math

import numpy as np

from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.pruners.base import BasePruner, Decision
from tunecraft.record import FrozenTrial, TrialState


def _check_int(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}")


class PercentilePruner(BasePruner):
    """Prune when the trial's best value so far is worse than the given percentile of the
    values that COMPLETE trials reported at the same step.

    Args:
        percentile: In [0, 100]; 50 is the median. For minimisation, a trial is pruned when
            its best value is above this percentile of the others (worse than that share).
        n_startup_trials: Never prune until this many trials are COMPLETE.
        n_warmup_steps: Never prune a trial before it reports this step.
        interval_steps: Decide only at the first report at or after every this many steps
            past the warm-up.
        n_min_trials: Need at least this many COMPLETE trials with a report at the step.
        margin: Prune only when worse than the percentile by more than this (in the
            metric's units): a confidence margin for jittery curves (0: Optuna's rule). See
            also :class:`~tunecraft.pruners.SmoothedPruner`.
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
        margin: float = 0.0,
    ) -> None:
        if not (isinstance(percentile, (int, float)) and 0.0 <= percentile <= 100.0):
            raise ValueError(f"percentile={percentile!r} must be a number in [0, 100]")
        _check_int("n_startup_trials", n_startup_trials, 0)
        _check_int("n_warmup_steps", n_warmup_steps, 0)
        _check_int("interval_steps", interval_steps, 1)
        _check_int("n_min_trials", n_min_trials, 1)
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not (
                margin >= 0 and math.isfinite(margin)):
            raise ValueError(f"margin={margin!r} must be a finite number >= 0")
        self.margin = float(margin)
        self.percentile = float(percentile)
        self.n_startup_trials = n_startup_trials
        self.n_warmup_steps = n_warmup_steps
        self.interval_steps = interval_steps
        self.n_min_trials = n_min_trials

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        if len(history.directions) != 1:
            raise ValueError(
                f"{type(self).__name__} supports single-objective studies only"
            )
        step = trial.last_step
        if step is None or step < self.n_warmup_steps:
            return Decision.CONTINUE
        # Decide at the first report at or after each interval boundary, so that trials that
        # report every few steps are still checked about every ``interval_steps`` steps.
        boundary = step - (step - self.n_warmup_steps) % self.interval_steps
        previous = max((s for s in trial.intermediate_values if s != step), default=-1)
        if previous >= boundary:
            return Decision.CONTINUE
        done = history.with_states(TrialState.COMPLETE)
        if len(done) < self.n_startup_trials:
            return Decision.CONTINUE
        others = [t.intermediate_values[step] for t in done if step in t.intermediate_values]
        others = [v for v in others if not math.isnan(v)]
        if len(others) < self.n_min_trials:
            return Decision.CONTINUE
        maximize = history.directions[0] is StudyDirection.MAXIMIZE
        mine = [v for v in trial.intermediate_values.values() if not math.isnan(v)]
        if not mine:
            return Decision.PRUNE  # only NaN reported: the trial has diverged
        best = max(mine) if maximize else min(mine)
        q = 100.0 - self.percentile if maximize else self.percentile
        threshold = float(np.percentile(np.asarray(others), q))
        worse = (best < threshold - self.margin if maximize
                 else best > threshold + self.margin)
        return Decision.PRUNE if worse else Decision.CONTINUE

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(percentile={self.percentile}, "
                f"n_startup_trials={self.n_startup_trials}, "
                f"n_warmup_steps={self.n_warmup_steps}, interval_steps={self.interval_steps})")


class MedianPruner(PercentilePruner):
    """Prune when the trial's best value so far is worse than the median of the values COMPLETE
    trials reported at the same step (Optuna's MedianPruner semantics and defaults)."""

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
        margin: float = 0.0,
    ) -> None:
        super().__init__(50.0, n_startup_trials, n_warmup_steps, interval_steps,
                         n_min_trials=n_min_trials, margin=margin)
