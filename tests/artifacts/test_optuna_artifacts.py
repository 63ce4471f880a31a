"""Optuna's ``optuna.artifacts`` and ``optuna.storages`` (RDBStorage's heartbeat arguments,
the retry callbacks) over tunecraft's artifact store and leases (#17: the
``pytorch/pytorch_checkpoint.py`` example)."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest

import tunecraft as optuna
from tunecraft.artifacts import (
    ArtifactMeta,
    ArtifactStore,
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from tunecraft.artifacts.exceptions import ArtifactNotFound
from tunecraft.samplers import RandomSampler
from tunecraft.storages import (
    InMemoryStorage,
    RDBStorage,
    RetryFailedTrialCallback,
    RetryHeartbeatStaleTrialCallback,
)
from tunecraft.trial import FrozenTrial, TrialState


def test_upload_and_download_a_trials_file(tmp_path: Path) -> None:
    store = FileSystemArtifactStore(base_path=tmp_path / "artifacts")
    src = tmp_path / "model.tcblob"
    src.write_bytes(b"weights")
    ids: list[str] = []

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        ids.append(upload_artifact(artifact_store=store, file_path=str(src),
                                   study_or_trial=trial))
        (meta,) = get_all_artifact_meta(trial)  # the live trial sees its upload at once
        assert meta == ArtifactMeta(ids[-1], "model.tcblob", "application/octet-stream", None)
        return x

    study = optuna.create_study(sampler=RandomSampler(seed=0))
    study.optimize(objective, n_trials=2)
    assert len(set(ids)) == 2 and (tmp_path / "artifacts" / ids[0]).read_bytes() == b"weights"
    assert [m.artifact_id for m in get_all_artifact_meta(study.trials[1])] == [ids[1]]
    out = tmp_path / "copy.pt"
    download_artifact(artifact_store=store, file_path=str(out), artifact_id=ids[0])
    assert out.read_bytes() == b"weights"
    with pytest.raises(FileExistsError, match="already exists"):
        download_artifact(artifact_store=store, file_path=str(out), artifact_id=ids[0])
    with pytest.raises(ArtifactNotFound):
        download_artifact(artifact_store=store, file_path=str(tmp_path / "x"), artifact_id="no")
    store.remove(ids[0])
    with pytest.raises(ArtifactNotFound):
        store.remove(ids[0])
    with pytest.raises(ValueError, match="invalid part"):  # no escape from the directory
        store.open_reader("../model.tcblob")


def test_study_artifacts_and_refusals(tmp_path: Path) -> None:
    store = FileSystemArtifactStore(str(tmp_path))
    src = tmp_path / "notes.txt.gz"
    src.write_bytes(b"\x1f\x8b")
    study = optuna.create_study()
    aid = upload_artifact(artifact_store=store, file_path=src, study_or_trial=study)
    (meta,) = get_all_artifact_meta(study)
    assert (meta.artifact_id, meta.mimetype, meta.encoding) == (aid, "text/plain", "gzip")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert get_all_artifact_meta(study.trials[0]) == []  # the study's, not its trials'
    with pytest.raises(ValueError, match="FrozenTrial, the record of a finished trial"):
        upload_artifact(artifact_store=store, file_path=src, study_or_trial=study.trials[0])
    with pytest.raises(TypeError, match="must be a Trial, a FrozenTrial or a Study"):
        upload_artifact(artifact_store=store, file_path=src, study_or_trial="study")
    # a study imported from Optuna holds the metadata as JSON text
    frozen = FrozenTrial(number=0, state=TrialState.COMPLETE, system_attrs={
        "artifacts:a": '{"artifact_id": "a", "filename": "f", "mimetype": "m", '
                       '"encoding": null}'})
    assert get_all_artifact_meta(frozen) == [ArtifactMeta("a", "f", "m", None)]


def test_tunecraft_store_is_an_optuna_artifact_store(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    with open(tmp_path / "big.bin", "wb") as f:
        f.write(b"x" * 300_000)
    with open(tmp_path / "big.bin", "rb") as f:
        store.write("run/big", f)
    with store.open_reader("run/big") as r:
        assert len(r.read()) == 300_000
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["big"]  # no temporary left
    with pytest.raises(TypeError, match="binary file"):
        store.put_stream("k", b"bytes")  # type: ignore[arg-type]


def test_rdb_storage_sets_the_lease_policy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    storage = RDBStorage(url, heartbeat_interval=1,
                         heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(3))
    study = optuna.create_study(storage=storage, study_name="s")
    assert (study.heartbeat_interval, study.stale_grace, study.max_retries) == (1.0, 2.0, 3)
    again = pickle.loads(pickle.dumps(storage))  # worker processes get the same policy
    assert isinstance(again, RDBStorage) and again.study_options() == storage.study_options()
    assert optuna.load_study(study_name="s", storage=again).max_retries == 3
    assert RDBStorage(url, heartbeat_interval=5).study_options() == {
        "heartbeat_interval": 5.0, "stale_grace": 10.0, "max_retries": 0}  # Optuna: no retry
    assert RDBStorage(url, grace_period=30).study_options() == {"stale_grace": 30.0}
    assert RetryHeartbeatStaleTrialCallback().max_retries == sys.maxsize
    assert optuna.storages.RDBStorage is RDBStorage and optuna.storages.InMemoryStorage is (
        InMemoryStorage)
    with pytest.warns(FutureWarning, match="removed in tunecraft 1.0"):
        cb = RetryFailedTrialCallback()
    with pytest.warns(FutureWarning, match="failed_trial_callback= is deprecated"):
        assert RDBStorage(url, failed_trial_callback=cb).study_options()["max_retries"] > 100
    with pytest.raises(ValueError, match="not both"):
        RDBStorage(url, failed_trial_callback=cb, heartbeat_stale_trial_callback=cb)
    with pytest.raises(ValueError, match="heartbeat_interval=0"):
        RDBStorage(url, heartbeat_interval=0)
    with pytest.raises(ValueError, match="inherit_intermediate_values"):
        RetryHeartbeatStaleTrialCallback(inherit_intermediate_values=True)
    with pytest.raises(ValueError, match="names no SQLite file"):
        RDBStorage("sqlite:///:memory:")
    with pytest.raises(AttributeError, match="import-optuna"):
        optuna.storages.JournalStorage  # noqa: B018


def test_retry_history_follows_retries_of_retries(tmp_path: Path) -> None:
    storage = RDBStorage(f"sqlite:///{tmp_path / 'r.db'}", heartbeat_interval=60,
                         heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(2))
    study = optuna.create_study(storage=storage, sampler=RandomSampler(seed=0))
    first = study.ask()
    x = first.suggest_float("x", 0, 1)
    assert RetryHeartbeatStaleTrialCallback.retry_history(first) == []
    seen = []
    for _ in range(2):  # its worker vanishes twice: two retries, each with the same x
        (reaped,) = storage.reap_stale(study.study_name, max_retries=study.max_retries,
                                       force=True)
        retry = study.ask()
        assert (retry.number, retry.suggest_float("x", 0, 1)) == (reaped.retry, x)
        seen.append(RetryHeartbeatStaleTrialCallback.retry_history(retry))
        assert RetryHeartbeatStaleTrialCallback.retried_trial_number(retry) == first.number
    assert seen == [[0], [0, 1]]
    (last,) = storage.reap_stale(study.study_name, max_retries=study.max_retries, force=True)
    assert last.retry is None  # max_retry=2 reached
    frozen = study.trials[2]
    assert RetryHeartbeatStaleTrialCallback.retry_history(frozen) == [0, 1]
    assert frozen.state is TrialState.STALE


def test_a_plain_callback_is_called_for_each_stale_trial(tmp_path: Path) -> None:
    calls: list[tuple[str, int, TrialState]] = []
    storage = RDBStorage(f"sqlite:///{tmp_path / 'c.db'}", heartbeat_interval=60,
                         heartbeat_stale_trial_callback=lambda s, t: calls.append(
                             (s.study_name, t.number, t.state)))
    study = optuna.create_study(storage=storage, study_name="c")
    study.ask()
    assert [r.retry for r in storage.reap_stale("c", max_retries=study.max_retries,
                                                force=True)] == [None]
    assert calls == [("c", 0, TrialState.STALE)]


def test_calling_the_retry_callback_queues_a_retry() -> None:
    study = optuna.create_study()
    trial = study.ask()
    trial.suggest_int("n", 0, 9)
    trial.set_user_attr("artifact_id", "abc")
    study.tell(trial, state=TrialState.FAIL)
    callback = RetryHeartbeatStaleTrialCallback(max_retry=1)
    callback(study, study.trials[0])
    retry = study.ask()
    assert retry.suggest_int("n", 0, 9) == study.trials[0].params["n"]
    assert retry.user_attrs == {"artifact_id": "abc"}
    assert RetryHeartbeatStaleTrialCallback.retry_history(retry) == [0]
    study.tell(retry, state=TrialState.FAIL)
    callback(study, study.trials[1])  # a second retry would exceed max_retry=1
    assert len(study.trials) == 2
