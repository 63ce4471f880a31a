"""Trial summaries and the best trials of a study, computed without replaying its whole log.

Listings (``tunecraft studies``, ``best``, the dashboard's study summary) need each trial's
state, values and times, and the full records of a few trials: the best one or the Pareto
front. :func:`summarize` folds only the CREATED, CLAIMED and FINISHED events into
:class:`TrialSummary` rows (a study's PARAMS, REPORT and attribute events, most of its log,
are never read), and :func:`best_of` ranks those rows and fetches the full records of the
candidates only, in the order they would win, until the answer is certain;
:func:`first_distributions` folds PARAMS events into the parameter registry. All give exactly
what ``History`` gives for the same snapshot: the state, values and times of a trial depend
on these three kinds of events only, and a finished trial never changes again.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunecraft.direction import StudyDirection
from tunecraft.history import pareto_mask
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.space import Dim
from tunecraft.storage.events import Event, EventKind
from tunecraft.storage.replay import _dim, _time

SUMMARY_KINDS = frozenset({EventKind.CREATED, EventKind.CLAIMED, EventKind.FINISHED})
"""The events a trial's state, values, start and end are replayed from."""

_FIRST_BATCH, _MAX_BATCH = 8, 4096

Fetch = Callable[[Sequence[int]], dict[int, FrozenTrial]]
"""Trial numbers -> their full records, by number (``Storage.trials``)."""


@dataclass(frozen=True, slots=True)
class TrialSummary:
    """One trial's number, state, values and times, without its params, reports or attributes.

    Equal to the same fields of the trial's ``FrozenTrial`` in a History of the same moment.
    """

    number: int
    state: TrialState
    values: tuple[float, ...] | None
    datetime_start: dt.datetime | None
    datetime_complete: dt.datetime | None

    @property
    def duration(self) -> dt.timedelta | None:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    def is_finite_complete(self) -> bool:
        """COMPLETE with finite values (``FrozenTrial.is_finite_complete``)."""
        return (self.state is TrialState.COMPLETE and self.values is not None
                and all(math.isfinite(v) for v in self.values))


_STATES = {s.value: s for s in TrialState}
_RUNNING = TrialState.RUNNING


def summarize(events: Iterable[Event]) -> list[TrialSummary]:
    """Fold a study's CREATED, CLAIMED and FINISHED events, in seq order, into one summary per
    trial, in number order (other kinds of events may be present; they change nothing here).

    The same fold as ``replay._TrialBuilder.apply`` for these three kinds, specialised: it
    runs once per event of every trial of a study when listing it. The storage contract
    checks that both give the same state, values and times.
    """
    rows: dict[int, list[Any]] = {}  # number -> [state, values, start, end]
    for e in events:
        kind, p = e.kind, e.payload
        if kind not in SUMMARY_KINDS:
            continue
        row = rows.get(e.trial)
        if row is None:
            row = rows[e.trial] = [_RUNNING, None, None, None]
        if kind is EventKind.CREATED:
            row[0] = _STATES.get(p["state"]) or TrialState(p["state"])
            if row[0] is _RUNNING:
                row[2] = p.get("time")
        elif kind is EventKind.CLAIMED:
            row[0], row[2] = _RUNNING, p.get("time")
        else:  # FINISHED
            values = p.get("values")
            row[0] = _STATES.get(p["state"]) or TrialState(p["state"])
            row[1] = None if values is None else tuple(float(v) for v in values)
            row[3] = p.get("time")
    return [TrialSummary(n, state, values, _time(start), _time(end))
            for n, (state, values, start, end) in sorted(rows.items())]


def first_distributions(events: Iterable[Event]) -> dict[str, Dim]:
    """Each parameter name -> the distribution it was first recorded with, from a study's
    PARAMS events in seq order (the registry a full replay builds,
    ``History.param_distributions()``)."""
    out: dict[str, Dim] = {}
    for e in events:
        if e.kind is EventKind.PARAMS:
            for name, entry in e.payload.items():
                if name not in out:
                    out[name] = _dim(entry["d"])
    return out


def _eligible(t: FrozenTrial | None) -> bool:
    return t is not None and t.is_finite_complete() and t.is_feasible()


def best_of(directions: Sequence[StudyDirection], summaries: Sequence[TrialSummary],
            fetch: Fetch) -> tuple[FrozenTrial, ...]:
    """The best feasible COMPLETE trial as a 1-tuple (one objective; earliest on ties; empty
    when there is none) or the feasible Pareto front in number order (several objectives):
    what ``History.best_trial()`` and ``History.best_trials()`` return.

    Feasibility (``trial.set_constraint`` or ``constraints_func``) is recorded in attribute
    events, which summaries leave out, so candidates are confirmed on their full records.
    One objective: candidates are fetched in the order they would win, in growing batches,
    until one is feasible; usually the first batch holds it. Several objectives: the Pareto
    front of the candidates not yet known to be infeasible is fetched; if every member is
    feasible it is the feasible front (each feasible trial outside it is dominated by a
    member, which is feasible), otherwise the infeasible members are dropped and the front is
    taken again.
    """
    sign = np.array([d.sign for d in directions], dtype=float)
    done = [s for s in summaries if s.is_finite_complete()]
    if len(directions) == 1:
        s0 = float(sign[0])
        order = sorted(done, key=lambda s: (s.values[0] * s0, s.number))  # type: ignore[index]
        start, batch = 0, _FIRST_BATCH
        while start < len(order):
            chunk = [s.number for s in order[start:start + batch]]
            records = fetch(chunk)
            for number in chunk:
                if _eligible(records.get(number)):
                    return (records[number],)
            start, batch = start + batch, min(batch * 4, _MAX_BATCH)
        return ()
    known: dict[int, FrozenTrial] = {}
    infeasible: set[int] = set()
    while True:
        cands = [s for s in done if s.number not in infeasible]
        if not cands:
            return ()
        losses = np.array([s.values for s in cands], dtype=float) * sign
        front = [s.number for s, keep in zip(cands, pareto_mask(losses), strict=True) if keep]
        known.update(fetch([n for n in front if n not in known]))
        bad = {n for n in front if not _eligible(known.get(n))}
        if not bad:
            return tuple(known[n] for n in front)
        infeasible |= bad
