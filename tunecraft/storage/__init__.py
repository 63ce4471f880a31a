"""Storages: in-memory, SQLite (the default for persistent studies) and PostgreSQL."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tunecraft._validation import InstanceOf, check
from tunecraft.storage.base import Lease, Storage
from tunecraft.storage.memory import InMemoryStorage

if TYPE_CHECKING:
    from tunecraft.storage.sql import SQLStorage

__all__ = ["InMemoryStorage", "Lease", "SQLStorage", "Storage", "get_storage", "normalize_url"]


def normalize_url(storage: str) -> str:
    """Turn a file path or shorthand URL into the SQLAlchemy URL tunecraft opens.

    ``"tunecraft.db"`` -> ``"sqlite:///tunecraft.db"``; ``"postgresql://..."`` ->
    ``"postgresql+psycopg://..."`` (psycopg 3).

    Raises:
        ValueError: for a URL tunecraft cannot open, naming the problem and the fix: an
            unparsable URL or port, a database other than SQLite or PostgreSQL, a SQLite URL
            without a file (``sqlite://``, ``sqlite:///``, ``:memory:``: an in-memory database
            no worker process sees) or a PostgreSQL URL without a database name.
    """
    check("storage", storage, InstanceOf(str, "a path or URL string"))
    s = storage.strip()
    if not s:
        raise ValueError("storage must be a path or URL; got an empty string")
    if "://" not in s:
        url = f"sqlite:///{s}"
    else:
        scheme, rest = s.split("://", 1)
        url = f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else s
    _check_url(url, s)
    return url


def _hide_password(url: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``."""
    return re.sub(r"^([^:/?#]*://[^/@:?#]*:)[^/?#]*@", r"\1***@", url)


def _check_url(url: str, given: str) -> None:
    """Raise ValueError, naming the problem and the fix, for a URL tunecraft cannot open."""
    import sqlalchemy as sa

    shown = repr(_hide_password(given))
    if not url.startswith("sqlite"):
        try:
            port = urlsplit(url).port
        except ValueError:
            port = -1
        if port is not None and not 0 < port < 65536:
            host = url.split("://", 1)[1].split("/", 1)[0].rpartition("@")[2]
            raise ValueError(f"storage URL {shown} has a bad port in {host!r}: a port is a "
                             "number from 1 to 65535; write postgresql://USER@HOST:PORT/DATABASE "
                             "such as postgresql://me@localhost:5432/tunecraft")
    try:
        parsed = sa.engine.make_url(url)
    except (ValueError, sa.exc.ArgumentError) as exc:
        raise ValueError(f"storage URL {shown} is malformed ({exc}); write sqlite:///PATH or "
                         "postgresql://USER@HOST:PORT/DATABASE") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.host:
            path = "/".join(filter(None, (parsed.host, parsed.database)))
            raise ValueError(f"storage URL {shown} has a host, which SQLite does not use; for "
                             f"the file {path!r} write three slashes, sqlite:///{path} (four "
                             "for an absolute path)")
        if parsed.database in (None, "", ":memory:"):
            raise ValueError(f"storage URL {shown} names no SQLite file, so it would be an "
                             "in-memory database that worker processes cannot see and that is "
                             "lost at exit; give a file path such as 'tunecraft.db' (or "
                             "sqlite:///tunecraft.db), or storage=None for an in-memory study")
    elif backend == "postgresql":
        if not parsed.database and not parsed.query.get("dbname"):
            raise ValueError(f"storage URL {shown} names no database, so the tables would go "
                             "to the server's default database; name it, as in "
                             "postgresql://USER@HOST:5432/DATABASE")
    else:
        raise ValueError(f"storage URL {shown} uses {backend!r}; tunecraft supports sqlite:/// "
                         "and postgresql:// URLs (sqlite:///PATH, "
                         "postgresql://USER@HOST:PORT/DATABASE)")


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
