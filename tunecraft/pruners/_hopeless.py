"""Whether a slow run's own learning curve says it cannot become competitive in its budget.

A run whose learning rate is orders of magnitude too low (the doctor's ``lr_too_low`` at
``error``: even its largest steps move the weights by under 1e-3 of their norm and its loss
fell under 15%) gains little per epoch, and nothing later makes it gain faster: the step size
stays as small (or a schedule shrinks it further). Its curve is the slow start of a concave
learning curve, so the largest gain per epoch it has shown bounds its later gains. Project
that gain, tripled, over the epochs the trial has left (``horizon``); if the projection stays
below the level that successive halving would promote at the same step (the top third of
the other trials' reports there: Hyperband's default reduction factor 3, Li et al., JMLR
2018), the run is a hopeless plateau: training it to the end cannot make it competitive.
The comparison is conservative three times: an optimistic rate, the whole remaining budget,
and the others' values *now* (they only improve later). This is the extrapolation idea of
Domhan et al. (IJCAI 2015, "Speeding up automatic hyperparameter optimization of deep neural
networks by extrapolation of learning curves"), bounded by a linear upper envelope instead
of a fitted model because a crawling run's few reports fit any model.
"""

from __future__ import annotations

import math

from tunecraft.history import History
from tunecraft.pruners.median import percentile
from tunecraft.record import FrozenTrial, TrialState

__all__ = ["LEVEL", "SLACK", "full_run_steps", "hopeless_plateau"]

SLACK = 3.0
"""The projection assumes every remaining epoch gains three times the best gain so far."""
LEVEL = 2 / 3
"""The others' quantile at the step that a run must be able to reach: the top third, which
successive halving with reduction factor 3 promotes."""
_MIN_REPORTS = 3   # "crawls over several epochs": at least two gains per epoch seen
_MIN_OTHERS = 3    # a quantile of the others at a step needs a few of them to mean anything


def full_run_steps(history: History) -> int | None:
    """The steps of a full run as the history shows it: the last step of the longest
    COMPLETE trial (None before any completed with reports)."""
    steps = [t.last_step for t in history.trials
             if t.state is TrialState.COMPLETE and t.last_step is not None]
    return max(steps) if steps else None


def hopeless_plateau(trial: FrozenTrial, history: History,
                     horizon: int | None = None) -> str | None:
    """Why ``trial`` cannot reach the others' top third at its step by step ``horizon``,
    or None when it might (or the evidence is too thin to tell).

    Args:
        trial: The running trial; its reports are read in the study's direction.
        history: The study's history (the direction and the other trials' reports).
        horizon: The last step of a full run; None reads it from ``history`` (the longest
            COMPLETE trial), and without one the rule does not judge.
    """
    if len(history.directions) != 1:
        return None  # no single metric to project
    step = trial.last_step
    horizon = horizon if horizon is not None else full_run_steps(history)
    if step is None or horizon is None or step >= horizon:
        return None  # at its last step nothing is saved: let the wrapped pruner decide
    sign = -history.directions[0].sign  # larger sign * value is better (sign: to minimize)
    curve = [(s, sign * v) for s, v in sorted(trial.intermediate_values.items())
             if math.isfinite(v)]
    if len(curve) < _MIN_REPORTS:
        return None
    best, rate = curve[0][1], 0.0
    for (s0, _), (s1, v1) in zip(curve, curve[1:], strict=False):
        rate = max(rate, (v1 - best) / max(s1 - s0, 1))  # gain of the best-so-far per step
        best = max(best, v1)
    others = [sign * v for t in history.trials if t.number != trial.number
              for v in (t.intermediate_values.get(step),) if v is not None and math.isfinite(v)]
    if len(others) < _MIN_OTHERS:
        return None
    level = percentile(others, 100 * LEVEL)
    reach = best + SLACK * rate * (horizon - step)
    if reach >= level:
        return None
    return (f"hopeless plateau: best {sign * best:.4g} after {step} steps, gaining at most "
            f"{rate:.3g} per step; even {SLACK:g}x that for the {horizon - step} steps left "
            f"reaches {sign * reach:.4g}, below the other trials' top third ({sign * level:.4g}) "
            f"at step {step}")
