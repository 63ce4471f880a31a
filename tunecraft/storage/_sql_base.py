"""The SQL storage's plumbing: engine set-up, short retried transactions, study-row locking.

Kept apart from the storage primitives (``sql.py``, ``_sql_leases.py``) so that each module
holds one concern. Rules every write follows:
- one short transaction, opened with ``BEGIN IMMEDIATE`` on SQLite (a deferred transaction
  that reads and then writes would get SQLITE_BUSY at once instead of waiting its turn);
- writes that append events first lock the study row, so per-study event numbers (``seq``)
  are assigned in commit order and readers that fetch ``seq > cursor`` never skip one;
- transient errors (busy/locked database, deadlock, dropped connection) are retried with
  jittered exponential back-off; permanent ones are raised at once.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from tunecraft.exceptions import StorageError, StudyNotFound
from tunecraft.record import TrialState
from tunecraft.storage import _pg_errors
from tunecraft.storage._sql_statements import Statements
from tunecraft.storage._sqlite_file import explain_sqlite_error
from tunecraft.storage.events import EventKind
from tunecraft.storage.schema import Tables

T = TypeVar("T")

RETRY_SECONDS = 120.0
"""How long a transient failure is retried before a StorageError is raised."""

SQLITE_BUSY_SECONDS = 60.0

_SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35)
"""SQLite's own busy timeout: how long one statement waits for the write lock."""


def is_transient(exc: BaseException, dialect: str) -> bool:
    """True for errors worth retrying: busy or locked SQLite files, PostgreSQL's dropped
    connections, deadlocks and serialization failures."""
    import sqlalchemy.exc as sa_exc

    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    if dialect == "sqlite":
        # SQLite raises OperationalError for permanent faults too ("no such table",
        # "attempt to write a readonly database", "unable to open database file"); only a
        # busy or locked database is worth waiting for
        text = str(exc.orig).lower()
        return "locked" in text or "busy" in text
    # PostgreSQL: a dropped connection, a restarting server, a deadlock, a serialization
    # failure; never a missing database or role, or a refused password
    return _pg_errors.is_transient(exc)


