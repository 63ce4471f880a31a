"""The digits MLP demo (``make demo``), run end to end at a reduced size in a temp directory."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tunecraft
from tunecraft import History, TrialState
from tunecraft.storage import get_storage

DEMO = Path(__file__).resolve().parents[1] / "examples" / "digits_mlp.py"
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
# how the storage marks a trial whose worker died (FAIL, or STALE where that state exists)
DEAD = tuple(s for s in TrialState if s.name in ("FAIL", "STALE"))
# the parameters of suggest_training_config + suggest_mlp as the demo narrows them
PARAMS = {"batch_size", "optimizer", "optimizer_lr", "optimizer_weight_decay", "schedule",
          "reg_dropout", "init", "mlp_depth", "mlp_width"}
OPTIMIZER_PARAMS = {
    "sgd": {"optimizer_sgd_momentum", "optimizer_sgd_nesterov"},
    "adam": {"optimizer_adam_beta1", "optimizer_adam_beta2"},
    "adamw": {"optimizer_adam_beta1", "optimizer_adam_beta2"},
    "rmsprop": {"optimizer_rmsprop_alpha", "optimizer_rmsprop_momentum"},
}


def run_demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the demo as ``make demo`` does (a subprocess without a terminal) and capture it."""
    return subprocess.run([sys.executable, str(DEMO), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=240, check=False)


def read_history(db: Path, study_name: str = "digits-mlp") -> History | None:
    """The study's trials now, or None while the database or the study does not exist yet."""
    if not db.exists():
        return None
    storage = get_storage(str(db))
    try:
        if study_name not in storage.study_names():
            return None
        return storage.history(study_name)
    finally:
        storage.close()


def history_of(db: Path, study_name: str = "digits-mlp") -> History:
    history = read_history(db, study_name)
    assert history is not None, f"no study {study_name!r} in {db}"
    return history


def table_rows(out: str) -> list[list[str]]:
    """The cells of the printed table's body rows (its ASCII box has `|` borders)."""
    lines = [x for x in out.splitlines() if x.startswith("|") and not x.startswith("|-")]
    return [[cell.strip() for cell in x.strip("|").split("|")] for x in lines[1:]]


def count(history: History, *states: TrialState) -> int:
    return len(history.with_states(*states))


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """Three trials of two epochs with the default storage (tunecraft.db in the cwd)."""
    cwd = tmp_path_factory.mktemp("demo")
    proc = run_demo(cwd, "--n-trials", "3", "--epochs", "2", "--seed", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    yield cwd, proc.stdout


def test_demo_saves_the_study_in_tunecraft_db(first_run: tuple[Path, str]) -> None:
    cwd, _ = first_run
    history = history_of(cwd / "tunecraft.db")
    assert len(history) == 3
    assert count(history, *FINISHED) == 3
    assert history.directions == (tunecraft.StudyDirection.MAXIMIZE,)
    for trial in history.with_states(TrialState.COMPLETE):
        reports = trial.intermediate_values
        # fit reports once per epoch; a run whose loss blew up stops there and says so (such
        # an Adam run at a high rate may or may not blow up in epoch 2: float rounding decides)
        if "diverged" in trial.user_attrs:
            assert set(reports) == set(range(1, max(reports) + 1)) and max(reports) <= 2
        else:
            assert set(reports) == {1, 2}
        assert trial.value == max(reports.values())  # fit's best_metric
        assert reports[trial.user_attrs["best_epoch"]] == trial.value
        assert 0.0 <= trial.value <= 1.0
        optimizer = trial.params["optimizer"]
        assert set(trial.params) == PARAMS | OPTIMIZER_PARAMS[optimizer]
        assert trial.params["init"] in ("xavier_uniform", "kaiming_uniform")
        assert trial.params["schedule"] == "constant"


def test_demo_prints_the_table_counts_and_test_accuracy(first_run: tuple[Path, str]) -> None:
    cwd, out = first_run
    history = history_of(cwd / "tunecraft.db")
    best = history.best_trial()
    assert best is not None
    assert "New study 'digits-mlp' in tunecraft.db: running 3 trials" in out
    assert "Best 5 trials" in out
    rows = table_rows(out)
    assert rows[0][:2] == [str(best.number), f"{best.value:.4f}"]  # the best heads the table
    assert len(rows) == min(5, len(history))
    assert {row[-1] for row in rows} <= {"COMPLETE", "PRUNED"}
    n_complete = count(history, TrialState.COMPLETE)
    n_pruned = count(history, TrialState.PRUNED)
    assert f"trials: COMPLETE {n_complete}, PRUNED {n_pruned}, FAIL 0" in out
    assert f"best trial {best.number}: validation accuracy {best.value:.4f} at epoch " \
        f"{best.user_attrs['best_epoch']}" in out
    assert f"  optimizer: {best.params['optimizer']}, lr " in out
    line = next(x for x in out.splitlines() if x.startswith("test accuracy"))
    assert f"retrained on train+validation for {best.user_attrs['best_epoch']} epochs" in line
    assert 0.0 <= float(line.rsplit(":", 1)[1]) <= 1.0
    assert "\x1b[" not in out  # no terminal: plain text, no colour codes
    assert max(len(x) for x in out.splitlines()) <= 120


def test_demo_ends_with_commands_that_open_its_study(first_run: tuple[Path, str]) -> None:
    cwd, out = first_run
    tail = out[out.index("The study is saved in tunecraft.db. Look at it with:"):]
    commands = [x.strip().split("#")[0].strip() for x in tail.splitlines()[1:] if x.strip()]
    assert [c.split()[1] for c in commands if c.startswith("tunecraft")] == [
        "best", "report", "dashboard"]
    tunecraft_bin = Path(sys.prefix) / "bin" / "tunecraft"
    for command in commands[:-1]:  # every one but the dashboard, a server
        if command.startswith("source "):
            continue
        words = command.split()
        done = subprocess.run([str(tunecraft_bin), *words[1:]], cwd=cwd, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, f"{command}: {done.stderr}"
    assert (cwd / "report.html").stat().st_size > 0


def test_demo_is_reproducible(first_run: tuple[Path, str], tmp_path: Path) -> None:
    cwd, out = first_run
    again = run_demo(tmp_path, "--n-trials", "3", "--epochs", "2", "--seed", "1")
    assert again.returncode == 0, again.stderr
    assert history_of(tmp_path / "tunecraft.db").trials[-1].params == \
        history_of(cwd / "tunecraft.db").trials[-1].params

    def results(text: str) -> list[str]:  # everything but the wall time
        return [x for x in text.splitlines() if not x.startswith("ran ")]

    assert results(again.stdout) == results(out)


def test_demo_continues_the_study_and_refuses_another_setup(
        first_run: tuple[Path, str], tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    with sqlite3.connect(first_run[0] / "tunecraft.db") as src, sqlite3.connect(db) as dst:
        src.backup(dst)  # continue a copy of the three-trial study
    args = ("--storage", str(db), "--epochs", "2", "--seed", "1")

    more = run_demo(tmp_path, *args, "--n-trials", "4")
    assert more.returncode == 0, more.stderr
    assert "3 of 4 trials finished, running the 1 still missing" in more.stdout
    assert "trial   3  " in more.stdout and "trial   2  " not in more.stdout
    assert "\nran 1 trials in " in more.stdout
    assert count(history_of(db), *FINISHED) == 4

    done = run_demo(tmp_path, *args, "--n-trials", "4")
    assert "4 of 4 trials finished, running the 0 still missing" in done.stdout
    assert "\nran 0 trials in " in done.stdout
    assert len(history_of(db)) == 4

    other = run_demo(tmp_path, "--storage", str(db), "--epochs", "3", "--seed", "1")
    assert other.returncode != 0
    assert "pass the same --epochs/--seed" in other.stderr
    assert len(history_of(db)) == 4


def test_demo_refuses_a_study_of_another_search_space(tmp_path: Path) -> None:
    db = tmp_path / "old.db"  # as an older demo left it: same setup, other parameter names
    study = tunecraft.create_study(storage=str(db), study_name="digits-mlp",
                                   direction="maximize")
    study.set_user_attr("setup", {"epochs": 2, "seed": 1})
    study.storage.close()
    proc = run_demo(tmp_path, "--storage", str(db), "--epochs", "2", "--seed", "1")
    assert proc.returncode != 0
    assert "searched another space" in proc.stderr
    assert len(history_of(db)) == 0


@pytest.mark.slow
def test_demo_continues_after_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    args = ["--storage", str(db), "--epochs", "20"]
    proc = subprocess.Popen([sys.executable, str(DEMO), *args, "--n-trials", "30"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while True:  # kill once a trial has finished and the next one is mid-training
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the demo made no progress in 120 s"
            history = read_history(db)
            if history is not None and count(history, *FINISHED) >= 1 and any(
                    t.state is TrialState.RUNNING and 1 <= (t.last_step or 0) <= 10
                    for t in history.trials):
                break
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()  # reap it, so that its pid is really gone
        if proc.stderr:
            proc.stderr.close()

    before = history_of(db)
    done = count(before, *FINISHED)
    assert count(before, TrialState.RUNNING) == 1

    rerun = run_demo(tmp_path, *args, "--n-trials", str(done + 1))
    assert rerun.returncode == 0, rerun.stderr
    killed = before.with_states(TrialState.RUNNING)[0].number
    marked = history_of(db).trial(killed).state
    assert marked in DEAD
    assert f"trial {killed} was left RUNNING by a worker that died; marked {marked.name}" \
        in rerun.stdout
    assert f"{done} of {done + 1} trials finished, running the 1 still missing" in rerun.stdout
    after = history_of(db)
    assert count(after, *FINISHED) == done + 1
    assert count(after, *DEAD) == 1
    assert count(after, TrialState.RUNNING) == 0
