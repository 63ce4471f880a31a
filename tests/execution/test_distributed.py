"""Executors and leases end to end: worker processes, GPU slots, threads, stop requests, retries,
and the ``tunecraft worker`` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import tunecraft
from tunecraft import TrialState
from tunecraft.execution import ProcessPool, retry_info, stop_trial
from tunecraft.execution.configured import RUN_CONFIG_ATTR
from tunecraft.execution.driver import OBJECTIVE_ATTR
from tunecraft.pruners import NopPruner
from tunecraft.samplers import RandomSampler
from tunecraft.study import Study
from tunecraft.testing import objectives, unique_name


def new_study(storage: str | None = None, **kwargs: object) -> Study:
    study = tunecraft.create_study(storage=storage, sampler=RandomSampler(seed=0),
                                   pruner=NopPruner(), study_name=unique_name())
    for key, value in kwargs.items():
        setattr(study, key, value)
    return study


@pytest.fixture
def short_sleep() -> Iterator[None]:
    """Worker processes inherit the environment: ``objectives.sleepy`` sleeps 0.3 s."""
    old = os.environ.get("TUNECRAFT_TEST_SLEEP")
    os.environ["TUNECRAFT_TEST_SLEEP"] = "0.3"
    yield
    if old is None:
        del os.environ["TUNECRAFT_TEST_SLEEP"]
    else:
        os.environ["TUNECRAFT_TEST_SLEEP"] = old


# ---------------------------------------------------------------------- process pools
@pytest.mark.slow
def test_n_jobs_on_a_shared_storage_runs_worker_processes(sqlite_url: str,
                                                          short_sleep: None) -> None:
    study = new_study(sqlite_url)
    done: list[int] = []
    study.optimize(objectives.sleepy, n_trials=6, n_jobs=2,
                   callbacks=[lambda _s, t: done.append(t.number)])
    trials = study.trials
    assert [t.number for t in trials] == list(range(6)) and sorted(done) == list(range(6))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    pids = {t.user_attrs["pid"] for t in trials}
    assert os.getpid() not in pids and len(pids) == 2  # two real processes, reused
    assert study.storage.study_attrs(study.study_name)[OBJECTIVE_ATTR] == (
        "tunecraft.testing.objectives:sleepy")
    assert study.storage.leases(study.study_name) == []


@pytest.mark.slow
def test_worker_processes_record_constraints(sqlite_url: str) -> None:
    """The study's constraints_func travels to worker processes with the objective."""
    study = tunecraft.create_study(storage=sqlite_url, sampler=RandomSampler(seed=1),
                                   pruner=NopPruner(), study_name=unique_name(),
                                   constraints_func=objectives.x_below_zero)
    study.optimize(objectives.quadratic, n_trials=8, n_jobs=2)
    trials = study.trials
    assert len(trials) == 8 and all(t.state is TrialState.COMPLETE for t in trials)
    assert all(t.constraints == (t.params["x"],) for t in trials)
    assert all(t.params["x"] <= 0 for t in study.best_trials)


@pytest.mark.slow
def test_devices_give_each_slot_its_gpus(sqlite_url: str, short_sleep: None) -> None:
    study = new_study(sqlite_url)
    study.optimize(objectives.sleepy, n_trials=9, devices=[0, 0, 1])
    trials = study.trials
    assert all(t.state is TrialState.COMPLETE for t in trials)
    by_device: dict[str, list[tuple[float, float]]] = {}
    for t in trials:
        by_device.setdefault(t.user_attrs["device"], []).append(
            (t.user_attrs["start"], t.user_attrs["end"]))
    assert set(by_device) == {"0", "1"}
    for device, spans in by_device.items():  # never more trials at once than slots
        most = max(sum(s <= start < e for s, e in spans) for start, _ in spans)
        assert most <= {"0": 2, "1": 1}[device]


def test_process_pool_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="gives 2 slots but n_workers=3"):
        ProcessPool(3, devices=[0, 1])
    with pytest.raises(ValueError, match="non-empty list"):
        ProcessPool(devices=[])
    with pytest.raises(ValueError, match="n_workers=0"):
        ProcessPool(0)
    assert ProcessPool(devices=["0,1"]).n_workers == 1


def test_an_unpicklable_objective_names_the_fix(sqlite_url: str) -> None:
    study = new_study(sqlite_url)
    lock = threading.Lock()  # what a closure may hold that no pickler can send

    def objective(trial: tunecraft.Trial) -> float:
        with lock:
            return trial.suggest_float("x", 0, 1)

    with pytest.raises(TypeError, match="objective <function.*_thread.lock.*closes over.*"
                                        "inside the objective.*executor='thread'"):
        study.optimize(objective, n_trials=2, n_jobs=2)
    assert study.trials == ()  # refused before any trial was reserved
    study.optimize(objective, n_trials=4, n_jobs=2, executor="thread")
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4


