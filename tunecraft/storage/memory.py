"""In-memory storage: the fastest backend, for one process; its contents die with the process."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tunecraft._names import check_study_attr_key, check_study_name
from tunecraft.direction import StudyDirection
from tunecraft.exceptions import DuplicatedStudyError, StudyNotFound
from tunecraft.record import TrialState
from tunecraft.storage.base import (
    DEFAULT_LEASE_SECONDS,
    DuplicateProposal,
    Lease,
    Storage,
    StudyLog,
    proposed_elsewhere,
    stale_events,
)
from tunecraft.storage.events import Event, EventKind, dumps, loads

_incarnations = itertools.count()


@dataclass
class _Study:
    directions: tuple[StudyDirection, ...]
    key: int = field(default_factory=lambda: next(_incarnations))
    attrs: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    states: list[TrialState] = field(default_factory=list)
    owners: list[str | None] = field(default_factory=list)
    heartbeats: list[float | None] = field(default_factory=list)
    tokens: list[str | None] = field(default_factory=list)
    expires: list[float] = field(default_factory=list)
    ttls: list[float] = field(default_factory=list)
    # no trial below this number is WAITING: a trial is WAITING only from its creation to its
    # claim, so claims of the oldest one need not rescan every trial (O(1) amortised)
    waiting_from: int = 0

    def lease(self, number: int, owner: str | None, token: str | None, ttl: float) -> None:
        now = time.time()
        self.owners[number], self.tokens[number], self.ttls[number] = owner, token, ttl
        self.heartbeats[number], self.expires[number] = now, now + ttl

    def holds(self, number: int, token: str | None) -> bool:
        return (0 <= number < len(self.states) and self.states[number] is TrialState.RUNNING
                and (token is None or self.tokens[number] == token))


class InMemoryStorage(Storage):
    """Keeps studies in this process. Thread-safe; values are copied in and out as JSON so
    that they behave exactly as they do in the database storages."""

    shared: ClassVar[bool] = False  # no other process sees it: no leases to renew or reap

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._studies: dict[str, _Study] = {}

    def _get(self, name: str) -> _Study:
        try:
            return self._studies[name]
        except KeyError:
            raise StudyNotFound(f"no study named {name!r} in this in-memory storage") from None

    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> None:
        check_study_name(name)
        with self._lock:
            if name in self._studies:
                raise DuplicatedStudyError(
                    f"a study named {name!r} already exists; pass load_if_exists=True to "
                    "continue it, or choose another name"
                )
            self._studies[name] = _Study(tuple(directions))

    def delete_study(self, name: str) -> None:
        with self._lock:
            self._get(name)
            del self._studies[name]
        self._forget(name)

    def study_names(self) -> list[str]:
        with self._lock:
            return list(self._studies)

    def study_directions(self, name: str) -> tuple[StudyDirection, ...]:
        with self._lock:
            return self._get(name).directions

    def set_study_attr(self, name: str, key: str, value: Any, *, only_if_absent: bool = False
                       ) -> bool:
        check_study_attr_key(key)
        text = dumps(value)
        with self._lock:
            s = self._get(name)
            if only_if_absent and key in s.attrs:
                return False
            s.attrs[key] = loads(text)
            return True

    def study_attrs(self, name: str) -> dict[str, Any]:
        with self._lock:
            return loads(dumps(self._get(name).attrs))  # type: ignore[no-any-return]

    def _push(self, s: _Study, trial: int, kind: EventKind, payload: Mapping[str, Any]) -> None:
        s.events.append(Event(trial, kind, loads(dumps(payload)), len(s.events)))

    def _create_trials(self, study: str, state: TrialState,
                       payloads: Sequence[Mapping[str, Any]], owner: str | None,
                       once_key: str | None, *, token: str | None = None,
                       ttl: float = DEFAULT_LEASE_SECONDS) -> list[int]:
        encoded = [dumps(p) for p in payloads]  # validate everything before writing
        with self._lock:
            s = self._get(study)
            if once_key is not None:
                if once_key in s.attrs:
                    return []
                s.attrs[once_key] = len(payloads)
            return [self._new_trial(s, state, text, owner, token, ttl) for text in encoded]

    def _new_trial(self, s: _Study, state: TrialState, text: str, owner: str | None,
                   token: str | None, ttl: float) -> int:
        number = len(s.states)
        s.states.append(state)
        s.owners.append(None)
        s.heartbeats.append(None)
        s.tokens.append(None)
        s.expires.append(0.0)
        s.ttls.append(ttl)
        if state is TrialState.RUNNING:
            s.lease(number, owner, token, ttl)
        s.events.append(Event(number, EventKind.CREATED, loads(text), len(s.events)))
        return number

    def _claim_waiting(self, study: str, owner: str, *, token: str | None = None,
                       ttl: float = DEFAULT_LEASE_SECONDS, number: int | None = None
                       ) -> int | None:
        with self._lock:
            s = self._get(study)
            if number is None:
                while (s.waiting_from < len(s.states)
                       and s.states[s.waiting_from] is not TrialState.WAITING):
                    s.waiting_from += 1
            candidates = range(s.waiting_from, len(s.states)) if number is None else (
                [number] if 0 <= number < len(s.states) else [])
            for n in candidates:
                if s.states[n] is TrialState.WAITING:
                    s.states[n] = TrialState.RUNNING
                    s.lease(n, owner, token, ttl)
                    self._push(s, n, EventKind.CLAIMED, {"time": time.time()})
                    return n
            return None

    def _claim_or_create(self, study: str, owner: str, token: str | None, ttl: float,
                         payload: Mapping[str, Any]) -> tuple[int, bool]:
        text = dumps(payload)
        with self._lock:
            claimed = self._claim_waiting(study, owner, token=token, ttl=ttl)
            if claimed is not None:
                return claimed, True
            s = self._get(study)
            return self._new_trial(s, TrialState.RUNNING, text, owner, token, ttl), False

    def _append(self, study: str, trial: int, events: Sequence[Event],
                finish: TrialState | None, token: str | None = None,
                unless_proposed: tuple[int, Mapping[str, Any]] | None = None) -> bool:
        with self._lock:
            s = self._get(study)
            if not s.holds(trial, token):
                return False
            if unless_proposed is not None and proposed_elsewhere(
                    s.events[unless_proposed[0] + 1:], trial, unless_proposed[1]):
                raise DuplicateProposal
            encoded = [(e.kind, dumps(e.payload)) for e in events]  # validate before writing
            for kind, text in encoded:
                s.events.append(Event(trial, kind, loads(text), len(s.events)))
            if finish is not None:
                s.states[trial] = finish
            elif token is not None:  # the holder is alive: its write renews the lease
                s.lease(trial, s.owners[trial], token, s.ttls[trial])
            return True

    def _read(self, study: str, after: int) -> StudyLog:
        with self._lock:
            s = self._get(study)
            return StudyLog(s.key, s.directions, s.events[after + 1:])

    def leases(self, study: str) -> list[Lease]:
        now = time.time()
        with self._lock:
            s = self._get(study)
            return [Lease(n, s.owners[n], s.heartbeats[n], s.tokens[n], s.expires[n] - now)
                    for n, st in enumerate(s.states) if st is TrialState.RUNNING]

    def _renew(self, study: str, tokens: Mapping[int, str | None]) -> list[int]:
        with self._lock:
            s = self._get(study)
            held = [n for n, token in tokens.items() if s.holds(n, token)]
            for n in held:
                s.lease(n, s.owners[n], s.tokens[n], s.ttls[n])
            return held

    def _take_over(self, study: str, number: int, token: str, new_token: str, owner: str
                   ) -> bool:
        with self._lock:
            s = self._get(study)
            if not s.holds(number, token):
                return False
            s.lease(number, owner, new_token, s.ttls[number])
            return True

    def _mark_stale(self, study: str, lease: Lease, reason: str,
                    retry: Mapping[str, Any] | None, require_expired: bool
                    ) -> tuple[bool, int | None]:
        text = None if retry is None else dumps(retry)
        with self._lock:
            s = self._get(study)
            n = lease.number
            if not s.holds(n, None) or (s.tokens[n], s.owners[n]) != (lease.token, lease.owner) \
                    or (require_expired and s.expires[n] >= time.time()):
                return False, None
            number = None if text is None else self._new_trial(
                s, TrialState.WAITING, text, None, None, s.ttls[n])
            for e in stale_events(n, reason, number):
                self._push(s, n, e.kind, e.payload)
            s.states[n] = TrialState.STALE
            return True, number

    def state_counts(self, study: str) -> dict[TrialState, int]:
        with self._lock:
            counts = dict.fromkeys(TrialState, 0)
            for st in self._get(study).states:
                counts[st] += 1
            return counts

    def trial_numbers(self, study: str, states: Collection[TrialState] | None = None
                      ) -> list[int]:
        with self._lock:
            return [n for n, st in enumerate(self._get(study).states)
                    if states is None or st in states]
