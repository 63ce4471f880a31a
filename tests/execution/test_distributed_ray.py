"""Ray as the executor: trials run as Ray tasks (no Ray retries), a killed Ray worker's trial
is found stale and retried, and every trial has exactly one result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _distributed import (
    check_killed_trial,
    kill_a_running_trial,
    lease_study,
    run_in_background,
)

from tunecraft import TrialState
from tunecraft.execution import RayExecutor

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray() -> Iterator[Any]:
    import ray as ray_module

    ray_module.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                    configure_logging=False)
    yield ray_module
    ray_module.shutdown()


def test_ray_tasks_run_trials_and_a_killed_worker_is_retried(
        ray: Any, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNECRAFT_TEST_SLEEP", "0.6")
    study = lease_study(sqlite_url)
    executor = RayExecutor()
    assert executor.options["max_retries"] == 0  # leases decide retries, not Ray
    join = run_in_background(study, n_trials=6, executor=executor, n_jobs=2)
    number, when = kill_a_running_trial(study)
    join()
    check_killed_trial(study, number, when, 6)
    pids = {t.user_attrs["pid"] for t in study.trials if t.state is TrialState.COMPLETE}
    assert len(pids) >= 2  # ran in Ray's worker processes
