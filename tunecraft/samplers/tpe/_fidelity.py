"""BOHB-style multi-fidelity TPE: learn from the largest budget that has enough observations.

Under Hyperband or successive halving, most trials stop at low budgets, and values reported
at different budgets are not comparable. Following BOHB (Falkner et al., ICML 2018), TPE then
fits on one budget: the largest step at which at least ``n_min`` configurations reported a
finite value. The default ``n_min`` is BOHB's (Algorithm 2: the largest budget ``b`` with
``|D_b| >= N_min + 2``, ``N_min = d + 1``, ``d`` the number of parameters), i.e. ``d + 3``:
below that, "good" is the best one or two of a handful of configurations, and a model on
them is mostly their noise. (The default was ``d + 1`` before; with 4 parameters, 13 curve
families and 40 seeds, ``d + 3`` won more seeds than it lost and was significantly worse on
none: ``benchmarks/results/issue-18.md``, section 10.) Each configuration counts once,
with its value at that step, whatever its state (a trial stopped at a later rung, or still
running past it, has a real observation there). Unlike BOHB, the configurations stopped
before that budget are kept, ranked after every one that reached it (as TPE ranks pruned
trials): the few that reached a high budget are all survivors, and without the others TPE
would take the weakest survivors for the bad region and propose far from all of them.
Running trials stay for the constant liar; completed trials without a report at the budget
are left out.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter

from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.system_attrs import heads


def default_min_observations(n_params: int) -> int:
    """BOHB's ``N_min + 2`` with ``N_min = d + 1`` (Falkner et al. 2018, Algorithm 2): the
    configurations a budget needs before TPE fits on it."""
    return n_params + 3


def largest_budget(history: History, n_min: int) -> int | None:
    """The largest step with a finite report from at least ``n_min`` configurations."""
    counts: Counter[int] = Counter()
    for t in history.trials:
        if t.state is not TrialState.WAITING:
            counts.update(s for s, v in t.intermediate_values.items() if math.isfinite(v))
    ok = [step for step, c in counts.items() if c >= n_min]
    return max(ok) if ok else None


def budget_view(history: History, n_min: int | None = None) -> History:
    """The history as TPE should see it under a multi-fidelity scheduler (see the module
    docstring); ``history`` itself when no budget has enough observations yet, or for
    several objectives."""
    if history.n_objectives != 1:
        return history
    configs = heads(history)
    need = n_min if n_min is not None else default_min_observations(
        len(history.param_distributions()))
    budget = largest_budget(configs, max(need, 1))
    if budget is None:
        return history
    trials: list[FrozenTrial] = []
    for t in configs.trials:
        v = t.intermediate_values.get(budget)
        if v is not None and math.isfinite(v):
            trials.append(dataclasses.replace(t, state=TrialState.COMPLETE, values=(v,)))
        elif t.state in (TrialState.RUNNING, TrialState.PRUNED):
            trials.append(t)
    return History(trials, history.directions)
