"""What a running :class:`~tunecraft.trial.Trial` may do to its study, and nothing more.

A trial writes its own events under the lease that holds it, reads a fresh history (to check
a parameter's distribution and before asking the pruner), asks the pruner for a decision,
asks the sampler about a dimension its joint proposal did not cover, and keeps checkpoints
in the study's artifact store. The Study builds one :class:`TrialContext` per trial when it
begins it (``tunecraft/study/_begin.py``); the trial never reaches into the study's storage,
sampler or pruner itself. ``trial.study`` still returns the Study (Optuna's API).

The other way round, :class:`TrialControl` (``trial.control``) is what the study, the
executors and the integrations may do to a running trial beyond the objective's API; they
touch no private name of the Trial.
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
    from tunecraft.space import Dim, Space
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


@dataclass(frozen=True, slots=True)
class TrialControl:
    """The study's side of a running trial (``trial.control``), not for objectives."""

    lease_token: str | None
    """The token of the lease the trial's writes present (``Study.tell`` presents it)."""
    suggest: Callable[[str, Dim], Any]
    """Suggest ``name`` with distribution ``dim`` (``Study.ask(fixed_distributions=...)``)."""
    set_system_attr: Callable[[str, Any], None]
    """Buffer a system attribute, written with the trial's next write (an executor's
    traceback, an Optuna artifact's record, a user's own checkpoint reference)."""
    close: Callable[[], list[Event]]
    """Close the trial to writes and return its unwritten events, which ``Study.tell``
    writes together with the final state."""
