"""What a running :class:`~tunecraft.trial.Trial` may do to its study, and nothing more.

A trial writes its own events under the lease that holds it, reads a fresh history (to check
a parameter's distribution and before asking the pruner), asks the pruner for a decision,
asks the sampler about a dimension its joint proposal did not cover, and keeps checkpoints
in the study's artifact store. The Study builds one :class:`TrialContext` per trial when it
begins it (``tunecraft/study/_begin.py``); the trial never reaches into the study's storage,
sampler or pruner itself. ``trial.study`` still returns the Study (Optuna's API).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from tunecraft.artifacts import ArtifactStore
    from tunecraft.decision import Decision
    from tunecraft.history import History
    from tunecraft.record import FrozenTrial
    from tunecraft.space import Space
    from tunecraft.storage.base import Storage
    from tunecraft.storage.events import Event
    from tunecraft.study.study import Study


@dataclass(frozen=True, slots=True)
class LeaseWriter:
    """Appends one RUNNING trial's events, presenting the token of the lease that holds it:
    a worker that lost the lease (presumed dead) gets TrialFinishedError instead of writing."""

    storage: Storage
    study_name: str
    number: int
    token: str | None

    def write(self, events: Sequence[Event]) -> None:
        """Append ``events`` now; TrialFinishedError when the trial is finished or the lease
        is held under another token."""
        self.storage.write(self.study_name, self.number, events, token=self.token)


@dataclass(frozen=True, slots=True)
class TrialContext:
    """The trial's narrow view of its study (module docstring)."""

    study: Study
    """Returned by ``trial.study`` (Optuna compatibility); the trial itself never uses it."""
    study_name: str
    n_objectives: int
    writer: LeaseWriter
    history: Callable[[], History]
    """A fresh snapshot of the study (reads only what changed since the last one)."""
    decide: Callable[[FrozenTrial, History], Decision]
    """The pruner's decision for this trial's record in that history."""
    sample: Callable[[Space, History, np.random.Generator, int], Mapping[str, Any]]
    """The sampler's values for dimensions outside the trial's joint proposal."""
    sampler_name: str
    """For messages that blame the sampler."""
    artifacts: Callable[[], ArtifactStore]
    """The study's artifact store (opened on first use)."""