def test_in_memory_storage_stays_in_this_process() -> None:
    study = new_study()
    with pytest.raises(ValueError, match="cannot see an in-memory storage"):
        study.optimize(objectives.quadratic, n_trials=2, executor=ProcessPool(2))
    with pytest.raises(ValueError, match="cannot see an in-memory storage"):
        study.optimize(objectives.quadratic, n_trials=2, devices=[0])
    with pytest.raises(ValueError, match="executor='gpu'"):
        study.optimize(objectives.quadratic, n_trials=2, executor="gpu")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=6, n_jobs=3)  # threads
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 6


def test_a_thread_pool_executor_runs_the_driver_in_this_process() -> None:
    study = new_study()
    with ThreadPoolExecutor(3) as pool:
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=9, executor=pool)
    trials = study.trials
    assert [t.number for t in trials] == list(range(9))
    assert all(t.state is TrialState.COMPLETE for t in trials)


def test_uncaught_errors_from_workers_reach_the_driver() -> None:
    study = new_study()

    def objective(trial: tunecraft.Trial) -> float:
        if trial.number == 2:
            raise OSError("disk full")
        return trial.suggest_float("x", 0, 1)

    with ThreadPoolExecutor(2) as pool, pytest.raises(OSError, match="disk full"):
        study.optimize(objective, n_trials=20, executor=pool, catch=())
    assert study.trials[2].state is TrialState.FAIL
    assert not study.get_trials(states=(TrialState.RUNNING,))


# ---------------------------------------------------------------------- stop requests, retries
def test_a_stop_request_reaches_the_worker_at_its_next_report() -> None:
    study = new_study()
    trial = study.ask()
    trial.report(1.0, 0)
    assert trial.should_prune() is False
    assert stop_trial(study, trial.number) is True  # e.g. from a driver-side scheduler
    trial.report(2.0, 1)
    assert trial.should_prune() is True
    study.tell(trial, state=TrialState.PRUNED)
    assert stop_trial(study, trial.number) is False  # finished: nothing to stop


def test_a_retry_knows_what_it_retries(sqlite_url: str) -> None:
    study = new_study(sqlite_url)
    first = study.ask()
    assert retry_info(first) is None
    x = first.suggest_float("x", 0, 1)
    first.control.set_system_attr("checkpoint", {"epoch": 3, "path": "ckpt/3.pt"})
    first.flush()
    (reaped,) = study.storage.reap_stale(study.study_name, force=True)
    retry = study.ask()  # the queued retry is claimed before any new trial
    assert retry.number == reaped.retry
    info = retry_info(retry)
    assert info is not None and (info.retry_of, info.attempt) == (first.number, 1)
    assert info.checkpoint == {"epoch": 3, "path": "ckpt/3.pt"}
    assert retry.suggest_float("x", 0, 1) == x  # same parameters
    study.tell(retry, 0.5)
    assert study.tell(first, 0.1).state is TrialState.STALE  # late: dropped, not raised
    assert [t.state for t in study.trials] == [TrialState.STALE, TrialState.COMPLETE]


def test_tell_refuses_stale_as_a_user_state() -> None:
    study = new_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="got STALE"):
        study.tell(trial, state=TrialState.STALE)


# ---------------------------------------------------------------------- tunecraft worker
def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tunecraft", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


