"""Multi-objective pruning: stop a trial that enough COMPLETE trials dominate at the same step."""

from __future__ import annotations

import math

import numpy as np

from tunecraft._validation import Interval, Spec, validate
from tunecraft.history import History
from tunecraft.pruners.base import BasePruner, Decision
from tunecraft.pruners.threshold import on_interval
from tunecraft.record import FrozenTrial, TrialState


def _vectors(trial: FrozenTrial, m: int) -> dict[int, tuple[float, ...]]:
    if m == 1:
        return {s: (v,) for s, v in trial.intermediate_values.items()}
    return dict(trial.intermediate_vectors)


_CONSTRAINTS: Spec = {
    "fraction": Interval(float, 0, 1, closed="left"),
    "n_startup_trials": Interval(int, 0),
    "n_warmup_steps": Interval(int, 0),
    "interval_steps": Interval(int, 1),
    "n_min_trials": Interval(int, 1),
}


class ParetoPruner(BasePruner):
    """Prune when more than ``fraction`` of the COMPLETE trials that reported the same step
    dominate the trial there.

    The rule, for a study with objectives minimised or maximised: at step ``s`` take the
    trial's *optimistic point*, its best value so far in each objective separately (each may
    come from a different step), and the reports at ``s`` of the COMPLETE trials. The trial
    is pruned when more than ``fraction * n`` of those ``n`` reports are no worse in every
    objective and better in one (Pareto dominance). A trial on or near the current front is
    never pruned, whatever the weighting of the objectives; with one objective the rule is
    "worse than the ``fraction`` quantile of the values at this step", a median rule with
    ``fraction=0.5``. Objectives are reported per step as a tuple:
    ``trial.report((accuracy, latency), step)``. A trial whose reports are all NaN in some
    objective is pruned.

    Args:
        fraction: Share of the COMPLETE trials at the step that must dominate, in [0, 1).
        n_startup_trials: Never prune until this many trials are COMPLETE.
        n_warmup_steps: Never prune before this step.
        interval_steps: Decide at the first report at or after every this many steps.
        n_min_trials: COMPLETE trials with a report at the step needed to decide.
    """

    name = "pareto"

    def __init__(self, fraction: float = 0.5, n_startup_trials: int = 5,
                 n_warmup_steps: int = 0, interval_steps: int = 1, *, n_min_trials: int = 1
                 ) -> None:
        validate(_CONSTRAINTS, fraction=fraction, n_startup_trials=n_startup_trials,
                 n_warmup_steps=n_warmup_steps, interval_steps=interval_steps,
                 n_min_trials=n_min_trials)
        self.fraction = float(fraction)
        self.n_startup_trials = n_startup_trials
        self.n_warmup_steps = n_warmup_steps
        self.interval_steps = interval_steps
        self.n_min_trials = n_min_trials

    def dominated_share(self, trial: FrozenTrial, history: History) -> tuple[float, int] | None:
        """(share of COMPLETE trials at the trial's last step that dominate it, their
        number), or None when the trial has no report."""
        m = history.n_objectives
        step = trial.last_step
        mine = _vectors(trial, m)
        if step is None or step not in mine:
            return None
        sign = np.array([d.sign for d in history.directions], dtype=float)
        own = np.array(list(mine.values()), dtype=float) * sign
        with np.errstate(all="ignore"):
            point = np.nanmin(np.where(np.isnan(own), np.inf, own), axis=0)
        others = []
        for t in history.trials:
            if t.state is TrialState.COMPLETE and t.number != trial.number:
                v = _vectors(t, m).get(step)
                if v is not None and not any(math.isnan(x) for x in v):
                    others.append(v)
        if not others:
            return 0.0, 0
        loss = np.array(others, dtype=float) * sign
        dominating = np.all(loss <= point, axis=1) & np.any(loss < point, axis=1)
        return float(dominating.mean()), len(others)

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        step = trial.last_step
        if step is None or not on_interval(step, trial, self.n_warmup_steps,
                                           self.interval_steps):
            return Decision.CONTINUE
        m = history.n_objectives
        values = list(_vectors(trial, m).values())
        if values and any(all(math.isnan(v[i]) for v in values) for i in range(m)):
            return Decision.PRUNE  # an objective has diverged
        done = sum(1 for t in history.trials if t.state is TrialState.COMPLETE)
        if done < self.n_startup_trials:
            return Decision.CONTINUE
        share = self.dominated_share(trial, history)
        if share is None or share[1] < self.n_min_trials:
            return Decision.CONTINUE
        return Decision.PRUNE if share[0] > self.fraction else Decision.CONTINUE

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(fraction={self.fraction}, "
                f"n_startup_trials={self.n_startup_trials}, "
                f"n_warmup_steps={self.n_warmup_steps}, interval_steps={self.interval_steps})")
