"""``Study.optimize``: failures and pruning, stopping rules, callbacks, threads and grids."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest

import tunecraft
from tunecraft import FrozenTrial, TrialPruned, TrialState, create_study
from tunecraft.pruners import MedianPruner, NopPruner
from tunecraft.samplers import GridSampler, RandomSampler
from tunecraft.storage.sql import SQLStorage
from tunecraft.study import Study


def new_study(**kwargs: Any) -> Study:
    kwargs.setdefault("sampler", RandomSampler(seed=0))
    kwargs.setdefault("pruner", NopPruner())
    return create_study(**kwargs)


def quadratic(trial: tunecraft.Trial) -> float:
    return (trial.suggest_float("x", -3.0, 3.0) - 1.0) ** 2


# ---------------------------------------------------------------------- outcomes
def test_caught_exceptions_fail_the_trial_and_the_study_goes_on() -> None:
    study = new_study()

    def objective(trial: tunecraft.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number % 2:
            raise ValueError(f"bad batch {trial.number}")
        return x

    study.optimize(objective, n_trials=4, catch=(Exception,))
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.FAIL] * 2
    failed = study.trials[1]
    assert failed.fail_reason == "ValueError: bad batch 1"
    assert "x" in failed.params  # what the trial did before failing is kept
    assert 'raise ValueError(f"bad batch' in failed.system_attrs["traceback"]


@pytest.mark.parametrize("result, reason", [
    (float("nan"), "returned nan"), (None, "returned None"),
    ("0.5", "not a number"), ((1.0, 2.0), "returned 2 value(s)")])
def test_bad_return_values_fail_the_trial(result: Any, reason: str) -> None:
    study = new_study()
    study.optimize(lambda t: result, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 2
    assert reason in (study.trials[0].fail_reason or "")


def test_array_results() -> None:
    import numpy as np

    study = new_study()
    study.optimize(lambda t: np.array(t.suggest_float("x", 0, 1)), n_trials=1)  # 0-d: a number
    study.optimize(lambda t: np.ones((2, 2)), n_trials=1)
    first, second = study.trials
    assert first.state is TrialState.COMPLETE and first.values == (first.params["x"],)
    assert second.state is TrialState.FAIL and "shape (2, 2)" in (second.fail_reason or "")


def test_catch_nothing_records_the_failure_then_raises() -> None:
    study = new_study()
    with pytest.raises(ZeroDivisionError):
        study.optimize(lambda t: t.suggest_float("x", 0, 1) / 0, n_trials=5, catch=())
    (t,) = study.trials
    assert t.state is TrialState.FAIL
    assert t.fail_reason == "ZeroDivisionError: float division by zero"


def test_catch_selects_exception_types() -> None:
    study = new_study()

    def objective(trial: tunecraft.Trial) -> float:
        if trial.number == 0:
            raise KeyError("caught")
        raise OSError("not caught")

    with pytest.raises(OSError, match="not caught"):
        study.optimize(objective, n_trials=5, catch=KeyError)
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.FAIL]


def test_keyboard_interrupt_is_recorded_and_raised() -> None:
    study = new_study()

    def objective(trial: tunecraft.Trial) -> float:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=3)  # the default catch holds Exception only
    assert [t.state for t in study.trials] == [TrialState.FAIL]


def test_trial_pruned_marks_pruned() -> None:
    study = new_study()

    def objective(trial: tunecraft.Trial) -> float:
        trial.report(0.5, step=0)
        if trial.number == 1:
            raise TrialPruned()
        return 1.0

    study.optimize(objective, n_trials=3)
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE, TrialState.PRUNED, TrialState.COMPLETE]
    assert study.trials[1].intermediate_values == {0: 0.5} and study.trials[1].values == (0.5,)


def test_median_pruner_stops_bad_trials() -> None:
    study = new_study(pruner=MedianPruner(n_startup_trials=2))

    def objective(trial: tunecraft.Trial) -> float:
        bad = trial.number >= 3 and trial.number % 2 == 1
        for step in range(5):
            loss = (10.0 if bad else 1.0) / (step + 1)
            trial.report(loss, step)
            if trial.should_prune():
                raise TrialPruned()
        return loss

    study.optimize(objective, n_trials=8)
    pruned = [t.number for t in study.trials if t.state is TrialState.PRUNED]
    assert pruned == [3, 5, 7]
    assert all(t.last_step == 0 for t in study.trials if t.state is TrialState.PRUNED)


# ---------------------------------------------------------------------- stopping
def test_argument_validation() -> None:
    study = new_study()
    for kwargs, match in [({"n_trials": -1}, "n_trials=-1"), ({"n_trials": 2.5}, "n_trials"),
                          ({"n_trials": True}, "n_trials"), ({"timeout": 0}, "timeout=0"),
                          ({"timeout": "1"}, "timeout"), ({"n_jobs": 0}, "n_jobs=0"),
                          ({"n_jobs": -2}, "n_jobs=-2"), ({"n_jobs": 1.0}, "n_jobs")]:
        with pytest.raises(ValueError, match=match):
            study.optimize(quadratic, **kwargs)
    with pytest.raises(TypeError, match="objective must be callable"):
        study.optimize(3, n_trials=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="catch must hold exception classes"):
        study.optimize(quadratic, n_trials=1, catch=(ValueError, 3))  # type: ignore[arg-type]
    study.optimize(quadratic, n_trials=0)
    assert study.trials == ()


def test_timeout_starts_no_trial_after_the_deadline() -> None:
    study = new_study()

    def objective(trial: tunecraft.Trial) -> float:
        time.sleep(0.05)
        return quadratic(trial)

    start = dt.datetime.now()
    study.optimize(objective, timeout=0.3)  # no n_trials: only the timeout ends it
    trials = study.trials
    assert trials and all(t.state is TrialState.COMPLETE for t in trials)
    assert all(t.datetime_start is not None and t.datetime_start <= start
               + dt.timedelta(seconds=0.3) for t in trials)


def test_callbacks_see_each_finished_trial_and_can_stop() -> None:
    study = new_study()
    seen: list[tuple[int, TrialState]] = []

    def record(s: Study, frozen: FrozenTrial) -> None:
        assert s is study and s.trials[frozen.number] == frozen
        seen.append((frozen.number, frozen.state))
        if frozen.number == 3:
            s.stop()

    def objective(trial: tunecraft.Trial) -> float:
        if trial.number == 1:
            raise TrialPruned()
        return quadratic(trial)

    study.optimize(objective, n_trials=10, callbacks=[record])
    assert seen == [(0, TrialState.COMPLETE), (1, TrialState.PRUNED),
                    (2, TrialState.COMPLETE), (3, TrialState.COMPLETE)]
    study.optimize(quadratic, n_trials=2)  # a new optimize call starts afresh after stop()
    assert len(study.trials) == 6


def test_callback_errors_propagate() -> None:
    study = new_study()

    def broken(s: Study, frozen: FrozenTrial) -> None:
        raise RuntimeError("callback bug")

    with pytest.raises(RuntimeError, match="callback bug"):
        study.optimize(quadratic, n_trials=5, callbacks=[broken])
    assert [t.state for t in study.trials] == [TrialState.COMPLETE]


def test_gc_and_progress_bar_options(capsys: pytest.CaptureFixture[str]) -> None:
    study = new_study()
    study.optimize(quadratic, n_trials=3, gc_after_trial=True, show_progress_bar=True)
    assert len(study.trials) == 3
    study.optimize(quadratic, timeout=0.05, show_progress_bar=True)


# ---------------------------------------------------------------------- threads
def test_threads_run_every_trial_once() -> None:
    study = new_study()
    threads: set[str] = set()

    def objective(trial: tunecraft.Trial) -> float:
        threads.add(threading.current_thread().name)
        time.sleep(0.002)
        return quadratic(trial)

    study.optimize(objective, n_trials=40, n_jobs=4)
    assert [t.number for t in study.trials] == list(range(40))
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert len(threads) > 1


def test_threads_propagate_uncaught_errors() -> None:
    study = new_study()

    def objective(trial: tunecraft.Trial) -> float:
        time.sleep(0.002)
        if trial.number == 5:
            raise OSError("disk full")
        return quadratic(trial)

    with pytest.raises(OSError, match="disk full"):
        study.optimize(objective, n_trials=40, n_jobs=3, catch=())
    assert study.trials[5].state is TrialState.FAIL
    assert len(study.trials) < 40  # the other workers start no new trial
    assert not [t for t in study.trials if t.state is TrialState.RUNNING]


def test_threads_propagate_sampling_errors() -> None:
    class BrokenSampler(RandomSampler):
        def joint_space(self, history: tunecraft.History) -> dict[str, Any]:
            return {"x": tunecraft.Float(0, 1)} if len(history) > 3 else {}

        def sample_joint(self, space: Any, history: Any, rng: Any, number: int
                         ) -> tuple[dict[str, Any], dict[str, Any]]:
            if "x" in space and len(space) == 1 and len(history) > 3:
                raise RuntimeError("sampler crashed")
            return super().sample_joint(space, history, rng, number)

    study = new_study(sampler=BrokenSampler(seed=1))
    with pytest.raises(RuntimeError, match="sampler crashed"):
        study.optimize(quadratic, n_trials=20, n_jobs=2)
    assert any(t.fail_reason == "sampling failed: RuntimeError: sampler crashed"
               for t in study.trials)


# ---------------------------------------------------------------------- grids
def test_grid_exhaustion_ends_optimize() -> None:
    study = new_study(sampler=GridSampler({"x": [0.0, 0.5, 1.0], "c": ["a", "b"]}, seed=4))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + len(t.suggest_categorical(
        "c", ["a", "b"])))  # neither n_trials nor timeout: the grid's end stops it
    trials = study.trials
    assert len(trials) == 6 and all(t.state is TrialState.COMPLETE for t in trials)
    assert sorted((t.params["x"], t.params["c"]) for t in trials) == [
        (x, c) for x in (0.0, 0.5, 1.0) for c in "ab"]
    study.optimize(quadratic, n_trials=5)  # nothing left: returns at once
    assert len(study.trials) == 6


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_grid_points_run_once_with_threads_and_two_study_objects(backend: str,
                                                                 sqlite_url: str) -> None:
    grid = {"x": list(range(10)), "y": [0, 1, 2]}
    storage = (tunecraft.storage.InMemoryStorage() if backend == "memory"
               else SQLStorage(sqlite_url))
    a = new_study(storage=storage, study_name="g", sampler=GridSampler(grid, seed=1))
    b = tunecraft.load_study(study_name="g", storage=storage, sampler=GridSampler(grid, seed=1),
                             pruner=NopPruner())

    def objective(trial: tunecraft.Trial) -> float:
        return float(trial.suggest_int("x", 0, 9) + trial.suggest_int("y", 0, 2))

    runners = [threading.Thread(target=s.optimize, args=(objective,),
                                kwargs={"n_jobs": 3, "executor": "thread"})
               for s in (a, b)]
    for r in runners:
        r.start()
    for r in runners:
        r.join()
    trials = a.trials
    storage.close()
    assert len(trials) == 30 and all(t.state is TrialState.COMPLETE for t in trials)
    assert sorted((t.params["x"], t.params["y"]) for t in trials) == [
        (x, y) for x in range(10) for y in range(3)]


def test_max_trials_callback_stops_at_a_study_wide_total() -> None:
    """Two optimize calls (like two workers) stop together at the study's total."""
    import tunecraft as tc
    from tunecraft.samplers import RandomSampler
    from tunecraft.study import MaxTrialsCallback

    study = tc.create_study(sampler=RandomSampler(seed=0))

    def objective(trial: tc.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if x < 0.2:
            raise ValueError("a failed trial does not count")
        return x

    cap = MaxTrialsCallback(10)
    study.optimize(objective, n_trials=6, callbacks=[cap], catch=(ValueError,))
    assert cap.remaining(study) == 10 - len(study.get_trials(
        states=(tc.TrialState.COMPLETE, tc.TrialState.PRUNED)))
    study.optimize(objective, n_trials=100, callbacks=[cap], catch=(ValueError,))
    finished = study.get_trials(states=(tc.TrialState.COMPLETE, tc.TrialState.PRUNED))
    assert len(finished) == 10
    assert cap.remaining(study) == 0
    with pytest.raises(ValueError, match="n_trials"):
        MaxTrialsCallback(-1)
