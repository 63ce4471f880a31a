"""A trial whose worker is killed before it reports: its parameters survive, and its retry runs
them again (the case ``max_retries`` exists for: a configuration that dies out of memory)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tunecraft
from tunecraft import TrialState
from tunecraft.pruners import NopPruner
from tunecraft.samplers import RandomSampler, TPESampler

pytestmark = pytest.mark.slow

DIES_AFTER_SUGGESTING = """
import os, sys, time, tunecraft
from tunecraft.samplers import {sampler}
study = tunecraft.load_study(study_name="s", storage=sys.argv[1], sampler={sampler}(seed=3))
trial = study.ask()
trial.suggest_float("lr", 1e-5, 1.0, log=True)
trial.suggest_int("width", 8, 512, log=True)
trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
open(sys.argv[2], "w").close()  # the test kills this process now: no report, no tell
time.sleep(120)
"""


@pytest.mark.parametrize("sampler", ["RandomSampler", "TPESampler"])
def test_the_retry_of_a_killed_trial_runs_its_parameters(tmp_path: Path, sampler: str
                                                         ) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = tunecraft.create_study(storage=url, study_name="s", pruner=NopPruner(),
                                   sampler=RandomSampler(seed=0))
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", DIES_AFTER_SUGGESTING.format(sampler=sampler),
                             url, str(ready)], stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), "the worker did not start"
        running = study.trials[0]
        assert running.state is TrialState.RUNNING
        assert set(running.params) == {"lr", "width", "act"}  # seen while it runs
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()

    assert study.fail_stale_trials() == [0]  # its process is gone: stale at once
    killed = study.trials[0]
    assert killed.state is TrialState.STALE and dict(killed.params) == dict(running.params)
    retry = study.ask()
    assert retry.number == int(killed.system_attrs["retried_by"])
    ran = {"lr": retry.suggest_float("lr", 1e-5, 1.0, log=True),
           "width": retry.suggest_int("width", 8, 512, log=True),
           "act": retry.suggest_categorical("act", ["relu", "tanh", "gelu"])}
    assert ran == dict(killed.params)
    study.tell(retry, 0.5)
    assert study.trials[retry.number].system_attrs["retry_of"] == 0


def test_parameters_are_recorded_before_the_objective_runs_on(tmp_path: Path) -> None:
    """Another process sees a running trial's parameters as soon as they are suggested."""
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = tunecraft.create_study(storage=url, study_name="s", sampler=TPESampler(seed=0))
    other = tunecraft.load_study(study_name="s", storage=url)
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    assert other.trials[0].params == {"x": x}
    study.tell(trial, x)
