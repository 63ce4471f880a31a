"""Faults: lost leases, damaged or foreign storage files, hostile values, workers that vanish."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import tunecraft
from tunecraft import TrialState, create_study
from tunecraft.exceptions import StorageError
from tunecraft.pruners import NopPruner
from tunecraft.samplers import RandomSampler
from tunecraft.storage.sql import SQLStorage
from tunecraft.study import Study
from tunecraft.testing import exact, unique_name


def new_study(**kwargs: Any) -> Study:
    kwargs.setdefault("sampler", RandomSampler(seed=0))
    kwargs.setdefault("pruner", NopPruner())
    return create_study(**kwargs)


# ---------------------------------------------------------------------- lost leases
def declare_dead(study: Study) -> None:
    """What another worker does when this one's lease ran out (without waiting for it)."""
    study.storage.reap_stale(study.study_name, force=True)


@pytest.mark.parametrize("catch", [(Exception,), ()])
def test_late_result_of_a_trial_declared_dead_is_dropped(
        catch: tuple[type[Exception], ...], caplog: pytest.LogCaptureFixture) -> None:
    study = new_study()

    def objective(trial: tunecraft.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number == 1:
            trial.flush()  # its parameters are in the storage: the retry reuses them
            declare_dead(study)  # e.g. the process was suspended past its lease
        return x

    with caplog.at_level(logging.WARNING, logger="tunecraft"):
        study.optimize(objective, n_trials=3, catch=catch)
    states = [t.state for t in study.trials]
    # the stale trial 1 is retried as trial 2, which the next ask claims first; a retry
    # does not count against n_trials, so three results are recorded
    assert states == [TrialState.COMPLETE, TrialState.STALE] + [TrialState.COMPLETE] * 2
    late, retry = study.trials[1], study.trials[2]
    assert late.fail_reason == "declared stale by hand" and late.values is None
    assert (retry.system_attrs["retry_of"], retry.params) == (1, late.params)
    assert "Trial 1 lost its lease while it ran here (now STALE" in caplog.text
    assert "COMPLETE result is dropped" in caplog.text


def test_report_after_the_trial_was_declared_dead_stops_it_cleanly() -> None:
    study = new_study()
    reached: list[int] = []

    def objective(trial: tunecraft.Trial) -> float:
        trial.report(1.0, step=0)
        if trial.number == 0:
            declare_dead(study)
        trial.report(0.5, step=1)  # refused: the trial is no longer ours
        reached.append(trial.number)
        return 0.5

    study.optimize(objective, n_trials=2, catch=())
    assert reached == [1, 2]  # two results: the retry does not count against n_trials
    first, second, third = study.trials  # the second is the first's retry
    assert first.state is TrialState.STALE and dict(first.intermediate_values) == {0: 1.0}
    assert second.state is TrialState.COMPLETE and second.system_attrs["retry_of"] == 0
    assert third.state is TrialState.COMPLETE and "retry_of" not in third.system_attrs


# ---------------------------------------------------------------------- damaged files
def test_permanent_sqlite_errors_are_raised_at_once(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    study = new_study(storage=str(path), study_name="s")
    study.tell(study.ask(), 1.0)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE tunecraft_events")
    conn.commit()
    conn.close()
    fresh = SQLStorage(f"sqlite:///{path}")
    try:  # not retried for two minutes as if the database were merely busy
        with pytest.raises(sa.exc.OperationalError, match="no such table: tunecraft_events"):
            fresh.history("s")
    finally:
        fresh.close()


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 200)
    with pytest.raises(StorageError, match=r"is not a SQLite database \(file is not a "
                                           r"database\); give the path of a tunecraft") as info:
        SQLStorage(f"sqlite:///{path}")
    assert isinstance(info.value.__cause__, sa.exc.DatabaseError)
    assert path.read_text().startswith("these are my notes")


def test_a_database_of_another_application_is_shared_safely(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (name) VALUES ('ada')")
    conn.commit()
    conn.close()
    study = new_study(storage=str(path), study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT name FROM users").fetchall() == [("ada",)]
    finally:
        conn.close()


# ---------------------------------------------------------------------- hostile values
HOSTILE: list[Any] = [
    {"__float__": "nan"}, {"__float__": "not a float"}, {"__float__": 1.5},
    {"__float___": [float("nan"), {"__float__": None}]}, ["__float__", {"__float__": {}}],
    {"": "", "\x00": "\ud7ff", "nan": float("nan"), "-0": -0.0},
]


@pytest.mark.parametrize("value", HOSTILE)
def test_values_that_look_like_the_storage_codec_round_trip(tmp_path: Path, value: Any) -> None:
    path = tmp_path / "s.db"
    study = new_study(storage=str(path), study_name="s")
    trial = study.ask()
    trial.set_user_attr("v", value)
    study.set_user_attr("v", value)
    study.tell(trial, 1.0)
    reopened = tunecraft.load_study(study_name="s", storage=str(path),
                                    sampler=RandomSampler(), pruner=NopPruner())
    assert exact(reopened.trials[0].user_attrs["v"]) == exact(value)
    assert exact(reopened.user_attrs["v"]) == exact(value)


def test_a_parameter_named_like_the_codec_tag() -> None:
    study = new_study(sampler=tunecraft.samplers.QMCSampler({"__float__": tunecraft.Float(0, 1)},
                                                            seed=0))
    study.optimize(lambda t: t.suggest_float("__float__", 0.0, 1.0), n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    for t in study.trials:  # the joint proposal {"__float__": x} stays a mapping
        assert dict(t.system_attrs["proposal"]) == {"__float__": t.params["__float__"]}


def test_non_string_keys_are_refused_not_silently_changed() -> None:
    study = new_study()
    trial = study.ask()
    with pytest.raises(TypeError, match="dict key 1 has type int; keys must be str"):
        trial.set_user_attr("scores", {1: 0.5})
    with pytest.raises(TypeError, match="keys must be str"):
        study.set_user_attr("scores", {("a", "b"): 1})
    with pytest.raises(TypeError, match="keys must be str"):
        study.enqueue_trial({"x": 1}, user_attrs={"m": {None: 1}})
    study.tell(trial, 1.0)
    assert study.trials[0].user_attrs == {} and len(study.trials) == 1


# ---------------------------------------------------------------------- vanished workers
def test_owner_liveness() -> None:
    import os
    import socket
    import subprocess
    import sys

    from tunecraft.storage.base import owner_is_dead, this_owner

    host = socket.gethostname()
    assert this_owner().startswith(f"{host}:{os.getpid()}:")
    assert not owner_is_dead(this_owner())
    assert not owner_is_dead(None) and not owner_is_dead("") and not owner_is_dead("garbage")
    assert not owner_is_dead("elsewhere:1:1")  # another host: only its heartbeat can tell
    assert owner_is_dead(f"{host}:4194305:1")  # no such process
    ticks = this_owner().rsplit(":", 1)[1]
    assert owner_is_dead(f"{host}:{os.getpid()}:{ticks}0")  # pid reused by a newer process
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    gone = int(child.stdout)  # exited (its pid is very unlikely to be reused this soon)
    assert owner_is_dead(f"{host}:{gone}:?")


# ---------------------------------------------------------------------- dropped connections
@pytest.mark.postgres
def test_connections_dropped_by_the_server_are_replaced(pg_url: str) -> None:
    """Without a pre-ping per transaction, a dead pooled connection fails once and the
    storage's retry opens a new one (the server restarted, or an idle timeout hit)."""
    import uuid

    app = f"tunecraft-dropped-{uuid.uuid4().hex[:8]}"  # only this storage's connections
    storage = SQLStorage(pg_url, engine_kwargs={"connect_args": {"application_name": app}})
    admin = sa.create_engine(pg_url)
    try:
        study = new_study(storage=storage, study_name=unique_name())
        study.tell(study.ask(), 1.0)
        with admin.connect() as conn:
            killed = conn.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :app"), {"app": app}).scalar()
        assert killed >= 1
        study.tell(study.ask(), 2.0)  # the pooled connections are dead: replaced
        assert [t.values for t in study.trials] == [(1.0,), (2.0,)]
    finally:
        storage.close()
        admin.dispose()


# ---------------------------------------------------------------------- permanent errors
@pytest.mark.postgres
@pytest.mark.parametrize(("change", "fix"), [
    (lambda url: url.replace("/test", "/no_such_db_tunecraft"),
     "database \"no_such_db_tunecraft\" does not exist; create it, or fix the name"),
    (lambda url: url.replace("postgres@", "no_such_role_tunecraft@"),
     "role \"no_such_role_tunecraft\" does not exist; create it, or fix the name"),
    (lambda url: url.replace("127.0.0.1", "no-such-host.invalid"),
     "fix the host name in the storage URL"),
])
def test_permanent_postgresql_errors_are_raised_at_once(
        pg_url: str, change: Callable[[str], str], fix: str) -> None:
    """No retry can create a database, a role or a host name: the error comes at once
    (not after the two minutes of retries that a restarting server deserves)."""
    started = time.monotonic()
    with pytest.raises(StorageError, match=re.escape(fix)):
        SQLStorage(change(pg_url))
    assert time.monotonic() - started < 60  # the retry budget for outages is 120 s


def test_a_server_that_was_never_reached_is_reported_in_seconds() -> None:
    """A refused connection before the storage ever reached its server is a wrong host or
    port, not a restart: a few seconds of retries, then the fix."""
    from _pgcluster import free_port

    started = time.monotonic()
    with pytest.raises(StorageError, match="check that the server runs and that the URL's "
                                           "host and port are right"):
        SQLStorage(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test")
    assert time.monotonic() - started < 60  # the retry budget for outages is 120 s
