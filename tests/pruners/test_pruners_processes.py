"""Every pruner across processes: decisions read from storage alone.

Two interpreters take turns on one SQLite file (the second continues the first's study, and
resumes its paused trials from the checkpoints it left); the result must equal the same
trials run in one process. Then two interpreters run a pausing scheduler at the same time:
every paused trial is continued at most once, whatever the race.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests._sched_worker import KINDS, STEPS, objective_for, open_study
from tunecraft import TrialState, load_study
from tunecraft.pruners.lineage import superseded
from tunecraft.testing import exact

WORKER = Path(__file__).resolve().parents[1] / "_sched_worker.py"
pytestmark = pytest.mark.slow


def start(url: str, study: str, kind: str, n_trials: int, seed: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(WORKER), url, study, kind, str(n_trials),
                             str(seed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def finish(proc: subprocess.Popen[str]) -> list[int]:
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, f"worker failed with {proc.returncode}:\n{err}"
    assert "Traceback" not in err, err
    numbers: list[int] = json.loads(out.strip().splitlines()[-1])["numbers"]
    return numbers


def summary(trials: Any) -> list[Any]:
    return [(t.number, t.state, exact(dict(t.params)), exact(dict(t.intermediate_values)),
             exact(dict(t.intermediate_vectors)), t.values) for t in trials]


@pytest.mark.parametrize("kind", KINDS)
def test_a_second_process_decides_from_the_first_ones_trials(kind: str, tmp_path: Path
                                                             ) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    first, second = (8, 10) if kind != "pbt" else (4, 14)
    assert finish(start(url, "s", kind, first, 7)) == list(range(first))
    ran = finish(start(url, "s", kind, second, 7))
    assert ran == list(range(first, first + second))
    stored = load_study(study_name="s", storage=url).trials

    alone = open_study(None, "s", kind, 7)
    alone.optimize(objective_for(kind), n_trials=first + second, catch=())
    assert summary(stored) == summary(alone.trials)
    states = {t.state for t in stored}
    if kind not in ("threshold", "patient"):  # these two never look at other trials
        assert TrialState.PRUNED in states, kind  # some decisions used the other process's
    if kind in ("sh-pause", "bohb-pause", "pbt"):
        resumed = [t for t in stored if "resume" in t.system_attrs and
                   t.system_attrs["resume"]["checkpoint"] is not None]
        assert resumed  # continued from checkpoints, some written by the other process


@pytest.mark.parametrize("kind", ["sh-pause", "pbt"])
def test_two_processes_at_once_continue_each_paused_trial_once(kind: str,
                                                               tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    procs = [start(url, "s", kind, 20, seed) for seed in (1, 2)]
    ran = sorted(n for p in procs for n in finish(p))
    assert ran == list(range(40))
    trials = load_study(study_name="s", storage=url).trials
    parents = [int(t.system_attrs["resume"]["trial"]) for t in trials
               if "resume" in t.system_attrs]
    assert len(parents) == len(set(parents)) > 0  # once each
    paused = {t.number for t in trials if "paused" in t.system_attrs
              and t.state is TrialState.PRUNED}
    assert set(parents) <= paused and superseded(trials) == set(parents)
    for t in trials:
        if t.state is TrialState.COMPLETE:
            assert max(t.intermediate_values) == STEPS
