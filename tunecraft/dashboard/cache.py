"""What the dashboard computes per study, cached until the study changes.

``Storage.history`` replays only new events and returns the very same tuple of trials while
nothing has changed, so the identity of that tuple is the cache key: a poll of an idle study
costs one read of the event log and no plotting. Importance (a forest fit) is recomputed at
most every ``importance_every`` seconds while trials keep arriving. Until a study has been
replayed (its table or plots asked for), its summary and single trials come from partial
reads (``Storage.trial_summaries``, ``best_trials``, ``trials``), so a first look at a large
study does not wait for the whole log.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tunecraft.analysis import Importance
from tunecraft.history import History
from tunecraft.record import FrozenTrial
from tunecraft.storage.base import Storage
from tunecraft.viz import table
from tunecraft.viz.board import Panel, compute_importance, study_figures
from tunecraft.viz.diagnoses import ATTR as DIAGNOSIS_ATTR
from tunecraft.viz.info import SummaryInfo, summary_info, trials_summary_info


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

    def summary(self, study: str) -> tuple[int, SummaryInfo, dict[str, Any]]:
        """The study's version, summary and table columns.

        Once the study has been replayed (for the table or the plots) they come from its
        snapshot, brought up to date. Before that they come from partial reads (the trial
        summaries, the best trials' events, the parameter registry), so that the first
        answer for a study of 20,000 trials takes a fraction of a second instead of waiting
        for the whole log to be replayed (issue #12).
        """
        entry = self._entry(study)
        with entry.lock:
            replayed = entry.history is not None
        if replayed:
            entry, history = self.snapshot(study)
            return entry.version, summary_info(history), table.columns(history)
        storage = self.storage
        directions = storage.study_directions(study)
        rows = storage.trial_summaries(study)
        info = trials_summary_info(rows, storage.best_trials(study, summaries=rows))
        spec = table.column_spec(directions, storage.param_distributions(study))
        spec["diagnosis"] = DIAGNOSIS_ATTR in storage.user_attr_keys(study)
        return entry.version, info, spec

    def trial(self, study: str, number: int) -> FrozenTrial | None:
        """One trial (None when there is none): from the snapshot once the study has been
        replayed, else from that trial's own events (a trial page opened from a link)."""
        entry = self._entry(study)
        with entry.lock:
            replayed = entry.history is not None
        if replayed:
            try:
                return self.snapshot(study)[1].trial(number)
            except KeyError:
                return None
        found = self.storage.trials(study, [number])
        return found[0] if found else None

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
