"""The study's side of lost leases: reaping the trials of vanished workers, and dropping the
late result of a trial whose lease this worker lost.

The lease keeper (the thread that renews the leases of the trials this process runs) is
:mod:`tunecraft.execution.leases`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tunecraft.record import FrozenTrial, TrialState
from tunecraft.storage.base import Reaped

if TYPE_CHECKING:
    from tunecraft.study.study import Study

logger = logging.getLogger("tunecraft")


def reap(study: Study) -> list[Reaped]:
    """Mark STALE the trials of ``study`` whose workers are gone, queueing retries by the
    study's policy (``study.max_retries``); logs each one."""
    reaped = study.storage.reap_stale(study.study_name, max_retries=study.max_retries)
    for r in reaped:
        then = (f"retried as trial {r.retry}" if r.retry is not None
                else f"not retried (max_retries={study.max_retries} reached)")
        logger.warning("Trial %d is stale: %s; %s.", r.number, r.reason, then)
    return reaped


def drop_late_result(current: FrozenTrial, state: TrialState) -> FrozenTrial:
    """Log and drop the result of a trial whose lease was lost; return the stored record.

    Happens when this worker was presumed dead (suspended, partitioned, or a duplicate run by
    an engine that re-executes tasks): the trial is STALE (its retry may be running) or held
    by another worker. Never raised at the user, never recorded twice.
    """
    logger.warning("Trial %d lost its lease while it ran here (now %s%s); this worker's %s "
                   "result is dropped.", current.number, current.state.name,
                   f": {current.fail_reason}" if current.fail_reason else "", state.name)
    return current
