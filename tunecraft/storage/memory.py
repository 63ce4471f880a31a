"""In-memory storage: the fastest backend, for one process; its contents die with the process."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tunecraft.direction import StudyDirection
from tunecraft.exceptions import DuplicatedStudyError, StudyNotFound
from tunecraft.record import TrialState
from tunecraft.storage.base import Lease, Storage, StudyLog
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


class InMemoryStorage(Storage):
    """Keeps studies in this process. Thread-safe; values are copied in and out as JSON so
    that they behave exactly as they do in the database storages."""

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
                       once_key: str | None) -> list[int]:
        encoded = [dumps(p) for p in payloads]  # validate everything before writing
        with self._lock:
            s = self._get(study)
            if once_key is not None:
                if once_key in s.attrs:
                    return []
                s.attrs[once_key] = len(payloads)
            numbers = []
            for text in encoded:
                number = len(s.states)
                s.states.append(state)
                s.owners.append(owner)
                s.heartbeats.append(time.time() if owner else None)
                s.events.append(Event(number, EventKind.CREATED, loads(text), len(s.events)))
                numbers.append(number)
            return numbers

    def _claim_waiting(self, study: str, owner: str) -> int | None:
        with self._lock:
            s = self._get(study)
            for number, state in enumerate(s.states):
                if state is TrialState.WAITING:
                    s.states[number] = TrialState.RUNNING
                    s.owners[number] = owner
                    s.heartbeats[number] = time.time()
                    self._push(s, number, EventKind.CLAIMED, {"time": time.time()})
                    return number
            return None

    def _append(self, study: str, trial: int, events: Sequence[Event],
                finish: TrialState | None) -> bool:
        with self._lock:
            s = self._get(study)
            if not 0 <= trial < len(s.states) or s.states[trial] is not TrialState.RUNNING:
                return False
            encoded = [(e.kind, dumps(e.payload)) for e in events]  # validate before writing
            for kind, text in encoded:
                s.events.append(Event(trial, kind, loads(text), len(s.events)))
            if finish is not None:
                s.states[trial] = finish
            return True

    def _read(self, study: str, after: int) -> StudyLog:
        with self._lock:
            s = self._get(study)
            return StudyLog(s.key, s.directions, s.events[after + 1:])

    def leases(self, study: str) -> list[Lease]:
        with self._lock:
            s = self._get(study)
            return [Lease(n, s.owners[n], s.heartbeats[n])
                    for n, st in enumerate(s.states) if st is TrialState.RUNNING]

    def heartbeat(self, study: str, numbers: Sequence[int]) -> None:
        now = time.time()
        with self._lock:
            s = self._get(study)
            for n in numbers:
                if s.states[n] is TrialState.RUNNING:
                    s.heartbeats[n] = now

    def state_counts(self, study: str) -> dict[TrialState, int]:
        with self._lock:
            counts = dict.fromkeys(TrialState, 0)
            for st in self._get(study).states:
                counts[st] += 1
            return counts
