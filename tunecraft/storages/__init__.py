"""Optuna's ``optuna.storages`` names over tunecraft's storages (``tunecraft.storage``).

``RDBStorage`` is tunecraft's SQL storage with Optuna's heartbeat arguments,
``InMemoryStorage`` tunecraft's in-memory one, ``BaseStorage`` the base class of both, and the
retry callbacks set how tunecraft's leases retry stale trials. Optuna's journal, Redis and
gRPC storages have no counterpart: ``tunecraft import-optuna`` copies a journal study into a
tunecraft storage.
"""

from __future__ import annotations

from typing import Any

from tunecraft.storage import InMemoryStorage
from tunecraft.storage.base import Storage as BaseStorage
from tunecraft.storages._callbacks import (
    RetryFailedTrialCallback,
    RetryHeartbeatStaleTrialCallback,
)
from tunecraft.storages._rdb import RDBStorage

_NOT_HERE = ("JournalStorage", "JournalFileStorage", "JournalRedisStorage",
             "BaseJournalLogStorage", "JournalFileSymlinkLock", "JournalFileOpenLock",
             "GrpcStorageProxy", "run_grpc_proxy_server")


def fail_stale_trials(study: Any) -> None:
    """Mark STALE (Optuna: FAIL) the RUNNING trials of ``study`` whose worker is gone and
    queue their retries by the study's policy; tunecraft's workers also do this themselves
    before each trial."""
    study.fail_stale_trials()


def get_storage(storage: None | str | BaseStorage) -> BaseStorage:
    """A storage from None (in-memory), a path or URL, or a storage (returned as is)."""
    from tunecraft.storage import get_storage as tunecraft_get_storage

    return tunecraft_get_storage(storage)


def __getattr__(name: str) -> Any:
    if name in _NOT_HERE:
        raise AttributeError(
            f"tunecraft.storages has no {name}: tunecraft keeps studies in SQLite, PostgreSQL "
            "or memory (RDBStorage, InMemoryStorage, or a URL as storage=); copy an Optuna "
            "journal study with `tunecraft import-optuna --from FILE --study NAME`")
    raise AttributeError(f"module 'tunecraft.storages' has no attribute {name!r}")


__all__ = ["BaseStorage", "InMemoryStorage", "RDBStorage", "RetryFailedTrialCallback",
           "RetryHeartbeatStaleTrialCallback", "fail_stale_trials", "get_storage"]
