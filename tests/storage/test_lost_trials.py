"""A trial whose worker vanished stays RUNNING in the storage until some worker reaps it; every
listing shows it as stale from the moment its lease runs out, without writing anything."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tunecraft
from tests._live_server import request, serve
from tunecraft import TrialState
from tunecraft.dashboard import create_app
from tunecraft.pruners import NopPruner
from tunecraft.samplers import RandomSampler
from tunecraft.storage.sql import SQLStorage


def tc(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TUNECRAFT_STORAGE"}
    return subprocess.run([sys.executable, "-m", "tunecraft", *args], capture_output=True,
                          text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)


@pytest.fixture
def abandoned(tmp_path: Path) -> tuple[str, SQLStorage]:
    """A study with 2 COMPLETE trials and trial 2 RUNNING, its lease run out (its worker
    stopped renewing it, as a killed one does)."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = tunecraft.create_study(storage=url, study_name="s", sampler=RandomSampler(seed=0),
                                   pruner=NopPruner())
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    storage = SQLStorage(url)
    number = storage.create_trial("s", lease_seconds=0.3)
    deadline = time.monotonic() + 30
    while not storage.lost_trials("s"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert storage.lost_trials("s") == {number: storage.lost_trials("s")[number]}
    assert "stopped renewing its lease" in storage.lost_trials("s")[number]
    return url, storage


def test_cli_listings_show_a_lost_trial_as_stale(abandoned: tuple[str, SQLStorage]) -> None:
    url, storage = abandoned
    out = tc("studies", "--storage", url)
    assert out.returncode == 0, out.stderr
    row = next(line for line in out.stdout.splitlines() if line.strip().startswith("│ s "))
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    # study, direction, trials, complete, pruned, fail, stale, running, ...
    assert cells[2:8] == ["3", "2", "0", "0", "1*", "0"], cells
    assert "1 running trial(s) lost their worker" in out.stdout
    out = tc("trials", "s", "--storage", url)
    assert "STALE*" in out.stdout and "its worker is gone" in out.stdout
    assert "STALE*" in tc("trials", "s", "--storage", url, "--state", "stale",
                          "--limit", "5").stdout
    assert "(0 of 3)" in tc("trials", "s", "--storage", url, "--state", "running").stdout
    # nothing was written: the trial is still RUNNING until a worker reaps it
    assert storage.history("s").trial(2).state is TrialState.RUNNING
    tunecraft.load_study(study_name="s", storage=url).optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert storage.history("s").trial(2).state is TrialState.STALE
    storage.close()


def test_the_dashboard_shows_a_lost_trial_as_stale(abandoned: tuple[str, SQLStorage]
                                                   ) -> None:
    _, storage = abandoned
    with serve(create_app(storage, importance="none")) as base:
        study = request(base, "/api/study", name="s").json()
        assert study["counts"] == {"COMPLETE": 2, "STALE": 1} and study["lost"] == 1
        listed = request(base, "/api/studies").json()
        assert listed[0]["counts"] == {"COMPLETE": 2, "STALE": 1}
        rows = request(base, "/api/trials", name="s", state="STALE").json()["rows"]
        assert [r["number"] for r in rows] == [2]
        detail = request(base, "/api/trial", name="s", number=2).json()
        assert detail["state"] == "STALE" and "stopped renewing" in detail["lost"]
    assert storage.history("s").trial(2).state is TrialState.RUNNING  # read-only
    storage.close()
