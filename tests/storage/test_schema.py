"""Schema versions: the frozen v1 file opens and reads back; newer files are refused; old files
are upgraded through the migrations once."""

from __future__ import annotations

import datetime as dt
import math
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import tunecraft
from tunecraft import Categorical, Float, Int, StudyDirection, TrialState
from tunecraft.exceptions import SchemaVersionError
from tunecraft.pruners import NopPruner
from tunecraft.samplers import RandomSampler
from tunecraft.storage import events, sql
from tunecraft.storage.sql import SQLStorage
from tunecraft.testing import exact

ASSET = Path(__file__).resolve().parents[1] / "assets" / "v1.db"
T0 = 1_700_000_000.0  # the fixed clock of tests/assets/make_v1_db.py, in 0.5 s ticks


def at(ticks: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(T0 + 0.5 * ticks)


@pytest.fixture
def v1_copy(tmp_path: Path) -> Path:
    """A copy of the frozen asset: opening a file may write to it (WAL, migrations)."""
    path = tmp_path / "v1.db"
    shutil.copyfile(ASSET, path)
    return path


def set_version(path: Path, value: str | None) -> None:
    with sqlite3.connect(path) as conn:
        if value is None:
            conn.execute("DELETE FROM tunecraft_version")
        else:
            conn.execute("UPDATE tunecraft_version SET value = ? WHERE key = 'schema'", (value,))
    conn.close()


def version_of(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT value FROM tunecraft_version").fetchone()[0])
    finally:
        conn.close()


def test_asset_is_version_1() -> None:
    assert version_of(ASSET) == "1"


def test_v1_file_reads_back_as_written(v1_copy: Path) -> None:
    storage = SQLStorage(f"sqlite:///{v1_copy}")
    try:
        assert storage.study_names() == ["v1-single", "v1-multi"]
        assert storage.study_attrs("v1-single") == {"user:dataset": "digits"}
        history = storage.history("v1-single")
        assert history.directions == (StudyDirection.MINIMIZE,)
        states = [t.state for t in history.trials]
        assert states == [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL,
                          TrialState.FAIL, TrialState.WAITING, TrialState.RUNNING]
        dists = {"lr": Float(1e-5, 1.0, log=True), "layers": Int(1, 5),
                 "act": Categorical(("relu", "tanh", None)), "dropout": Float(0.0, 0.5, step=0.05)}
        done, pruned, failed, claimed, waiting, running = history.trials
        assert exact(dict(done.params)) == exact(
            {"lr": 0.001, "layers": 3, "act": "relu", "dropout": 0.25})
        assert dict(done.distributions) == dists == dict(failed.distributions)
        assert done.values == (0.42,) and dict(done.intermediate_values) == {0: 0.9, 1: 0.5}
        assert exact(done.user_attrs) == exact(
            {"epochs": 2, "curve": {"loss": [0.9, 0.5], "best": None, "ok": True}})
        assert (done.datetime_start, done.datetime_complete) == (at(7), at(8))
        assert exact(dict(pruned.params)) == exact(
            {"lr": 0.1, "layers": 1, "act": None, "dropout": 0.0})
        assert pruned.values is None and math.isnan(pruned.intermediate_values[0])
        assert pruned.intermediate_values[1] == math.inf
        assert failed.fail_reason == "RuntimeError: CUDA out of memory"
        assert "CUDA out of memory" in failed.system_attrs["traceback"]
        assert dict(failed.system_attrs["fixed_params"]) == {
            "lr": 1e-05, "layers": 5, "act": "tanh", "dropout": 0.5}
        assert claimed.fail_reason == "claimed, then failed"
        assert claimed.user_attrs == {"source": "manual"}
        assert waiting.datetime_start is None and dict(waiting.system_attrs["fixed_params"]) == {
            "lr": 0.02}
        assert running.datetime_complete is None and running.params == {}
        counts = storage.state_counts("v1-single")
        assert (counts[TrialState.FAIL], counts[TrialState.WAITING]) == (2, 1)

        multi = storage.history("v1-multi")
        assert multi.directions == (StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE)
        assert [exact(t.values) for t in multi.trials] == [
            exact((1.5, -2.0)), exact((5e-324, -0.0)), exact((1.7976931348623157e308, 1e-300))]
        assert [exact(t.params["k"]) for t in multi.trials] == [exact(2), exact(False),
                                                                 exact(False)]
    finally:
        storage.close()
    assert version_of(v1_copy) == "2"  # upgraded in place (lease columns)


def test_v1_study_continues(v1_copy: Path) -> None:
    study = tunecraft.load_study(study_name="v1-single", storage=str(v1_copy),
                                 sampler=RandomSampler(seed=0), pruner=NopPruner())
    seen: list[Any] = []
    study.optimize(lambda t: seen.append((t.number, t.suggest_float("lr", 1e-5, 1.0, log=True)))
                   or 1.0, n_trials=2)
    assert seen[0] == (4, 0.02)  # the queued trial runs first
    assert seen[1][0] == 6  # numbering continues after the file's trials
    assert study.best_value == 0.42


@pytest.mark.parametrize("version", ["3", "17"])
def test_newer_schema_is_refused(v1_copy: Path, version: str) -> None:
    set_version(v1_copy, version)
    with pytest.raises(SchemaVersionError, match=(
            rf"uses schema version {version}, written by a newer tunecraft \(this one reads "
            r"up to 2\); upgrade tunecraft to open it")):
        SQLStorage(f"sqlite:///{v1_copy}")
    with pytest.raises(SchemaVersionError):
        tunecraft.load_study(study_name="v1-single", storage=str(v1_copy))
    assert version_of(v1_copy) == version  # the file is left as it was


def test_missing_schema_row_is_refused(v1_copy: Path) -> None:
    set_version(v1_copy, None)
    with pytest.raises(SchemaVersionError, match="without a schema row"):
        SQLStorage(f"sqlite:///{v1_copy}")


def test_old_files_are_migrated_once(v1_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def v2_to_v3(conn: Any, sa: Any) -> None:
        calls.append(2)
        conn.exec_driver_sql("CREATE TABLE tunecraft_v3_probe (id INTEGER PRIMARY KEY)")

    monkeypatch.setattr(sql, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(sql.MIGRATIONS, 2, v2_to_v3)
    url = f"sqlite:///{v1_copy}"
    SQLStorage(url).close()
    assert calls == [2] and version_of(v1_copy) == "3"  # through the real v1 -> v2 too
    storage = SQLStorage(url)
    try:
        assert calls == [2]  # already at version 3: nothing to do
        assert len(storage.history("v1-single")) == 6
    finally:
        storage.close()


def test_new_files_get_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SQLStorage(f"sqlite:///{path}").close()
    assert version_of(path) == str(events.SCHEMA_VERSION)
    conn = sqlite3.connect(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    assert tables == {"tunecraft_version", "tunecraft_studies", "tunecraft_study_attrs",
                      "tunecraft_trials", "tunecraft_events"}
