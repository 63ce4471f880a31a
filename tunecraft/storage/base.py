"""The Storage interface: a few atomic primitives per backend, one shared replay into History.

Backends implement the primitives (study rows, atomic trial numbering, compare-and-set
finishing, event reads after a cursor). Everything else is shared, so in-memory, SQLite and
PostgreSQL behave the same: the writes and leases here, the reads (the incremental History
cache and partial replays) in :mod:`tunecraft.storage.reads`.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from tunecraft._validation import Interval, Text, check
from tunecraft.direction import StudyDirection
from tunecraft.exceptions import TrialFinishedError
from tunecraft.record import TrialState
from tunecraft.storage.events import Event, EventKind, dumps, loads
from tunecraft.storage.leases import (
    ATTEMPT,
    CHECKPOINT,
    DEFAULT_LEASE_SECONDS,
    PROPOSAL,
    RESUME_CHECKPOINT,
    RETRIED_BY,
    RETRY_OF,
    STOP_REQUESTED,
    Lease,
    Reaped,
    check_lease_seconds,
    lost_lease,
    new_token,
    owner_is_dead,
    retry_attrs,
    stale_events,
    this_owner,
)
from tunecraft.storage.reads import StorageReads, StudyLog
from tunecraft.storage.summary import TrialSummary


class DuplicateProposal(Exception):
    """Raised inside a backend's append when another trial published the same joint
    proposal since the sampler's snapshot (see :meth:`Storage.publish`)."""


def proposed_elsewhere(events: Sequence[Event], trial: int, proposal: Mapping[str, Any]
                       ) -> bool:
    """Whether a trial other than ``trial`` published ``proposal`` in ``events``."""
    return any(e.trial != trial and e.kind is EventKind.SYSTEM_ATTR
               and e.payload.get("key") == PROPOSAL and e.payload.get("value") == proposal
               for e in events)


def check_user_attr(key: str, value: Any) -> None:
    """Reject attribute keys and values that cannot be stored, naming the fix."""
    check("key", key, Text())
    loads(dumps(value))  # raises TypeError naming the problem when not JSON-like


