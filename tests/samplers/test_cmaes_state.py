"""CmaEsSampler keeps its optimizer and a trial index between asks: the same trials as a replay
of the history, constant work per ask, and a rebuild whenever the history is not the one it
indexed (a new process, another study, a filtered view)."""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np
import pytest

import tunecraft as tc
from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers import _cma_index
from tunecraft.samplers.cmaes import GENERATION_KEY, STATE_KEY, X_KEY, CmaEsSampler
from tunecraft.space import Categorical, Float, Int

pytest.importorskip("cmaes")


def objective(trial: tc.Trial) -> float:
    xs = [trial.suggest_float(f"x{i}", -3, 7) for i in range(3)]
    n = trial.suggest_int("n", -5, 5)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    if trial.number % 13 == 4:
        raise tc.TrialPruned()
    return sum(x * x for x in xs) + (n - 2) ** 2 + (kind == "a")


def _run(sampler: CmaEsSampler, n: int, *, forget: bool = False) -> list[dict[str, Any]]:
    """Ask and tell ``n`` trials; ``forget`` drops the sampler's caches before every ask, as
    a new process would (the replaying behaviour)."""
    study = tc.create_study(sampler=sampler, pruner=tc.pruners.NopPruner())
    for _ in range(n):
        if forget:
            sampler._init_cache()
        trial = study.ask()
        try:
            study.tell(trial, objective(trial))
        except tc.TrialPruned:
            study.tell(trial, state=tc.TrialState.PRUNED)
    return [dict(t.params) for t in study.trials]


def test_kept_state_gives_the_trials_of_a_replay() -> None:
    assert _run(CmaEsSampler(seed=4, popsize=5), 120) == \
        _run(CmaEsSampler(seed=4, popsize=5), 120, forget=True)


def test_a_pickled_copy_continues_identically() -> None:
    sampler = CmaEsSampler(seed=1)
    study = tc.create_study(sampler=sampler, pruner=tc.pruners.NopPruner())
    study.optimize(objective, n_trials=30)
    copy = pickle.loads(pickle.dumps(sampler))
    assert copy._index is None and copy._live == {}
    history = study.history()
    number = len(history.trials)
    rng = sampler.rng(number)
    space = sampler.joint_space(history)
    a = sampler.sample_joint(space, history, rng, number)
    b = copy.sample_joint(copy.joint_space(history), history, copy.rng(number), number)
    assert a[0] == b[0] and a[1][X_KEY] == b[1][X_KEY]


def test_one_sampler_on_two_studies_matches_two_samplers() -> None:
    shared = CmaEsSampler(seed=2, popsize=4)
    studies = [tc.create_study(sampler=shared, pruner=tc.pruners.NopPruner()) for _ in range(2)]
    for _ in range(40):  # alternate: the index must notice the other study and rebuild
        studies[0].optimize(lambda t: -objective(t), n_trials=1)  # a different run
        studies[1].optimize(objective, n_trials=1)
    alone = tc.create_study(sampler=CmaEsSampler(seed=2, popsize=4),
                            pruner=tc.pruners.NopPruner())
    alone.optimize(objective, n_trials=40)
    expected = [dict(t.params) for t in alone.trials]
    assert [dict(t.params) for t in studies[1].trials] == expected


def test_late_asks_read_only_new_and_unfinished_trials(monkeypatch: pytest.MonkeyPatch) -> None:
    sampler = CmaEsSampler(seed=0)
    study = tc.create_study(sampler=sampler, pruner=tc.pruners.NopPruner())
    study.optimize(objective, n_trials=150)
    reads: list[int] = []
    real_read = _cma_index.TrialIndex._read

    def counting(self: _cma_index.TrialIndex, pos: int, t: FrozenTrial) -> None:
        reads.append(pos)
        real_read(self, pos, t)

    def refuse(self: History) -> Any:
        raise AssertionError("a full scan of the history")

    monkeypatch.setattr(_cma_index.TrialIndex, "_read", counting)
    monkeypatch.setattr(History, "complete", refuse)
    monkeypatch.setattr(History, "intersection_space", refuse)
    for _ in range(20):
        history = study.history()
        number = len(history.trials)
        reads.clear()
        space = sampler.joint_space(history)
        sampler.sample_joint(space, history, sampler.rng(number), number)
        assert len(reads) <= 2  # the trial told since the last ask, and no other
        monkeypatch.undo()
        trial = study.ask()
        study.tell(trial, 1.0 + sum(v for v in trial.params.values() if isinstance(v, float)))
        monkeypatch.setattr(_cma_index.TrialIndex, "_read", counting)
        monkeypatch.setattr(History, "complete", refuse)
        monkeypatch.setattr(History, "intersection_space", refuse)


