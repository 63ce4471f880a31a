"""Queueing trials with fixed parameters: ``study.enqueue_trial`` and a finite sampler's points."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tunecraft.record import thaw
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
