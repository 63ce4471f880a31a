"""Finishing a trial: ``Study.tell`` (values checked, constraints evaluated, state recorded)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tunecraft.exceptions import TrialFinishedError
from tunecraft.execution.leases import keeper
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers.base import BaseSampler
from tunecraft.storage.events import Event, EventKind
from tunecraft.study import _lease, _schedule
from tunecraft.trial import Trial, check_values

if TYPE_CHECKING:
    from tunecraft.study.study import Study

logger = logging.getLogger("tunecraft")


def _check_told(study: Study, number: int) -> None:
    """ValueError for a trial number the study never handed out (Optuna's message kind)."""
    if not 0 <= number < sum(study.storage.state_counts(study.study_name).values()):
        raise ValueError(f"study {study.study_name!r} has no trial {number}; tell() finishes "
                         "trials that ask() returned")


def _last_report(study: Study, number: int, pending: list[Event]) -> tuple[float, ...] | None:
    """A pruned trial's last reported value (not NaN), which Optuna records as its value."""
    reports = dict(study.history().trial(number).intermediate_values)
    reports.update({int(e.payload["step"]): float(e.payload["value"]) for e in pending
                    if e.kind is EventKind.REPORT and "value" in e.payload})
    if not reports:
        return None
    last = reports[max(reports)]
    return None if math.isnan(last) else (last,)


def tell(study: Study, trial: Trial | int, values: float | Sequence[float] | None,
         state: TrialState | None, fail_reason: str | None, skip_if_finished: bool
         ) -> FrozenTrial:
    """``Study.tell``: finish ``trial`` and return its record."""
    number = trial.number if isinstance(trial, Trial) else trial
    if isinstance(trial, Trial) and trial.study is not study and \
            trial.study.study_name != study.study_name:
        raise ValueError(f"trial {number} belongs to study {trial.study.study_name!r}")
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"trial must be a Trial or a trial number, got {trial!r}")
    explicit = state is not None
    state = TrialState.COMPLETE if state is None else TrialState(state)
    reason = fail_reason
    final: tuple[float, ...] | None = None
    if state is TrialState.COMPLETE:
        if values is None:
            raise ValueError("tell() needs values for a COMPLETE trial; pass values=...")
        final, why = check_values(values, len(study.directions))
        if final is None and explicit:  # Optuna: state=COMPLETE insists on valid values
            raise ValueError(f"tell(state=COMPLETE) got invalid values: {why}; pass "
                             f"{len(study.directions)} number(s), or state=FAIL")
        if final is None:
            state, reason = TrialState.FAIL, why
    elif values is not None:
        raise ValueError(f"tell() takes no values for a {state.name} trial")
    elif not state.is_finished() or state is TrialState.STALE:
        raise ValueError(f"tell() needs a final state (COMPLETE, PRUNED, FAIL), got "
                         f"{state.name}")
    control = trial.control if isinstance(trial, Trial) else None
    events: list[Event] = control.close() if control is not None else []
    if state is TrialState.PRUNED and len(study.directions) == 1:
        final = _last_report(study, number, events)  # Optuna keeps it as the value
    if final is not None and study.constraints_func is not None:
        from tunecraft.study._constraints import constraint_event

        try:
            events.extend(constraint_event(study.history().trial(number), final, events,
                                           study.constraints_func))
        except Exception as exc:  # like an error in the objective: the trial fails
            state, final = TrialState.FAIL, None
            reason = f"constraints_func failed: {type(exc).__name__}: {exc}"
    if reason is not None and state is TrialState.FAIL:
        logger.warning("Trial %d failed: %s", number, reason)
    hook_error: BaseException | None = None
    if type(study.sampler).after_trial is not BaseSampler.after_trial:
        # Optuna's hook, before the state is stored; if it raises, the trial fails and the
        # error propagates (``catch`` does not apply), as in Optuna.
        try:
            study.sampler.after_trial(study, study.history().trial(number), state,
                                      None if final is None else list(final))
        except Exception as exc:
            hook_error, state, final = exc, TrialState.FAIL, None
            reason = f"sampler.after_trial failed: {type(exc).__name__}: {exc}"
    token = control.lease_token if control is not None else None
    ok = study._storage.finish(study.study_name, number, state, final, reason, events,
                              token=token)
    keeper.untrack(study._storage, study.study_name, number)
    if not ok:
        _check_told(study, number)
        current = study.history().trial(number)
        if current.state in (TrialState.STALE, TrialState.RUNNING):
            # the lease was lost (this worker was presumed dead): the result is late
            return _lease.drop_late_result(current, state)
        if skip_if_finished:
            return current
        raise TrialFinishedError(
            f"trial {number} of study {study.study_name!r} is already "
            f"{current.state.name}; pass skip_if_finished=True to ignore this"
        )
    _schedule.collect(study)  # checkpoints no longer needed
    if hook_error is not None:
        raise hook_error
    return study.history().trial(number)
