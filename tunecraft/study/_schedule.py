"""The study's side of schedulers: queue promotions, start trials in their bracket with their
predecessor's reports, give samplers their view of the history, delete unneeded checkpoints.

Pruners only read the History; everything they decide is written here, by the study.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tunecraft.artifacts import collect_checkpoints
from tunecraft.history import History
from tunecraft.pruners.base import BasePruner
from tunecraft.record import FrozenTrial, thaw
from tunecraft.storage.events import Event, EventKind
from tunecraft.system_attrs import (
    BRACKET_KEY,
    BUDGET_KEY,
    FIXED_PARAMS_KEY,
    INHERITED_KEYS,
    RESUME_KEY,
    RETRY_OF_KEY,
    Budget,
    ResumeInfo,
    checkpoint_of,
    heads,
    lineage,
)

if TYPE_CHECKING:
    from tunecraft.study.study import Study


@dataclass(frozen=True, slots=True)
class Start:
    """What a trial starts with: events to write, its budget, where it resumes from, and the
    steps already reported (copied from its source)."""

    events: list[Event]
    budget: Budget | None
    resume: ResumeInfo | None
    steps: frozenset[int]


def enqueue_promotion(study: Study) -> None:
    """Queue the continuation the pruner orders, once per paused trial (whatever the number
    of workers asking at the same time)."""
    if type(study.pruner).promote is BasePruner.promote:
        return  # this pruner never promotes: skip reading the history
    history = study.history()
    order = study.pruner.promote(history)
    if order is None:
        return
    parent = history.trial(order.trial)
    source = history.trial(order.source)
    ckpt = checkpoint_of(source)
    key = ckpt[0] if ckpt is not None and ckpt[1] == order.step else None
    info = ResumeInfo(order.trial, order.source, order.step, key, lineage(parent))
    attrs: dict[str, Any] = {k: thaw(parent.system_attrs[k]) for k in INHERITED_KEYS
                             if k in parent.system_attrs}
    attrs.update({FIXED_PARAMS_KEY: thaw(dict(order.params)), RESUME_KEY: info.to_json(),
                  **thaw(dict(order.attrs))})
    study.storage.enqueue_trials(study.study_name, [attrs], once_key=f"resume:{order.trial}")


def _inherit_from_retried(record: FrozenTrial, history: History) -> dict[str, Any]:
    """A retry of a scheduled trial continues its chain: same budget, same resume point (or
    from scratch, superseding the trial it re-runs)."""
    retried = record.system_attrs.get(RETRY_OF_KEY)
    if retried is None or RESUME_KEY in record.system_attrs:
        return {}
    old = history.trial(int(retried))
    if not any(k in old.system_attrs for k in (RESUME_KEY, BUDGET_KEY)):
        return {}
    out = {k: thaw(old.system_attrs[k]) for k in INHERITED_KEYS if k in old.system_attrs}
    raw = old.system_attrs.get(RESUME_KEY)
    out[RESUME_KEY] = (thaw(raw) if raw is not None else
                       ResumeInfo(old.number, old.number, -1, None, lineage(old)).to_json())
    return out


def start(study: Study, record: FrozenTrial, history: History) -> Start:
    """Budget, resume point and the events that set them up for trial ``record``."""
    number = record.number
    attrs = dict(record.system_attrs)
    inherited = _inherit_from_retried(record, history)
    events = [Event(number, EventKind.SYSTEM_ATTR, {"key": k, "value": v})
              for k, v in inherited.items()]
    attrs.update(inherited)
    budget = Budget.from_json(attrs[BUDGET_KEY]) if BUDGET_KEY in attrs else None
    if budget is None:
        budget = study.pruner.allocate(number, history)
        if budget is not None:
            events += [Event(number, EventKind.SYSTEM_ATTR,
                             {"key": BUDGET_KEY, "value": budget.to_json()}),
                       Event(number, EventKind.SYSTEM_ATTR,
                             {"key": BRACKET_KEY, "value": budget.bracket})]
    info = ResumeInfo.from_json(attrs[RESUME_KEY]) if RESUME_KEY in attrs else None
    steps: set[int] = set()
    if info is not None and info.step >= 0:
        source = history.trial(info.source)
        for s, v in source.intermediate_values.items():
            if s <= info.step:
                events.append(Event(number, EventKind.REPORT, {"step": s, "value": v}))
                steps.add(s)
        for s, vec in source.intermediate_vectors.items():
            if s <= info.step:
                events.append(Event(number, EventKind.REPORT, {"step": s, "values": list(vec)}))
                steps.add(s)
    return Start(events, budget, info, frozenset(steps))


def sampler_view(study: Study, history: History, budget: Budget | None) -> History:
    """What the sampler learns from: one record per configuration (a paused trial that was
    continued is left out), and only the trial's bracket unless the sampler models budgets
    itself (``multi_fidelity``)."""
    view = heads(history)
    if budget is not None and not study.sampler.multi_fidelity:
        same = view.where(**{BRACKET_KEY: budget.bracket})
        if len(same) != len(view):
            view = same
    return view


def collect(study: Study) -> None:
    """Delete the checkpoints that the pruner no longer needs."""
    store = study._artifacts
    if store is None:
        return
    history = study.history()
    collect_checkpoints(store, study.study_name, study.pruner.keep_checkpoints(history),
                        len(history.trials))