def make_engine(sa: Any, sa_url: Any, dialect: str, extra: Mapping[str, Any]) -> Any:
    """An engine with tunecraft's settings: WAL and immediate write transactions on SQLite;
    a small recycled pool on PostgreSQL (workers x 2 connections, 4 at most). No pre-ping: it
    would cost a round trip per transaction, and a connection the server dropped fails its
    first statement as "invalidated", which the retry loop replaces."""
    kwargs: dict[str, Any] = {}
    busy = SQLITE_BUSY_SECONDS
    if dialect == "sqlite":
        database = sa_url.database or ""
        if database and database != ":memory:":
            folder = os.path.dirname(os.path.abspath(database))
            if not os.path.isdir(folder):
                raise StorageError(
                    f"cannot create SQLite file {database!r}: folder {folder!r} does not "
                    "exist; create it first"
                )
        connect_args = dict(extra.get("connect_args", {}))
        # sqlite:///f.db?timeout=0.1 and engine_kwargs={"connect_args": {"timeout": 0.1}}
        busy = float(connect_args.get("timeout", sa_url.query.get("timeout", busy)))
        kwargs["connect_args"] = {"timeout": busy, "check_same_thread": False, **connect_args}
    else:
        kwargs.update(pool_size=2, max_overflow=2, pool_pre_ping=False, pool_recycle=1800)
    kwargs.update({k: v for k, v in extra.items()
                   if k != "connect_args" or dialect != "sqlite"})
    engine = sa.create_engine(sa_url, **kwargs)
    if dialect == "sqlite":

        @sa.event.listens_for(engine, "connect")  # type: ignore[untyped-decorator]
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {int(busy * 1000)}")
            if sa_url.database not in (None, "", ":memory:"):
                cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.close()

        @sa.event.listens_for(engine, "begin")  # type: ignore[untyped-decorator]
        def _on_begin(conn: Any) -> None:
            write = conn.get_execution_options().get("tunecraft_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    # a forked child must not reuse the parent's connections (PostgreSQL sockets, SQLite
    # handles): it opens its own
    ref = weakref.ref(engine)
    os.register_at_fork(after_in_child=lambda: (e := ref()) and e.dispose(close=False))
    return engine


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class SQLBase:
    """Transactions and study-row helpers shared by the SQL storage's modules."""

    url: str
    dialect: str
    _sa: Any
    _engine: Any
    _t: Tables
    _q: Statements
    _reached_server = False  # set by the engine's first connection (see SQLStorage)

    def _retry(self, fn: Callable[[], T], *, seconds: float = RETRY_SECONDS,
               max_delay: float = 1.0) -> T:
        """Run ``fn`` (one transaction), retrying transient failures with jittered
        exponential back-off (up to ``max_delay`` between tries) for ``seconds``."""
        start = time.monotonic()
        deadline = start + seconds
        delay = 0.005
        while True:
            try:
                return fn()
            except Exception as exc:
                if not is_transient(exc, self.dialect):
                    explained = (explain_sqlite_error(exc, self.url) if self.dialect == "sqlite"
                                 else _pg_errors.explain_permanent(exc, self._safe_url()))
                    raise explained or exc  # noqa: B904 - has the cause
                now = time.monotonic()
                if (not self._reached_server and _pg_errors.is_connection_failure(exc)
                        and now > start + _pg_errors.FIRST_CONNECT_SECONDS):
                    # never reached: more likely a wrong host or port than a restart
                    raise StorageError(
                        f"cannot connect to storage {self._safe_url()} (tried for "
                        f"{now - start:.0f}s): {_first_line(exc)}; check that the server "
                        "runs and that the URL's host and port are right"
                    ) from exc
                if now > deadline:
                    raise StorageError(
                        f"storage {self._safe_url()} kept failing for {seconds:.0f}s: {exc}"
                    ) from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, max_delay)

    @contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[Any]:
        """A write transaction. ``durable=False`` (PostgreSQL) commits without waiting for
        the WAL flush, so a server crash may undo it: only for lease renewals, which take no
        number and append no event. Everything else must be durable: an undone commit would
        hand its trial or event numbers out again, to another run (a reader may even have
        seen the undone events already)."""
        with self._engine.connect() as conn:
            conn = conn.execution_options(tunecraft_write=True)
            with conn.begin():
                if not durable and self.dialect == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                yield conn

    @contextmanager
    def _read_conn(self) -> Iterator[Any]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def _safe_url(self) -> str:
        return str(self._sa.engine.make_url(self.url).render_as_string(hide_password=True))

    def _p(self, **params: Any) -> dict[str, Any]:
        """Parameters for a prebuilt statement, with this host's clock as ``now``."""
        params["now"] = time.time()
        return params

    # Study names are resolved to ids inside every transaction, never cached: another
    # process may delete a study and create one of the same name, and SQLite may even give
    # the new study the old id. A cached id would then read or write the wrong study.
    def _study_row(self, conn: Any, name: str) -> tuple[int, float, str]:
        """The id, creation time and directions of the study called ``name``."""
        row = conn.execute(self._q.study_row, {"study": name}).first()
        if row is None:
            raise StudyNotFound(f"no study named {name!r} in {self._safe_url()}")
        return int(row[0]), float(row[1]), str(row[2])

    def _study_id(self, conn: Any, name: str) -> int:
        sid = conn.execute(self._q.study_id, {"study": name}).scalar()
        if sid is None:
            raise StudyNotFound(f"no study named {name!r} in {self._safe_url()}")
        return int(sid)

    def _lock_study(self, conn: Any, name: str) -> int:
        """Lock the study row for the rest of the transaction (SQLite's BEGIN IMMEDIATE
        already holds the file's write lock); returns the study id."""
        sid = conn.execute(self._q.lock_study, {"study": name}).scalar()
        if sid is None:
            raise StudyNotFound(f"no study named {name!r} in {self._safe_url()}")
        return int(sid)

    def _reserve(self, conn: Any, name: str, events: int, trials: int = 0
                 ) -> tuple[int, int, int]:
        """Lock the study row until commit and take ``events`` event numbers and ``trials``
        trial numbers (O(1): counters on the row, never ``count(*)``). Returns (study id,
        first event number, first trial number).

        Hot paths call this last, after their compare-and-set on the trial row, so the lock
        every writer of the study queues for is held only for the inserts and the commit.
        """
        q, params = self._q, {"study": name, "n": events, "t": trials}
        if self.dialect == "postgresql" or _SQLITE_RETURNING:
            row = conn.execute(q.reserve_returning, params).first()
        else:
            conn.execute(q.reserve, params)
            row = conn.execute(q.counters, params).first()
        if row is None:
            raise StudyNotFound(f"no study named {name!r} in {self._safe_url()}")
        sid, last_seq, next_number = (int(v) for v in row)
        return sid, last_seq - events + 1, next_number - trials

    def _put_events(self, conn: Any, sid: int, first_seq: int,
                    events: Sequence[tuple[int, EventKind, str]]) -> None:
        """Insert events numbered from ``first_seq`` (reserved by :meth:`_reserve`)."""
        if events:
            conn.execute(self._q.insert_events, [
                {"study_id": sid, "seq": first_seq + i, "trial": trial, "kind": kind.value,
                 "payload": text}
                for i, (trial, kind, text) in enumerate(events)
            ])

    def _put_trials(self, conn: Any, sid: int, first: int, state: TrialState, n: int,
                    owner: str | None, token: str | None, ttl: float) -> list[int]:
        """Insert ``n`` trials numbered from ``first`` (reserved by :meth:`_reserve`)."""
        numbers = list(range(first, first + n))
        if state is TrialState.RUNNING:
            for k in numbers:
                conn.execute(self._q.insert_running, self._p(
                    sid=sid, num=k, who=owner, beat=time.time(), token=token, ttl=ttl))
        else:
            conn.execute(self._q.insert_trials, [
                {"study_id": sid, "number": k, "state": state.value, "owner": None,
                 "heartbeat": None, "lease_token": None, "lease_ttl": ttl,
                 "lease_expires": None} for k in numbers])
        return numbers

    def _new_trials(self, conn: Any, name: str, state: TrialState, texts: Sequence[str],
                    owner: str | None, token: str | None, ttl: float) -> list[int]:
        """Create trials, each with its CREATED event."""
        n = len(texts)
        sid, seq, first = self._reserve(conn, name, n, n)
        numbers = self._put_trials(conn, sid, first, state, n, owner, token, ttl)
        self._put_events(conn, sid, seq, [(k, EventKind.CREATED, text)
                                          for k, text in zip(numbers, texts, strict=True)])
        return numbers
