"""Paused trials and their continuations: the system attributes that link them, and queries.

A scheduler that pauses a trial later continues it in a *new* trial (finished trials accept no
writes, so a paused trial is recorded as PRUNED and stays so). The records link up through
system attributes, all written by the study or the trial, never by a pruner:

- ``paused``: the step at which a trial was told PAUSE.
- ``checkpoint``: ``{"key", "step"}`` of the checkpoint the trial saved in the artifact store.
- ``resume``: on a continuation, ``{"trial", "source", "step", "checkpoint", "lineage"}``:
  the paused trial it continues, whose checkpoint it loads, the last step in that
  checkpoint, the checkpoint's key (None when there was none: the continuation retrains from
  scratch) and the lineage, the number of the first trial of the chain.
- ``budget`` / ``bracket``: the :class:`~tunecraft.pruners.base.Budget` a scheduler allocated
  (continuations inherit their parent's).

A continuation starts with a copy of its source's reports up to ``step``, so every trial's
curve is whole; a chain of trials is one configuration, counted once (by its newest trial).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tunecraft.history import History
from tunecraft.pruners.base import Budget
from tunecraft.record import FrozenTrial, TrialState

RESUME_KEY = "resume"
PAUSED_KEY = "paused"
CHECKPOINT_KEY = "checkpoint"
BUDGET_KEY = "budget"
BRACKET_KEY = "bracket"


@dataclass(frozen=True, slots=True)
class ResumeInfo:
    """Where a continuation trial starts (see the module docstring)."""

    trial: int
    source: int
    step: int
    checkpoint: str | None
    lineage: int

    def to_json(self) -> dict[str, Any]:
        return {"trial": self.trial, "source": self.source, "step": self.step,
                "checkpoint": self.checkpoint, "lineage": self.lineage}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResumeInfo:
        ckpt = data.get("checkpoint")
        return cls(int(data["trial"]), int(data["source"]), int(data["step"]),
                   None if ckpt is None else str(ckpt), int(data["lineage"]))


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


def default_keep(history: History) -> set[int]:
    """Trials whose checkpoints may still be loaded: running and queued trials (they may be
    saving one now), the trials those resume from, and paused trials not yet continued."""
    keep: set[int] = set()
    gone = superseded(history.trials)
    for t in history.trials:
        if not t.state.is_finished():
            keep.add(t.number)
            info = t.system_attrs.get(RESUME_KEY)
            if info is not None:
                keep.add(int(info["source"]))
        elif paused_step(t) is not None and t.number not in gone:
            keep.add(t.number)
    return keep
