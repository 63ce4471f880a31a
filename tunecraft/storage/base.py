"""The Storage interface: a few atomic primitives per backend, one shared replay into History.

Backends implement the primitives (study rows, atomic trial numbering, compare-and-set
finishing, event reads after a cursor). Everything else, including the incremental History
cache, lives here and is shared, so in-memory, SQLite and PostgreSQL behave the same.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tunecraft.direction import StudyDirection
from tunecraft.exceptions import TrialFinishedError
from tunecraft.history import History
from tunecraft.record import TrialState
from tunecraft.storage.events import Event, EventKind, dumps, loads
from tunecraft.storage.replay import Replayer


@dataclass(frozen=True, slots=True)
class Lease:
    """Who runs a RUNNING trial and when it last said so."""

    number: int
    owner: str | None
    heartbeat: float | None


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


def _process_start_ticks(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def this_owner() -> str:
    """Identity of the current process: host, pid and start time (guards against pid reuse)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start_ticks(pid) or '?'}"


def owner_is_dead(owner: str | None) -> bool:
    """True only when ``owner`` is a process of this host that no longer runs."""
    if not owner:
        return False
    try:
        host, pid_s, ticks = owner.rsplit(":", 2)
        pid = int(pid_s)
    except ValueError:
        return False
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    current = _process_start_ticks(pid)
    return ticks != "?" and current is not None and current != ticks


def check_user_attr(key: str, value: Any) -> None:
    """Reject attribute keys and values that cannot be stored, naming the fix."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"attribute key {key!r} must be a non-empty string.")
    loads(dumps(value))  # raises TypeError naming the problem when not JSON-like


def _created(state: TrialState, user_attrs: Mapping[str, Any] | None,
             system_attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The payload of a CREATED event, after checking that the attributes can be stored."""
    for k, v in {**(user_attrs or {}), **(system_attrs or {})}.items():
        check_user_attr(k, v)
    return {"state": state.value, "time": time.time(),
            "user_attrs": dict(user_attrs or {}), "system_attrs": dict(system_attrs or {})}


