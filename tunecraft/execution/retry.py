"""What a retried trial knows about the trial it retries: the hook for resuming a checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tunecraft.record import thaw
from tunecraft.storage.base import ATTEMPT, RESUME_CHECKPOINT, RETRY_OF

if TYPE_CHECKING:
    from tunecraft.trial import Trial


@dataclass(frozen=True, slots=True)
class RetryInfo:
    """A retry's origin: the stale trial it re-runs, its attempt (1 for the first retry) and
    the ``checkpoint`` system attribute that trial had written, if any."""

    retry_of: int
    attempt: int
    checkpoint: Any


def retry_info(trial: Trial) -> RetryInfo | None:
    """None for a first attempt; for a retry, where to resume from.

    A retry runs with the stale trial's parameters fixed. An objective (or, from issue #4 on,
    the checkpoint store) that records ``trial.control.set_system_attr("checkpoint", ref)`` as it
    trains gets that ``ref`` back here in its retry::

        info = retry_info(trial)
        start_epoch = load(info.checkpoint) if info and info.checkpoint else 0
    """
    attrs = trial.study.history().trial(trial.number).system_attrs
    if RETRY_OF not in attrs:
        return None
    return RetryInfo(int(attrs[RETRY_OF]), int(attrs.get(ATTEMPT, 1)),
                     thaw(attrs.get(RESUME_CHECKPOINT)))
