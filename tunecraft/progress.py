"""A Rich progress bar for ``optimize``: trials done, best value so far, elapsed time and ETA.

Shown by default when standard output is a terminal (as Optuna prints a line per trial), so a
long study is never silent, and off in pipes, files, CI logs and tests; ``TUNECRAFT_PROGRESS``
forces it either way and ``optimize(show_progress_bar=...)`` overrides both.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from tunecraft._names import visible
from tunecraft.record import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tunecraft.study.study import Study


ENV_VAR = "TUNECRAFT_PROGRESS"
_ON = ("1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off")


def progress_enabled(show: bool | None = None) -> bool:
    """Whether ``optimize`` shows its progress bar: ``show`` when given, else what the
    ``TUNECRAFT_PROGRESS`` environment variable says (1/0, true/false, yes/no, on/off), else
    whether standard output is an interactive terminal."""
    if show is not None:
        return bool(show)
    forced = os.environ.get(ENV_VAR, "").strip().lower()
    if forced in _ON:
        return True
    if forced in _OFF:
        return False
    if forced:
        raise ValueError(f"{ENV_VAR}={os.environ[ENV_VAR]!r} is not understood; set it to 1 "
                         "(always show the progress bar) or 0 (never), or unset it (show it "
                         "in a terminal only)")
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


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
