"""Learning-curve extrapolation: prune a trial whose predicted final value is confidently
worse than the best trial's (after Domhan et al., IJCAI 2015, with least squares in place of
MCMC)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from tunecraft._validation import Interval, Options, Spec, validate
from tunecraft.history import History
from tunecraft.pruners._curve_fit import CurveForecast as CurveForecast
from tunecraft.pruners._curve_fit import forecast
from tunecraft.pruners._rungs import single_objective
from tunecraft.pruners.base import BasePruner, Decision
from tunecraft.record import FrozenTrial, TrialState

_CONSTRAINTS: Spec = {
    "max_resource": [Interval(int, 1), Options("auto")],
    "confidence": Interval(float, 0.5, 1, closed="neither"),
    "n_warmup_steps": Interval(int, 0),
    "n_min_points": Interval(int, 4),
    "n_startup_trials": Interval(int, 1),
}


class CurveExtrapolationPruner(BasePruner):
    """Prune when a trial's learning curve, extrapolated to ``max_resource``, is confidently
    worse than the best COMPLETE trial.

    Three saturating curve families (power law ``c - a x^-alpha``, exponential ``c - a
    e^{-bx}``, inverse log ``c - a / log(1 + kx)``) are fitted to the trial's reports by least
    squares and averaged with BIC weights; the prediction's standard deviation combines the
    residual noise, the extrapolation leverage and the families' disagreement. The trial is
    pruned when the probability (normal approximation) that its final value beats the best
    value any COMPLETE trial reported is below ``1 - confidence``: Domhan et al. stop at
    P < 0.05, i.e. ``confidence=0.95``. Extrapolation fails on curves that cross (warm-up,
    schedules with restarts): use a warm-up of several steps and a high confidence.

    Args:
        max_resource: The step whose value is predicted, or ``"auto"``: the largest last step
            of the COMPLETE trials.
        confidence: In (0.5, 1).
        n_warmup_steps: Never prune before this step.
        n_min_points: Finite reports needed before a fit (>= 4).
        n_startup_trials: COMPLETE trials needed before any pruning (>= 1).
    """

    name = "curve"

    def __init__(self, max_resource: int | Literal["auto"] = "auto", confidence: float = 0.95,
                 n_warmup_steps: int = 0, n_min_points: int = 5, n_startup_trials: int = 1
                 ) -> None:
        validate(_CONSTRAINTS, max_resource=max_resource, confidence=confidence,
                 n_warmup_steps=n_warmup_steps, n_min_points=n_min_points,
                 n_startup_trials=n_startup_trials)
        self.max_resource = max_resource
        self.confidence = confidence
        self.n_warmup_steps = n_warmup_steps
        self.n_min_points = n_min_points
        self.n_startup_trials = n_startup_trials

    def probability_of_improvement(self, trial: FrozenTrial, history: History) -> float | None:
        """P(the trial's final value beats the incumbent), or None when undecidable."""
        direction = single_objective(history, type(self).__name__)
        done = [t for t in history.trials
                if t.state is TrialState.COMPLETE and t.intermediate_values]
        if len(done) < self.n_startup_trials:
            return None
        target = (max(t.last_step or 0 for t in done) if self.max_resource == "auto"
                  else int(self.max_resource))
        points = [(s, v) for s, v in trial.intermediate_values.items() if math.isfinite(v)]
        if len(points) < self.n_min_points or points[-1][0] >= target:
            return None
        sign = direction.sign
        incumbent = min((sign * v for t in done for v in t.intermediate_values.values()
                         if math.isfinite(v)), default=None)
        if incumbent is None:
            return None  # the COMPLETE trials reported no finite value: nothing to beat
        with np.errstate(all="ignore"):  # curves near the float limits overflow the fit
            fc = forecast(np.array([p[0] for p in points]), np.array([p[1] for p in points]),
                          target)
        if fc is None or not (math.isfinite(fc.mean) and math.isfinite(fc.std)):
            return None
        z = (incumbent - sign * fc.mean) / max(fc.std, 1e-12)
        return 0.5 * math.erfc(-z / math.sqrt(2.0))  # P(signed final < incumbent)

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        single_objective(history, type(self).__name__)
        step = trial.last_step
        if step is None or step < self.n_warmup_steps:
            return Decision.CONTINUE
        if math.isnan(trial.intermediate_values[step]) and all(
                math.isnan(v) for v in trial.intermediate_values.values()):
            return Decision.PRUNE
        p = self.probability_of_improvement(trial, history)
        return Decision.PRUNE if p is not None and p < 1.0 - self.confidence else \
            Decision.CONTINUE

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(max_resource={self.max_resource!r}, "
                f"confidence={self.confidence}, n_warmup_steps={self.n_warmup_steps}, "
                f"n_min_points={self.n_min_points})")
