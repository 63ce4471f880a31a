"""Adding finished trials to a study (Optuna's ``study.add_trial(s)``) and copying studies
(``tunecraft.copy_study``, in ``api.py``, adds with it); also what ``tunecraft
import-optuna`` writes with.

A trial is added as the events it would have written had it run here (created, parameters,
reports, finished) with its own start and end times, so samplers, pruners and analysis see
it exactly like a trial that ran in this study.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tunecraft.exceptions import IncompatibleSpace
from tunecraft.record import FrozenTrial, TrialState, thaw
from tunecraft.storage.base import Storage
from tunecraft.storage.events import Event, EventKind
from tunecraft.system_attrs import FIXED_PARAMS_KEY

if TYPE_CHECKING:
    from tunecraft.study.study import Study


def _check(study: Study, trial: FrozenTrial) -> None:
    if not isinstance(trial, FrozenTrial):
        raise TypeError(f"add_trial takes a FrozenTrial (tunecraft.trial.create_trial), got "
                        f"{type(trial).__name__}")
    if set(trial.params) != set(trial.distributions):
        raise ValueError(f"trial params {sorted(trial.params)} and distributions "
                         f"{sorted(trial.distributions)} must name the same parameters")
    for name, dim in trial.distributions.items():
        if not dim.contains(trial.params[name]):
            raise ValueError(f"parameter {name!r}={trial.params[name]!r} is not in {dim}")
    if trial.state is TrialState.COMPLETE:
        if trial.values is None or len(trial.values) != len(study.directions):
            raise ValueError(f"a COMPLETE trial needs {len(study.directions)} value(s), one per "
                             f"direction of study {study.study_name!r}; got {trial.values}")
        if any(math.isnan(v) for v in trial.values):
            raise ValueError("a COMPLETE trial cannot have a NaN value; add it as FAIL")
    elif trial.values is not None and trial.state is not TrialState.FAIL:
        raise ValueError(f"a {trial.state.name} trial takes no values")


def _time(value: object) -> float | None:
    stamp = getattr(value, "timestamp", None)
    return float(stamp()) if callable(stamp) else None


def add_trial(study: Study, trial: FrozenTrial) -> int:
    """Record ``trial`` (finished, or WAITING to be run) in ``study``; returns its number."""
    _check(study, trial)
    known = study.history().param_distributions()
    for name, dim in trial.distributions.items():
        if name in known and known[name] != dim:
            raise IncompatibleSpace(f"parameter {name!r} is {known[name]} in study "
                                    f"{study.study_name!r}, but the added trial has {dim}")
    storage: Storage = study.storage
    user_attrs, system_attrs = thaw(trial.user_attrs), thaw(trial.system_attrs)
    if trial.state is TrialState.WAITING:  # a queued trial: its params are fixed when it runs
        system_attrs[FIXED_PARAMS_KEY] = {**system_attrs.get(FIXED_PARAMS_KEY, {}),
                                           **thaw(trial.params)}
        return storage.create_trial(study.study_name, waiting=True, user_attrs=user_attrs,
                                    system_attrs=system_attrs)
    events = [Event(-1, EventKind.PARAMS, {
        name: {"d": dim.to_json(), "v": trial.params[name]}
        for name, dim in trial.distributions.items()})] if trial.params else []
    events += [Event(-1, EventKind.REPORT, {"step": int(s), "value": float(v)})
               for s, v in sorted(trial.intermediate_values.items())]
    events += [Event(-1, EventKind.REPORT, {"step": int(s), "values": list(v)})
               for s, v in sorted(trial.intermediate_vectors.items())]
    values = None if trial.values is None or trial.state is not TrialState.COMPLETE else [
        float(v) for v in trial.values]
    return storage.record_trial(study.study_name, trial.state, events, user_attrs=user_attrs,
                                system_attrs=system_attrs,
                                started=_time(trial.datetime_start),
                                finished=_time(trial.datetime_complete), values=values,
                                reason=trial.fail_reason)


def add_trials(study: Study, trials: Iterable[FrozenTrial]) -> list[int]:
    """:func:`add_trial` for each trial, in order; returns their numbers."""
    return [add_trial(study, t) for t in trials]


def same_params(a: object, b: object) -> bool:
    """Parameter sets equal as values (2 == 2.0, key order ignored), with NaN equal to NaN:
    ``enqueue_trial(skip_if_exists=True)`` must recognise a point holding NaN."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_params(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b
