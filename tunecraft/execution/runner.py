"""Running the objective on one begun trial and recording its outcome (COMPLETE, PRUNED, FAIL)
through ``Study.tell``: what the optimize loop does for each trial, in this process or in a
worker (:mod:`tunecraft.execution.worker`)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tunecraft.exceptions import IncompatibleSpace, StorageError, TrialFinishedError, TrialPruned
from tunecraft.execution.leases import keeper
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.system_attrs import TRACEBACK_KEY
from tunecraft.trial import Trial, check_values

if TYPE_CHECKING:
    from tunecraft.study.study import Objective, Study

logger = logging.getLogger("tunecraft")


def _tell(study: Study, trial: Trial, values: Sequence[float] | None = None,
          state: TrialState | None = None, reason: str | None = None
          ) -> tuple[FrozenTrial, bool]:
    """Record the outcome; False with the stored record when it was not recorded here.

    That happens when this worker lost the trial's lease (presumed dead: suspended past its
    lease, or a duplicate run); ``tell`` has logged and dropped the late result.
    """
    try:
        frozen = study.tell(trial, values, state, fail_reason=reason)
    except TrialFinishedError:  # finished by another tell (not a lease loss): keep going
        frozen = study.history().trial(trial.number)
        logger.warning("Trial %d was already finished as %s elsewhere; this worker's result "
                       "is dropped.", trial.number, frozen.state.name)
        return frozen, False
    return frozen, frozen.state not in (TrialState.STALE, TrialState.RUNNING)


def _caught(exc: BaseException, catch: tuple[type[BaseException], ...]) -> bool:
    """Whether ``catch`` covers ``exc``. IncompatibleSpace (one parameter name asked with two
    distributions) is a bug in the objective or a clash with the study's recorded space, not
    a bad trial: every later trial would fail the same way, so only a ``catch`` that names
    IncompatibleSpace itself keeps the loop going."""
    if isinstance(exc, IncompatibleSpace):
        return any(issubclass(c, IncompatibleSpace) for c in catch)
    return isinstance(exc, catch)


def run_trial(study: Study, objective: Objective, trial: Trial,
              catch: tuple[type[BaseException], ...]) -> FrozenTrial:
    """Run the objective on ``trial`` and record the outcome; re-raise what is not caught."""
    try:
        values, why = check_values(objective(trial), len(study.directions))
    except TrialPruned:
        return _tell(study, trial, state=TrialState.PRUNED)[0]
    except StorageError:
        # the storage failed (disk full, database gone for minutes), not the objective:
        # recording FAIL would blame the objective, or fail too. The trial stays RUNNING and
        # is retried, with its parameters, once its lease runs out (no longer renewed here).
        keeper.untrack(study.storage, study.study_name, trial.number)
        raise
    except BaseException as exc:
        reason = f"{type(exc).__name__}: {exc}"
        try:
            trial.control.set_system_attr(TRACEBACK_KEY, traceback.format_exc(limit=20))
        except Exception:  # an unserialisable traceback must not hide the real error
            pass
        frozen, recorded = _tell(study, trial, state=TrialState.FAIL, reason=reason)
        # a write refused because the lease was lost is not a bug of the objective: it
        # never stops the loop
        lost = not recorded and isinstance(exc, TrialFinishedError)
        if lost or _caught(exc, catch):
            return frozen
        raise
    if values is None:
        return _tell(study, trial, state=TrialState.FAIL, reason=why)[0]
    try:
        return _tell(study, trial, values)[0]
    except StorageError as exc:  # never lose a result silently: say what it was
        keeper.untrack(study.storage, study.study_name, trial.number)
        shown = values[0] if len(values) == 1 else values
        raise StorageError(
            f"trial {trial.number} finished with value {shown} and parameters "
            f"{dict(trial.params)}, but its result could not be recorded: {exc}") from exc
