"""Regression tests for the Optuna behaviour issue (#17): errors propagate by default, and the
six behaviour bugs plus the worker overshoot found by running Optuna's own test suite."""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import tunecraft as tc
from tunecraft import TrialState
from tunecraft.pruners import MedianPruner, PercentilePruner
from tunecraft.samplers import GridSampler, RandomSampler


def quiet_study(**kwargs: object) -> tc.Study:
    return tc.create_study(sampler=RandomSampler(seed=0), **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- errors propagate
def test_an_error_in_the_objective_stops_the_study_at_the_first_trial() -> None:
    study = quiet_study()
    calls = []

    def objective(trial: tc.Trial) -> float:
        calls.append(trial.number)
        trial.suggest_float("x", 0, 1)
        raise FileNotFoundError("data.csv")

    with pytest.raises(FileNotFoundError, match="data.csv"):
        study.optimize(objective, n_trials=100)
    assert calls == [0]  # the budget is not burnt
    (t,) = study.trials
    assert t.state is TrialState.FAIL and t.fail_reason == "FileNotFoundError: data.csv"
    assert "x" in t.params and "FileNotFoundError" in t.system_attrs["traceback"]


def test_catch_exception_keeps_the_record_and_continue_behaviour() -> None:
    study = quiet_study()
    study.optimize(lambda t: 1 / 0, n_trials=3, catch=(Exception,))
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 3


def test_errors_propagate_from_threads_too() -> None:
    study = quiet_study()
    with pytest.raises(ValueError, match="boom"):
        study.optimize(lambda t: (_ for _ in ()).throw(ValueError("boom")), n_trials=20,
                       n_jobs=2)
    assert len(study.trials) <= 2


# ---------------------------------------------------------------------- the six bugs
def test_1_two_running_trials_cannot_record_two_distributions_for_one_name() -> None:
    study = quiet_study()
    first, second = study.ask(), study.ask()  # both snapshots hold no parameter
    first.suggest_float("x", 0, 1)
    with pytest.raises(tc.IncompatibleSpace, match="'x' is Float"):
        second.suggest_int("x", 0, 5)
    assert "x" not in second.params


@pytest.mark.parametrize("pruner", [MedianPruner(n_startup_trials=0, n_warmup_steps=0),
                                    PercentilePruner(25.0, n_startup_trials=0)])
def test_2_a_nan_only_trial_is_pruned_even_when_the_others_are_nan(
        pruner: MedianPruner) -> None:
    study = quiet_study(pruner=pruner)
    done = study.ask()
    done.report(float("nan"), 1)
    study.tell(done, 1.0)
    trial = study.ask()
    trial.report(float("nan"), 1)
    assert trial.should_prune()


def test_3_enqueued_user_attrs_are_on_the_asked_trial() -> None:
    study = quiet_study()
    study.enqueue_trial({"x": 0.5}, user_attrs={"source": "baseline"})
    trial = study.ask()
    assert trial.user_attrs == {"source": "baseline"}
    trial.set_user_attr("more", 1)
    assert trial.user_attrs == {"source": "baseline", "more": 1}
    study.tell(trial, trial.suggest_float("x", 0, 1))
    assert dict(study.trials[0].user_attrs) == {"source": "baseline", "more": 1}


def test_4_skip_if_exists_recognises_nan() -> None:
    study = quiet_study()
    for _ in range(3):
        study.enqueue_trial({"x": float("nan"), "y": 1}, skip_if_exists=True)
    assert len(study.trials) == 1
    study.enqueue_trial({"x": 1.0, "y": 1}, skip_if_exists=True)
    assert len(study.trials) == 2


def test_5_trial_start_time_is_the_stored_one() -> None:
    study = quiet_study()
    study.enqueue_trial({"x": 0.1})
    for _ in range(2):  # a claimed queued trial and a new one
        trial = study.ask()
        assert trial.datetime_start == study.trials[trial.number].datetime_start


def test_6_a_grid_study_runs_an_empty_enqueued_trial_from_the_grid() -> None:
    study = tc.create_study(sampler=GridSampler({"a": [1, 2]}, seed=0))
    study.enqueue_trial({})
    study.optimize(lambda t: t.suggest_categorical("a", [1, 2]), n_trials=5)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    assert sorted(t.params["a"] for t in study.trials[1:]) == [1, 2]  # every grid point ran
    with pytest.raises(ValueError, match=r"parameter\(s\) \['b'\] are not in the "
                                         r"GridSampler's search space \['a'\]"):
        tc.create_study(sampler=GridSampler({"a": [1]})).optimize(
            lambda t: t.suggest_float("b", 0, 1), n_trials=1)


# ---------------------------------------------------------------------- worker overshoot
def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tunecraft", *args], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ))


def test_a_worker_on_a_study_at_its_total_runs_nothing(tmp_path: Path) -> None:
    config = tmp_path / "quad.yaml"
    config.write_text("objective: tunecraft.testing.objectives:quadratic\n"
                      "study: quad\nn_trials: 3\nsampler: random\nseed: 1\npruner: none\n")
    db = str(tmp_path / "q.db")
    assert _cli("run", str(config), "--storage", db, "--no-progress").returncode == 0
    out = _cli("worker", "--storage", db, "--study", "quad", "--json",
               "--objective", "tunecraft.testing.objectives:quadratic")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["numbers"] == []
    assert "already has its 3 finished trials" in out.stderr
    storage = tc.storage.get_storage(db)
    try:
        assert len(storage.history("quad").trials) == 3  # not 4
    finally:
        storage.close()


@contextlib.contextmanager
def _two_workers(url: str, total: int, wait: bool = True
                 ) -> Iterator[tuple[tc.Study, tc.Study]]:
    """Two workers' studies, each on its own connection, under a study-wide total."""
    from tunecraft.pruners import NopPruner
    from tunecraft.study import MaxTrialsCallback
    from tunecraft.study.callbacks import within_total

    name = f"total-{os.urandom(4).hex()}"
    storages = [tc.storage.get_storage(url) for _ in range(2)]
    try:
        tc.create_study(storage=storages[0], study_name=name)
        cls = within_total(MaxTrialsCallback(total), wait=wait)
        a, b = (cls(name, st, RandomSampler(seed=i), NopPruner())
                for i, st in enumerate(storages))
        yield a, b
    finally:
        for st in storages:
            st.close()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql",
                                                            marks=pytest.mark.postgres)])
