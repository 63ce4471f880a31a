"""Optuna's retry callbacks (``optuna.storages.RetryHeartbeatStaleTrialCallback``) over
tunecraft's leases.

tunecraft retries the trials of dead workers itself: every RUNNING trial holds a lease, and
the next worker that finds one run out marks the trial STALE and queues a WAITING retry with
the same parameters (``Storage.reap_stale``). Given to :class:`~tunecraft.storages.RDBStorage`,
a retry callback only sets how often (``max_retry``); its static methods read the lineage
that tunecraft records on each retry (``retry_of``, ``retry_history``).
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

from tunecraft.record import FrozenTrial, TrialState, thaw
from tunecraft.system_attrs import ATTEMPT_KEY, RETRY_HISTORY_KEY, RETRY_OF_KEY

REMOVED_IN = "tunecraft 1.0"
"""When ``RetryFailedTrialCallback`` and ``failed_trial_callback=`` (deprecated in Optuna
4.9, to go in Optuna 6.0) go."""


def _system_attrs(trial: Any) -> dict[str, Any]:
    """The stored system attributes of a FrozenTrial or of a live Trial."""
    if isinstance(trial, FrozenTrial):
        return dict(trial.system_attrs)
    study = getattr(trial, "study", None)
    number = getattr(trial, "number", None)
    if study is None or not isinstance(number, int):
        raise TypeError(f"trial={trial!r} must be a Trial or a FrozenTrial")
    (record,) = study.storage.trials(study.study_name, [number])
    return dict(record.system_attrs)


class RetryHeartbeatStaleTrialCallback:
    """Retry a trial whose worker stopped renewing its lease, up to ``max_retry`` times.

    Pass it as ``RDBStorage(heartbeat_stale_trial_callback=...)``: the study then retries
    stale trials that many times (None: without limit). Each retry runs with the stale
    trial's parameters; :meth:`retried_trial_number` and :meth:`retry_history` tell an
    objective which trial it re-runs, e.g. to load that trial's last checkpoint.

    Args:
        max_retry: How often one trial may be retried; None for no limit.
        inherit_intermediate_values: Must be False: a tunecraft retry starts with no reports
            (it resumes from a checkpoint the objective saved, if any).
    """

    def __init__(self, max_retry: int | None = None,
                 inherit_intermediate_values: bool = False) -> None:
        if max_retry is not None and (isinstance(max_retry, bool) or not isinstance(
                max_retry, int) or max_retry < 0):
            raise ValueError(f"max_retry={max_retry!r} must be None (no limit) or an integer "
                             ">= 0")
        if inherit_intermediate_values:
            raise ValueError("inherit_intermediate_values=True is not supported: a tunecraft "
                             "retry starts with no reports; save a checkpoint with its step "
                             "and resume from it (see RetryHeartbeatStaleTrialCallback."
                             "retry_history)")
        self._max_retry = max_retry
        self._inherit_intermediate_values = False

    @property
    def max_retries(self) -> int:
        """``max_retry`` as the study's ``max_retries`` (no limit: ``sys.maxsize``)."""
        return sys.maxsize if self._max_retry is None else self._max_retry

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        """Queue a retry of ``trial`` in ``study`` by hand (a WAITING trial with its
        parameters, user attributes and lineage), unless it was retried ``max_retry`` times.

        A study whose storage was given this callback calls nothing: its workers retry stale
        trials themselves.
        """
        from tunecraft.trial import create_trial

        history = [*self.retry_history(trial), trial.number]
        if len(history) > self.max_retries:
            return
        system_attrs = {RETRY_OF_KEY: trial.number, ATTEMPT_KEY: len(history),
                        RETRY_HISTORY_KEY: history}
        study.add_trial(create_trial(
            state=TrialState.WAITING, params=thaw(trial.params),
            distributions=dict(trial.distributions), user_attrs=thaw(trial.user_attrs),
            system_attrs=system_attrs))

    @staticmethod
    def retried_trial_number(trial: Any) -> int | None:
        """The number of the original trial that ``trial`` (a live Trial or a FrozenTrial)
        retries, following retries of retries back to the first; None if it is no retry."""
        history = RetryHeartbeatStaleTrialCallback.retry_history(trial)
        return history[0] if history else None

    @staticmethod
    def retry_history(trial: Any) -> list[int]:
        """The numbers of the trials that ``trial`` retries, ascending: the original first,
        the trial it directly retries last; empty if it is no retry."""
        attrs = _system_attrs(trial)
        history = attrs.get(RETRY_HISTORY_KEY)
        if history is not None:
            return [int(n) for n in history]
        # a retry recorded before retry_history existed knows only the trial it retries
        return [] if attrs.get(RETRY_OF_KEY) is None else [int(attrs[RETRY_OF_KEY])]


class RetryFailedTrialCallback(RetryHeartbeatStaleTrialCallback):
    """Deprecated (as in Optuna 4.9): :class:`RetryHeartbeatStaleTrialCallback`."""

    def __init__(self, max_retry: int | None = None,
                 inherit_intermediate_values: bool = False) -> None:
        warnings.warn("RetryFailedTrialCallback is deprecated (as in Optuna 4.9) and will be "
                      f"removed in {REMOVED_IN}; use RetryHeartbeatStaleTrialCallback instead.",
                      FutureWarning, stacklevel=2)
        super().__init__(max_retry, inherit_intermediate_values)


__all__ = ["RetryFailedTrialCallback", "RetryHeartbeatStaleTrialCallback"]
