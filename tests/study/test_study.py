"""The study API: create/load/delete, ask/tell, enqueue, best trials, attributes, summaries."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import tunecraft
from tunecraft import (
    Categorical,
    DuplicatedStudyError,
    Float,
    IncompatibleSpace,
    Int,
    StudyDirection,
    StudyNotFound,
    TrialFinishedError,
    TrialState,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from tunecraft.exceptions import StorageError
from tunecraft.pruners import MedianPruner, NopPruner
from tunecraft.samplers import QMCSampler, RandomSampler
from tunecraft.storage import InMemoryStorage, get_storage, normalize_url
from tunecraft.storage.sql import SQLStorage
from tunecraft.study import Study

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE


def new_study(**kwargs: Any) -> Study:
    kwargs.setdefault("sampler", RandomSampler(seed=0))
    kwargs.setdefault("pruner", NopPruner())
    return create_study(**kwargs)


# ---------------------------------------------------------------------- create / load / delete
def test_create_study_defaults() -> None:
    from tunecraft.samplers.auto import AutoSampler

    study = create_study()
    assert study.study_name.startswith("study-") and study.directions == (MIN,)
    assert isinstance(study.sampler, AutoSampler) and isinstance(study.pruner, MedianPruner)
    assert isinstance(study.storage, InMemoryStorage)
    assert repr(study).startswith(f"Study(name={study.study_name!r}, directions=['minimize']")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"direction": "up"}, ValueError, "direction 'up' is not valid"),
    ({"direction": "minimize", "directions": ["minimize"]}, ValueError, "not both"),
    ({"directions": []}, ValueError, "non-empty list"),
    ({"directions": "minimize"}, ValueError, "non-empty list"),
    ({"study_name": "  "}, ValueError, "study name '  ' is empty; give a name with a visible"),
    ({"sampler": "tpe"}, TypeError, "sampler must be a tunecraft sampler"),
    ({"pruner": object()}, TypeError, "pruner must be a tunecraft pruner"),
    ({"storage": 3}, TypeError, "storage must be None, a path, a URL or a Storage"),
])
def test_create_study_validates(kwargs: dict[str, Any], error: type[Exception], match: str
                                ) -> None:
    with pytest.raises(error, match=match):
        new_study(**kwargs)


def test_create_load_and_delete(tmp_path: Path) -> None:
    path = str(tmp_path / "runs.db")
    study = new_study(storage=path, study_name="a", direction="maximize")
    study.tell(study.ask(), 1.0)
    with pytest.raises(DuplicatedStudyError, match="load_if_exists=True"):
        new_study(storage=path, study_name="a", direction="maximize")
    again = new_study(storage=path, study_name="a", direction="maximize", load_if_exists=True)
    assert len(again.trials) == 1 and again.direction is MAX
    with pytest.raises(ValueError, match=r"exists with directions \['maximize'\].*\['minimize'\]"):
        new_study(storage=path, study_name="a", load_if_exists=True)

    loaded = load_study(study_name=None, storage=path)  # the only study in the file
    assert loaded.study_name == "a" and loaded.best_value == 1.0
    new_study(storage=path, study_name="b", directions=["minimize", "maximize"])
    assert get_all_study_names(path) == ["a", "b"]
    with pytest.raises(ValueError, match=r"holds 2 studies; pass study_name="):
        load_study(study_name=None, storage=path)
    with pytest.raises(StudyNotFound, match=r"no study named 'c'.*\['a', 'b'\]"):
        load_study(study_name="c", storage=path)

    delete_study(study_name="a", storage=path)
    assert get_all_study_names(f"sqlite:///{path}") == ["b"]
    with pytest.raises(StudyNotFound):
        delete_study(study_name="a", storage=path)
    with pytest.raises(StudyNotFound, match="holds no study"):
        load_study(study_name="x", storage=InMemoryStorage())


def test_study_summaries() -> None:
    storage = InMemoryStorage()
    one = new_study(storage=storage, study_name="one")
    for v in (3.0, 1.0, 2.0):
        one.tell(one.ask(), v)
    one.tell(one.ask(), state=TrialState.FAIL)
    one.enqueue_trial({"x": 1})
    two = new_study(storage=storage, study_name="two", directions=["minimize", "maximize"])
    two.tell(two.ask(), [1.0, 2.0])
    new_study(storage=storage, study_name="empty")
    s1, s2, s3 = get_all_study_summaries(storage)
    assert (s1.study_name, s1.n_trials, s1.directions) == ("one", 5, (MIN,))
    assert s1.best_trial is not None and s1.best_trial.values == (1.0,)
    assert s1.state_counts[TrialState.COMPLETE] == 3 and s1.state_counts[TrialState.WAITING] == 1
    assert s1.datetime_start == one.trials[0].datetime_start
    assert s2.best_trial is None and s2.directions == (MIN, MAX)  # no single best
    assert (s3.n_trials, s3.best_trial, s3.datetime_start) == (0, None, None)


def test_storage_arguments(tmp_path: Path) -> None:
    assert normalize_url("runs/a.db") == "sqlite:///runs/a.db"
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:////abs/x.db") == "sqlite:////abs/x.db"
    with pytest.raises(ValueError, match="empty string"):
        normalize_url("  ")
    storage = InMemoryStorage()
    assert get_storage(storage) is storage and isinstance(get_storage(None), InMemoryStorage)
    with pytest.raises(ValueError, match="tunecraft supports sqlite:/// and postgresql"):
        get_storage("mysql://u@h/db")
    with pytest.raises(StorageError, match="folder .* does not exist"):
        get_storage(str(tmp_path / "missing" / "x.db"))
    sql = get_storage(str(tmp_path / "x.db"))
    assert isinstance(sql, SQLStorage) and os.path.exists(tmp_path / "x.db")
    assert repr(sql) == f"SQLStorage('sqlite:///{tmp_path / 'x.db'}')"
    sql.close()


@pytest.mark.postgres
def test_postgres_password_is_hidden_in_messages(pg_url: str) -> None:
    url = pg_url.replace("postgres@", "postgres:s3cret@", 1)  # trust auth ignores it
    storage = SQLStorage(url)
    try:
        assert "s3cret" not in repr(storage) and "***" in repr(storage)
        with pytest.raises(StudyNotFound) as info:
            storage.study_directions("missing")
        assert "s3cret" not in str(info.value) and "***" in str(info.value)
    finally:
        storage.close()


# ---------------------------------------------------------------------- ask / tell
def test_ask_and_tell() -> None:
    study = new_study()
    trial = study.ask()
    assert trial.number == 0 and trial.study is study
    x = trial.suggest_float("x", 0.0, 1.0)
    frozen = study.tell(trial, x * 2)
    assert frozen.state is TrialState.COMPLETE and frozen.values == (x * 2,)
    assert dict(frozen.params) == {"x": x} and frozen.distributions["x"] == Float(0.0, 1.0)
    assert frozen.datetime_start is not None and frozen.datetime_complete is not None

    second = study.ask()
    assert study.tell(second.number, [4.0]).values == (4.0,)  # by number, values as a list
    with pytest.raises(TrialFinishedError, match="already COMPLETE; pass skip_if_finished"):
        study.tell(second, 5.0)
    assert study.tell(second, 5.0, skip_if_finished=True).values == (4.0,)
    with pytest.raises(TrialFinishedError, match="finished"):
        trial.suggest_float("y", 0.0, 1.0)
    with pytest.raises(TrialFinishedError):
        trial.report(1.0, step=0)
    with pytest.raises(TrialFinishedError):
        trial.set_user_attr("k", 1)


@pytest.mark.parametrize("values, reason", [
    (float("nan"), "returned nan, which is not a number"),
    ([1.0, 2.0], "returned 2 value(s) but the study has 1 direction(s)"),
    ("1.0", "returned '1.0', which is not a number"),
    (True, "returned True, which is not a number"),
])
def test_tell_turns_bad_values_into_fail(values: Any, reason: str) -> None:
    study = new_study()
    frozen = study.tell(study.ask(), values)
    assert frozen.state is TrialState.FAIL and frozen.values is None
    assert frozen.fail_reason is not None and reason in frozen.fail_reason


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_infinite_values_complete_but_are_never_best(direction: str) -> None:
    """+-inf is a value (a loss that exploded), recorded COMPLETE by tell and by optimize
    alike, as Optuna does; NaN is no value (FAIL). An infinite value is never the best."""
    study = new_study(direction=direction)
    study.tell(study.ask(), 1.0)
    for value in (float("inf"), float("-inf")):
        frozen = study.tell(study.ask(), value)
        assert frozen.state is TrialState.COMPLETE and frozen.values == (value,)
    study.optimize(lambda t: float("inf"), n_trials=1)
    assert study.trials[-1].state is TrialState.COMPLETE
    assert study.best_value == 1.0


def test_tell_states() -> None:
    study = new_study()
    assert study.tell(study.ask(), state=TrialState.PRUNED).state is TrialState.PRUNED
    failed = study.tell(study.ask(), state=TrialState.FAIL, fail_reason="oom")
    assert (failed.state, failed.fail_reason) == (TrialState.FAIL, "oom")
    trial = study.ask()
    with pytest.raises(ValueError, match="needs values for a COMPLETE trial"):
        study.tell(trial)
    with pytest.raises(ValueError, match="takes no values for a PRUNED trial"):
        study.tell(trial, 1.0, state=TrialState.PRUNED)
    with pytest.raises(ValueError, match="needs a final state"):
        study.tell(trial, state=TrialState.RUNNING)
    with pytest.raises(TypeError, match="must be a Trial or a trial number"):
        study.tell(True, 1.0)  # type: ignore[arg-type]
    other = new_study()
    with pytest.raises(ValueError, match="belongs to study"):
        other.tell(trial, 1.0)
    assert study.trials[trial.number].state is TrialState.RUNNING  # all refused untouched


def test_multi_objective() -> None:
    study = new_study(directions=["minimize", "maximize"])
    for a, b in [(1.0, 1.0), (2.0, 3.0), (3.0, 2.0), (0.5, 0.5)]:
        study.tell(study.ask(), (a, b))
    assert sorted(t.values for t in study.best_trials) == [(0.5, 0.5), (1.0, 1.0), (2.0, 3.0)]
    with pytest.raises(RuntimeError, match="several objectives"):
        _ = study.direction
    with pytest.raises(RuntimeError, match="best_trials"):
        _ = study.best_trial
    trial = study.ask()
    with pytest.raises(ValueError, match="report a tuple of 2 numbers"):
        trial.report(1.0, step=0)
    trial.report((1.0, 2.0), step=0)  # one value per objective
    assert study.trials[trial.number].intermediate_vectors == {0: (1.0, 2.0)}


def test_ask_with_fixed_distributions() -> None:
    study = new_study()
    trial = study.ask({"x": Float(0, 1), "n": Int(1, 3), "c": Categorical(("a", "b"))})
    assert set(trial.params) == {"x", "n", "c"}
    assert trial.suggest_int("n", 1, 3) == trial.params["n"]


def test_running_trials_publish_their_joint_proposal() -> None:
    space = {"x": Float(0, 1), "y": Int(0, 9)}
    study = new_study(sampler=QMCSampler(space, seed=1))
    trial = study.ask()
    record = study.trials[trial.number]
    assert record.state is TrialState.RUNNING
    assert dict(record.system_attrs["proposal"]) == {"x": trial.suggest_float("x", 0, 1),
                                                     "y": trial.suggest_int("y", 0, 9)}


def test_failing_sampler_fails_the_trial_and_raises() -> None:
    class BrokenSampler(RandomSampler):
        def joint_space(self, history: tunecraft.History) -> dict[str, Any]:
            return {"x": Float(0, 1)}

        def sample_joint(self, space: Any, history: Any, rng: Any, number: int
                         ) -> tuple[dict[str, Any], dict[str, Any]]:
            raise RuntimeError("model diverged")

    study = new_study(sampler=BrokenSampler())
    with pytest.raises(RuntimeError, match="model diverged"):
        study.ask()
    (t,) = study.trials
    assert t.state is TrialState.FAIL
    assert t.fail_reason == "sampling failed: RuntimeError: model diverged"


# ---------------------------------------------------------------------- define-by-run
def test_conditional_parameters() -> None:
    study = new_study()

    def objective(trial: tunecraft.Trial) -> float:
        model = trial.suggest_categorical("model", ["linear", "tree"])
        if model == "linear":
            return trial.suggest_float("lr", 1e-4, 1.0, log=True)
        depth = trial.suggest_int("depth", 1, 8)
        if depth > 4:
            trial.suggest_categorical("split", ["gini", "entropy"])
        return float(depth)

    study.optimize(objective, n_trials=30)
    for t in study.trials:
        expected = ({"model", "lr"} if t.params["model"] == "linear" else
                    {"model", "depth", "split"} if t.params["depth"] > 4 else {"model", "depth"})
        assert set(t.params) == expected == set(t.distributions)
    assert {t.params["model"] for t in study.trials} == {"linear", "tree"}
    assert list(study.history().intersection_space()) == ["model"]


def test_one_name_with_two_distributions_is_incompatible() -> None:
    study = new_study()
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    assert trial.suggest_float("x", 0.0, 1.0) == x  # same name, same distribution: same value
    with pytest.raises(IncompatibleSpace, match="already suggested in trial 0"):
        trial.suggest_float("x", 0.0, 2.0)
    with pytest.raises(IncompatibleSpace):
        trial.suggest_int("x", 0, 1)
    study.tell(trial, x)
    later = study.ask()
    with pytest.raises(IncompatibleSpace, match=r"'x' is Float\(0, 1\) in study .* Float\(0, 5\)"):
        later.suggest_float("x", 0.0, 5.0)
    n = len(study.trials)
    # a bug, not a bad trial: the default catch=(Exception,) does not hide it, so optimize
    # stops at the first such trial (recorded FAIL) instead of failing every trial
    with pytest.raises(IncompatibleSpace, match=r"'x' is Float\(0, 1\)"):
        study.optimize(lambda t: t.suggest_float("x", 0.0, 5.0), n_trials=50)
    assert len(study.trials) == n + 1  # one FAIL trial, not 50
    assert "IncompatibleSpace" in (study.trials[-1].fail_reason or "")
    # a catch that names it keeps going, for whoever really wants FAIL trials
    study.optimize(lambda t: t.suggest_float("x", 0.0, 5.0), n_trials=3,
                   catch=(IncompatibleSpace,))
    assert [t.state for t in study.trials[-3:]] == [TrialState.FAIL] * 3


# ---------------------------------------------------------------------- enqueue
def test_enqueued_trials_run_first_with_their_params() -> None:
    study = new_study()
    study.enqueue_trial({"x": 0.25, "n": 3}, user_attrs={"why": "baseline"})
    study.enqueue_trial({"x": 1})  # n is sampled; the int 1 becomes the float 1.0
    seen = []

    def objective(trial: tunecraft.Trial) -> float:
        x, n = trial.suggest_float("x", 0.0, 1.0), trial.suggest_int("n", 0, 5)
        seen.append((trial.number, x, n))
        return x + n

    study.optimize(objective, n_trials=3)
    assert seen[0] == (0, 0.25, 3) and seen[1][:2] == (1, 1.0) and type(seen[1][1]) is float
    assert study.trials[0].user_attrs["why"] == "baseline"
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3


def test_enqueue_skip_if_exists() -> None:
    study = new_study()
    study.enqueue_trial({"x": 0.5, "n": 2})
    study.enqueue_trial({"n": 2, "x": 0.5}, skip_if_exists=True)  # same params, other order
    assert len(study.trials) == 1
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 5), n_trials=1)
    study.enqueue_trial({"x": 0.5, "n": 2}, skip_if_exists=True)  # it already ran
    study.enqueue_trial({"x": 0.5, "n": 2.0}, skip_if_exists=True)  # equal numbers, too
    assert len(study.trials) == 1
    study.enqueue_trial({"x": 0.75, "n": 2}, skip_if_exists=True)
    study.enqueue_trial({"x": 0.5, "n": 2})  # without the flag it is queued again
    assert len(study.trials) == 3


def test_enqueued_values_are_validated() -> None:
    study = new_study()
    with pytest.raises(TypeError, match="params must be a mapping"):
        study.enqueue_trial([("x", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        study.enqueue_trial({"x": object()})
    study.enqueue_trial({"x": 7.0})
    with pytest.raises(ValueError, match="fixed value 7.0"):  # raised, and recorded
        study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    (t,) = study.trials
    assert t.state is TrialState.FAIL
    assert "fixed value 7.0 of parameter 'x'" in (t.fail_reason or "")


# ---------------------------------------------------------------------- best and attributes
@pytest.mark.parametrize("direction, best", [("minimize", -2.0), ("maximize", 3.0)])
def test_best(direction: str, best: float) -> None:
    study = new_study(direction=direction)
    with pytest.raises(ValueError, match="has no COMPLETE trial yet"):
        _ = study.best_trial
    for v in (1.0, 3.0, -2.0, float("nan"), 3.0, -2.0):
        t = study.ask()
        t.suggest_float("v", -5, 5)
        study.tell(t, v)
    study.tell(study.ask(), state=TrialState.PRUNED)
    assert study.best_value == best
    first = 1 if best == 3.0 else 2
    assert study.best_trial.number == first  # the earliest of the tied best
    assert study.best_params == dict(study.trials[first].params)
    assert [t.number for t in study.best_trials] == [first, first + 3]


def test_user_attrs() -> None:
    study = new_study(sampler=tunecraft.samplers.GridSampler({"x": [1, 2]}))
    study.set_user_attr("dataset", {"name": "mnist", "split": [0.8, 0.2]})
    study.set_user_attr("note", None)
    study.optimize(lambda t: float(t.suggest_int("x", 1, 2)))
    assert study.user_attrs == {"dataset": {"name": "mnist", "split": [0.8, 0.2]}, "note": None}
    with pytest.raises(ValueError, match="non-empty string"):
        study.set_user_attr("", 1)
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        study.set_user_attr("k", {1, 2})


def test_get_trials_by_state() -> None:
    study = new_study()
    study.tell(study.ask(), 1.0)
    study.tell(study.ask(), state=TrialState.PRUNED)
    study.ask()
    assert [t.number for t in study.get_trials()] == [0, 1, 2]
    assert [t.number for t in study.get_trials(states=(TrialState.PRUNED,))] == [1]
    assert [t.number for t in study.get_trials(states={TrialState.RUNNING})] == [2]


def test_fail_stale_trials_of_a_dead_worker(tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    study = new_study(storage=path, study_name="s")
    storage = study.storage
    import socket

    payload = {"state": "RUNNING", "time": 0.0, "user_attrs": {}, "system_attrs": {}}
    storage._create_trials("s", TrialState.RUNNING, [payload], f"{socket.gethostname()}:4194305:1",
                           None)
    assert study.fail_stale_trials() == [0]
    assert study.trials[0].state is TrialState.STALE  # its retry is queued as trial 1
    assert study.ask().number == 1
