"""Optuna's ``optuna.testing.storages`` for tunecraft: one context manager per storage kind.

Plug-in test suites written for Optuna parametrize over ``STORAGE_MODES`` and open each with
``StorageSupplier(mode)``; this module keeps that spelling over tunecraft's storages, so such
suites run unchanged. Optuna's other modes (its private ``_CachedStorage``, journal, Redis and
gRPC proxies) have no tunecraft counterpart and are not listed.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

from tunecraft.storage import InMemoryStorage, Storage

STORAGE_MODES: list[Any] = ["inmemory", "sqlite"]
"""The storage kinds tunecraft has, as ``StorageSupplier`` names them."""

STORAGE_MODES_HEARTBEAT: list[Any] = ["sqlite"]
"""Kinds whose RUNNING trials are leased across processes (Optuna's heartbeat storages)."""


class StorageSupplier(AbstractContextManager["Storage"]):
    """A fresh storage of one kind for the ``with`` block; a SQLite file is removed after it."""

    def __init__(self, storage_specifier: str, **kwargs: Any) -> None:
        if storage_specifier not in STORAGE_MODES:
            raise ValueError(f"unknown storage mode {storage_specifier!r}; tunecraft has "
                             f"{STORAGE_MODES} (Optuna's journal, Redis and gRPC storages "
                             "have no tunecraft counterpart)")
        if storage_specifier == "inmemory" and kwargs:
            raise ValueError("InMemoryStorage does not accept any arguments")
        self.storage_specifier = storage_specifier
        self.extra_args = kwargs
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self.storage: Storage | None = None

    def __enter__(self) -> Storage:
        if self.storage_specifier == "inmemory":
            self.storage = InMemoryStorage()
            return self.storage
        from tunecraft.storage.sql import SQLStorage

        self._dir = tempfile.TemporaryDirectory(prefix="tunecraft-test-")
        url = "sqlite:///" + os.path.join(self._dir.name, "study.db")
        self.storage = SQLStorage(url, **self.extra_args)
        return self.storage

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        close = getattr(self.storage, "close", None) or getattr(self.storage, "dispose", None)
        if callable(close):
            close()
        if self._dir is not None:
            self._dir.cleanup()
