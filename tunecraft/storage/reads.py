"""Reading a study: the incremental History cache and partial replays of its event log.

Every read goes through one backend primitive, :meth:`StorageReads._read` (and, for the
partial reads, :meth:`StorageReads._read_where`, which backends may override to filter where
the events are kept); the replay into records is shared, so in-memory, SQLite and PostgreSQL
read alike. :class:`~tunecraft.storage.base.Storage` derives from :class:`StorageReads`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass

from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.space import Dim
from tunecraft.storage.events import Event, EventKind
from tunecraft.storage.replay import Replayer, paused_gc, replay_trials
from tunecraft.storage.summary import (
    SUMMARY_KINDS,
    TrialSummary,
    best_of,
    first_distributions,
    summarize,
)


@dataclass(frozen=True, slots=True)
class StudyLog:
    """What one read of a study returns, all from one consistent snapshot.

    ``key`` identifies this incarnation of the study: it changes when the study is deleted
    and a new one is created under the same name (perhaps by another process), which tells
    readers that their replayed state belongs to the old study.
    """

    key: Hashable
    directions: tuple[StudyDirection, ...]
    events: list[Event]


class StorageReads(ABC):
    """The reading half of a Storage: ``history`` (replaying only what changed since the
    previous call) and the partial reads that listings use on large studies."""

    def __init__(self) -> None:
        self._replayers: dict[str, tuple[Hashable, Replayer]] = {}
        self._replay_lock = threading.Lock()

    # ------------------------------------------------------------------ reading primitives
    @abstractmethod
    def study_directions(self, name: str) -> tuple[StudyDirection, ...]:
        """The directions of a study; raise StudyNotFound when absent."""

    @abstractmethod
    def _read(self, study: str, after: int) -> StudyLog:
        """The study's identity, directions and events with seq > after, in seq order."""

    # ------------------------------------------------------------------ the History cache
    def history(self, study: str) -> History:
        """The study's trials now; reads only the events written since the previous call."""
        with self._replay_lock, paused_gc():
            key, rep = self._replayers.get(study, (None, None))
            log = self._read(study, -1 if rep is None else rep.cursor)
            if rep is None or key != log.key:
                if rep is not None and rep.cursor >= 0:
                    # deleted and re-created under this name since the last read: what was
                    # replayed belongs to the old study, so replay the new one from its start
                    log = self._read(study, -1)
                rep = Replayer()
                self._replayers[study] = (log.key, rep)
            rep.apply(log.events)
            return History(rep.trials(), log.directions,
                           param_distributions=rep.param_distributions(),
                           system_attr_keys=rep.system_attr_keys(), cursor=rep.cursor)

    def _forget(self, study: str) -> None:
        with self._replay_lock:
            self._replayers.pop(study, None)

    # ------------------------------------------------------------------ partial reads
    def _read_where(self, study: str, *, kinds: Collection[EventKind] | None = None,
                    trials: Collection[int] | None = None) -> StudyLog:
        """The study's events of these kinds and of these trials (None: any), in seq order,
        from one snapshot. This default filters a full read; backends override it to filter
        where the events are kept, so that listings read a small part of a large log."""
        log = self._read(study, -1)
        events = [e for e in log.events
                  if (kinds is None or e.kind in kinds) and (trials is None or e.trial in trials)]
        return StudyLog(log.key, log.directions, events)

    def trials(self, study: str, numbers: Iterable[int]) -> list[FrozenTrial]:
        """The trials with these numbers, in number order (numbers without a trial are left
        out), replayed from their own events only: the records ``history(study)`` holds, for
        listings that show a few trials of a large study. The replay cache is not touched."""
        wanted = {int(n) for n in numbers}
        if not wanted:
            self.study_directions(study)  # StudyNotFound for a missing study
            return []
        with paused_gc():
            records = replay_trials(self._read_where(study, trials=wanted).events)
        return [records[n] for n in sorted(records)]

    def trial_numbers(self, study: str, states: Collection[TrialState] | None = None
                      ) -> list[int]:
        """The numbers of the study's trials (those in ``states``), ascending: what a listing
        of the last N trials in some states pages through. This default reads the trial
        summaries; backends that keep each trial's state beside its events answer from it."""
        return [s.number for s in self.trial_summaries(study)
                if states is None or s.state in states]

    def trial_summaries(self, study: str) -> list[TrialSummary]:
        """Every trial's number, state, values and times, in number order, from its CREATED,
        CLAIMED and FINISHED events only: enough to count, time and rank the trials of a
        study without reading its params, reports and attributes (most of its log)."""
        with paused_gc():
            return summarize(self._read_where(study, kinds=SUMMARY_KINDS).events)

    def user_attr_keys(self, study: str) -> set[str]:
        """Every user-attribute key that some trial holds (the union of the keys of
        ``history(study)``'s trials' ``user_attrs``), from the CREATED and USER_ATTR events
        only: enough for a listing to decide its columns without a full replay."""
        keys: set[str] = set()
        with paused_gc():
            for e in self._read_where(study, kinds=(EventKind.CREATED,
                                                    EventKind.USER_ATTR)).events:
                if e.kind is EventKind.USER_ATTR:
                    keys.add(str(e.payload["key"]))
                else:
                    keys.update(e.payload.get("user_attrs") or {})
        return keys

    def param_distributions(self, study: str) -> dict[str, Dim]:
        """Each parameter name -> the distribution it was first recorded with (as
        ``history(study).param_distributions()``), from the study's PARAMS events only."""
        with paused_gc():
            return first_distributions(self._read_where(study, kinds=(EventKind.PARAMS,)).events)

    def best_trials(self, study: str, *, summaries: Sequence[TrialSummary] | None = None
                    ) -> tuple[FrozenTrial, ...]:
        """The best feasible COMPLETE trial as a 1-tuple (one objective; empty when there is
        none) or the feasible Pareto front (several), equal to ``History.best_trial()`` and
        ``History.best_trials()``, but read from the trial summaries (``summaries`` when the
        caller has them; else only the FINISHED events, which hold every state and value it
        ranks) and the events of the candidate trials."""
        directions = self.study_directions(study)
        if summaries is None:
            with paused_gc():
                rows = summarize(self._read_where(study, kinds=(EventKind.FINISHED,)).events)
        else:
            rows = list(summaries)
        return best_of(directions, rows,
                       lambda numbers: {t.number: t for t in self.trials(study, numbers)})
