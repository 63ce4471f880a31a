"""A disk that fills up under a running study, on a small tmpfs of the test's own.

What must hold: a clear StorageError that says the disk is full (never a trial blamed with
FAIL for it), every trial finished before it kept, the database intact, and after space is
freed, the study goes on: the trial that was running is retried with its parameters.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tunecraft
from tunecraft import TrialState
from tunecraft.exceptions import StorageError
from tunecraft.pruners import NopPruner
from tunecraft.samplers import RandomSampler

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB file system (tmpfs): needs root, as CI runs; fails, never skips, without."""
    where = tmp_path / "disk"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"the full-disk test mounts a small tmpfs and needs root: {done.stderr}",
                    pytrace=False)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_a_full_disk_stops_the_study_cleanly_and_it_resumes(small_disk: Path) -> None:
    url = f"sqlite:///{small_disk / 'study.db'}"
    study = tunecraft.create_study(storage=url, study_name="s", sampler=RandomSampler(seed=0),
                                   pruner=NopPruner())
    study.heartbeat_interval, study.stale_grace = 0.2, 1.0
    ballast = small_disk / "ballast"
    ballast.write_bytes(b"\0" * (1024 * 1024))  # what the user deletes to free space

    def objective(trial: tunecraft.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_user_attr("log", "x" * 4000)
        for step in range(5):
            trial.report(x, step)
        return x

    with pytest.raises(StorageError, match="is full") as info:
        study.optimize(objective, n_trials=10_000)
    assert "free space there" in str(info.value)
    ballast.unlink()  # space again

    trials = study.trials
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    assert complete, "the disk filled before any trial finished; the test proves nothing"
    assert not [t for t in trials if t.state is TrialState.FAIL], \
        "a trial was blamed for the full disk"
    with sqlite3.connect(small_disk / "study.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    running = [t for t in trials if t.state is TrialState.RUNNING]
    time.sleep(study.stale_grace + 0.5)  # its lease is no longer renewed: it runs out
    resumed = tunecraft.load_study(study_name="s", storage=url, sampler=RandomSampler(seed=1),
                                   pruner=NopPruner())
    resumed.optimize(objective, n_trials=len(running) + 2)
    after = {t.number: t for t in resumed.trials}
    for t in complete:  # nothing finished was lost
        assert after[t.number].state is TrialState.COMPLETE
        assert after[t.number].values == t.values
    for t in running:  # the trial cut off by the full disk ran again, as it was
        assert after[t.number].state is TrialState.STALE
        retry = after[int(after[t.number].system_attrs["retried_by"])]
        assert retry.state is TrialState.COMPLETE
        if t.params:
            assert dict(retry.params) == dict(t.params)
    assert not [t for t in resumed.trials if t.state is TrialState.RUNNING]
    assert os.path.getsize(small_disk / "study.db") > 0
