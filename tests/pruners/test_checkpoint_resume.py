"""The artifact store and the study's side of pause and resume: where checkpoints live, when
they are deleted, what a continuation starts with, and retries of scheduled trials."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import tunecraft
from tests._curves import make_objective
from tunecraft import FrozenTrial, History, TrialState
from tunecraft.artifacts import ArtifactStore, as_store, checkpoint_key, collect_checkpoints
from tunecraft.pruners import BasePruner, Budget, Decision, Resume, SuccessiveHalvingPruner
from tunecraft.pruners.lineage import default_keep, heads, paused_step, superseded
from tunecraft.record import freeze
from tunecraft.samplers import RandomSampler
from tunecraft.storage import InMemoryStorage
from tunecraft.study import _schedule


def test_the_store_writes_atomically_and_lists_and_deletes(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "a")
    key = checkpoint_key("my study/1", 3, 9)
    assert key == "my%20study%2F1/3/9.ckpt"
    assert not store.exists(key) and not (tmp_path / "a").exists()  # created on first put
    store.put(key, b"one")
    store.put(key, b"two")  # replaced
    assert store.get(key) == b"two" and store.exists(key)
    assert store.children("my%20study%2F1") == ["3"]
    assert list(store.path("my%20study%2F1/3").iterdir()) == [store.path(key)]  # no temp files
    assert store.delete("my%20study%2F1/3") and not store.exists(key)
    assert not store.delete("my%20study%2F1/3")
    with pytest.raises(KeyError, match="no artifact"):
        store.get(key)
    for bad in ("", "../x", "a//b", "a/./b", "a b"):
        with pytest.raises(ValueError, match="artifact key"):
            store.path(bad)
    with pytest.raises(TypeError, match="bytes"):
        store.put("k", "text")  # type: ignore[arg-type]
    assert checkpoint_key("..", 0, 0).startswith("%")  # a study name is one safe segment


def test_default_locations(tmp_path: Path) -> None:
    sqlite = tunecraft.create_study(storage=f"sqlite:///{tmp_path / 'x.db'}")
    assert sqlite.artifacts.root == (tmp_path / "x.db.artifacts").resolve()
    memory = tunecraft.create_study()
    root = memory.artifacts.root
    assert root.name.startswith("tunecraft-artifacts-")
    url = f"sqlite:///{tmp_path / 'y.db'}"
    chosen = tunecraft.create_study(storage=url, study_name="c", artifacts=tmp_path / "ckpt")
    assert chosen.artifacts == ArtifactStore(tmp_path / "ckpt")
    # a later session uses the folder it is given; the one recorded in the study is never
    # taken from the database (it is named in a warning instead)
    again = tunecraft.load_study(study_name="c", storage=url, artifacts=tmp_path / "ckpt")
    assert again.artifacts == chosen.artifacts
    assert as_store(ArtifactStore(tmp_path), InMemoryStorage()) == ArtifactStore(tmp_path)
    with pytest.raises(TypeError, match="artifacts=3"):
        tunecraft.create_study(artifacts=3)  # type: ignore[arg-type]


def trial(number: int, state: TrialState, **attrs: Any) -> FrozenTrial:
    return FrozenTrial(number=number, state=state, params=freeze({"x": 0.5}),
                       intermediate_values=freeze({1: 0.4, 2: 0.3, 3: 0.2}),
                       system_attrs=freeze(attrs))


def resume(parent: int, step: int = 2, lineage: int = 0, source: int | None = None
           ) -> dict[str, Any]:
    return {"trial": parent, "source": parent if source is None else source, "step": step,
            "checkpoint": None, "lineage": lineage}


def test_lineage_heads_and_what_is_kept() -> None:
    trials = [trial(0, TrialState.PRUNED, paused=2),
              trial(1, TrialState.COMPLETE, resume=resume(0)),
              trial(2, TrialState.PRUNED, paused=1),
              trial(3, TrialState.RUNNING, resume=resume(2, 1, 2)),
              trial(4, TrialState.PRUNED, paused=1),
              trial(5, TrialState.PRUNED)]
    h = History(trials, (tunecraft.StudyDirection.MINIMIZE,))
    assert superseded(h.trials) == {0, 2}
    assert [t.number for t in heads(h).trials] == [1, 3, 4, 5]
    assert heads(History(trials[4:], h.directions)).trials == tuple(trials[4:])  # same object
    assert [paused_step(t) for t in trials] == [2, None, 1, None, 1, None]
    # running 3 and the trial it loads (2); paused 4, not continued yet
    assert default_keep(h) == {2, 3, 4}


def test_collect_spares_unknown_and_kept_trials(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    for n in (0, 1, 2, 7):
        store.put(checkpoint_key("s", n, 1), b"x")
    assert collect_checkpoints(store, "s", keep={1}, known=5) == [0, 2]
    assert store.children("s") == ["1", "7"]  # 7 is newer than the caller's history


class PauseOnce(BasePruner):
    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        fresh = "resume" not in trial.system_attrs
        return Decision.PAUSE if fresh and trial.last_step == 2 else Decision.CONTINUE

    def allocate(self, number: int, history: History) -> Budget | None:
        return Budget(1, 2, 5, (2,))

    def promote(self, history: History) -> Resume | None:
        for t in history.trials:
            if paused_step(t) is not None and t.number not in superseded(history.trials):
                return Resume(t.number, t.number, 2, dict(t.params), {"note": "hi"})
        return None


def test_a_promotion_is_queued_once_with_its_parents_bracket_and_reports() -> None:
    study = tunecraft.create_study(sampler=RandomSampler(seed=0), pruner=PauseOnce())
    study.optimize(make_objective(5), n_trials=1)
    paused = study.trials[0]
    assert paused.state is TrialState.PRUNED and paused.system_attrs["paused"] == 2
    assert paused.system_attrs["bracket"] == 1
    for _ in range(3):  # however often the study asks, one continuation
        _schedule.enqueue_promotion(study)
    waiting = [t for t in study.trials if t.state is TrialState.WAITING]
    assert len(waiting) == 1
    attrs = waiting[0].system_attrs
    assert attrs["bracket"] == 1 and attrs["note"] == "hi"
    assert dict(attrs["fixed_params"]) == dict(paused.params)
    assert attrs["resume"]["checkpoint"] == paused.system_attrs["checkpoint"]["key"]
    t = study.ask()
    assert t.number == waiting[0].number
    assert t.suggest_float("x", 0.0, 1.0) == paused.params["x"]  # fixed to the parent's
    assert t.resumed_from is not None and t.resumed_from.step == 2
    assert t.budget == Budget(1, 2, 5, (2,))
    assert json.loads(t.load_checkpoint() or b"{}") == {"step": 2}
    record = study.trials[t.number]
    assert dict(record.intermediate_values) == dict(paused.intermediate_values)  # copied
    t.report(9.9, 2)  # a copied step keeps its value
    assert study.trials[t.number].intermediate_values[2] == paused.intermediate_values[2]


def test_a_retry_of_a_continuation_continues_the_same_chain() -> None:
    study = tunecraft.create_study(pruner=SuccessiveHalvingPruner(1, 2, pause=True))
    old = trial(1, TrialState.STALE, resume=resume(0), bracket=0,
                budget={"bracket": 0, "min_resource": 1, "max_resource": None, "rungs": [1]})
    retry = FrozenTrial(number=2, state=TrialState.RUNNING,
                        system_attrs=freeze({"retry_of": 1, "fixed_params": {"x": 0.5}}))
    parent = trial(0, TrialState.PRUNED, paused=2)
    h = History([parent, old, retry], (tunecraft.StudyDirection.MINIMIZE,))
    begun = _schedule.start(study, retry, h)
    assert begun.resume is not None and (begun.resume.trial, begun.resume.step) == (0, 2)
    assert begun.budget == Budget(0, 1, None, (1,))
    assert begun.steps == {1, 2}
    fresh_old = trial(1, TrialState.STALE, bracket=0, budget=dict(old.system_attrs["budget"]))
    begun = _schedule.start(study, retry, History([parent, fresh_old, retry], h.directions))
    assert begun.resume is not None and begun.resume.step == -1 and begun.resume.lineage == 1
    assert begun.steps == frozenset()  # from scratch, superseding the stale trial
    plain = trial(1, TrialState.STALE)
    assert _schedule.start(study, retry, History([parent, plain, retry],
                                                 h.directions)).resume is None
