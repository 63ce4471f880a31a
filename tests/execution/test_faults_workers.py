"""Faults of many workers on one study: contention, tiny busy timeouts, killed and suspended
workers, a killed driver, a queue drained by many claimers.

Workers are real processes (``tunecraft worker``, the process pool); leases are 1.5-2 s so that
a lost worker is found quickly. What must hold: every result recorded exactly once, numbers
dense, nothing stranded RUNNING, a lost trial retried, a late result dropped without a crash.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from _distributed import (
    check_killed_trial,
    kill_a_running_trial,
    lease_study,
    one_complete_per_chain,
    run_in_background,
    wait_for,
)

import tunecraft
from tunecraft import TrialState
from tunecraft.execution import ProcessPool
from tunecraft.execution.configured import RUN_CONFIG_ATTR
from tunecraft.execution.driver import OBJECTIVE_ATTR
from tunecraft.history import History
from tunecraft.storage.events import EventKind
from tunecraft.storage.sql import SQLStorage
from tunecraft.testing import unique_name

pytestmark = pytest.mark.slow
LEASE = ["--lease", "2.0", "--heartbeat", "0.25", "--sampler", "random"]
QUADRATIC = "tunecraft.testing.objectives:quadratic"
SLEEPY = "tunecraft.testing.objectives:sleepy"


def worker(url: str, study: str, *args: str, sleep: float = 0.0,
           objective: str = QUADRATIC) -> subprocess.Popen[str]:
    """A ``tunecraft worker`` process, told what to run (as a user must)."""
    env = {**os.environ, "TUNECRAFT_TEST_SLEEP": str(sleep)}
    return subprocess.Popen([sys.executable, "-m", "tunecraft", "worker", "--storage", url,
                             "--study", study, "--objective", objective, "--json", *args],
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def finish(proc: subprocess.Popen[str]) -> tuple[list[int], str]:
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, f"worker failed with {proc.returncode}:\n{err}"
    assert "Traceback" not in err, err
    return json.loads(out.strip().splitlines()[-1])["numbers"], err


def new_study(url: str, objective: str = QUADRATIC,
              **config: object) -> str:
    name = unique_name()
    storage = SQLStorage(url)
    try:
        tunecraft.create_study(storage=storage, study_name=name)
        storage.set_study_attr(name, OBJECTIVE_ATTR, objective)
        if config:
            storage.set_study_attr(name, RUN_CONFIG_ATTR, {
                "config": {"objective": objective, "pruner": "none", **config}, "path": None})
    finally:
        storage.close()
    return name


# ---------------------------------------------------------------------- contention
def eight_by_fifty(url: str) -> History:
    name = new_study(url)
    procs = [worker(url, name, "--n-trials", "50", *LEASE) for _ in range(8)]
    ran = [finish(p)[0] for p in procs]  # each exits 0 with no traceback
    storage = SQLStorage(url.split("?timeout")[0])
    try:
        history = storage.history(name)
        assert sorted(n for r in ran for n in r) == list(range(len(history)))
        assert [t.number for t in history.trials] == list(range(len(history)))
        assert storage.leases(name) == []  # nothing stranded RUNNING
        return history
    finally:
        storage.close()


def test_eight_processes_share_a_sqlite_file(sqlite_url: str) -> None:
    """Every worker's 50 results are recorded once. On a quiet machine that is 400 trials
    numbered 0..399; on a loaded one a worker starved past its lease is presumed dead, its
    trial goes STALE and is retried, so a trial number or two more is legitimate."""
    history = eight_by_fifty(sqlite_url)
    assert not history.with_states(TrialState.RUNNING, TrialState.FAIL)
    assert len(history.with_states(TrialState.COMPLETE)) == 400
    extra = [t for t in history.trials if t.state is not TrialState.COMPLETE]
    assert len(extra) <= 8, extra  # at most a lost lease or so per worker, not a pattern
    root = {}
    for t in history.trials:
        origin = t.system_attrs.get("retry_of")
        root[t.number] = t.number if origin is None else root[int(origin)]
    done = Counter(root[t.number] for t in history.trials if t.state is TrialState.COMPLETE)
    assert max(done.values()) == 1  # never two results for one trial


def test_eight_processes_with_a_tiny_busy_timeout(sqlite_url: str) -> None:
    """SQLite gives up on its lock after 5 ms; the storage retries, no worker crashes.

    Writers then wait in back-off rather than in SQLite's queue, so a worker can be starved
    past its 1 s lease and be presumed dead: its trial goes STALE and is retried (a queued
    retry may be left for the next worker). Every result is still recorded at most once.
    """
    history = eight_by_fifty(f"{sqlite_url}?timeout=0.005")
    assert not history.with_states(TrialState.RUNNING, TrialState.FAIL)
    # each worker recorded its 50 results; a trial lost to a stalled renewal was replaced
    assert len(history.with_states(TrialState.COMPLETE)) == 400
    root = {}
    for t in history.trials:
        origin = t.system_attrs.get("retry_of")
        root[t.number] = t.number if origin is None else root[int(origin)]
    done = Counter(root[t.number] for t in history.trials if t.state is TrialState.COMPLETE)
    assert max(done.values()) == 1  # never two results for one trial


@pytest.mark.postgres
def test_eight_processes_share_a_postgresql_database(pg_url: str) -> None:
    history = eight_by_fifty(pg_url)
    assert len(history) == 400  # numbers 0..399
    assert all(t.state is TrialState.COMPLETE for t in history.trials)


@pytest.mark.postgres
def test_a_hundred_queued_trials_are_each_claimed_once(pg_url: str) -> None:
    name = new_study(pg_url, n_trials=100)
    storage = SQLStorage(pg_url)
    try:
        storage.enqueue_trials(name, [{"fixed_params": {"x": -2.0 + i * 0.04, "y": i % 10}}
                                      for i in range(100)])
    finally:
        storage.close()
    procs = [worker(pg_url, name, *LEASE) for _ in range(8)]
    ran = [n for p in procs for n in finish(p)[0]]
    storage = SQLStorage(pg_url)
    try:
        claims = Counter(e.trial for e in storage._read(name, -1).events
                         if e.kind is EventKind.CLAIMED)
        assert claims == Counter(range(100))  # each queued trial claimed exactly once
        assert Counter(n for n in ran if n < 100) == Counter(range(100))
        trials = storage.history(name).trials
        assert all(t.state is TrialState.COMPLETE for t in trials)
        assert [t.params["y"] for t in trials[:100]] == [i % 10 for i in range(100)]
    finally:
        storage.close()


# ---------------------------------------------------------------------- lost workers
def test_sigkilled_pool_worker_is_retried(sqlite_url: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNECRAFT_TEST_SLEEP", "0.6")
    study = lease_study(sqlite_url)
    pool = ProcessPool(2)
    try:
        join = run_in_background(study, n_trials=6, executor=pool)
        number, when = kill_a_running_trial(study)
        join()
    finally:
        pool.shutdown()
    check_killed_trial(study, number, when, 6)


def test_sigkilled_dask_worker_still_gives_one_result_per_trial(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import Client, LocalCluster

    from tunecraft.execution import dask_executor

    monkeypatch.setenv("TUNECRAFT_TEST_SLEEP", "0.6")
    study = lease_study(sqlite_url)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        join = run_in_background(study, n_trials=6, executor=dask_executor(client))
        number, when = kill_a_running_trial(study)
        join()
    check_killed_trial(study, number, when, 6)


def test_suspended_worker_late_result_is_dropped(sqlite_url: str) -> None:
    name = new_study(sqlite_url, SLEEPY)
    storage = SQLStorage(sqlite_url)
    try:
        late = worker(sqlite_url, name, "--n-trials", "1", *LEASE, sleep=1.0,
                      objective=SLEEPY)
        wait_for("trial 0 inside the objective", lambda: any(
            "pid" in t.user_attrs for t in storage.history(name).trials))
        late.send_signal(signal.SIGSTOP)
        try:
            wait_for("its lease to run out", lambda: storage.leases(name)[0].expired)
            rescuer = worker(sqlite_url, name, "--n-trials", "1", *LEASE, sleep=0.1,
                             objective=SLEEPY)
            assert finish(rescuer)[0] == [1]  # reaped trial 0, then ran its retry
        finally:
            late.send_signal(signal.SIGCONT)
        numbers, err = finish(late)  # wakes up, finishes its objective, tells: dropped
        assert numbers == [0, 2]  # then runs a trial in place of the one it lost
        assert "Trial 0 lost its lease while it ran here (now STALE" in err
        assert "result is dropped" in err
        stale, retry, replacement = storage.history(name).trials
        assert replacement.state is TrialState.COMPLETE
        assert (stale.state, stale.values) == (TrialState.STALE, None)
        assert retry.state is TrialState.COMPLETE and retry.system_attrs["retry_of"] == 0
        assert retry.params == stale.params
    finally:
        storage.close()


def test_killed_driver_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    config = tmp_path / "sleepy.yaml"
    config.write_text("objective: tunecraft.testing.objectives:sleepy\nstudy: s\n"
                      "n_trials: 8\nn_jobs: 2\nsampler: random\npruner: none\n")
    db = str(tmp_path / "s.db")
    command = [sys.executable, "-m", "tunecraft", "run", str(config), "--storage", db,
               "--no-progress"]
    env = {**os.environ, "TUNECRAFT_TEST_SLEEP": "0.4"}
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
    storage = SQLStorage(f"sqlite:///{db}")
    try:
        wait_for("three finished trials", lambda: "s" in storage.study_names() and
                 storage.state_counts("s")[TrialState.COMPLETE] >= 3)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
        before = {t.number: t for t in storage.history("s").trials
                  if t.state is TrialState.COMPLETE}
        second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=240)
        assert second.returncode == 0, second.stderr
        assert "Traceback" not in second.stderr
        history = storage.history("s")
        assert [t.number for t in history.trials] == list(range(len(history)))
        assert {n: history.trial(n) for n in before} == before  # nothing lost or rewritten
        assert len(history.with_states(TrialState.COMPLETE)) >= 8
        assert not history.with_states(TrialState.RUNNING, TrialState.WAITING)
        one_complete_per_chain(history)
    finally:
        storage.close()
