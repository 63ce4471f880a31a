"""Parallel workers that sample the same history at once never evaluate the same point twice.

A model-based sampler is deterministic in its history: two workers that read the study at the
same moment (before either published its proposal) choose the same optimum. Publishing is a
compare-and-append: a proposal equal to one published after the sampler's snapshot is refused,
and the trial samples again, now seeing the other proposal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import tunecraft
from tunecraft.exceptions import TrialFinishedError
from tunecraft.history import History
from tunecraft.record import TrialState
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Float, Space
from tunecraft.storage.base import PROPOSAL, Storage
from tunecraft.storage.memory import InMemoryStorage
from tunecraft.storage.sql import SQLStorage
from tunecraft.testing import unique_name


class Deterministic(BaseSampler):
    """Proposes 0.5 plus 0.1 per proposal it can see: the same point for the same history,
    like a model's optimum. ``meanwhile`` runs inside the first sampling (another worker)."""

    def __init__(self, meanwhile: Callable[[], None] | None = None) -> None:
        super().__init__(seed=0)
        self.meanwhile = meanwhile

    def joint_space(self, history: History) -> Space:
        return {"x": Float(0.0, 1.0)}

    def sample_joint(self, space: Space, history: History, rng: np.random.Generator,
                     number: int) -> tuple[dict[str, Any], dict[str, Any]]:
        if self.meanwhile is not None:
            other, self.meanwhile = self.meanwhile, None
            other()
        seen = sum(1 for t in history.trials if t.number != number
                   and (PROPOSAL in t.system_attrs or t.params))
        return {"x": round(0.5 + 0.1 * seen, 6)}, {}


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Storage]:
    if request.param == "memory":
        opened: Storage = InMemoryStorage()
    elif request.param == "sqlite":
        opened = SQLStorage(f"sqlite:///{tmp_path / 'p.db'}")
    else:
        opened = SQLStorage(request.getfixturevalue("pg_url"))
    try:
        yield opened
    finally:
        opened.close()


def test_a_point_published_meanwhile_is_not_proposed_again(storage: Storage) -> None:
    name = unique_name()
    tunecraft.create_study(storage=storage, study_name=name)
    other = tunecraft.load_study(study_name=name, storage=storage, sampler=Deterministic())
    asked: list[tunecraft.Trial] = []
    study = tunecraft.load_study(study_name=name, storage=storage,
                                 sampler=Deterministic(lambda: asked.append(other.ask())))
    first = study.ask()  # samples 0.5; meanwhile `other` sampled 0.5 too and published first
    second = asked[0]
    x1 = first.suggest_float("x", 0.0, 1.0)
    x2 = second.suggest_float("x", 0.0, 1.0)
    assert (second.number, x2) == (1, 0.5)
    assert (first.number, x1) == (0, 0.6)  # sampled again, seeing trial 1's proposal
    study.tell(first, x1)
    other.tell(second, x2)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2


def test_publish_refuses_only_proposals_published_after_the_snapshot(storage: Storage
                                                                      ) -> None:
    from tunecraft.storage.events import Event, EventKind

    name = unique_name()
    tunecraft.create_study(storage=storage, study_name=name)
    a = storage.create_trial(name, token="a")
    before = storage.history(name).cursor
    b = storage.create_trial(name, token="b")

    def proposal(n: int, x: float) -> list[Event]:
        return [Event(n, EventKind.SYSTEM_ATTR, {"key": PROPOSAL, "value": {"x": x}})]

    assert storage.publish(name, b, proposal(b, 0.5), {"x": 0.5}, since=before, token="b")
    assert not storage.publish(name, a, proposal(a, 0.5), {"x": 0.5}, since=before, token="a")
    assert PROPOSAL not in storage.history(name).trial(a).system_attrs  # nothing written
    assert storage.publish(name, a, proposal(a, 0.7), {"x": 0.7}, since=before, token="a")
    now = storage.history(name).cursor  # trial b's proposal is in the snapshot: allowed
    c = storage.create_trial(name, token="c")
    assert storage.publish(name, c, proposal(c, 0.5), {"x": 0.5}, since=now, token="c")
    with pytest.raises(TrialFinishedError):
        storage.publish(name, c, proposal(c, 0.9), {"x": 0.9}, since=now, token="not-c")
