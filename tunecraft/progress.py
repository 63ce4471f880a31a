"""A Rich progress bar for ``optimize``: trials done, best value so far, elapsed time and ETA."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from tunecraft._names import visible
from tunecraft.record import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tunecraft.study.study import Study


class ProgressBar:
    """Shows progress by trials (with ``n_trials``) or by time (with only ``timeout``)."""

    def __init__(self, study: Study, n_trials: int | None, timeout: float | None) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._study = study
        self._by_time = n_trials is None and timeout is not None
        self._total = float(timeout) if self._by_time and timeout else n_trials
        # no markup: the description is the study name, printed as written (see visible)
        columns: list[Any] = [TextColumn("{task.description}", style="bold", markup=False),
                              BarColumn()]
        if not self._by_time:
            columns.append(MofNCompleteColumn())
        columns += [TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                    TextColumn("{task.fields[best]}", markup=False)]
        self._progress = Progress(*columns, transient=False)
        self._task = self._progress.add_task(visible(study.study_name), total=self._total,
                                             best=self._best_text())
        self._lock = threading.Lock()
        self._t0 = time.monotonic()
        self._counts = dict.fromkeys(TrialState, 0)

    def _best_text(self) -> str:
        if len(self._study.directions) != 1:
            return f"pareto front: {len(self._study.best_trials)}"
        best = self._study.history().best_trial()
        if best is None:
            return "best: -"
        return f"best: {best.values[0]:.6g} (trial {best.number})" if best.values else ""

    def start(self) -> None:
        self._progress.start()

    def update(self, frozen: FrozenTrial) -> None:
        with self._lock:
            self._counts[frozen.state] += 1
            advance: dict[str, Any] = (
                {"completed": min(time.monotonic() - self._t0, self._total or 0.0)}
                if self._by_time else {"advance": 1}
            )
            extra = "".join(f" {s.name.lower()}={n}" for s, n in self._counts.items()
                            if n and s in (TrialState.PRUNED, TrialState.FAIL))
            self._progress.update(self._task, best=self._best_text() + extra, **advance)

    def stop(self) -> None:
        self._progress.stop()
