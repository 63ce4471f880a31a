"""Many processes on one study: dense unique numbering, each grid point once, reproducible seeds.

Workers are separate interpreters (subprocesses running tests/_worker.py), as on a real
cluster: they share nothing but the storage.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tunecraft import TrialState, create_study, load_study
from tunecraft.pruners import NopPruner
from tunecraft.samplers import RandomSampler
from tunecraft.storage.sql import SQLStorage
from tunecraft.testing import exact, unique_name

WORKER = Path(__file__).resolve().parents[1] / "_worker.py"
pytestmark = pytest.mark.slow


def run_workers(url: str, study: str, n_workers: int, *args: str) -> list[list[int]]:
    """Start ``n_workers`` worker processes at once; return the trial numbers each ran."""
    procs = [subprocess.Popen([sys.executable, str(WORKER), url, study, *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(n_workers)]
    ran = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, f"worker failed with {p.returncode}:\n{err}"
        assert "Traceback" not in err, err
        ran.append(json.loads(out.strip().splitlines()[-1])["numbers"])
    return ran


def check_hundred_trials(url: str) -> None:
    name = unique_name()
    ran = run_workers(url, name, 4, "--n-trials", "25")
    assert [len(r) for r in ran] == [25] * 4
    numbers = sorted(n for r in ran for n in r)
    assert numbers == list(range(100))  # no duplicate, no gap
    storage = SQLStorage(url)
    try:
        trials = storage.history(name).trials
        assert [t.number for t in trials] == list(range(100))
        assert all(t.state is TrialState.COMPLETE for t in trials)
        assert storage.state_counts(name)[TrialState.COMPLETE] == 100
        assert storage.leases(name) == []
    finally:
        storage.close()


def test_four_processes_share_a_sqlite_file(sqlite_url: str) -> None:
    check_hundred_trials(sqlite_url)


@pytest.mark.postgres
def test_four_processes_share_a_postgresql_database(pg_url: str) -> None:
    check_hundred_trials(pg_url)


def test_grid_points_run_exactly_once_across_processes(sqlite_url: str) -> None:
    name = unique_name()
    ran = run_workers(sqlite_url, name, 3, "--sampler", "grid", "--sleep", "0.02")
    assert sorted(n for r in ran for n in r) == list(range(20))
    study = load_study(study_name=name, storage=sqlite_url, sampler=RandomSampler(),
                       pruner=NopPruner())
    trials = study.trials
    assert len(trials) == 20 and all(t.state is TrialState.COMPLETE for t in trials)
    points = sorted((t.params["x"], t.params["y"]) for t in trials)
    assert points == sorted((x, y) for x in (-2.0, -1.0, 0.0, 1.0, 2.0) for y in (0, 3, 6, 9))


def test_seeded_trials_match_across_processes(sqlite_url: str, tmp_path: Path) -> None:
    name = unique_name()
    ran = run_workers(sqlite_url, name, 2, "--n-trials", "10", "--seed", "7")
    assert sorted(n for r in ran for n in r) == list(range(20))
    parallel = load_study(study_name=name, storage=sqlite_url, sampler=RandomSampler(),
                          pruner=NopPruner()).trials

    serial = create_study(sampler=RandomSampler(seed=7), pruner=NopPruner())
    serial.optimize(lambda t: t.suggest_float("x", -2.0, 2.0) + t.suggest_int("y", 0, 9),
                    n_trials=20)
    assert [exact(dict(t.params)) for t in parallel] == [
        exact(dict(t.params)) for t in serial.trials]
