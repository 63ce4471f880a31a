"""A driver killed with SIGKILL mid-study resumes when the same command runs again.

The first run is killed while a trial sleeps inside the objective. Running the same command
again must keep every finished trial as it was, mark the killed RUNNING trial STALE (never
leave it RUNNING) and run its retry first, continue the numbering, and finish the study.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tunecraft import TrialState
from tunecraft.storage.sql import SQLStorage
from tunecraft.testing import trial_image, unique_name

WORKER = Path(__file__).resolve().parents[1] / "_worker.py"
TOTAL = 8
pytestmark = pytest.mark.slow


def wait_until_inside_a_trial(storage: SQLStorage, name: str, n_complete: int,
                              proc: subprocess.Popen[str]) -> None:
    """Wait until ``n_complete`` trials are COMPLETE and another is inside the objective."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the driver exited early: {proc.communicate()}"
        if name in storage.study_names():
            trials = storage.history(name).trials
            done = sum(t.state is TrialState.COMPLETE for t in trials)
            inside = [t for t in trials if t.state is TrialState.RUNNING
                      and 0 in t.intermediate_values]
            if done >= n_complete and inside:
                return
        time.sleep(0.05)
    raise AssertionError("the driver made no progress in 120 s")


def test_sigkilled_driver_resumes(sqlite_url: str) -> None:
    name = unique_name()
    command = [sys.executable, str(WORKER), sqlite_url, name, "--total", str(TOTAL),
               "--sleep", "0.3", "--seed", "3"]
    storage = SQLStorage(sqlite_url)
    try:
        first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        try:
            wait_until_inside_a_trial(storage, name, 3, first)
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=60)
        assert first.returncode == -signal.SIGKILL

        before = storage.history(name).trials
        killed = [t.number for t in before if t.state is TrialState.RUNNING]
        assert len(killed) == 1, [t.state for t in before]  # left RUNNING by the crash
        finished = {t.number: trial_image(t) for t in before if t.state.is_finished()}
        assert len(finished) >= 3

        second = subprocess.run(command, capture_output=True, text=True, timeout=240)
        assert second.returncode == 0, second.stderr
        resumed = json.loads(second.stdout.strip().splitlines()[-1])["numbers"]
        assert resumed == list(range(len(before), len(before) + len(resumed)))

        after = storage.history(name).trials
        assert [t.number for t in after] == list(range(len(after)))  # numbering continued
        assert {n: trial_image(after[n]) for n in finished} == finished  # nothing lost
        dead = after[killed[0]]
        assert dead.state is TrialState.STALE
        assert "exited while the trial was running" in (dead.fail_reason or "")
        retry = after[len(before)]  # queued when the dead trial was found, run first
        assert retry.system_attrs["retry_of"] == killed[0] and dead.system_attrs[
            "retried_by"] == retry.number
        assert retry.state is TrialState.COMPLETE and retry.params == dead.params
        assert dict(dead.intermediate_values) == {0: 0.0}  # what it wrote before dying stays
        assert sum(t.state is TrialState.COMPLETE for t in after) == TOTAL
        assert not [t for t in after if t.state is TrialState.RUNNING]
        assert storage.leases(name) == []
    finally:
        storage.close()
