"""Module-level study functions: create, load, copy, delete and list studies in a storage."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tunecraft._names import check_study_name
from tunecraft.artifacts import ArtifactStore
from tunecraft.direction import StudyDirection
from tunecraft.exceptions import DuplicatedStudyError, StudyNotFound
from tunecraft.plugins import adapt_pruner, adapt_sampler
from tunecraft.pruners.base import BasePruner
from tunecraft.pruners.median import MedianPruner
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers.base import BaseSampler
from tunecraft.storage import Storage, get_storage
from tunecraft.study._add import add_trials
from tunecraft.study.study import Study


def _default_sampler() -> BaseSampler:
    """AutoSampler: TPE for conditional, large or multi-objective spaces, the GP for small
    numerical budgets, CMA-ES for long numerical runs (docs/samplers.md)."""
    from tunecraft.samplers.auto import AutoSampler

    return AutoSampler()


def _check_sampler_pruner(sampler: object, pruner: object) -> None:
    """Raise unless both are tunecraft's (Optuna-style ones are wrapped before this check)."""
    if sampler is not None and not isinstance(sampler, BaseSampler):
        raise TypeError(
            f"sampler must be a tunecraft sampler (e.g. tunecraft.samplers.TPESampler()), "
            f"got {sampler!r}"
        )
    if pruner is not None and not isinstance(pruner, BasePruner):
        raise TypeError(
            f"pruner must be a tunecraft pruner (e.g. tunecraft.pruners.MedianPruner()), "
            f"got {pruner!r}"
        )


def _lease_options(store: Storage) -> dict[str, Any]:
    """The lease policy a storage carries for its studies (Optuna's ``RDBStorage(
    heartbeat_interval=, grace_period=, heartbeat_stale_trial_callback=)``), else none."""
    options = getattr(store, "study_options", None)
    return dict(options()) if callable(options) else {}


def _parse_directions(
    direction: str | StudyDirection | None,
    directions: Sequence[str | StudyDirection] | None,
) -> tuple[StudyDirection, ...]:
    if direction is not None and directions is not None:
        raise ValueError("pass either direction= or directions=, not both")
    if directions is not None:
        if isinstance(directions, str) or not directions:
            raise ValueError("directions must be a non-empty list such as ['minimize']")
        return tuple(StudyDirection.parse(d) for d in directions)
    return (StudyDirection.parse(direction or "minimize"),)


def create_study(
    *,
    storage: str | Storage | None = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    study_name: str | None = None,
    direction: str | StudyDirection | None = None,
    load_if_exists: bool = False,
    directions: Sequence[str | StudyDirection] | None = None,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    artifacts: str | os.PathLike[str] | ArtifactStore | None = None,
) -> Study:
    """Create a study (or, with ``load_if_exists``, continue the one of that name).

    Args:
        storage: None for in-memory; a path such as ``"tunecraft.db"`` (SQLite); or a URL
            (``sqlite:///...``, ``postgresql+psycopg://...``); or a Storage.
        sampler: Proposes parameters; default AutoSampler (docs/samplers.md).
        pruner: Stops bad trials early; default MedianPruner.
        study_name: Unique within the storage; generated when None.
        direction: ``"minimize"`` (default) or ``"maximize"``.
        load_if_exists: Continue an existing study of that name instead of raising
            DuplicatedStudyError.
        directions: One direction per objective, for multi-objective studies.
        constraints_func: ``FrozenTrial -> constraint values``, called when a trial
            completes; a trial is feasible when every value is <= 0. The best trial (and the
            Pareto front) is chosen among feasible trials only, and samplers that support
            constraints (TPE, GP, NSGA-II, CMA-ES) steer towards feasible regions. Trials can
            also record their own with ``trial.set_constraint``.
        artifacts: Directory (or :class:`~tunecraft.artifacts.ArtifactStore`) for the
            checkpoints of paused trials; default next to a SQLite file (``x.db.artifacts``),
            a temporary directory for in-memory storage, else ``./tunecraft-artifacts``.
    """
    sampler, pruner = adapt_sampler(sampler), adapt_pruner(pruner)  # Optuna-style plug-ins
    _check_sampler_pruner(sampler, pruner)
    dirs = _parse_directions(direction, directions)
    name = study_name if study_name is not None else f"study-{uuid.uuid4().hex[:12]}"
    check_study_name(name)  # before the storage is opened: a bad name leaks no connection
    store = get_storage(storage)
    try:
        store.create_study(name, dirs)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise
        existing = store.study_directions(name)
        if existing != dirs:
            raise ValueError(
                f"study {name!r} exists with directions {[d.value for d in existing]}, "
                f"but {[d.value for d in dirs]} were asked for; use the same directions or "
                "another study name"
            ) from None
    return Study(name, store, sampler or _default_sampler(), pruner or MedianPruner(),
                 constraints_func=constraints_func, artifacts=artifacts, **_lease_options(store))


