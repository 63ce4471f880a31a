"""Rungs of asynchronous successive halving, shared by the SH and Hyperband pruners.

Pure functions of a History. A rung is a step ``min_resource * eta ** (rate + k)``; a
configuration (a chain of paused and resumed trials, counted by its newest trial) is *at* a
rung when it reported a step at or past it, and its value there is the one it reported at the
first such step. With a ``horizon`` (``rank_by="forecast"``), configurations are ranked at a
rung by their learning curve up to the rung, extrapolated to the horizon (``forecast_at``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
from typing import SupportsInt, cast

import numpy as np

from tunecraft._validation import Interval, check
from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.pruners._curve_fit import forecast
from tunecraft.pruners.base import Decision, Resume
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.system_attrs import (
    BRACKET_KEY,
    budget_of,
    lineage,
    paused_step,
    resume_info,
    superseded,
)

MAX_STEP = 2**40  # rungs stop here when the maximum resource is unknown


def check_int(name: str, value: object, minimum: int) -> int:
    """``value`` as an int >= ``minimum``, or ValueError naming the argument."""
    return int(cast(SupportsInt, check(name, value, Interval(int, minimum))))


def rung_steps(min_resource: int, eta: int, rate: int, max_resource: int | None) -> list[int]:
    """Rung steps below ``max_resource`` (reaching it completes the trial), or up to
    ``MAX_STEP`` when the maximum is unknown."""
    out: list[int] = []
    step = min_resource * eta**rate
    while step < (MAX_STEP if max_resource is None else max_resource):
        out.append(step)
        step *= eta
    return out


def crossed_rung(trial: FrozenTrial, rungs: list[int]) -> int | None:
    """Index of the highest rung that the trial's newest report reached and its previous
    report had not: the rung decided at this report (None between rungs)."""
    step = trial.last_step
    if step is None:
        return None
    previous = max((s for s in trial.intermediate_values if s != step), default=-1)
    hit = None
    for k, r in enumerate(rungs):
        if previous < r <= step:
            hit = k
    return hit


def value_at(trial: FrozenTrial, rung_step: int) -> float | None:
    """The value the trial reported at the first step >= ``rung_step`` (None if none)."""
    for s, v in trial.intermediate_values.items():  # steps are sorted by replay
        if s >= rung_step:
            return v
    return None


MIN_FORECAST_POINTS = 4  # a curve fit needs this many finite reports (``_curve_fit.forecast``)


@lru_cache(maxsize=8192)
def _extrapolate(steps: tuple[int, ...], values: tuple[float, ...], horizon: int
                 ) -> float | None:
    with np.errstate(all="ignore"):  # curves near the float limits overflow the fit
        fc = forecast(np.array(steps, dtype=float), np.array(values), horizon)
    return fc.mean if fc is not None and math.isfinite(fc.mean) else None


def forecast_at(trial: FrozenTrial, rung_step: int, horizon: int) -> float | None:
    """The trial's curve up to ``rung_step`` extrapolated to step ``horizon``: the BIC-weighted
    mean of three saturating least-squares fits (``_curve_fit.forecast``, after Domhan et al.,
    IJCAI 2015), or the value at the rung (``value_at``) with fewer than
    ``MIN_FORECAST_POINTS`` finite reports up to the rung.

    A curve reports noise at every step and its speed depends on the configuration (a large
    learning rate learns fast and levels off early); the value at one step ranks by both,
    the fit over every step up to the rung averages the noise and ranks by where the curve
    is heading. The rung's members are all fitted on the same steps, so they compare fairly.
    """
    raw = value_at(trial, rung_step)
    if raw is None or math.isnan(raw):
        return raw
    points = [(s, v) for s, v in trial.intermediate_values.items()
              if s <= rung_step and math.isfinite(v)]
    if len(points) < MIN_FORECAST_POINTS:
        return raw
    steps, values = zip(*points, strict=True)
    predicted = _extrapolate(steps, values, horizon)
    return raw if predicted is None else predicted


def rank_value(trial: FrozenTrial, rung_step: int, horizon: int | None) -> float | None:
    """What the trial is ranked by at the rung: its value there, or (with a ``horizon``) its
    forecast at the horizon (``forecast_at``)."""
    if horizon is None:
        return value_at(trial, rung_step)
    return forecast_at(trial, rung_step, horizon)


def _key(value: float, sign: float) -> float:
    return math.inf if math.isnan(value) else sign * value


def members(history: History, bracket: int | None, rung_step: int, horizon: int | None = None
            ) -> list[tuple[float, int, FrozenTrial]]:
    """``(signed value, lineage, trial)`` of every configuration of ``bracket`` at the rung,
    best first (NaN last, ties by lineage): the rung's ranking (by ``rank_value``). ``trial``
    is the newest trial of the chain that reported there (all of them hold the same copied
    value)."""
    sign = history.directions[0].sign
    newest: dict[int, tuple[FrozenTrial, float]] = {}
    for t in _in_bracket(history.trials, bracket):
        v = rank_value(t, rung_step, horizon)
        if v is None:
            continue
        lin = lineage(t)
        if lin not in newest or t.number > newest[lin][0].number:
            newest[lin] = (t, v)
    out = [(_key(v, sign), lin, t) for lin, (t, v) in newest.items()]
    out.sort(key=lambda m: (m[0], m[1]))
    return out


def _in_bracket(trials: Iterable[FrozenTrial], bracket: int | None) -> list[FrozenTrial]:
    if bracket is None:
        return list(trials)
    return [t for t in trials if t.system_attrs.get(BRACKET_KEY) == bracket]


def decide_at_rung(
    trial: FrozenTrial, history: History, bracket: int | None, rungs: list[int], eta: int,
    bootstrap_count: int, pause: bool, in_place: bool = True, horizon: int | None = None,
) -> Decision:
    """The SH decision for ``trial`` (see SuccessiveHalvingPruner for the two rules), ranked
    by ``rank_value`` at ``horizon``."""
    k = crossed_rung(trial, rungs)
    if k is None:
        return Decision.CONTINUE
    rung_step = rungs[k]
    info = resume_info(trial)
    if info is not None and info.step >= rung_step:
        return Decision.CONTINUE  # promoted past this rung already; now replaying it
    mine = value_at(trial, rung_step)
    if mine is None or math.isnan(mine):
        return Decision.PRUNE  # a diverged run is never promoted
    ranking = members(history, bracket, rung_step, horizon)
    n = len(ranking)
    stop = Decision.PAUSE if pause else Decision.PRUNE
    if n <= bootstrap_count:
        return stop
    if pause:  # Li et al. 2020: promote when in the top floor(n / eta)
        mine_lineage = lineage(trial)
        position = next((i for i, m in enumerate(ranking) if m[1] == mine_lineage), n)
        return Decision.CONTINUE if position < n // eta and in_place else stop
    # Optuna's rule: continue when no worse than the floor(n / eta)-th best (at least the best)
    threshold = ranking[max(n // eta - 1, 0)][0]
    sign = history.directions[0].sign
    ranked = rank_value(trial, rung_step, horizon)
    return Decision.CONTINUE if ranked is not None and sign * ranked <= threshold else stop


def promotion(history: History, bracket: int | None, rungs: list[int], eta: int,
              bootstrap_count: int, horizon: int | None = None) -> tuple[int, Resume] | None:
    """``(rung step, order)`` for the paused configuration to promote in ``bracket``: from the
    highest rung down, the best paused one in its rung's top floor(n / eta)."""
    gone = superseded(history.trials)
    for k in range(len(rungs) - 1, -1, -1):
        ranking = members(history, bracket, rungs[k], horizon)
        n = len(ranking)
        if n <= bootstrap_count:
            continue
        for _, _, t in ranking[: n // eta]:
            step = paused_step(t)
            if step is None or t.number in gone or crossed_rung_at(t, step, rungs) != k:
                continue
            return rungs[k], Resume(t.number, t.number, step, dict(t.params))
    return None


def crossed_rung_at(trial: FrozenTrial, step: int, rungs: list[int]) -> int | None:
    """The highest rung at or below ``step``: where a trial paused at ``step`` waits."""
    hit = None
    for k, r in enumerate(rungs):
        if r <= step:
            hit = k
    return hit


def first_complete_last_step(history: History) -> int | None:
    """The last step of the lowest-numbered COMPLETE trial with reports (for "auto")."""
    for t in history.trials:
        if t.state is TrialState.COMPLETE and t.last_step is not None:
            return t.last_step
    return None


def bracket_of(trial: FrozenTrial) -> int | None:
    """The bracket recorded for the trial (from its budget), or None."""
    budget = budget_of(trial)
    return None if budget is None else budget.bracket


def single_objective(history: History, who: str) -> StudyDirection:
    """The study's only direction; ValueError for multi-objective studies."""
    if len(history.directions) != 1:
        raise ValueError(f"{who} supports single-objective studies only; use "
                         "tunecraft.pruners.ParetoPruner for several objectives")
    return history.directions[0]


def unlikely_promotions(history: History, bracket: int | None, rungs: list[int], eta: int,
                        horizon: int | None = None) -> set[int]:
    """Paused trials whose checkpoints are not worth keeping: at their rung they rank
    ``floor(2 n / eta) + eta`` or lower, so they would be promoted only after the rung has
    more than doubled (and grown by eta^2). If that happens after all, the promoted trial
    trains from the start."""
    out: set[int] = set()
    for k, step in enumerate(rungs):
        ranking = members(history, bracket, step, horizon)
        limit = 2 * len(ranking) // eta + eta
        for _, _, t in ranking[limit:]:
            paused = paused_step(t)
            if paused is not None and crossed_rung_at(t, paused, rungs) == k:
                out.add(t.number)
    return out
