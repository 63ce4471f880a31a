"""The storage contract over every built-in backend: in-memory, SQLite file and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tunecraft.storage import InMemoryStorage, Storage
from tunecraft.storage.sql import SQLStorage
from tunecraft.testing import StorageContract


class TestInMemoryStorage(StorageContract):
    @pytest.fixture
    def storage(self) -> Storage:
        return InMemoryStorage()


class TestSQLiteStorage(StorageContract):
    @pytest.fixture
    def storage(self, sqlite_url: str) -> Iterator[Storage]:
        s = SQLStorage(sqlite_url)
        yield s
        s.close()

    def reopen(self, storage: Storage) -> Storage:
        assert isinstance(storage, SQLStorage)
        return SQLStorage(storage.url)


@pytest.mark.postgres
class TestPostgreSQLStorage(StorageContract):
    @pytest.fixture
    def storage(self, pg_url: str) -> Iterator[Storage]:
        s = SQLStorage(pg_url)
        yield s
        s.close()

    def reopen(self, storage: Storage) -> Storage:
        assert isinstance(storage, SQLStorage)
        return SQLStorage(storage.url)
