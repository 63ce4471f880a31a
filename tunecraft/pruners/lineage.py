"""Which checkpoints a scheduler keeps: the default policy over chains of paused trials.

The records of paused trials and their continuations (``paused``, ``checkpoint``, ``resume``,
``budget``/``bracket``) and the queries over them live in :mod:`tunecraft.system_attrs`, the
study's record schema; they are re-exported here for code written against this module.
"""

from __future__ import annotations

from tunecraft.history import History
from tunecraft.system_attrs import (
    BRACKET_KEY,
    BUDGET_KEY,
    CHECKPOINT_KEY,
    PAUSED_KEY,
    RESUME_KEY,
    ResumeInfo,
    budget_of,
    checkpoint_of,
    heads,
    lineage,
    newest_per_lineage,
    paused_step,
    resume_info,
    superseded,
)

__all__ = ["BRACKET_KEY", "BUDGET_KEY", "CHECKPOINT_KEY", "PAUSED_KEY", "RESUME_KEY",
           "ResumeInfo", "budget_of", "checkpoint_of", "default_keep", "heads", "lineage",
           "newest_per_lineage", "paused_step", "resume_info", "superseded"]


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
