"""Pickle support for a fitted TuneSearchCV: its ``study_`` travels as a reference or a copy.

A Study over a database storage (SQLite, PostgreSQL) travels as a reference and is reopened
on unpickling, live. An in-memory study cannot be pickled (its storage holds locks), so what
it recorded (parameters, values, reports, attributes, states) travels instead and is
restored into a new in-memory study, so ``study_`` still answers ``trials``, ``best_trial``
or ``trials_dataframe()`` after ``pickle.loads`` or ``joblib.load``; its trial timestamps
become those of the restore. A sampler or pruner that cannot be pickled (a used TPESampler
caches its trial table) is replaced by the default one, ``TPESampler()`` or ``NopPruner()``.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

from tunecraft.direction import StudyDirection
from tunecraft.pruners.base import BasePruner, NopPruner
from tunecraft.record import TrialState, thaw
from tunecraft.samplers.base import BaseSampler
from tunecraft.storage.base import Storage
from tunecraft.storage.events import Event, EventKind
from tunecraft.storage.memory import InMemoryStorage
from tunecraft.study import Study, load_study


def _picklable(obj: Any) -> bool:
    try:
        pickle.dumps(obj)
    except Exception:
        return False
    return True


@dataclass(frozen=True)
class StudyState:
    """A picklable stand-in for a Study: a reference to its storage, or a copy of its trials."""

    name: str
    directions: tuple[str, ...]
    sampler: BaseSampler | None
    pruner: BasePruner | None
    storage: Storage | None  # a storage that pickles (a database): reopened as it is
    attrs: dict[str, Any]
    trials: tuple[dict[str, Any], ...]


def _trial_record(t: Any) -> dict[str, Any]:
    return {
        "state": t.state.value,
        "params": {k: {"d": t.distributions[k].to_json(), "v": thaw(v)}
                   for k, v in t.params.items()},
        "values": None if t.values is None else list(t.values),
        "reports": dict(t.intermediate_values),
        "user_attrs": thaw(t.user_attrs),
        "system_attrs": thaw(t.system_attrs),
        "fail_reason": t.fail_reason,
    }


def pack(study: Study) -> StudyState:
    """What of ``study`` can be pickled: its storage if that pickles, else its trials."""
    sampler = study.sampler if _picklable(study.sampler) else None
    pruner = study.pruner if _picklable(study.pruner) else None
    directions = tuple(d.value for d in study.directions)
    if _picklable(study.storage):
        return StudyState(study.study_name, directions, sampler, pruner, study.storage, {}, ())
    trials = tuple(_trial_record(t) for t in study.history().trials)
    return StudyState(study.study_name, directions, sampler, pruner, None,
                      thaw(study.storage.study_attrs(study.study_name)), trials)


def unpack(state: StudyState) -> Study:
    """The study again: reopened from its storage, or rebuilt in memory, numbered as before."""
    from tunecraft.samplers.tpe import TPESampler

    sampler, pruner = state.sampler or TPESampler(), state.pruner or NopPruner()
    if state.storage is not None:
        return load_study(study_name=state.name, storage=state.storage, sampler=sampler,
                          pruner=pruner)
    storage = InMemoryStorage()
    storage.create_study(state.name, [StudyDirection(d) for d in state.directions])
    for key, value in state.attrs.items():
        storage.set_study_attr(state.name, key, value)
    for t in state.trials:
        status = TrialState(t["state"])
        number = storage.create_trial(state.name, waiting=status is TrialState.WAITING,
                                      user_attrs=t["user_attrs"],
                                      system_attrs=t["system_attrs"])
        events = [Event(number, EventKind.PARAMS, t["params"])] if t["params"] else []
        events += [Event(number, EventKind.REPORT, {"step": int(step), "value": value})
                   for step, value in t["reports"].items()]
        if status.is_finished():
            storage.finish(state.name, number, status, t["values"], t["fail_reason"], events)
        elif events:
            storage.write(state.name, number, events)
    return load_study(study_name=state.name, storage=storage, sampler=sampler, pruner=pruner)