def _trial(number: int, state: TrialState, dists: dict[str, Any], value: float | None,
           attrs: dict[str, Any] | None = None) -> FrozenTrial:
    params = {k: (d.choices[0] if isinstance(d, Categorical) else d.low) for k, d in dists.items()}
    return FrozenTrial(number=number, state=state, params=params, distributions=dists,
                       values=None if value is None else (value,), system_attrs=attrs or {})


def test_index_equals_a_full_scan_as_trials_finish_out_of_order() -> None:
    rng = np.random.default_rng(0)
    dims: list[dict[str, Any]] = [{"a": Float(0, 1), "b": Int(0, 3)}, {"a": Float(0, 1)},
                                  {"a": Float(0, 2), "b": Int(0, 3)}]
    trials: list[FrozenTrial] = []
    index = _cma_index.TrialIndex(GENERATION_KEY, X_KEY, STATE_KEY)
    for step in range(120):
        if rng.random() < 0.6 or not trials:  # a new running trial, tagged with a generation
            gen = int(rng.integers(0, 4))
            attrs = {GENERATION_KEY: gen, X_KEY: [0.5]}
            if rng.random() < 0.2:
                attrs[STATE_KEY] = {"space": "s", "state": {}}
            trials.append(_trial(len(trials), TrialState.RUNNING,
                                 dims[int(rng.integers(0, 3))], None, attrs))
        else:  # finish a random running trial (any order), sometimes with an infinite loss
            running = [t for t in trials if t.state is TrialState.RUNNING]
            if running:
                t = running[int(rng.integers(0, len(running)))]
                state = [TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED][
                    int(rng.integers(0, 3))]
                value = (math.inf if rng.random() < 0.1 else float(step)) \
                    if state is TrialState.COMPLETE else None
                trials[t.number] = _trial(t.number, state, dict(t.distributions), value,
                                          dict(t.system_attrs))
        history = History(trials, [tc.StudyDirection.MINIMIZE])
        index.update(history)
        assert index.intersection() == history.intersection_space()
        assert index.n_complete == len(history.complete())
        for gen in range(4):
            assert index.generation(gen) == [t.number for t in trials
                                            if t.system_attrs.get(GENERATION_KEY) == gen]
        holders = [(t.system_attrs[GENERATION_KEY], t.number) for t in trials
                   if STATE_KEY in t.system_attrs]
        newest = max(holders, key=lambda h: (h[0], -h[1]), default=None)
        assert index.latest("s") == newest


def test_a_filtered_view_is_scanned_instead() -> None:
    history = History([_trial(0, TrialState.COMPLETE, {"a": Float(0, 1)}, 1.0),
                       _trial(2, TrialState.COMPLETE, {"a": Float(0, 1)}, 2.0)],
                      [tc.StudyDirection.MINIMIZE])
    assert _cma_index.indexed(None, history, (GENERATION_KEY, X_KEY, STATE_KEY)) is None
    sampler = CmaEsSampler(seed=0)
    assert sampler.joint_space(history) == {"a": Float(0, 1)}
    values, attrs = sampler.sample_joint({"a": Float(0, 1)}, history, sampler.rng(3), 3)
    assert 0 <= values["a"] <= 1 and STATE_KEY in attrs


def test_index_rebuilds_for_a_history_of_another_study() -> None:
    index = _cma_index.TrialIndex(GENERATION_KEY, X_KEY, STATE_KEY)
    one = History([_trial(0, TrialState.COMPLETE, {"a": Float(0, 1)}, 1.0),
                   _trial(1, TrialState.RUNNING, {"a": Float(0, 1)}, None)],
                  [tc.StudyDirection.MINIMIZE])
    other = History([_trial(0, TrialState.COMPLETE, {"b": Float(0, 1)}, 1.0),
                     _trial(1, TrialState.RUNNING, {"b": Float(0, 1)}, None)],
                    [tc.StudyDirection.MINIMIZE])
    index.update(one)
    assert index.intersection() == {"a": Float(0, 1)}
    index.update(other)  # same length, no cursor: told apart by its first finished trial
    assert index.intersection() == {"b": Float(0, 1)}
    assert index.n_complete == 1
