"""What the GP sampler learns from in a History, as arrays over one space's encoding."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers.gp._encoding import Encoding
from tunecraft.space import Dim
from tunecraft.system_attrs import PROPOSAL_KEY


@dataclass(frozen=True)
class Observations:
    """Rows of the trials that hold every dimension of the space with the same distribution.

    Attributes:
        x: (n, d) encoded COMPLETE trials; ``values`` (n, m) their objective values, every
            column minimised; ``feasible`` (n,) whether each violates no constraint.
        x_con, con: (k, d) and (k, c): trials (COMPLETE, or any finished state with a violated
            constraint, e.g. a FAIL that ran out of memory) that recorded ``c`` constraints.
        x_running: (r, d) RUNNING trials other than the one being sampled, at their flushed
            params over their published proposal.
        n: Number of finished trials observed (COMPLETE, PRUNED with a value, or
            infeasible).

    A PRUNED trial is a row of ``x``/``values`` too (see :func:`_pruned_value`): a pruner
    stopped it because it was worse than the others, so its region is bad, not unknown.
    """

    x: np.ndarray
    values: np.ndarray
    feasible: np.ndarray
    x_con: np.ndarray
    con: np.ndarray
    x_running: np.ndarray
    n: int


def _rankable(t: FrozenTrial) -> bool:
    """COMPLETE with values that are numbers (an infinite loss, e.g. a diverged run, counts:
    the GP learns that the region is bad)."""
    return t.state is TrialState.COMPLETE and t.values is not None and not any(
        math.isnan(v) for v in t.values)


def _clip_infinite(values: np.ndarray) -> np.ndarray:
    """Each column's infinite values clipped to its finite range (as Optuna's GP sampler
    does): a diverged trial looks as bad as the worst finite one, and never becomes an
    outlier that dwarfs every other value after standardisation."""
    if np.isfinite(values).all():
        return values
    out: np.ndarray = values.copy()
    for j in range(values.shape[1]):
        col = values[:, j]
        ok = np.isfinite(col)
        lo, hi = (float(col[ok].min()), float(col[ok].max())) if ok.any() else (0.0, 0.0)
        out[:, j] = np.clip(col, lo, hi)
    return out


PRUNED_AS_OBSERVATIONS = True
"""Whether PRUNED trials are observations (see :func:`_pruned_value`); False ignores them, as
Optuna's GPSampler does (it reads COMPLETE trials only)."""


def _last_report(t: FrozenTrial) -> float | None:
    """The trial's report at its last step (None without one, or when it is NaN)."""
    if not t.intermediate_values:
        return None
    value = t.intermediate_values[max(t.intermediate_values)]
    return None if math.isnan(value) else float(value)


def _pruned_value(last: float | None, sign: float, complete: np.ndarray) -> float | None:
    """The minimised value a PRUNED trial is observed at: its last report, but never better
    than the worst COMPLETE value (the worst one alone when it has no usable report), or
    None when neither exists.

    A pruner stops a trial because its curve ranks low, so its final value is unknown but
    unlikely to be good. Optuna's TPE ranks every PRUNED trial below every COMPLETE one and
    the PRUNED ones by their last report (``optuna/samplers/_tpe/sampler.py``,
    ``_get_pruned_trial_score``); this is that order as values a GP can regress on. Ignoring
    them (Optuna's GPSampler) leaves the GP blind to most of a Hyperband study, whose
    PRUNED trials outnumber the COMPLETE ones 2:1, and keeps it on its quasi-random start-up
    until ``n_startup_trials`` trials COMPLETE, which in a pruning bracket (the sampler sees
    its trial's bracket only) may be never (benchmarks/results/issue-15.md, section 14).
    """
    finite = complete[np.isfinite(complete)]
    worst = float(finite.max()) if finite.size else None
    if last is None or math.isinf(last):
        return worst
    value = sign * last
    return value if worst is None else max(value, worst)


def _params(t: FrozenTrial) -> Mapping[str, Any]:
    if t.state is TrialState.RUNNING:
        proposal = t.system_attrs.get(PROPOSAL_KEY)
        if isinstance(proposal, Mapping) and proposal:
            return {**proposal, **t.params}
    return t.params


def _fits(t: FrozenTrial, space: Mapping[str, Dim], params: Mapping[str, Any]) -> bool:
    for name, dim in space.items():
        if name not in params:
            return False
        recorded = t.distributions.get(name)
        if recorded is not None and recorded != dim:
            return False
        if recorded is None and not dim.contains(params[name]):
            return False
    return True


def observations(history: History, enc: Encoding, number: int) -> Observations:
    """The observations of ``history`` over ``enc``'s space, for sampling trial ``number``."""
    space = enc.space
    sign = np.array([d.sign for d in history.directions], dtype=float)
    xs: list[np.ndarray] = []
    values: list[np.ndarray] = []
    feasible: list[bool] = []
    xc: list[np.ndarray] = []
    cons: list[tuple[float, ...]] = []
    running: list[np.ndarray] = []
    n = 0
    pruned: list[tuple[np.ndarray, float | None, bool, bool]] = []
    for t in history.trials:
        if (PRUNED_AS_OBSERVATIONS and t.state is TrialState.PRUNED and len(sign) == 1
                and _fits(t, space, t.params)):  # (row, last report, feasible, counted)
            pruned.append((enc.encode(t.params), _last_report(t), t.is_feasible(),
                           t.constraints is not None and not t.is_feasible()))
        if t.state is TrialState.RUNNING:
            if t.number != number:
                p = _params(t)
                if _fits(t, space, p):
                    running.append(enc.encode(p))
            continue
        complete = _rankable(t)
        constraints = t.constraints
        if not complete and (constraints is None or not t.state.is_finished()
                             or t.is_feasible()):
            continue
        if not _fits(t, space, t.params):
            continue
        row = enc.encode(t.params)
        n += 1
        if complete:
            xs.append(row)
            values.append(np.asarray(t.values, dtype=float) * sign)
            feasible.append(t.is_feasible())
        if constraints is not None:
            xc.append(row)
            cons.append(constraints)
    d, m = enc.dim, len(sign)
    ys = _clip_infinite(np.array(values).reshape(len(xs), m))
    ranked = ys[:, 0].copy()  # the COMPLETE values only (one objective when any PRUNED)
    for row, last, ok, counted in pruned:
        value = _pruned_value(last, sign[0], ranked)
        if value is not None:
            xs.append(row)
            ys = np.vstack([ys, [[value]]])
            feasible.append(ok)
            n += 0 if counted else 1  # an infeasible one was counted with the constraints
    width = max((len(c) for c in cons), default=0)
    keep = [i for i, c in enumerate(cons) if len(c) == width]
    return Observations(
        x=np.array(xs).reshape(len(xs), d), values=ys,
        feasible=np.array(feasible, dtype=bool),
        x_con=np.array([xc[i] for i in keep]).reshape(len(keep), d),
        con=np.array([cons[i] for i in keep], dtype=float).reshape(len(keep), width),
        x_running=np.array(running).reshape(len(running), d), n=n)
