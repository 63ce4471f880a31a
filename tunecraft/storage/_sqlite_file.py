"""SQLite file faults explained: a folder, a file that is not a database, or a file or folder
that cannot be written, turned into a StorageError that names the file and the fix; and the
connection factory that opens a database read-only (``sql.read_only_storage`` uses it)."""

from __future__ import annotations

import os
import sqlite3
from urllib.parse import quote

from tunecraft.exceptions import StorageError

READING_COMMANDS = "tunecraft studies, trials, best, export and report"


def sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///`` URL (None for other URLs and in-memory databases)."""
    if not url.startswith("sqlite"):
        return None
    import sqlalchemy as sa

    database = sa.engine.make_url(url).database
    return None if database in (None, "", ":memory:") else database


def _readonly_fault(path: str) -> StorageError:
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.access(path, os.W_OK):
        return StorageError(
            f"SQLite file {path!r} is read-only (attempt to write a readonly database); make "
            f"it writable (chmod u+w {path}) to run trials in it. Reading needs no write "
            f"access: {READING_COMMANDS} open it as it is")
    if not os.access(folder, os.W_OK):
        return StorageError(
            f"cannot write SQLite file {path!r}: its folder {folder!r} is read-only, and "
            f"SQLite must create {os.path.basename(path)}-wal and -shm next to the file; make "
            "the folder writable, or copy the file to a writable folder")
    return StorageError(
        f"cannot write SQLite file {path!r}: {path}-wal or {path}-shm exists but this user "
        "cannot write it; make them writable, or delete them once no process uses the file")


def explain_sqlite_error(exc: BaseException, url: str) -> StorageError | None:
    """A StorageError naming the SQLite file and the fix, for faults of the file itself (its
    cause is ``exc``); None for other errors and other databases, to be raised as they are.

    Args:
        exc: A permanent (not retried) error from a SQL storage operation.
        url: The storage URL (``sqlite:///...``).
    """
    explained = _explain(exc, url)
    if explained is not None:
        explained.__cause__ = exc
    return explained


def _explain(exc: BaseException, url: str) -> StorageError | None:
    orig = getattr(exc, "orig", exc)
    if not isinstance(orig, sqlite3.Error):
        return None
    path = sqlite_path(url)
    if path is None:
        return None
    text = str(orig).lower()
    code = getattr(orig, "sqlite_errorname", "")
    if os.path.isdir(path):
        example = os.path.join(path, "tunecraft.db")
        return StorageError(f"SQLite storage {path!r} is a directory; give a file path such "
                            f"as {example!r}")
    if code == "SQLITE_NOTADB" or "file is not a database" in text:
        return StorageError(
            f"{path!r} is not a SQLite database (file is not a database); give the path of a "
            "tunecraft database, or a new file name to create one")
    if code.startswith("SQLITE_READONLY") or "readonly database" in text:
        return _readonly_fault(path)
    if code.startswith("SQLITE_CANTOPEN") or "unable to open database file" in text:
        return StorageError(
            f"cannot open SQLite file {path!r} (unable to open database file); check that "
            "this user can read and write the file and its folder")
    if code.startswith("SQLITE_FULL") or "database or disk is full" in text:
        return StorageError(
            f"the disk holding SQLite file {path!r} is full (database or disk is full); free "
            "space there (or move the file) and run again: finished trials are kept, and a "
            "trial that was running is retried with its parameters")
    if code.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        return StorageError(
            f"disk I/O error on SQLite file {path!r}; check that this user can write the file, "
            f"its folder and {os.path.basename(path)}-wal / -shm, and that the disk is not full")
    return None


def check_writable(url: str) -> None:
    """Raise the StorageError of :func:`explain_sqlite_error` when the SQLite file at ``url``
    exists but this user cannot write it or its folder (nothing to check otherwise)."""
    path = sqlite_path(url)
    if path is None or not os.path.isfile(path):
        return
    folder = os.path.dirname(os.path.abspath(path))
    sidecars = all(os.path.exists(f"{path}-{s}") for s in ("wal", "shm"))
    if not os.access(path, os.W_OK) or not (sidecars or os.access(folder, os.W_OK)):
        raise _readonly_fault(path)


class ImmutableConnect:
    """A picklable ``creator`` for SQLAlchemy: opens the file with ``immutable=1``, so SQLite
    reads it without creating ``-wal`` or ``-shm`` files and without taking locks."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)

    def __call__(self) -> sqlite3.Connection:
        uri = f"file:{quote(self.path)}?immutable=1"
        return sqlite3.connect(uri, uri=True, check_same_thread=False)


def read_only_connect(url: str) -> ImmutableConnect | None:
    """The connection factory that reads the SQLite file at ``url`` read-only, when this user
    cannot write the file or its folder and no other process is writing it; None when a
    normal open should be used.

    SQLite in WAL mode creates ``-wal`` and ``-shm`` files next to the database even to read
    it, which a read-only folder forbids; ``immutable=1`` reads the file alone. It is only
    used when no ``-wal`` file exists: one would mean that some process still writes the
    database, and an immutable open would miss its latest commits.
    """
    path = sqlite_path(url)
    if path is None or not os.path.isfile(path) or os.path.exists(f"{path}-wal"):
        return None
    folder = os.path.dirname(os.path.abspath(path))
    if os.access(path, os.W_OK) and os.access(folder, os.W_OK):
        return None
    return ImmutableConnect(path)
