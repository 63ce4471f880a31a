"""Plot data over time and training steps: learning curves, the worker timeline, LR range test.

Pure functions returning immutable NamedTuples; see :mod:`tunecraft.viz._info_values`.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from tunecraft.history import History
from tunecraft.record import TrialState
from tunecraft.viz._common import thin

if TYPE_CHECKING:
    from tunecraft.torch.lr_result import LRRangeResult


class Curve(NamedTuple):
    """The values one trial reported, by step."""

    number: int
    state: str
    steps: tuple[int, ...]
    values: tuple[float, ...]


class CurvesInfo(NamedTuple):
    """Intermediate values of every trial that reported; pruned trials marked where they stopped.

    ``pruned`` holds (number, last step, last value) of each PRUNED trial shown.
    """

    curves: tuple[Curve, ...]
    pruned: tuple[tuple[int, int, float], ...]
    n_total: int


def curves_info(history: History, *, max_trials: int | None = None) -> CurvesInfo:
    """Learning curves: each trial's reports (``trial.report``) against the step."""
    rows = [t for t in history.trials if t.intermediate_values]
    total = len(rows)
    rows = thin(rows, max_trials)
    curves, pruned = [], []
    for t in rows:
        steps = tuple(int(s) for s in t.intermediate_values)
        values = tuple(float(v) for v in t.intermediate_values.values())
        curves.append(Curve(t.number, t.state.name, steps, values))
        if t.state is TrialState.PRUNED:
            pruned.append((t.number, steps[-1], values[-1]))
    return CurvesInfo(tuple(curves), tuple(pruned), total)


class Bar(NamedTuple):
    """One trial on the timeline: when it ran, on which worker, how it ended."""

    number: int
    worker: str
    state: str
    start: dt.datetime
    end: dt.datetime


class TimelineInfo(NamedTuple):
    """Trials as bars per worker over wall-clock time, to see parallel use and failures.

    ``inferred`` is True when no trial recorded its worker: trials are then packed greedily
    into the fewest lanes that never overlap, which shows how many ran at once.
    """

    bars: tuple[Bar, ...]
    workers: tuple[str, ...]
    inferred: bool
    n_total: int  # started trials (``bars`` may show an even subset of them)


WORKER_KEYS = ("worker", "owner", "hostname")


def _worker_of(attrs: object) -> str | None:
    get = getattr(attrs, "get", None)
    if get is None:
        return None
    for key in WORKER_KEYS:
        value = get(key)
        if isinstance(value, str) and value:
            return value
    return None


def timeline_info(history: History, *, now: dt.datetime | None = None,
                  max_trials: int | None = None) -> TimelineInfo:
    """Each started trial from its start to its end (RUNNING ones up to ``now``).

    With ``max_trials``, an even subset of the bars (lanes are packed from all trials).
    """
    stop = now or dt.datetime.now()
    started = [(t.datetime_start, t) for t in history.trials if t.datetime_start is not None]
    named = {t.number: _worker_of(t.system_attrs) for _, t in started}
    inferred = not any(named.values())
    lanes: list[tuple[dt.datetime, int]] = []  # (free from, lane) min-heap
    bars = []
    for start, t in sorted(started, key=lambda p: (p[0], p[1].number)):
        end = t.datetime_complete or (stop if t.state is TrialState.RUNNING else start)
        end = max(end, start)
        if inferred:
            if lanes and lanes[0][0] <= start:
                _, lane = heapq.heappop(lanes)
            else:
                lane = len(lanes)
            heapq.heappush(lanes, (end, lane))
            worker = f"lane {lane + 1}"
        else:
            worker = named[t.number] or "unknown"
        bars.append(Bar(t.number, worker, t.state.name, start, end))
    bars.sort(key=lambda b: b.number)
    workers = tuple(sorted({b.worker for b in bars},
                           key=lambda w: (int(w.split()[1]) if inferred else 0, w)))
    return TimelineInfo(tuple(thin(bars, max_trials)), workers, inferred, len(bars))


class LRRangeInfo(NamedTuple):
    """An LR range test: loss against learning rate, and the suggested rates marked."""

    lrs: tuple[float, ...]
    losses: tuple[float, ...]
    smoothed: tuple[float, ...]
    log_x: bool
    suggestions: tuple[tuple[str, float, float], ...]  # (rule, lr, smoothed loss there)
    stop_reason: str


def lr_range_info(result: LRRangeResult,
                  rules: Sequence[str] = ("steepest", "valley")) -> LRRangeInfo:
    """Curve and suggestions of a :class:`~tunecraft.torch.lr_result.LRRangeResult`."""
    found = result.suggestions()
    lrs = np.asarray(result.lrs, dtype=float)
    smoothed = np.asarray(result.smoothed, dtype=float)
    ok = np.isfinite(smoothed) & (lrs > 0)
    marks = []
    for rule in rules:
        if rule in found and ok.any():
            lr = found[rule]
            y = float(np.interp(np.log(lr), np.log(lrs[ok]), smoothed[ok]))
            marks.append((rule, float(lr), y))
    return LRRangeInfo(tuple(float(v) for v in result.lrs),
                       tuple(float(v) for v in result.losses),
                       tuple(float(v) for v in result.smoothed), result.mode == "exp",
                       tuple(marks), str(result.stop_reason))