def _resolve_name(store: Storage, study_name: str | None) -> str:
    names = store.study_names()
    if study_name is None:
        if len(names) == 1:
            return names[0]
        raise ValueError(
            f"the storage holds {len(names)} studies; pass study_name= (one of {names})"
        )
    if study_name not in names:
        hint = f"; it holds {names}" if names else "; it holds no study"
        raise StudyNotFound(f"no study named {study_name!r} in this storage{hint}")
    return study_name


def load_study(
    *,
    study_name: str | None,
    storage: str | Storage,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    artifacts: str | os.PathLike[str] | ArtifactStore | None = None,
) -> Study:
    """Open an existing study. ``study_name=None`` works when the storage holds exactly one."""
    sampler, pruner = adapt_sampler(sampler), adapt_pruner(pruner)  # Optuna-style plug-ins
    _check_sampler_pruner(sampler, pruner)
    store = get_storage(storage)
    name = _resolve_name(store, study_name)
    return Study(name, store, sampler or _default_sampler(), pruner or MedianPruner(),
                 constraints_func=constraints_func, artifacts=artifacts, **_lease_options(store))


def copy_study(
    *,
    from_study_name: str,
    from_storage: str | Storage,
    to_storage: str | Storage,
    to_study_name: str | None = None,
) -> None:
    """Copy a study (directions, user attributes, every trial) into another storage."""
    source = load_study(study_name=from_study_name, storage=from_storage)
    target = create_study(storage=get_storage(to_storage),
                          study_name=from_study_name if to_study_name is None else to_study_name,
                          directions=list(source.directions))
    for key, value in source.user_attrs.items():
        target.set_user_attr(key, value)
    add_trials(target, source.trials)


def delete_study(*, study_name: str, storage: str | Storage) -> None:
    """Delete a study and all its trials."""
    store = get_storage(storage)
    store.delete_study(_resolve_name(store, study_name))


def get_all_study_names(storage: str | Storage) -> list[str]:
    return get_storage(storage).study_names()


@dataclass(frozen=True, slots=True)
class StudySummary:
    """A study at a glance, for listings."""

    study_name: str
    directions: tuple[StudyDirection, ...]
    n_trials: int
    state_counts: dict[TrialState, int]
    best_trial: FrozenTrial | None
    datetime_start: dt.datetime | None
    n_lost: int = 0
    """RUNNING trials (counted in ``state_counts``) whose worker is gone: their lease ran out
    or their process exited. The next worker that starts marks them STALE and retries them;
    until then listings show them as stale, not running."""


def get_all_study_summaries(storage: str | Storage) -> list[StudySummary]:
    """One summary per study: trial counts by state, best trial, start time.

    Reads each study's trial summaries and its best trial's events, never its whole log:
    listing a storage stays fast however many trials its studies hold.
    """
    store = get_storage(storage)
    out = []
    for name in store.study_names():
        try:
            directions = store.study_directions(name)
            rows = store.trial_summaries(name)
            best = store.best_trials(name, summaries=rows) if len(directions) == 1 else ()
            lost = len(store.lost_trials(name))
        except StudyNotFound:  # deleted since it was listed
            continue
        starts = [t.datetime_start for t in rows if t.datetime_start is not None]
        counts = dict.fromkeys(TrialState, 0)
        for t in rows:
            counts[t.state] += 1
        out.append(StudySummary(name, directions, len(rows), counts, best[0] if best else None,
                                min(starts) if starts else None, lost))
    return out