@pytest.mark.slow
def test_worker_joins_a_study_with_the_objective_it_is_given(sqlite_url: str) -> None:
    study = new_study(sqlite_url)
    study.optimize(objectives.quadratic, n_trials=2, n_jobs=2)  # stores the objective's name
    out = cli("worker", "--storage", sqlite_url, "--study", study.study_name,
              "--n-trials", "3", "--sampler", "random")
    assert out.returncode == 2  # the database names it, but only the user runs code
    assert ("a worker runs only code named on its command line: study "
            f"{study.study_name!r} was started with objective "
            "'tunecraft.testing.objectives:quadratic'; pass --objective "
            "tunecraft.testing.objectives:quadratic") in out.stderr
    assert len(study.trials) == 2
    out = cli("worker", "--storage", sqlite_url, "--study", study.study_name,
              "--n-trials", "3", "--sampler", "random",
              "--objective", "tunecraft.testing.objectives:quadratic", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["numbers"] == [2, 3, 4]
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 5


@pytest.mark.slow
def test_worker_follows_the_run_config_to_its_total(tmp_path: Path) -> None:
    config = tmp_path / "quad.yaml"
    config.write_text("objective: tunecraft.testing.objectives:quadratic\n"
                      "study: quad\nn_trials: 3\nsampler: random\nseed: 1\npruner: none\n")
    db = str(tmp_path / "q.db")
    first = cli("run", str(config), "--storage", db, "--n-trials", "2", "--no-progress")
    assert first.returncode == 0, first.stderr
    storage = tunecraft.storage.get_storage(db)
    try:
        stored = storage.study_attrs("quad")[RUN_CONFIG_ATTR]
        assert stored["config"]["n_trials"] == 2 and stored["path"] == str(config)
        storage.set_study_attr("quad", RUN_CONFIG_ATTR, {
            "config": {**stored["config"], "n_trials": 4}, "path": stored["path"]})
        out = cli("worker", "--storage", db, "--study", "quad",
                  "--objective", "tunecraft.testing.objectives:quadratic", "--json")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["numbers"] == [2, 3]  # up to the study's total
        assert storage.state_counts("quad")[TrialState.COMPLETE] == 4
    finally:
        storage.close()


def test_worker_without_an_objective_says_what_to_pass(sqlite_url: str) -> None:
    study = new_study(sqlite_url)
    out = cli("worker", "--storage", sqlite_url, "--study", study.study_name)
    assert out.returncode == 2
    assert "names no objective; pass --objective MODULE:FUNCTION" in out.stderr
    out = cli("worker", "--storage", sqlite_url, "--study", "nope")
    assert out.returncode == 2 and "no study named 'nope'" in out.stderr


@pytest.mark.slow
def test_a_driver_side_decision_stops_a_trial_in_another_process(sqlite_url: str) -> None:
    """A scheduler in the driver process stops a trial running in a worker process: the
    worker sees the request at its next report (``should_prune``) and prunes the trial."""
    import threading
    import time

    study = new_study(sqlite_url)
    study.heartbeat_interval = 0.2
    thread = threading.Thread(target=study.optimize, args=(objectives.pruned_when_told,),
                              kwargs={"n_trials": 2, "n_jobs": 2})
    thread.start()
    deadline = time.monotonic() + 60
    stopped: set[int] = set()
    while len(stopped) < 2 and time.monotonic() < deadline:
        for t in study.history().trials:  # e.g. a policy that reads everyone's reports
            if t.state is TrialState.RUNNING and t.last_step is not None and t.last_step >= 2:
                if t.number not in stopped and stop_trial(study, t.number):
                    stopped.add(t.number)
        time.sleep(0.05)
    thread.join(timeout=60)
    assert not thread.is_alive() and stopped == {0, 1}
    for t in study.trials:
        assert t.state is TrialState.PRUNED and t.user_attrs["pid"] != os.getpid()
        assert t.last_step is not None and t.last_step < 50  # stopped soon after the request


@pytest.mark.slow
def test_throughput_benchmark_runs_and_reports(tmp_path: Path) -> None:
    from benchmarks import throughput

    out = tmp_path / "issue-6.md"
    assert throughput.main(["--reps", "1", "--trials", "4", "--procs", "1",
                            "--systems", "tunecraft-sqlite", "optuna-rdb-sqlite",
                            "--skip-efficiency", "--out", str(out)]) == 0
    text = out.read_text()
    assert "| tunecraft-sqlite |" in text and "| optuna-rdb-sqlite |" in text
    assert "tunecraft / Optuna RDB on sqlite, by processes: 1: x" in text
    assert "sqlite, 8 processes" not in text  # no 8-process figure, no verdict on it


def test_a_long_lived_worker_keeps_a_bounded_number_of_studies_open() -> None:
    from tunecraft.execution import worker
    from tunecraft.storage import InMemoryStorage

    storage = InMemoryStorage()
    tunecraft.create_study(storage=storage, study_name="s")
    specs = [worker.WorkerSpec(storage, "s", objectives.quadratic, RandomSampler(), NopPruner(),
                               heartbeat_interval=1.0, lease_seconds=5.0, max_retries=0,
                               catch=(), study_class=tunecraft.Study)
             for _ in range(worker.MAX_OPEN_STUDIES + 3)]
    before = dict(worker._opened)
    worker._opened.clear()
    try:
        first = worker._open(specs[0].key, specs[0])
        assert worker._open(specs[0].key, specs[0]) is first  # built once per key
        for spec in specs[1:]:
            worker._open(spec.key, spec)
            worker._open(specs[0].key, specs[0])  # in use: kept however many others come
        assert len(worker._opened) == worker.MAX_OPEN_STUDIES
        assert specs[0].key in worker._opened and specs[1].key not in worker._opened
        assert list(worker._opened)[-1] == specs[0].key
    finally:
        worker._opened.clear()
        worker._opened.update(before)
