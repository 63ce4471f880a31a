"""Queueing trials with fixed parameters: ``study.enqueue_trial`` and a finite sampler's points;
and admitting a trial under a study-wide total shared by independent workers."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from tunecraft.exceptions import SearchSpaceExhausted
from tunecraft.record import TrialState, thaw
from tunecraft.storage.base import check_user_attr
from tunecraft.system_attrs import FIXED_PARAMS_KEY

if TYPE_CHECKING:
    from tunecraft.study.study import Study


def enqueue(study: Study, params: Mapping[str, Any], user_attrs: Mapping[str, Any] | None,
            skip_if_exists: bool) -> None:
    """Queue a WAITING trial with ``params`` fixed (``Study.enqueue_trial``)."""
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of name -> value, got {params!r}")
    fixed = dict(params)
    check_user_attr(FIXED_PARAMS_KEY, fixed)
    if skip_if_exists:
        from tunecraft.study._add import same_params  # key order, 2 vs 2.0, NaN: equal

        for t in study.history().trials:
            if same_params(thaw(t.system_attrs.get(FIXED_PARAMS_KEY, {})), fixed):
                return
            if t.state.is_finished() and t.params and same_params(dict(t.params), fixed):
                return
    study.storage.create_trial(study.study_name, waiting=True, user_attrs=user_attrs,
                               system_attrs={FIXED_PARAMS_KEY: fixed})


def enqueue_initial(study: Study) -> bool:
    """Enqueue a finite sampler's points once per study; True if the sampler is finite."""
    points = study.sampler.initial_trials()
    if points is None:
        return False
    fingerprint = getattr(study.sampler, "fingerprint", lambda: repr(study.sampler))()
    key = f"sampler_queue:{fingerprint}"
    storage = study.storage
    if key not in storage.study_attrs(study.study_name):  # skip the write when done
        # every point in one transaction that also sets the key: however many workers
        # race here, the points are queued whole and exactly once
        storage.enqueue_trials(study.study_name, [{FIXED_PARAMS_KEY: dict(p)} for p in points],
                               once_key=key)
    return True


TOTAL_KEY_PREFIX = "tunecraft:total:"
"""Study attributes ``tunecraft:total:<total>:<started>:<generation>``: who may start the
trial that follows ``started`` started trials (see :func:`admit_within_total`)."""


class TotalReached(SearchSpaceExhausted):
    """The study holds its study-wide total of trials (counting those still running); like
    an exhausted grid, ``optimize`` stops quietly on it."""


def admit_within_total(study: Study, total: int, states: Collection[TrialState], *,
                       wait: bool = True, poll: float = 0.05) -> None:
    """Return when this process may start one more trial of ``study`` without the study
    exceeding ``total`` trials in ``states`` (RUNNING ones included); raise TotalReached
    when it may not: when ``total`` trials have finished in ``states`` or, without
    ``wait``, when the running ones fill the remaining places. With ``wait`` it waits for
    those instead (reaping the trials of vanished workers as it does), since one that fails
    or whose worker dies frees its place.

    Workers in other processes decide at once, so the check and the start must act as one
    step: the right to start the trial that follows ``started`` started (not WAITING) trials
    is one study attribute, set only if absent (a compare-and-set in every storage). Its
    winner starts a trial right away (this runs inside ``Study.reserve``), which moves
    ``started`` on; the losers read the counts again once it has. A winner that died before
    starting loses its right after the study's lease time (``stale_grace``). Starts are
    serialised this way, so no two workers fill the last place; a trial that fails frees
    its place (FAIL is not in ``states`` by default) for the next start.
    """
    storage, name = study.storage, study.study_name
    while True:
        counts = storage.state_counts(name)
        running = counts.get(TrialState.RUNNING, 0)
        held = sum(counts.get(s, 0) for s in states) + running
        if held >= total:
            if not wait or running == 0:
                raise TotalReached(f"study {name!r} holds its total of {total} trials "
                                   f"({held} finished or running)")
            time.sleep(poll)
            study.fail_stale_trials()  # a vanished worker's trial frees its place
            continue
        started = sum(n for state, n in counts.items() if state is not TrialState.WAITING)
        generation = 0
        while True:
            key = f"{TOTAL_KEY_PREFIX}{total}:{started}:{generation}"
            if storage.set_study_attr(name, key, time.time(), only_if_absent=True):
                return
            since = storage.study_attrs(name).get(key)
            if isinstance(since, (int, float)) and time.time() - since > study.stale_grace:
                generation += 1  # its winner died before starting a trial: take over
                continue
            break
        time.sleep(poll)  # another worker is starting that trial: count again
