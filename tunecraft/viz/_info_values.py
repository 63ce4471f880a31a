"""Plot data about objective values: history, distribution, Pareto front, importance, summary.

Pure functions of a History (or an analysis result) returning immutable NamedTuples; the
renderers in :mod:`tunecraft.viz.plotly`, :mod:`tunecraft.viz.matplotlib` and the report draw
them without computing anything.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import NamedTuple, Protocol

import numpy as np

from tunecraft.analysis.result import Importance
from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.viz._common import Target, finite_complete, objective, thin


class HistoryInfo(NamedTuple):
    """Objective value of each completed trial by number, and the best value so far."""

    name: str
    minimize: bool
    numbers: tuple[int, ...]
    values: tuple[float, ...]
    best_numbers: tuple[int, ...]  # where the best so far changes, plus the last trial
    best_values: tuple[float, ...]
    n_total: int  # completed trials (``numbers`` may show an even subset of them)


def history_info(history: History, *, target: Target | None = None,
                 target_name: str | None = None, max_points: int | None = None
                 ) -> HistoryInfo:
    """The optimisation history: completed trials' values and the running best.

    With ``max_points``, the scatter shows an even subset (always with the best trial); the
    best-so-far line is computed from every trial.
    """
    obj = objective(history, target, target_name)
    rows = finite_complete(history, obj)
    numbers = tuple(t.number for t, _ in rows)
    values = tuple(v for _, v in rows)
    best_n: list[int] = []
    best_v: list[float] = []
    best = math.inf
    for n, v in zip(numbers, values, strict=True):
        score = v if obj.minimize else -v
        if score < best:
            best = score
            best_n.append(n)
            best_v.append(v)
    if numbers and best_n[-1] != numbers[-1]:
        best_n.append(numbers[-1])
        best_v.append(best_v[-1])
    shown = set(best_n) | {t.number for t, _ in thin(rows, max_points)}
    keep = [i for i, n in enumerate(numbers) if n in shown]
    return HistoryInfo(obj.name, obj.minimize, tuple(numbers[i] for i in keep),
                       tuple(values[i] for i in keep), tuple(best_n), tuple(best_v),
                       len(numbers))


class DistributionInfo(NamedTuple):
    """Empirical CDF of the objective over completed trials: sorted values, P(value <= x)."""

    name: str
    minimize: bool
    values: tuple[float, ...]
    cumulative: tuple[float, ...]


def distribution_info(history: History, *, target: Target | None = None,
                      target_name: str | None = None,
                      max_points: int | None = None) -> DistributionInfo:
    """The empirical distribution of the objective (at most ``max_points`` quantiles)."""
    obj = objective(history, target, target_name)
    vals = np.sort(np.array([v for _, v in finite_complete(history, obj)], dtype=float))
    n = vals.size
    cum = np.arange(1, n + 1, dtype=float) / max(n, 1)
    if max_points is not None and n > max_points:
        idx = np.unique(np.linspace(0, n - 1, max_points).round().astype(int))
        vals, cum = vals[idx], cum[idx]
    return DistributionInfo(obj.name, obj.minimize, tuple(vals.tolist()), tuple(cum.tolist()))


class ParetoInfo(NamedTuple):
    """Objective values of the Pareto-optimal trials and of the other completed trials."""

    names: tuple[str, ...]
    minimize: tuple[bool, ...]
    front_numbers: tuple[int, ...]
    front: tuple[tuple[float, ...], ...]  # one row per trial, ordered along the first objective
    other_numbers: tuple[int, ...]
    others: tuple[tuple[float, ...], ...]


def pareto_info(history: History, *, names: Sequence[str] | None = None,
                objectives: Sequence[int] | None = None) -> ParetoInfo:
    """The Pareto front (``History.best_trials``) against the other completed trials.

    ``objectives`` picks which objective columns to show (default all); ``names`` labels
    them (default "Objective 0", ...).
    """
    m = history.n_objectives
    cols = list(range(m)) if objectives is None else list(objectives)
    if any(not 0 <= c < m for c in cols) or len(set(cols)) != len(cols):
        raise ValueError(f"objectives={objectives!r} must be distinct indices in 0..{m - 1}")
    labels = tuple(names) if names is not None else tuple(f"Objective {c}" for c in cols)
    if len(labels) != len(cols):
        raise ValueError(f"names={names!r} needs one name per objective shown ({len(cols)})")
    front = history.best_trials()
    on_front = {t.number for t in front}

    def row(t: FrozenTrial) -> tuple[float, ...]:
        vals = t.values or ()
        return tuple(float(vals[c]) for c in cols)

    front_sorted = sorted(front, key=lambda t: (row(t), t.number))
    others = [t for t in history.complete() if t.number not in on_front]
    return ParetoInfo(
        labels, tuple(history.directions[c].sign > 0 for c in cols),
        tuple(t.number for t in front_sorted), tuple(row(t) for t in front_sorted),
        tuple(t.number for t in others), tuple(row(t) for t in others))


class ImportanceInfo(NamedTuple):
    """Parameters ranked by importance, with the spread across trees when known."""

    method: str
    names: tuple[str, ...]
    values: tuple[float, ...]
    shares: tuple[float, ...]
    spread: tuple[float, ...] | None
    n_trials: int


def importance_info(importance: Importance) -> ImportanceInfo:
    """Bar data for an :class:`~tunecraft.analysis.Importance` (already ranked)."""
    shares = importance.shares()
    return ImportanceInfo(importance.method, importance.names, importance.values,
                          tuple(shares[n] for n in importance.names), importance.spread,
                          importance.n_trials)


class SummaryInfo(NamedTuple):
    """Counts and times of a study, with its best trial(s)."""

    n_trials: int
    counts: tuple[tuple[str, int], ...]  # (state name, count) for every state
    best: tuple[FrozenTrial, ...]  # the best trial, or the Pareto front
    first_start: dt.datetime | None
    last_end: dt.datetime | None
    wall_seconds: float  # from the first start to the last finish (or to ``now``)
    trial_seconds: float  # the sum of the finished trials' durations


class TrialTimes(Protocol):
    """What a summary reads of a trial: a FrozenTrial or a ``Storage.trial_summaries`` row."""

    @property
    def state(self) -> TrialState: ...
    @property
    def datetime_start(self) -> dt.datetime | None: ...
    @property
    def datetime_complete(self) -> dt.datetime | None: ...
    @property
    def duration(self) -> dt.timedelta | None: ...


def summary_info(history: History, *, now: dt.datetime | None = None) -> SummaryInfo:
    """Trial counts by state, best trial(s), and the time the study has taken so far."""
    if history.n_objectives == 1:
        best_one = history.best_trial()
        best: tuple[FrozenTrial, ...] = () if best_one is None else (best_one,)
    else:
        best = history.best_trials()
    return trials_summary_info(history.trials, best, now=now)


def trials_summary_info(trials: Sequence[TrialTimes], best: tuple[FrozenTrial, ...], *,
                        now: dt.datetime | None = None) -> SummaryInfo:
    """:func:`summary_info` of trials given as records or as trial summaries, with their best
    trial(s) found by the caller: the dashboard answers this way for a study it has not
    replayed yet (``Storage.trial_summaries`` and ``Storage.best_trials``)."""
    counts = {s: 0 for s in TrialState}
    starts, ends, busy = [], [], 0.0
    for t in trials:
        counts[t.state] += 1
        if t.datetime_start is not None:
            starts.append(t.datetime_start)
        if t.datetime_complete is not None:
            ends.append(t.datetime_complete)
        if t.duration is not None:
            busy += t.duration.total_seconds()
    first = min(starts) if starts else None
    last = max(ends) if ends else None
    running = counts[TrialState.RUNNING] > 0
    stop = (now or dt.datetime.now()) if running else last
    wall = (stop - first).total_seconds() if first is not None and stop is not None else 0.0
    return SummaryInfo(len(trials), tuple((s.name, counts[s]) for s in TrialState),
                       best, first, last, max(wall, 0.0), busy)

