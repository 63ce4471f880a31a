"""Callbacks for ``Study.optimize``: stop a study once it holds enough finished trials, and
a Study class whose workers never start a trial past that total (:func:`within_total`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from tunecraft.record import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tunecraft.study.study import Study

DEFAULT_STATES = (TrialState.COMPLETE, TrialState.PRUNED)


def count_trials(study: Study, states: Iterable[TrialState] = DEFAULT_STATES) -> int:
    """How many of the study's trials (from every worker) are in ``states``; no replay needed."""
    counts = study.storage.state_counts(study.study_name)
    return sum(counts.get(s, 0) for s in states)


class MaxTrialsCallback:
    """Stop ``optimize`` once the study as a whole holds ``n_trials`` trials in ``states``.

    ``optimize(n_trials=...)`` counts the trials of one call; this counts every worker's,
    so several processes sharing a study stop together at a study-wide total, and a
    re-run after a crash stops where the study is complete. FAIL trials do not count by
    default, so they are made up for.

    Args:
        n_trials: The study-wide total to reach.
        states: Which states count; COMPLETE and PRUNED by default.
    """

    def __init__(self, n_trials: int, states: Iterable[TrialState] = DEFAULT_STATES) -> None:
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0:
            raise ValueError(f"n_trials={n_trials!r} must be a non-negative integer")
        self.n_trials = n_trials
        self.states = tuple(TrialState(s) for s in states)
        if not self.states:
            raise ValueError("states must name at least one TrialState")

    def remaining(self, study: Study) -> int:
        """Trials still missing before the total is reached."""
        return max(self.n_trials - count_trials(study, self.states), 0)

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if self.remaining(study) == 0:
            study.stop()

    def __repr__(self) -> str:
        return f"MaxTrialsCallback({self.n_trials}, states={[s.name for s in self.states]})"


def within_total(total: MaxTrialsCallback, *, wait: bool = True) -> type[Study]:
    """A ``Study`` class whose trials start only while the study holds fewer than
    ``total.n_trials`` trials in ``total.states`` or running, decided atomically among all
    workers: independent workers (``tunecraft worker``) end the study at exactly its total,
    not one trial per worker past it. While running trials fill the last places, a start
    waits for them (``wait``; else it stops): one that fails frees its place."""
    from tunecraft.study._enqueue import admit_within_total
    from tunecraft.study.study import Study

    class StudyWithinTotal(Study):
        def _enqueue_initial(self) -> bool:  # runs in reserve(), just before the start
            finite = super()._enqueue_initial()
            admit_within_total(self, total.n_trials, total.states, wait=wait)
            return finite

    return StudyWithinTotal
