"""Leases of RUNNING trials: who holds one (host, pid, start time), its token, its expiry,
and what a stale trial's retry carries. Shared by every storage backend."""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

from tunecraft._validation import Interval, check
from tunecraft.record import FrozenTrial, TrialState, thaw
from tunecraft.storage.events import Event, EventKind
from tunecraft.system_attrs import (
    ATTEMPT_KEY,
    CHECKPOINT_KEY,
    FIXED_PARAMS_KEY,
    PROPOSAL_KEY,
    RESUME_CHECKPOINT_KEY,
    RETRIED_BY_KEY,
    RETRY_HISTORY_KEY,
    RETRY_OF_KEY,
    STOP_REQUESTED_KEY,
)

DEFAULT_LEASE_SECONDS = 60.0
"""How long a RUNNING trial stays held without a renewal, unless its creator says otherwise."""
LEASE_SECONDS = Interval(float, 0, closed="neither", label="a positive number of seconds")
"""What a lease duration may be (finite, so that a dead worker's trial is retried one day)."""

# The keys live in tunecraft.system_attrs (the record schema); these names stay for storages.
RETRY_OF, ATTEMPT, RETRIED_BY = RETRY_OF_KEY, ATTEMPT_KEY, RETRIED_BY_KEY
PROPOSAL = PROPOSAL_KEY
"""System attribute holding a RUNNING trial's joint proposal, published when it starts (what
parallel samplers see of it before its parameters are suggested)."""
STOP_REQUESTED = STOP_REQUESTED_KEY
"""System attribute a driver-side scheduler sets on a RUNNING trial: its worker's next
``should_prune()`` answers True."""
CHECKPOINT, RESUME_CHECKPOINT = CHECKPOINT_KEY, RESUME_CHECKPOINT_KEY
"""System attributes of retries: a retry names the trial it retries and its attempt (the
original is attempt 0); the stale trial names its retry; a trial's ``checkpoint`` attribute
(written by the objective or a checkpoint store) is handed to its retry as
``resume_checkpoint``."""


@dataclass(frozen=True, slots=True)
class Lease:
    """Who holds a RUNNING trial, with which token, and for how long still.

    ``remaining`` is measured by the storage's clock (the database server's for PostgreSQL),
    so workers on machines whose clocks disagree still agree on who has expired.
    """

    number: int
    owner: str | None
    heartbeat: float | None
    token: str | None = None
    remaining: float | None = None

    @property
    def expired(self) -> bool:
        return self.remaining is not None and self.remaining < 0


@dataclass(frozen=True, slots=True)
class Reaped:
    """A trial marked STALE by :meth:`Storage.reap_stale`, and the retry queued for it."""

    number: int
    reason: str
    retry: int | None


def new_token() -> str:
    """A fresh lease token: whoever holds it may write to the trial and finish it."""
    return uuid.uuid4().hex


def check_lease_seconds(value: float | None) -> float:
    """``value`` (None: the default) as a positive number of seconds, or ValueError."""
    if value is None:
        return DEFAULT_LEASE_SECONDS
    return float(check("lease_seconds", value, LEASE_SECONDS))


def _process_start_ticks(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


_owner: tuple[int, str] | None = None  # (pid, identity), computed once per process


def this_owner() -> str:
    """Identity of the current process: host, pid and start time (guards against pid reuse).
    Computed once per process (a forked child has a new pid, so it computes its own)."""
    global _owner
    pid = os.getpid()
    if _owner is None or _owner[0] != pid:
        _owner = (pid, f"{socket.gethostname()}:{pid}:{_process_start_ticks(pid) or '?'}")
    return _owner[1]


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


def lost_lease(lease: Lease) -> tuple[str, bool] | None:
    """Why the worker holding ``lease`` is gone, and whether that rests on the lease having
    run out (rather than on its process having exited on this host); None while it lives."""
    if owner_is_dead(lease.owner):
        return f"worker {lease.owner} exited while the trial was running", False
    if lease.expired:
        return (f"worker {lease.owner} stopped renewing its lease "
                f"({-(lease.remaining or 0.0):.1f}s overdue)", True)
    return None


def retry_attrs(record: FrozenTrial, attempt: int) -> dict[str, Any]:
    """System attributes of the retry of ``record``: the same parameters, where it came from."""
    fixed = {**thaw(record.system_attrs.get(PROPOSAL, {})),
             **thaw(record.system_attrs.get(FIXED_PARAMS_KEY, {})), **thaw(record.params)}
    earlier = thaw(record.system_attrs.get(RETRY_HISTORY_KEY, []))
    attrs: dict[str, Any] = {FIXED_PARAMS_KEY: fixed, RETRY_OF: record.number, ATTEMPT: attempt,
                             RETRY_HISTORY_KEY: [*earlier, record.number]}
    if CHECKPOINT in record.system_attrs:
        attrs[RESUME_CHECKPOINT] = thaw(record.system_attrs[CHECKPOINT])
    return attrs


def stale_events(number: int, reason: str, retry: int | None) -> list[Event]:
    """What marking trial ``number`` STALE appends: a pointer to its retry, then FINISHED."""
    events = [] if retry is None else [
        Event(number, EventKind.SYSTEM_ATTR, {"key": RETRIED_BY, "value": retry})]
    events.append(Event(number, EventKind.FINISHED, {
        "state": TrialState.STALE.value, "time": time.time(), "values": None, "reason": reason}))
    return events
