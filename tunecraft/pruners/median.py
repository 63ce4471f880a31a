"""Median stopping: prune a trial whose best report is worse than the median of other trials."""

from __future__ import annotations

import math

import numpy as np

from tunecraft._validation import Interval, Spec, validate
from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.pruners.base import BasePruner, Decision
from tunecraft.record import FrozenTrial, TrialState


def percentile(values: list[float], q: float) -> float:
    """``np.percentile(values, q)`` (linear interpolation) extended to every float without a
    RuntimeWarning: next to an infinity the interpolation is that infinity, between two equal
    infinities too, between -inf and +inf it is undefined (NaN: decide nothing), and between
    finite values whose difference overflows it is computed on halved values (exact)."""
    arr = np.asarray(values, dtype=float)
    lower = float(np.percentile(arr, q, method="lower"))  # the two order statistics that
    higher = float(np.percentile(arr, q, method="higher"))  # the interpolation goes between
    if lower == higher:
        return lower
    if np.isfinite(arr).all():
        if math.isfinite(higher - lower):
            return float(np.percentile(arr, q))  # numpy's interpolation, as always
        return 2.0 * float(np.percentile(arr / 2.0, q))
    if math.isinf(lower) and math.isinf(higher):
        return math.nan  # -inf .. +inf
    if math.isinf(lower) or math.isinf(higher):
        return lower if math.isinf(lower) else higher
    position = (arr.size - 1) * q / 100.0  # numpy's virtual index; infinities lie elsewhere
    t = position - math.floor(position)
    return 2.0 * (lower / 2.0 + (higher / 2.0 - lower / 2.0) * t)


_CONSTRAINTS: Spec = {
    "percentile": Interval(float, 0, 100),
    "n_startup_trials": Interval(int, 0),
    "n_warmup_steps": Interval(int, 0),
    "interval_steps": Interval(int, 1),
    "n_min_trials": Interval(int, 1),
    "margin": Interval(float, 0),
}


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

    name = "percentile"

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
        validate(_CONSTRAINTS, percentile=percentile, n_startup_trials=n_startup_trials,
                 n_warmup_steps=n_warmup_steps, interval_steps=interval_steps,
                 n_min_trials=n_min_trials, margin=margin)
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
        if not done or len(done) < self.n_startup_trials:
            return Decision.CONTINUE  # nothing to compare with yet (NaN included, as Optuna)
        mine = [v for v in trial.intermediate_values.values() if not math.isnan(v)]
        if not mine:  # only NaN reported: the trial has diverged, whatever the others did
            return Decision.PRUNE
        others = [t.intermediate_values[step] for t in done if step in t.intermediate_values]
        others = [v for v in others if not math.isnan(v)]
        if len(others) < self.n_min_trials:
            return Decision.CONTINUE
        maximize = history.directions[0] is StudyDirection.MAXIMIZE
        best = max(mine) if maximize else min(mine)
        q = 100.0 - self.percentile if maximize else self.percentile
        threshold = percentile(others, q)
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

    name = "median"

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
