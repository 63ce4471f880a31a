"""Heartbeats: one daemon thread per process renews the leases of the trials it runs.

A trial whose process dies stops being renewed; other workers then mark it FAIL (at once when
the dead process was on their host, after the grace period otherwise).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import defaultdict

from tunecraft.storage.base import Storage

logger = logging.getLogger("tunecraft")


class LeaseKeeper:
    """Renews heartbeats of tracked (storage, study, trial) triples every ``interval`` seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[int, tuple[Storage, dict[tuple[str, int], None]]] = {}
        self._interval = 10.0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def track(self, storage: Storage, study: str, number: int, interval: float) -> None:
        with self._lock:
            entry = self._live.setdefault(id(storage), (storage, {}))
            entry[1][(study, number)] = None
            if interval < self._interval:
                self._interval = interval
                self._wake.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tunecraft-heartbeat",
                                                daemon=True)
                self._thread.start()

    def untrack(self, storage: Storage, study: str, number: int) -> None:
        with self._lock:
            entry = self._live.get(id(storage))
            if entry is not None:
                entry[1].pop((study, number), None)
                if not entry[1]:
                    del self._live[id(storage)]

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            with self._lock:
                work = [(storage, list(trials)) for storage, trials in self._live.values()]
            for storage, trials in work:
                by_study: dict[str, list[int]] = defaultdict(list)
                for study, number in trials:
                    by_study[study].append(number)
                for study, numbers in by_study.items():
                    try:
                        storage.heartbeat(study, numbers)
                    except Exception as exc:  # keep beating for the other trials
                        logger.warning("heartbeat for study %r failed: %s", study, exc)


    def _after_fork(self) -> None:
        # The child runs none of the parent's trials and has none of its threads.
        self._lock = threading.Lock()
        self._live = {}
        self._thread = None


keeper = LeaseKeeper()
os.register_at_fork(after_in_child=keeper._after_fork)