def _created(state: TrialState, user_attrs: Mapping[str, Any] | None,
             system_attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The payload of a CREATED event, after checking that the attributes can be stored."""
    for k, v in {**(user_attrs or {}), **(system_attrs or {})}.items():
        check_user_attr(k, v)
    return {"state": state.value, "time": time.time(),
            "user_attrs": dict(user_attrs or {}), "system_attrs": dict(system_attrs or {})}


class Storage(StorageReads):
    """Where studies live. Subclasses supply the atomic primitives (the reading ones,
    ``_read`` and ``study_directions``, are declared in :class:`StorageReads`); replay and
    everything else is shared.

    Capabilities are class attributes, so that callers ask the storage what it can do
    instead of checking its type.
    """

    shared: ClassVar[bool] = True
    """Whether other processes can open this storage and run its trials (SQLite,
    PostgreSQL). Trials in a shared storage are leased: their leases are renewed while they
    run, workers that vanish are reaped, and ``optimize`` may run trials in worker processes.
    False for :class:`~tunecraft.storage.memory.InMemoryStorage`, which lives in one
    process only."""

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
                       once_key: str | None, *, token: str | None = None,
                       ttl: float = DEFAULT_LEASE_SECONDS) -> list[int]:
        """Atomically take the next ``len(payloads)`` numbers and append a CREATED event each.

        RUNNING trials get a lease held by ``owner`` with ``token`` for ``ttl`` seconds.
        With ``once_key``, the same transaction first sets that study attribute (to the number
        of trials) if it is absent; if it is present, nothing is created and ``[]`` returned.
        """

    @abstractmethod
    def _claim_waiting(self, study: str, owner: str, *, token: str | None = None,
                       ttl: float = DEFAULT_LEASE_SECONDS, number: int | None = None
                       ) -> int | None:
        """Atomically turn the oldest WAITING trial (or trial ``number`` if it is WAITING)
        into RUNNING under a new lease; None when there is none."""

    @abstractmethod
    def _claim_or_create(self, study: str, owner: str, token: str | None, ttl: float,
                         payload: Mapping[str, Any]) -> tuple[int, bool]:
        """In one transaction, claim the oldest WAITING trial or else create a RUNNING one
        with the CREATED payload ``payload``; returns (number, whether it was claimed)."""

    @abstractmethod
    def _append(self, study: str, trial: int, events: Sequence[Event],
                finish: TrialState | None, token: str | None = None,
                unless_proposed: tuple[int, Mapping[str, Any]] | None = None) -> bool:
        """Append events to a RUNNING trial (and finish it) atomically; False if it is not
        RUNNING or, when ``token`` is given, its lease is held under another token.

        With ``unless_proposed=(since, proposal)``, raise :class:`DuplicateProposal` and
        append nothing when another trial published the same ``proposal`` (a ``proposal``
        system attribute) in an event after seq ``since``; the check and the append are one
        atomic step with respect to other appends to the study."""

    @abstractmethod
    def leases(self, study: str) -> list[Lease]:
        """The RUNNING trials of a study with their owners, tokens and time left."""

    @abstractmethod
    def _renew(self, study: str, tokens: Mapping[int, str | None]) -> list[int]:
        """Extend the leases of these trials by their own duration where they are still
        RUNNING under the given token (None: any token); returns the numbers renewed."""

    @abstractmethod
    def _take_over(self, study: str, number: int, token: str, new_token: str, owner: str
                   ) -> bool:
        """Hand a RUNNING trial's lease from ``token`` to ``new_token`` held by ``owner`` (a
        worker starting the trial a driver reserved); False if ``token`` no longer holds it."""

    @abstractmethod
    def _mark_stale(self, study: str, lease: Lease, reason: str,
                    retry: Mapping[str, Any] | None, require_expired: bool
                    ) -> tuple[bool, int | None]:
        """Atomically finish a RUNNING trial as STALE if it is still held by ``lease``'s owner
        and token (and, with ``require_expired``, its lease has run out), and queue a WAITING
        retry with the CREATED payload ``retry``. Returns (marked, retry number)."""

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
        token: str | None = None,
        lease_seconds: float | None = None,
    ) -> int:
        """Create a RUNNING trial leased to this process (or a WAITING one); return its number.

        The lease lasts ``lease_seconds`` (default 60) unless renewed; with ``token``, only
        writes and finishes that present it are accepted.
        """
        state = TrialState.WAITING if waiting else TrialState.RUNNING
        payload = _created(state, user_attrs, system_attrs)
        return self._create_trials(study, state, [payload], None if waiting else this_owner(),
                                   None, token=token, ttl=check_lease_seconds(lease_seconds))[0]

    def enqueue_trials(self, study: str, system_attrs: Sequence[Mapping[str, Any]], *,
                       once_key: str | None = None) -> list[int]:
        """Create WAITING trials, one per mapping of system attributes, in one transaction.

        With ``once_key``, they are created only by the first call that uses this key in the
        study (the key is kept as a study attribute): a finite sampler's points are queued
        whole and exactly once, however many workers start together. Returns their numbers.
        """
        payloads = [_created(TrialState.WAITING, None, attrs) for attrs in system_attrs]
        return self._create_trials(study, TrialState.WAITING, payloads, None, once_key)

    def record_trial(self, study: str, state: TrialState, events: Sequence[Event] = (), *,
                     user_attrs: Mapping[str, Any] | None = None,
                     system_attrs: Mapping[str, Any] | None = None,
                     started: float | None = None, finished: float | None = None,
                     values: Sequence[float] | None = None, reason: str | None = None) -> int:
        """Record a trial that ran elsewhere (``Study.add_trial``, ``copy_study``, ``tunecraft
        import-optuna``) as the events it would have written had it run here; returns its
        number.

        It is created RUNNING at ``started`` (a Unix time; default now), given ``events``
        (parameters, reports; their ``trial`` is set to the new number) and, unless ``state``
        is RUNNING, finished in ``state`` at ``finished`` (default ``started``) with
        ``values`` and ``reason``. To queue a trial, use :meth:`create_trial` with
        ``waiting=True``."""
        token = new_token()
        payload = _created(TrialState.RUNNING, user_attrs, system_attrs)
        if started is not None:
            payload["time"] = started
        (number,) = self._create_trials(study, TrialState.RUNNING, [payload], this_owner(),
                                        None, token=token)
        renumbered = [replace(e, trial=number) for e in events]
        if state is TrialState.RUNNING:
            self.write(study, number, renumbered, token=token)
            return number
        renumbered.append(Event(number, EventKind.FINISHED, {
            "state": state.value, "time": payload["time"] if finished is None else finished,
            "values": None if values is None else [float(v) for v in values],
            "reason": reason}))
        self._append(study, number, renumbered, state, token)
        return number

    def claim_waiting_trial(self, study: str, *, token: str | None = None,
                            lease_seconds: float | None = None, number: int | None = None
                            ) -> int | None:
        """Claim the oldest WAITING trial (or ``number``, if it is WAITING) for this process;
        each one is claimed exactly once."""
        return self._claim_waiting(study, this_owner(), token=token,
                                   ttl=check_lease_seconds(lease_seconds), number=number)

    def start_trial(self, study: str, *, token: str | None = None,
                    lease_seconds: float | None = None) -> tuple[int, bool]:
        """Claim the oldest queued trial, or else create a new one, leased to this process:
        one write transaction (a worker's whole ``ask``). Returns (number, claimed)."""
        payload = _created(TrialState.RUNNING, None, None)
        return self._claim_or_create(study, this_owner(), token,
                                     check_lease_seconds(lease_seconds), payload)

    def write(self, study: str, trial: int, events: Sequence[Event], *,
              token: str | None = None) -> None:
        """Append events to a RUNNING trial; raise TrialFinishedError when it is finished (or,
        with ``token``, when its lease was lost to another worker)."""
        if events and not self._append(study, trial, events, None, token):
            raise TrialFinishedError(
                f"trial {trial} of study {study!r} is already finished or no longer held by "
                "this worker; it accepts no more writes"
            )

    def publish(self, study: str, trial: int, events: Sequence[Event], proposal: Mapping[str,
                Any], *, since: int, token: str | None = None) -> bool:
        """Append a RUNNING trial's events (its joint proposal among them) unless another
        trial published the same proposal after event ``since`` (the last event of the
        history the sampler saw). Returns False, writing nothing, for such a duplicate: two
        workers that sampled the same history at once (the model's optimum is the same
        point) would otherwise both evaluate it. Raises TrialFinishedError like
        :meth:`write`."""
        try:
            ok = self._append(study, trial, events, None, token,
                              unless_proposed=(since, proposal))
        except DuplicateProposal:
            return False
        if not ok:
            raise TrialFinishedError(
                f"trial {trial} of study {study!r} is already finished or no longer held by "
                "this worker; it accepts no more writes")
        return True

    def finish(
        self,
        study: str,
        trial: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        reason: str | None = None,
        events: Sequence[Event] = (),
        *,
        token: str | None = None,
    ) -> bool:
        """Finish a RUNNING trial exactly once. Returns False (and writes nothing) if it was
        already finished, e.g. by another process that declared it dead, or if ``token`` no
        longer holds its lease."""
        if not state.is_finished():
            raise ValueError(f"cannot finish a trial with state {state.name}")
        payload = {"state": state.value, "time": time.time(),
                   "values": None if values is None else [float(v) for v in values],
                   "reason": reason}
        final = Event(trial, EventKind.FINISHED, payload)
        return self._append(study, trial, [*events, final], state, token)

    def heartbeat(self, study: str, numbers: Sequence[int]) -> None:
        """Renew the leases of these RUNNING trials, whoever holds them."""
        if numbers:
            self._renew(study, dict.fromkeys(numbers))

    def renew_leases(self, study: str, tokens: Mapping[int, str | None]) -> list[int]:
        """Renew the leases held under these tokens; returns the trial numbers still held
        (a trial missing from the answer was lost: finished, or declared stale)."""
        return self._renew(study, tokens) if tokens else []

    def take_over(self, study: str, number: int, token: str, *, new_token: str) -> bool:
        """Move a reserved trial's lease to this process under ``new_token``; False when
        ``token`` was not holding it any more (the trial is lost to this task)."""
        return self._take_over(study, number, token, new_token, this_owner())

    def lost_trials(self, study: str) -> dict[int, str]:
        """The RUNNING trials whose worker is gone, with the reason: what the next
        :meth:`reap_stale` marks STALE. Reads only, so that listings (which may not write)
        show such trials as stale however long it takes a worker to reap them."""
        lost = {lease.number: lost_lease(lease) for lease in self.leases(study)}
        return {n: why[0] for n, why in lost.items() if why is not None}

    def reap_stale(self, study: str, *, max_retries: int = 2, force: bool = False
                   ) -> list[Reaped]:
        """Mark STALE every RUNNING trial whose worker is gone, queueing a retry for each.

        A worker is gone when its lease ran out (no renewal in time) or, at once, when it ran
        on this host and its process has exited; with ``force`` every RUNNING trial counts as
        gone (for tools and tests). A retry is a new WAITING trial with the stale trial's
        parameters fixed, ``retry_of`` and ``attempt`` system attributes, and the stale
        trial's ``checkpoint`` as ``resume_checkpoint``; none is queued once a trial has been
        retried ``max_retries`` times. Each stale trial is marked, and retried, once however
        many processes reap at the same time.
        """
        check("max_retries", max_retries, Interval(int, 0))
        gone = []
        for lease in self.leases(study):
            why = ("declared stale by hand", False) if force else lost_lease(lease)
            if why is not None:
                gone.append((lease, *why))
        if not gone:
            return []
        records = {t.number: t for t in self.trials(study, [g[0].number for g in gone])}
        reaped = []
        for lease, reason, require_expired in gone:
            record = records[lease.number]
            attempt = int(record.system_attrs.get(ATTEMPT, 0))
            retry = (_created(TrialState.WAITING, None, retry_attrs(record, attempt + 1))
                     if attempt < max_retries else None)
            marked, number = self._mark_stale(study, lease, reason, retry, require_expired)
            if marked:
                reaped.append(Reaped(lease.number, reason, number))
        return reaped


__all__ = ["ATTEMPT", "CHECKPOINT", "DEFAULT_LEASE_SECONDS", "PROPOSAL", "RESUME_CHECKPOINT",
           "RETRIED_BY", "RETRY_OF", "STOP_REQUESTED", "DuplicateProposal", "Lease", "Reaped",
           "Storage", "StudyLog", "TrialSummary", "check_lease_seconds", "check_user_attr",
           "new_token", "owner_is_dead", "proposed_elsewhere", "stale_events", "this_owner"]
