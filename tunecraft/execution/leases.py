"""Leases: one daemon thread per process renews the leases of the trials this process runs.

Every RUNNING trial of a shared storage is held under a token until its lease runs out; the
keeper renews it every ``heartbeat_interval`` seconds. A trial whose process dies (or is
suspended, or loses its network) stops being renewed, and the next reaper (any worker's
``ask``, a driver's loop) marks it STALE and queues its retry. A renewal that finds the lease
gone tells the trial, so its next write stops the objective instead of running on for nothing.

The keeper knows storages, not studies: ``Study.begin`` tracks a trial, ``Study.tell`` (or
the loop, when the storage fails) untracks it, and a driver tracks the trials it reserved
until their workers take them over.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from tunecraft.storage.base import Storage

logger = logging.getLogger("tunecraft")

OnLost = Callable[[], None]


class LeaseKeeper:
    """Renews the leases of tracked (storage, study, trial) entries every ``interval`` s."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[int, tuple[Storage, dict[tuple[str, int], tuple[str | None,
                                                                          OnLost | None]]]] = {}
        self._interval = 10.0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def track(self, storage: Storage, study: str, number: int, interval: float,
              token: str | None = None, on_lost: OnLost | None = None) -> None:
        """Renew trial ``number``'s lease (held under ``token``) until :meth:`untrack`."""
        with self._lock:
            entry = self._live.setdefault(id(storage), (storage, {}))
            entry[1][(study, number)] = (token, on_lost)
            if interval < self._interval:
                self._interval = interval
                self._wake.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tunecraft-lease",
                                                daemon=True)
                self._thread.start()

    def untrack(self, storage: Storage, study: str, number: int) -> None:
        with self._lock:
            entry = self._live.get(id(storage))
            if entry is not None:
                entry[1].pop((study, number), None)
                if not entry[1]:
                    del self._live[id(storage)]

    def tracked(self) -> list[tuple[str, int]]:
        """The (study, trial) pairs whose leases this process renews."""
        with self._lock:
            return [key for _, trials in self._live.values() for key in trials]

    def renew_now(self) -> None:
        """Renew every tracked lease once, now (the thread calls this on its schedule)."""
        with self._lock:
            work = [(storage, dict(trials)) for storage, trials in self._live.values()]
        for storage, trials in work:
            by_study: dict[str, dict[int, str | None]] = {}
            for (study, number), (token, _) in trials.items():
                by_study.setdefault(study, {})[number] = token
            for study, tokens in by_study.items():
                try:
                    held = set(storage.renew_leases(study, tokens))
                except Exception as exc:  # keep renewing the other studies' leases
                    logger.warning("renewing leases in study %r failed: %s", study, exc)
                    continue
                for number in set(tokens) - held:
                    _, on_lost = trials[(study, number)]
                    self.untrack(storage, study, number)
                    if on_lost is not None:
                        on_lost()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            self.renew_now()

    def _after_fork(self) -> None:
        # The child runs none of the parent's trials and has none of its threads.
        self._lock = threading.Lock()
        self._live = {}
        self._thread = None


keeper = LeaseKeeper()
os.register_at_fork(after_in_child=keeper._after_fork)
