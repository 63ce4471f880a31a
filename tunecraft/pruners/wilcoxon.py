"""Paired pruning for objectives evaluated instance by instance (folds, datasets, seeds)."""

from __future__ import annotations

import math

import numpy as np

from tunecraft._imports import require
from tunecraft._validation import Interval, Spec, validate
from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.pruners.base import BasePruner, Decision
from tunecraft.record import FrozenTrial

_CONSTRAINTS: Spec = {"p_threshold": Interval(float, 0, 1, closed="neither"),
                      "n_startup_steps": Interval(int, 1)}


class WilcoxonPruner(BasePruner):
    """Prune a trial that is significantly worse than the best trial on the same instances.

    For objectives that score a configuration on many instances (cross-validation folds,
    datasets, random seeds, problem instances) and report one value per instance, with the
    instance's id as the step; the objective returns their mean. The trial's values are paired
    with the best COMPLETE trial's at the steps both reported, and a one-sided Wilcoxon
    signed-rank test (``scipy.stats.wilcoxon``, zeros split) asks whether this trial is worse.
    It is pruned when the test's p-value is below ``p_threshold`` and its mean over the pairs
    is worse too. Pairing removes the spread between instances (an easy fold is easy for every
    configuration), which a per-step median or percentile cannot. Steps need not come in order:
    shuffle the instances per trial so that early decisions are not biased by the order.

    Args:
        p_threshold: The significance level in (0, 1). With ``n`` pairs and no ties the
            smallest possible p-value is ``2**-n``: at the default 0.1, nothing is pruned
            before 4 instances.
        n_startup_steps: Never prune before this many pairs.

    Needs scipy (``pip install 'tunecraft[stats]'``). Single-objective studies only.
    """

    name = "wilcoxon"

    def __init__(self, p_threshold: float = 0.1, n_startup_steps: int = 2) -> None:
        validate(_CONSTRAINTS, p_threshold=p_threshold, n_startup_steps=n_startup_steps)
        self.p_threshold = float(p_threshold)
        self.n_startup_steps = n_startup_steps

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        if len(history.directions) != 1:
            raise ValueError(f"{type(self).__name__} supports single-objective studies only")
        step = trial.last_step
        if step is None:
            return Decision.CONTINUE
        if math.isnan(trial.intermediate_values[step]):
            return Decision.PRUNE  # the objective diverged on this instance
        best = history.best_trial()
        if best is None or best.number == trial.number:
            return Decision.CONTINUE
        common = [s for s in trial.intermediate_values if s in best.intermediate_values]
        mine = np.array([trial.intermediate_values[s] for s in common], dtype=float)
        theirs = np.array([best.intermediate_values[s] for s in common], dtype=float)
        finite = np.isfinite(mine) & np.isfinite(theirs)
        if np.count_nonzero(finite) < self.n_startup_steps:
            return Decision.CONTINUE
        sign = 1.0 if history.directions[0] is StudyDirection.MINIMIZE else -1.0
        with np.errstate(over="ignore", invalid="ignore"):
            worse_by = sign * (mine[finite] - theirs[finite])  # > 0: this trial is worse there
            if not np.isfinite(worse_by).all():  # differences beyond the float range: halve
                worse_by = sign * (mine[finite] / 2 - theirs[finite] / 2)  # (ranks unchanged)
            worse = bool(worse_by.mean() > 0)  # an overflowing mean keeps its sign
        if not worse:
            return Decision.CONTINUE
        stats = require("scipy.stats", "stats")
        p = float(stats.wilcoxon(worse_by, alternative="greater", zero_method="zsplit").pvalue)
        return Decision.PRUNE if p < self.p_threshold else Decision.CONTINUE

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(p_threshold={self.p_threshold}, "
                f"n_startup_steps={self.n_startup_steps})")
