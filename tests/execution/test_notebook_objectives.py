"""Objectives as notebooks write them (closures, lambdas, functions of ``__main__``) run in
worker processes: Dask, Ray and ``n_jobs``. They travel by value with cloudpickle, as Dask and
Ray send their own tasks; only objects no pickler can send get the error naming the fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import tunecraft
from tunecraft import TrialState
from tunecraft.pruners import NopPruner
from tunecraft.samplers import RandomSampler
from tunecraft.testing import unique_name

pytestmark = pytest.mark.slow


def closure_objective() -> Callable[[tunecraft.Trial], float]:
    """A closure over local state, as a notebook cell makes one: not importable by name."""
    offset = 0.25
    weights = {"x": 1.0, "y": 2.0}

    def objective(trial: tunecraft.Trial) -> float:
        trial.set_user_attr("pid", os.getpid())
        return sum(w * (trial.suggest_float(k, -1, 1) - offset) ** 2
                   for k, w in weights.items())

    return objective


def new_study(url: str) -> tunecraft.Study:
    return tunecraft.create_study(storage=url, study_name=unique_name(),
                                  sampler=RandomSampler(seed=0), pruner=NopPruner())


def check_every_trial_completed_elsewhere(study: tunecraft.Study, n: int) -> None:
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * n
    pids = {t.user_attrs["pid"] for t in trials}
    assert os.getpid() not in pids  # ran in worker processes, not here
    for t in trials:
        expected = (t.params["x"] - 0.25) ** 2 + 2.0 * (t.params["y"] - 0.25) ** 2
        assert t.value == pytest.approx(expected)


def test_a_closure_runs_on_a_dask_local_cluster(sqlite_url: str) -> None:
    from distributed import Client, LocalCluster

    from tunecraft.execution import dask_executor

    study = new_study(sqlite_url)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        study.optimize(closure_objective(), n_trials=6, executor=dask_executor(client))
    check_every_trial_completed_elsewhere(study, 6)


@pytest.fixture
def ray() -> Iterator[Any]:
    import ray as ray_module

    ray_module.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                    configure_logging=False)
    try:
        yield ray_module
    finally:
        ray_module.shutdown()


def test_a_closure_runs_on_local_ray(ray: Any, sqlite_url: str) -> None:
    from tunecraft.execution import RayExecutor

    study = new_study(sqlite_url)
    study.optimize(closure_objective(), n_trials=6, executor=RayExecutor(), n_jobs=2)
    check_every_trial_completed_elsewhere(study, 6)


def test_a_lambda_runs_in_n_jobs_processes(sqlite_url: str) -> None:
    study = new_study(sqlite_url)
    study.optimize(lambda t: (t.set_user_attr("pid", os.getpid()),
                              (t.suggest_float("x", -1, 1) - 0.25) ** 2
                              + 2.0 * (t.suggest_float("y", -1, 1) - 0.25) ** 2)[1],
                   n_trials=6, n_jobs=2)
    check_every_trial_completed_elsewhere(study, 6)


def test_a_function_of_main_runs_in_n_jobs_processes(sqlite_url: str) -> None:
    # `python -c`: __main__ has no file, so worker processes cannot import the objective
    script = textwrap.dedent(f"""
        import json, os
        import tunecraft

        SCALE = 3.0

        def objective(trial):
            trial.set_user_attr("pid", os.getpid())
            return SCALE * trial.suggest_float("x", -1, 1) ** 2

        if __name__ == "__main__":
            study = tunecraft.create_study(storage={sqlite_url!r}, study_name="main")
            study.optimize(objective, n_trials=4, n_jobs=2)
            print(json.dumps({{"driver": os.getpid(), "trials": [
                [t.state.name, t.value, t.params["x"], t.user_attrs["pid"]]
                for t in study.trials]}}))
        """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, cwd=os.path.dirname(__file__))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    rows = result["trials"]
    assert [r[0] for r in rows] == ["COMPLETE"] * 4
    assert all(r[1] == pytest.approx(3.0 * r[2] ** 2) for r in rows)
    assert result["driver"] not in {r[3] for r in rows}  # ran in the worker processes
