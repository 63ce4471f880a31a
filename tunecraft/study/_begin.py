"""Beginning a reserved trial: its schedule, the sampler's joint proposal (published so that
parallel workers see it), and the :class:`~tunecraft.trial.Trial` handle with its narrow
:class:`~tunecraft.trial_context.TrialContext`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tunecraft.storage.base import PROPOSAL
from tunecraft.storage.events import Event, EventKind
from tunecraft.study import _schedule
from tunecraft.system_attrs import FIXED_PARAMS_KEY
from tunecraft.trial import Trial
from tunecraft.trial_context import LeaseWriter, TrialContext

if TYPE_CHECKING:
    from tunecraft.study.study import Study

PUBLISH_TRIES = 3
"""How often a trial samples its joint proposal again when another worker published the same
point while it sampled; the last try is kept whatever it is (a small discrete space may
have no other point)."""


@dataclass(frozen=True, slots=True)
class Reservation:
    """A trial reserved by :meth:`Study.reserve <tunecraft.study.Study.reserve>`: RUNNING,
    leased under ``token``, not sampled yet. ``claimed``: a queued (WAITING) trial was taken,
    rather than a new one created."""

    number: int
    token: str
    claimed: bool


def context(study: Study, number: int, token: str | None) -> TrialContext:
    """What trial ``number`` of ``study`` may do, writing under ``token``; the sampler and
    the pruner are looked up when used (``study.sampler = ...`` between calls is seen)."""
    return TrialContext(
        study=study, study_name=study.study_name, n_objectives=len(study.directions),
        writer=LeaseWriter(study.storage, study.study_name, number, token),
        history=study.history,
        decide=lambda record, history: study.pruner.decide(record, history),
        sample=lambda space, history, rng, n: study.sampler.sample(space, history, rng, n),
        sampler_name=type(study.sampler).__name__,
        artifacts=lambda: study.artifacts)


def begin(study: Study, number: int, token: str | None) -> Trial:
    """Trial ``number`` (reserved under ``token``) with its budget and joint proposal."""
    storage = study.storage
    history = study.history()
    record = history.trial(number)
    fixed = dict(record.system_attrs.get(FIXED_PARAMS_KEY, {}))
    # a scheduler's bracket and resume point (with the reports resumed from)
    begun = _schedule.start(study, record, history)
    rng = study.sampler.rng(number)
    for attempt in range(PUBLISH_TRIES):
        view = _schedule.sampler_view(study, history, begun.budget)
        space = {k: d for k, d in study.sampler.joint_space(view).items() if k not in fixed}
        relative, attrs = (study.sampler.sample_joint(space, view, rng, number) if space
                           else ({}, {}))
        events = list(begun.events)
        if not relative:
            if events:
                storage.write(study.study_name, number, events, token=token)
            break
        # Publish the joint proposal at once, so that concurrent workers' samplers see
        # where this running trial is (the constant liar) before any report; with it go
        # the sampler's attributes (e.g. CMA-ES's generation and resumable state).
        events += [Event(number, EventKind.SYSTEM_ATTR, {"key": k, "value": v})
                   for k, v in {**attrs, PROPOSAL: relative}.items()]
        if attempt == PUBLISH_TRIES - 1:
            storage.write(study.study_name, number, events, token=token)
        elif storage.publish(study.study_name, number, events, relative,
                             since=history.cursor, token=token):
            break
        else:  # a worker that sampled the same history chose the same point first:
            history = study.history()  # sample again, seeing its proposal
    return Trial(context(study, number, token), number, history, fixed, space, relative, rng,
                 sampler_history=view, budget=begun.budget, resume=begun.resume,
                 reported_steps=begun.steps)
