"""``import_optuna``: copy a study written by Optuna (RDB or journal storage) into tunecraft.

Optuna reads its own storage (every schema version it supports, and its journal files), so the
copy needs ``pip install optuna`` for the duration of the migration only. Each trial keeps its
state, parameters with their distributions, values, intermediate values, user attributes,
constraints and times; the study keeps its directions and user attributes. RUNNING trials of
the source (their workers are gone) become FAIL with the reason recorded, WAITING ones are
queued again. Optuna's internal system attributes (sampler caches) are not copied.
"""

from __future__ import annotations

import logging
from typing import Any

from tunecraft._imports import require
from tunecraft.exceptions import StudyNotFound
from tunecraft.plugins import from_optuna_distribution
from tunecraft.record import CONSTRAINTS_KEY, FrozenTrial, TrialState, freeze
from tunecraft.storage import Storage
from tunecraft.system_attrs import FIXED_PARAMS_KEY

logger = logging.getLogger("tunecraft")

CONSTRAINTS_ATTR = "constraints"
"""Where Optuna's samplers record a trial's constraint values (a system attribute)."""


def _open_source(url: str) -> Any:
    optuna = require("optuna", "optuna")
    if url.endswith((".log", ".jsonl", ".journal")) and "://" not in url:
        storages = optuna.storages
        backend = getattr(storages, "journal", storages)
        file_storage = getattr(backend, "JournalFileBackend", None) or \
            storages.JournalFileStorage
        return storages.JournalStorage(file_storage(url))
    return url


def _convert(t: Any) -> FrozenTrial:
    state = TrialState[t.state.name]
    reason = None
    if state is TrialState.RUNNING:
        state, reason = TrialState.FAIL, "RUNNING in the Optuna study when it was imported"
    elif state is TrialState.FAIL:
        reason = t.system_attrs.get("fail_reason", "failed in Optuna")
    system: dict[str, Any] = {}
    named = [float(v) for k, v in sorted(t.system_attrs.items())
             if k.startswith(CONSTRAINTS_ATTR + ":")]  # Optuna 5's trial.set_constraint
    if t.system_attrs.get(CONSTRAINTS_ATTR) is not None:  # Optuna 4's samplers
        system[CONSTRAINTS_KEY] = [float(c) for c in t.system_attrs[CONSTRAINTS_ATTR]]
    elif named:
        system[CONSTRAINTS_KEY] = named
    if state is TrialState.WAITING and isinstance(t.system_attrs.get("fixed_params"), dict):
        system[FIXED_PARAMS_KEY] = dict(t.system_attrs["fixed_params"])  # enqueue_trial
    values = tuple(float(v) for v in t.values) if t.values is not None and \
        state is TrialState.COMPLETE else None
    return FrozenTrial(
        number=t.number, state=state, params=freeze(dict(t.params)),
        distributions=freeze({k: from_optuna_distribution(d)
                              for k, d in t.distributions.items()}),
        values=values, intermediate_values=freeze({int(k): float(v) for k, v in
                                                   t.intermediate_values.items()}),
        user_attrs=freeze(dict(t.user_attrs)), system_attrs=freeze(system),
        datetime_start=t.datetime_start, datetime_complete=t.datetime_complete,
        fail_reason=reason)


def import_optuna(from_url: str, study_name: str, to: str | Storage | None = None,
                  *, to_study_name: str | None = None) -> str:
    """Copy Optuna study ``study_name`` from ``from_url`` (an RDB URL such as
    ``sqlite:///optuna.db``, or a journal file path) into ``to`` (default: the same URL for
    RDB sources, which tunecraft opens as its own file next to it, see below); returns the
    tunecraft study name.

    tunecraft cannot share a database file with Optuna (the schemas differ), so for an RDB
    source the default target is ``<file>.tunecraft.db`` next to it.
    """
    from tunecraft.study import create_study

    optuna = require("optuna", "optuna")
    storage = _open_source(from_url)
    try:
        source = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        names = optuna.get_all_study_names(storage)
        raise StudyNotFound(f"no Optuna study named {study_name!r} in {from_url}; it holds "
                            f"{names}") from None
    if to is None:
        to = default_target(from_url)
    name = to_study_name or study_name
    directions = [d.name.lower() for d in source.directions]
    study = create_study(storage=to, study_name=name, directions=directions)
    for key, value in source.user_attrs.items():
        study.set_user_attr(key, value)
    trials = source.get_trials(deepcopy=False)
    study.add_trials([_convert(t) for t in trials])
    logger.info("Imported %d trials of Optuna study %r into %r.", len(trials), study_name, name)
    return name


def default_target(url: str) -> str:
    """Where an import goes without ``--to``: a tunecraft file next to the Optuna one."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///"):].removesuffix(".db") + ".tunecraft.db"
    if "://" not in url:
        return url.rsplit(".", 1)[0] + ".tunecraft.db"
    raise ValueError(f"pass --to: tunecraft cannot write into the Optuna database {url!r} "
                     "(the schemas differ); give a tunecraft storage URL or file")