class Storage(ABC):
    """Where studies live. Subclasses supply the atomic primitives; replay is shared."""

    def __init__(self) -> None:
        self._replayers: dict[str, tuple[Hashable, Replayer]] = {}
        self._replay_lock = threading.Lock()

    # ------------------------------------------------------------------ study primitives
    @abstractmethod
    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> None:
        """Create an empty study; raise DuplicatedStudyError when the name is taken."""

    @abstractmethod
    def delete_study(self, name: str) -> None:
        """Delete a study and all its trials; raise StudyNotFound when absent."""

    @abstractmethod
    def study_names(self) -> list[str]:
        """Names of all studies, oldest first."""

    @abstractmethod
    def study_directions(self, name: str) -> tuple[StudyDirection, ...]:
        """The directions of a study; raise StudyNotFound when absent."""

    @abstractmethod
    def set_study_attr(self, name: str, key: str, value: Any, *, only_if_absent: bool = False
                       ) -> bool:
        """Set a study attribute; with ``only_if_absent`` it is a compare-and-set."""

    @abstractmethod
    def study_attrs(self, name: str) -> dict[str, Any]:
        """All attributes of a study."""

    # ------------------------------------------------------------------ trial primitives
    @abstractmethod
    def _create_trials(self, study: str, state: TrialState,
                       payloads: Sequence[Mapping[str, Any]], owner: str | None,
                       once_key: str | None) -> list[int]:
        """Atomically take the next ``len(payloads)`` numbers and append a CREATED event each.

        With ``once_key``, the same transaction first sets that study attribute (to the number
        of trials) if it is absent; if it is present, nothing is created and ``[]`` returned.
        """

    @abstractmethod
    def _claim_waiting(self, study: str, owner: str) -> int | None:
        """Atomically turn the oldest WAITING trial into RUNNING; None when there is none."""

    @abstractmethod
    def _append(self, study: str, trial: int, events: Sequence[Event],
                finish: TrialState | None) -> bool:
        """Append events to a RUNNING trial (and finish it) atomically; False if not RUNNING."""

    @abstractmethod
    def _read(self, study: str, after: int) -> StudyLog:
        """The study's identity, directions and events with seq > after, in seq order."""

    @abstractmethod
    def leases(self, study: str) -> list[Lease]:
        """The RUNNING trials of a study with their owners and last heartbeats."""

    @abstractmethod
    def heartbeat(self, study: str, numbers: Sequence[int]) -> None:
        """Record that this process still runs these trials."""

    @abstractmethod
    def state_counts(self, study: str) -> dict[TrialState, int]:
        """Number of trials per state, read without replaying the study."""

    def close(self) -> None:  # noqa: B027 - optional hook; in-memory storage holds nothing
        """Release connections; the storage must not be used afterwards."""

    # ------------------------------------------------------------------ shared logic
    def create_trial(
        self,
        study: str,
        *,
        waiting: bool = False,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
    ) -> int:
        """Create a RUNNING trial owned by this process (or a WAITING one); return its number."""
        state = TrialState.WAITING if waiting else TrialState.RUNNING
        payload = _created(state, user_attrs, system_attrs)
        return self._create_trials(study, state, [payload], None if waiting else this_owner(),
                                   None)[0]

    def enqueue_trials(self, study: str, system_attrs: Sequence[Mapping[str, Any]], *,
                       once_key: str | None = None) -> list[int]:
        """Create WAITING trials, one per mapping of system attributes, in one transaction.

        With ``once_key``, they are created only by the first call that uses this key in the
        study (the key is kept as a study attribute): a finite sampler's points are queued
        whole and exactly once, however many workers start together. Returns their numbers.
        """
        payloads = [_created(TrialState.WAITING, None, attrs) for attrs in system_attrs]
        return self._create_trials(study, TrialState.WAITING, payloads, None, once_key)

    def claim_waiting_trial(self, study: str) -> int | None:
        """Claim the oldest WAITING trial for this process; each one is claimed exactly once."""
        return self._claim_waiting(study, this_owner())

    def write(self, study: str, trial: int, events: Sequence[Event]) -> None:
        """Append events to a RUNNING trial; raise TrialFinishedError when it is finished."""
        if events and not self._append(study, trial, events, None):
            raise TrialFinishedError(
                f"trial {trial} of study {study!r} is already finished; it accepts no more writes"
            )

    def finish(
        self,
        study: str,
        trial: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        reason: str | None = None,
        events: Sequence[Event] = (),
    ) -> bool:
        """Finish a RUNNING trial exactly once. Returns False (and writes nothing) if it was
        already finished, e.g. by another process that declared it dead."""
        if not state.is_finished():
            raise ValueError(f"cannot finish a trial with state {state.name}")
        payload = {"state": state.value, "time": time.time(),
                   "values": None if values is None else [float(v) for v in values],
                   "reason": reason}
        final = Event(trial, EventKind.FINISHED, payload)
        return self._append(study, trial, [*events, final], state)

    def history(self, study: str) -> History:
        """The study's trials now; reads only the events written since the previous call."""
        with self._replay_lock:
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
                           param_distributions=rep.param_distributions())

    def _forget(self, study: str) -> None:
        with self._replay_lock:
            self._replayers.pop(study, None)

    def fail_stale_trials(self, study: str, grace_seconds: float) -> list[int]:
        """Mark FAIL every RUNNING trial whose worker is gone; returns their numbers.

        A worker is gone when it ran on this host and its process has exited, or when its
        heartbeat is older than ``grace_seconds`` (workers on other machines).
        """
        now = time.time()
        failed = []
        for lease in self.leases(study):
            if owner_is_dead(lease.owner):
                why = f"worker {lease.owner} exited while the trial was running"
            elif lease.heartbeat is not None and now - lease.heartbeat > grace_seconds:
                why = (f"worker {lease.owner} stopped sending heartbeats "
                       f"{now - lease.heartbeat:.0f}s ago (grace {grace_seconds:.0f}s)")
            else:
                continue
            if self.finish(study, lease.number, TrialState.FAIL, reason=why):
                failed.append(lease.number)
        return failed