def test_workers_never_start_a_trial_past_the_study_total(
        backend: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    with _two_workers(url, 3, wait=False) as (a, b):
        _fill_and_free(a, b)


def _fill_and_free(a: tc.Study, b: tc.Study) -> None:
    from tunecraft.study._enqueue import TotalReached

    running = [a.ask(), b.ask(), a.ask()]  # three places, taken by two workers
    for worker in (a, b):  # the fourth start is refused to both, whoever asks
        with pytest.raises(TotalReached, match="holds its total of 3"):
            worker.ask()
    a.tell(running[0], state=TrialState.FAIL)  # a failure frees its place
    running[0] = b.ask()
    with pytest.raises(TotalReached):
        a.ask()
    for t in running:
        t.study.tell(t, 1.0)
    counts = a.storage.state_counts(a.study_name)
    assert (counts[TrialState.COMPLETE], counts[TrialState.FAIL]) == (3, 1)
    a.optimize(lambda t: 0.0, n_trials=5)  # optimize stops quietly at the total
    assert a.storage.state_counts(a.study_name)[TrialState.COMPLETE] == 3


def test_a_worker_waits_while_running_trials_fill_the_total(sqlite_url: str) -> None:
    import threading

    with _two_workers(sqlite_url, 1) as (a, b):
        first = a.ask()
        started: list[int] = []
        waiter = threading.Thread(target=lambda: started.append(b.ask().number))
        waiter.start()  # the only place is held by a running trial: b waits for it
        a.tell(first, state=TrialState.FAIL)  # which fails, so b takes its place
        waiter.join(timeout=60)
        assert started == [1]
        b.tell(1, 1.0)
        with pytest.raises(tc.exceptions.SearchSpaceExhausted):  # finished: no waiting
            a.ask()


def test_a_start_right_held_by_a_dead_worker_is_taken_over(sqlite_url: str) -> None:
    from tunecraft.study._enqueue import TOTAL_KEY_PREFIX

    with _two_workers(sqlite_url, 2) as (a, _):
        # a worker won the right to start trial 0, then died before starting it
        a.storage.set_study_attr(a.study_name, f"{TOTAL_KEY_PREFIX}2:0:0", 0.0)
        assert a.ask().number == 0
        assert f"{TOTAL_KEY_PREFIX}2:0:1" in a.storage.study_attrs(a.study_name)


def test_concurrent_workers_end_the_study_at_exactly_its_total(sqlite_url: str) -> None:
    import threading

    with _two_workers(sqlite_url, 8) as workers:
        threads = [threading.Thread(target=w.optimize, args=(lambda t: t.suggest_float(
            "x", 0, 1),), kwargs={"n_trials": 8}) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        counts = workers[0].storage.state_counts(workers[0].study_name)
    assert counts[TrialState.COMPLETE] == 8 and sum(counts.values()) == 8  # not 9 or 10


def test_nan_intermediate_values_survive_a_shared_storage(sqlite_url: str) -> None:
    study = tc.create_study(storage=sqlite_url, pruner=MedianPruner(n_startup_trials=0))
    trial = study.ask()
    trial.report(float("nan"), 0)
    assert math.isnan(study.trials[0].intermediate_values[0])
