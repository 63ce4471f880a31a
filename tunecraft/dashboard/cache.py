"""What the dashboard computes per study, cached until the study changes.

``Storage.history`` replays only new events and returns the very same tuple of trials while
nothing has changed, so the identity of that tuple is the cache key: a poll of an idle study
costs one read of the event log and no plotting. Importance (a forest fit) is recomputed at
most every ``importance_every`` seconds while trials keep arriving.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tunecraft.analysis import Importance
from tunecraft.history import History
from tunecraft.storage.base import Storage
from tunecraft.viz import table
from tunecraft.viz.board import Panel, compute_importance, study_figures


@dataclass
class _Entry:
    trials: tuple[Any, ...] | None = None
    history: History | None = None
    version: int = 0
    rows: list[dict[str, Any]] | None = None
    panels: list[Panel] | None = None
    importance: Importance | str | None = None
    importance_at: float = -1e18
    importance_n: int = -1
    lock: threading.Lock = field(default_factory=threading.Lock)


class StudyCache:
    """Per-study snapshots for the dashboard: version, table rows, plots, importance."""

    def __init__(self, storage: Storage, *, importance: str | None = "fanova",
                 importance_every: float = 15.0) -> None:
        self.storage = storage
        self.importance_method = importance
        self.importance_every = importance_every
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def _entry(self, study: str) -> _Entry:
        with self._lock:
            return self._entries.setdefault(study, _Entry())

    def snapshot(self, study: str) -> tuple[_Entry, History]:
        """The study's entry, brought up to date with the storage (version bumped on change)."""
        entry = self._entry(study)
        history = self.storage.history(study)
        with entry.lock:
            if entry.trials is not history.trials or entry.history is None:
                entry.trials = history.trials
                entry.history = history
                entry.version += 1
                entry.rows = None
                entry.panels = None
            return entry, entry.history

    def rows(self, study: str) -> tuple[int, History, list[dict[str, Any]]]:
        entry, history = self.snapshot(study)
        with entry.lock:
            if entry.rows is None:
                entry.rows = table.rows(history.trials)
            return entry.version, history, entry.rows

    def importance(self, study: str) -> Importance | str | None:
        """The cached importance, recomputed when trials completed since and it is stale."""
        if self.importance_method is None:
            return None
        entry, history = self.snapshot(study)
        with entry.lock:
            n = len(history.complete())
            due = time.monotonic() - entry.importance_at >= self.importance_every
            if n != entry.importance_n and (due or entry.importance is None):
                entry.importance = compute_importance(history, self.importance_method)
                entry.importance_n = n
                entry.importance_at = time.monotonic()
                entry.panels = None  # redraw with the new ranking
                entry.version += 1
            return entry.importance

    def panels(self, study: str) -> tuple[int, list[Panel]]:
        imp = self.importance(study)
        entry, history = self.snapshot(study)
        with entry.lock:
            if entry.panels is None:
                entry.panels = study_figures(history, importance=imp)
            return entry.version, entry.panels
