"""What a planted study database may make tunecraft do: nothing but hold data.

Whoever can write a study file (or a PostgreSQL table) must not be able to run code on the
workers that join the study, nor choose where their checkpoints are written or deleted. See
docs/security.md for the trust model these tests hold the code to.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

import tunecraft
from tunecraft.artifacts import ARTIFACTS_ATTR, quote
from tunecraft.execution.configured import RUN_CONFIG_ATTR
from tunecraft.execution.driver import OBJECTIVE_ATTR
from tunecraft.pruners import NopPruner
from tunecraft.samplers import RandomSampler
from tunecraft.storage.sql import SQLStorage

QUADRATIC = "tunecraft.testing.objectives:quadratic"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tunecraft", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd, stdin=subprocess.DEVNULL)


def planted(url: str, config: dict[str, object], *, path: str | None = None) -> None:
    """A study whose stored run config was written by someone else."""
    tunecraft.create_study(storage=url, study_name="s")
    storage = SQLStorage(url)
    try:
        storage.set_study_attr("s", RUN_CONFIG_ATTR, {"config": config, "path": path})
    finally:
        storage.close()


@pytest.mark.parametrize("key", ["sampler", "pruner"])
def test_a_worker_never_instantiates_a_class_named_by_the_database(tmp_path: Path,
                                                                   key: str) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    marker = tmp_path / "pwned"
    planted(url, {"objective": QUADRATIC, "n_trials": 2,
                  key: {"name": "subprocess:Popen", "args": ["touch", str(marker)]}})
    out = cli("worker", "--storage", url, "--study", "s", "--objective", QUADRATIC)
    assert out.returncode == 2, out.stderr
    assert (f"study 's' names the {key} class 'subprocess:Popen' in its storage; a worker "
            "imports no code named only by the database") in out.stderr
    assert not marker.exists()
    # named by the user on the command line, the class is still checked before any call
    out = cli("worker", "--storage", url, "--study", "s", "--objective", QUADRATIC,
              f"--{key}", "subprocess:Popen")
    assert out.returncode != 0 and f"'subprocess:Popen' is not a tunecraft {key}" in out.stderr
    assert not marker.exists()


def test_a_wrapped_pruner_class_in_the_database_is_refused_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    planted(url, {"objective": QUADRATIC, "pruner": {
        "name": "patient", "patience": 1, "wrapped": {"name": "evil:Pruner"}}})
    out = cli("worker", "--storage", url, "--study", "s", "--objective", QUADRATIC)
    assert out.returncode == 2
    assert "names the pruner.wrapped class 'evil:Pruner'" in out.stderr


def test_a_worker_runs_no_objective_named_only_by_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil"
    evil.mkdir()
    # the database names an objective module in a folder of its choosing
    (evil / "planted_objective.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef objective(trial):\n    return 0.0\n")
    planted(url, {"objective": "planted_objective:objective", "n_trials": 1},
            path=str(evil / "config.yaml"))
    storage = SQLStorage(url)
    storage.set_study_attr("s", OBJECTIVE_ATTR, "planted_objective:objective")
    storage.close()
    work = tmp_path / "work"
    work.mkdir()
    out = cli("worker", "--storage", url, "--study", "s", cwd=work)
    assert out.returncode == 2
    assert ("a worker runs only code named on its command line: study 's' was started with "
            "objective 'planted_objective:objective'; pass --objective "
            "planted_objective:objective") in out.stderr
    assert not marker.exists()
    # even when the user names that objective, it is imported from the worker's folder,
    # never from the folder the database names
    out = cli("worker", "--storage", url, "--study", "s", "--objective",
              "planted_objective:objective", cwd=work)
    assert out.returncode != 0 and "no module named 'planted_objective'" in out.stderr
    assert not marker.exists()


def test_a_stored_objective_that_is_not_a_reference_is_not_echoed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    planted(url, {"objective": "x:y\x1b]8;;http://evil\x1b\\"})
    out = cli("worker", "--storage", url, "--study", "s")
    assert out.returncode == 2 and "\x1b" not in out.stderr
    assert "pass --objective MODULE:FUNCTION" in out.stderr


def test_the_database_does_not_choose_where_checkpoints_are_deleted(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    victim = tmp_path / "victim"
    precious = victim / quote("s") / "0"
    precious.mkdir(parents=True)
    (precious / "thesis.tex").write_text("years of work")
    tunecraft.create_study(storage=url, study_name="s")
    storage = SQLStorage(url)
    storage.set_study_attr("s", ARTIFACTS_ATTR, str(victim))  # planted
    storage.close()

    def objective(trial: tunecraft.Trial) -> float:
        trial.report(1.0, step=1)
        trial.save_checkpoint(b"weights")
        return 1.0

    study = tunecraft.load_study(study_name="s", storage=url, sampler=RandomSampler(seed=0),
                                 pruner=NopPruner())
    with caplog.at_level(logging.WARNING, logger="tunecraft"):
        study.optimize(objective, n_trials=3)
    assert (precious / "thesis.tex").read_text() == "years of work"
    assert study.artifacts.root == (tmp_path / "study.db.artifacts").resolve()
    assert f"recorded its checkpoints in {str(victim)!r}" in caplog.text
    assert "pass artifacts=" in caplog.text
