"""Storages: in-memory, SQLite (the default for persistent studies) and PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tunecraft.storage.base import Lease, Storage
from tunecraft.storage.memory import InMemoryStorage

if TYPE_CHECKING:
    from tunecraft.storage.sql import SQLStorage

__all__ = ["InMemoryStorage", "Lease", "SQLStorage", "Storage", "get_storage", "normalize_url"]


def normalize_url(storage: str) -> str:
    """Turn a file path or shorthand URL into the SQLAlchemy URL tunecraft opens.

    ``"tunecraft.db"`` -> ``"sqlite:///tunecraft.db"``; ``"postgresql://..."`` ->
    ``"postgresql+psycopg://..."`` (psycopg 3).
    """
    s = storage.strip()
    if not s:
        raise ValueError("storage must be a path or URL; got an empty string")
    if "://" not in s:
        return f"sqlite:///{s}"
    scheme, rest = s.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return s


def get_storage(storage: str | Storage | None) -> Storage:
    """A Storage from ``None`` (in-memory), a path or URL, or a Storage instance."""
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, Storage):
        return storage
    if isinstance(storage, str):
        url = normalize_url(storage)
        if url.startswith("postgresql"):
            from tunecraft._imports import require

            require("psycopg", "postgres")
        from tunecraft.storage.sql import SQLStorage

        return SQLStorage(url)
    raise TypeError(
        f"storage must be None, a path, a URL or a Storage; got {type(storage).__name__}"
    )


def __getattr__(name: str) -> Any:
    if name == "SQLStorage":
        from tunecraft.storage.sql import SQLStorage

        return SQLStorage
    raise AttributeError(name)
