"""The study's record schema: every system-attribute key tunecraft writes, and typed readers.

A trial's ``system_attrs`` is where the study, the trial, the storage and the schedulers leave
what the next reader needs: budgets, resume information, lineage, retries, proposals. Every
key is named here once, so that the packages that write and read one (``study``, ``trial``,
``storage``, ``samplers``, ``pruners``) agree on it by import, not by spelling, and none of
them imports another for it. The stored strings are part of the storage format: never change
one without a migration.

Scheduling (written by the study and the trial, never by a pruner):

- ``budget`` / ``bracket``: the :class:`Budget` a scheduler allocated (continuations and
  retries inherit their parent's).
- ``paused``: the step at which a trial was told PAUSE.
- ``checkpoint``: ``{"key", "step"}`` of the checkpoint the trial saved in the artifact store.
- ``resume``: on a continuation, a :class:`ResumeInfo`: the paused trial it continues, whose
  checkpoint it loads, the last step in that checkpoint, the checkpoint's key (None: the
  continuation retrains from scratch) and the lineage, the number of the chain's first trial.
- ``pbt``: population-based training's member and hyperparameter schedule.

Queue, retries and leases: ``fixed_params`` (parameters given to a WAITING trial),
``proposal`` (a RUNNING trial's joint proposal, published when it starts), ``retry_of`` /
``attempt`` / ``retried_by`` (a stale trial and its retry; ``retry_history``: the numbers of
the trials a retry re-runs, the original first), ``resume_checkpoint`` (the
``checkpoint`` a retry inherits), ``stop_requested`` (a driver-side decision to stop).
Results: ``constraints`` (constraint values, feasible when all <= 0), ``traceback`` (why a
trial failed).

A continuation starts with a copy of its source's reports up to its resume step, so every
trial's curve is whole; a chain of trials is one configuration, counted once (by its newest
trial).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tunecraft.history import History
from tunecraft.record import CONSTRAINTS_KEY, FrozenTrial, TrialState, thaw

BUDGET_KEY = "budget"
BRACKET_KEY = "bracket"
PAUSED_KEY = "paused"
CHECKPOINT_KEY = "checkpoint"
RESUME_KEY = "resume"
PBT_KEY = "pbt"
FIXED_PARAMS_KEY = "fixed_params"
PROPOSAL_KEY = "proposal"
RETRY_OF_KEY = "retry_of"
RETRY_HISTORY_KEY = "retry_history"
ATTEMPT_KEY = "attempt"
RETRIED_BY_KEY = "retried_by"
RESUME_CHECKPOINT_KEY = "resume_checkpoint"
STOP_REQUESTED_KEY = "stop_requested"
TRACEBACK_KEY = "traceback"

INHERITED_KEYS = (BUDGET_KEY, BRACKET_KEY, PBT_KEY)
"""What a continuation or a retry of a scheduled trial copies from its parent."""

ALL_KEYS = frozenset({BUDGET_KEY, BRACKET_KEY, PAUSED_KEY, CHECKPOINT_KEY, RESUME_KEY, PBT_KEY,
                      FIXED_PARAMS_KEY, PROPOSAL_KEY, RETRY_OF_KEY, RETRY_HISTORY_KEY, ATTEMPT_KEY,
                      RETRIED_BY_KEY, RESUME_CHECKPOINT_KEY, STOP_REQUESTED_KEY,
                      TRACEBACK_KEY, CONSTRAINTS_KEY})
"""Every key tunecraft itself writes (user code may add others)."""


@dataclass(frozen=True, slots=True)
class Budget:
    """What a scheduler gives a trial when it starts.

    Attributes:
        bracket: The trial's bracket; samplers see only the trials of the same bracket
            unless they model budgets themselves (``multi_fidelity``).
        min_resource: Steps before the trial's first decision.
        max_resource: Steps of a full run, or None when unknown.
        rungs: The steps at which the trial is decided (its milestones), ascending; a trainer
            can end a learning-rate schedule cycle at each (see ``fit(horizon="rungs")``).
    """

    bracket: int
    min_resource: int
    max_resource: int | None = None
    rungs: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain values for a system attribute."""
        return {"bracket": self.bracket, "min_resource": self.min_resource,
                "max_resource": self.max_resource, "rungs": list(self.rungs)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Budget:
        """Inverse of :meth:`to_json`."""
        return cls(int(data["bracket"]), int(data["min_resource"]),
                   None if data.get("max_resource") is None else int(data["max_resource"]),
                   tuple(int(r) for r in data.get("rungs", ())))


@dataclass(frozen=True, slots=True)
class ResumeInfo:
    """Where a continuation trial starts (see the module docstring)."""

    trial: int
    source: int
    step: int
    checkpoint: str | None
    lineage: int

    def to_json(self) -> dict[str, Any]:
        """Plain values for the ``resume`` system attribute."""
        return {"trial": self.trial, "source": self.source, "step": self.step,
                "checkpoint": self.checkpoint, "lineage": self.lineage}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResumeInfo:
        """Inverse of :meth:`to_json`."""
        ckpt = data.get("checkpoint")
        return cls(int(data["trial"]), int(data["source"]), int(data["step"]),
                   None if ckpt is None else str(ckpt), int(data["lineage"]))


# ---------------------------------------------------------------------- one trial
def resume_info(trial: FrozenTrial) -> ResumeInfo | None:
    """The trial's resume record, or None for a trial that starts from scratch."""
    raw = trial.system_attrs.get(RESUME_KEY)
    return None if raw is None else ResumeInfo.from_json(raw)


def lineage(trial: FrozenTrial) -> int:
    """The number of the first trial of the trial's chain of continuations."""
    raw = trial.system_attrs.get(RESUME_KEY)
    return trial.number if raw is None else int(raw["lineage"])


def budget_of(trial: FrozenTrial) -> Budget | None:
    """The budget a scheduler allocated to the trial, or None."""
    raw = trial.system_attrs.get(BUDGET_KEY)
    return None if raw is None else Budget.from_json(raw)


def paused_step(trial: FrozenTrial) -> int | None:
    """The step at which a finished trial was paused; None if it was not paused."""
    if trial.state is not TrialState.PRUNED:
        return None
    raw = trial.system_attrs.get(PAUSED_KEY)
    return None if raw is None else int(raw)


def checkpoint_of(trial: FrozenTrial) -> tuple[str, int] | None:
    """``(key, step)`` of the checkpoint the trial saved, or None."""
    raw = trial.system_attrs.get(CHECKPOINT_KEY)
    return None if raw is None else (str(raw["key"]), int(raw["step"]))


def fixed_params(trial: FrozenTrial) -> dict[str, Any]:
    """The parameters given to the trial before it ran (enqueued, promoted, retried), as
    plain values; empty when none were."""
    return dict(thaw(trial.system_attrs.get(FIXED_PARAMS_KEY, {})))


def retry_of(trial: FrozenTrial) -> int | None:
    """The number of the stale trial that this trial retries, or None."""
    raw = trial.system_attrs.get(RETRY_OF_KEY)
    return None if raw is None else int(raw)


# ---------------------------------------------------------------------- chains of trials
def superseded(trials: Iterable[FrozenTrial]) -> set[int]:
    """Numbers of the trials that a later trial continues."""
    out: set[int] = set()
    for t in trials:
        raw = t.system_attrs.get(RESUME_KEY)
        if raw is not None:
            out.add(int(raw["trial"]))
    return out


def heads(history: History) -> History:
    """The history without the trials that a later trial continues (``history`` itself when
    no trial is continued): what samplers learn from, one record per configuration."""
    if RESUME_KEY not in history.system_attr_keys():
        return history  # no trial continues another: known without a scan of every trial
    gone = superseded(history.trials)
    if not gone:
        return history
    return History([t for t in history.trials if t.number not in gone], history.directions)


def newest_per_lineage(trials: Iterable[FrozenTrial]) -> dict[int, FrozenTrial]:
    """Lineage -> its newest trial (the one with the largest number, whose reports include
    the copies of its predecessors')."""
    out: dict[int, FrozenTrial] = {}
    for t in trials:
        key = lineage(t)
        if key not in out or t.number > out[key].number:
            out[key] = t
    return out
