"""SQL storage for SQLite and PostgreSQL: one SQLAlchemy Core code path, a versioned schema.

Durability and concurrency rules:
- Every write is one short transaction that first locks the study row (``UPDATE studies``),
  so per-study event numbers (``seq``) are assigned in commit order and readers that fetch
  ``seq > cursor`` never skip an event.
- SQLite runs in WAL mode with ``BEGIN IMMEDIATE`` for writes and a long busy timeout; reads
  never block writers. Transient errors ("database is locked", deadlocks, dropped
  connections) are retried with jittered back-off.
- Finishing a trial is a compare-and-set on its state, so each result is recorded once.
"""

from __future__ import annotations

import os
import random
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from tunecraft.direction import StudyDirection
from tunecraft.exceptions import (
    DuplicatedStudyError,
    SchemaVersionError,
    StorageError,
    StudyNotFound,
)
from tunecraft.record import TrialState
from tunecraft.storage.base import Lease, Storage, StudyLog
from tunecraft.storage.events import SCHEMA_VERSION, Event, EventKind, dumps, loads
from tunecraft.storage.schema import MIGRATIONS, Tables

T = TypeVar("T")

_RETRY_SECONDS = 120.0


def _is_transient(exc: BaseException, dialect: str) -> bool:
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
    return True  # PostgreSQL: dropped connection, deadlock, serialization failure


def _directions(text: str) -> tuple[StudyDirection, ...]:
    return tuple(StudyDirection(d) for d in loads(text))


class SQLStorage(Storage):
    """Studies in a SQLite file or a PostgreSQL database.

    Args:
        url: A SQLAlchemy URL: ``sqlite:///tunecraft.db`` or
            ``postgresql+psycopg://user@host/db``.
        engine_kwargs: Extra arguments for ``sqlalchemy.create_engine``.
    """

    def __init__(self, url: str, *, engine_kwargs: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        import sqlalchemy as sa

        self.url = url
        self._engine_kwargs = dict(engine_kwargs or {})
        self._sa = sa
        sa_url = sa.engine.make_url(url)
        self.dialect = sa_url.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ValueError(
                f"storage URL {url!r} uses {self.dialect!r}; tunecraft supports sqlite:/// and "
                "postgresql+psycopg:// URLs"
            )
        self._engine = self._make_engine(sa_url)
        self._t = Tables(sa)
        self._ensure_schema()

    # ------------------------------------------------------------------ engine and txns
    def _make_engine(self, sa_url: Any) -> Any:
        sa = self._sa
        kwargs: dict[str, Any] = {"future": True}
        if self.dialect == "sqlite":
            database = sa_url.database or ""
            if database and database != ":memory:":
                folder = os.path.dirname(os.path.abspath(database))
                if not os.path.isdir(folder):
                    raise StorageError(
                        f"cannot create SQLite file {database!r}: folder {folder!r} does not "
                        "exist; create it first"
                    )
            kwargs["connect_args"] = {"timeout": 60.0, "check_same_thread": False}
        else:
            kwargs.update(pool_size=2, max_overflow=4, pool_pre_ping=True, pool_recycle=1800)
        kwargs.update(self._engine_kwargs)
        engine = sa.create_engine(sa_url, **kwargs)
        if self.dialect == "sqlite":

            @sa.event.listens_for(engine, "connect")  # type: ignore[untyped-decorator]
            def _on_connect(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA busy_timeout = 60000")
                if sa_url.database not in (None, "", ":memory:"):
                    cur.execute("PRAGMA journal_mode = WAL")
                cur.execute("PRAGMA synchronous = NORMAL")
                cur.close()

            @sa.event.listens_for(engine, "begin")  # type: ignore[untyped-decorator]
            def _on_begin(conn: Any) -> None:
                write = conn.get_execution_options().get("tunecraft_write", False)
                conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        ref = weakref.ref(engine)
        os.register_at_fork(after_in_child=lambda: (e := ref()) and e.dispose(close=False))
        return engine

    def _retry(self, fn: Callable[[], T]) -> T:
        deadline = time.monotonic() + _RETRY_SECONDS
        delay = 0.01
        while True:
            try:
                return fn()
            except Exception as exc:
                if not _is_transient(exc, self.dialect):
                    raise
                if time.monotonic() > deadline:
                    raise StorageError(
                        f"storage {self._safe_url()} kept failing for {_RETRY_SECONDS:.0f}s: "
                        f"{exc}"
                    ) from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 1.0)

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._engine.connect() as conn:
            conn = conn.execution_options(tunecraft_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _read_conn(self) -> Iterator[Any]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def _safe_url(self) -> str:
        return str(self._sa.engine.make_url(self.url).render_as_string(hide_password=True))

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "engine_kwargs": self._engine_kwargs}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"], engine_kwargs=state["engine_kwargs"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"SQLStorage({self._safe_url()!r})"

    def close(self) -> None:
        self._engine.dispose()

    # ------------------------------------------------------------------ schema
    def _ensure_schema(self) -> None:
        t = self._t

        def run() -> None:
            with self._write() as conn:
                if self.dialect == "postgresql":
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4711042)")
                insp = self._sa.inspect(conn)
                if not insp.has_table("tunecraft_version"):
                    t.metadata.create_all(conn)
                    conn.execute(t.version.insert().values(key="schema",
                                                           value=str(SCHEMA_VERSION)))
                    return
                row = conn.execute(
                    self._sa.select(t.version.c.value).where(t.version.c.key == "schema")
                ).first()
                if row is None:
                    raise SchemaVersionError(
                        f"storage {self._safe_url()} has a tunecraft_version table without a "
                        "schema row; it was not written by tunecraft or is damaged"
                    )
                found = int(row[0])
                if found > SCHEMA_VERSION:
                    raise SchemaVersionError(
                        f"storage {self._safe_url()} uses schema version {found}, written by a "
                        f"newer tunecraft (this one reads up to {SCHEMA_VERSION}); upgrade "
                        "tunecraft to open it"
                    )
                for version in range(found, SCHEMA_VERSION):
                    MIGRATIONS[version](conn, self._sa)
                if found < SCHEMA_VERSION:
                    conn.execute(t.version.update().where(t.version.c.key == "schema")
                                 .values(value=str(SCHEMA_VERSION)))

        self._retry(run)

    # ------------------------------------------------------------------ studies
    # Study names are resolved to ids inside every transaction, never cached: another
    # process may delete a study and create one of the same name, and SQLite may even give
    # the new study the old id. A cached id would then read or write the wrong study.
    def _study_row(self, conn: Any, name: str) -> tuple[int, float, str]:
        """The id, creation time and directions of the study called ``name``."""
        s = self._t.studies
        row = conn.execute(
            self._sa.select(s.c.id, s.c.created, s.c.directions).where(s.c.name == name)
        ).first()
        if row is None:
            raise StudyNotFound(f"no study named {name!r} in {self._safe_url()}")
        return int(row[0]), float(row[1]), str(row[2])

    def _study_id(self, conn: Any, name: str) -> int:
        return self._study_row(conn, name)[0]

    def _lock_study(self, conn: Any, name: str) -> int:
        """Lock the study row for the rest of the transaction; returns the study id."""
        s = self._t.studies
        res = conn.execute(s.update().where(s.c.name == name).values(last_seq=s.c.last_seq))
        if res.rowcount != 1:
            raise StudyNotFound(f"no study named {name!r} in {self._safe_url()}")
        return self._study_id(conn, name)

    def _reserve_seq(self, conn: Any, sid: int, n: int) -> int:
        """Reserve ``n`` event numbers of a locked study; returns the first one."""
        s = self._t.studies
        conn.execute(s.update().where(s.c.id == sid).values(last_seq=s.c.last_seq + n))
        last = conn.execute(self._sa.select(s.c.last_seq).where(s.c.id == sid)).scalar_one()
        return int(last) - n + 1

    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> None:
        sa, s = self._sa, self._t.studies
        if not isinstance(name, str) or not name or len(name) > 512:
            raise ValueError(f"study name {name!r} must be a non-empty string of <= 512 chars")

        def run() -> None:
            taken = DuplicatedStudyError(
                f"a study named {name!r} already exists in {self._safe_url()}; pass "
                "load_if_exists=True to continue it, or choose another name"
            )
            try:
                with self._write() as conn:
                    if conn.execute(sa.select(s.c.id).where(s.c.name == name)).first():
                        raise taken
                    conn.execute(s.insert().values(
                        name=name, directions=dumps([d.value for d in directions]),
                        next_number=0, last_seq=-1, created=time.time()))
            except sa.exc.IntegrityError:
                raise taken from None  # a concurrent create won the unique name

        self._retry(run)

    def delete_study(self, name: str) -> None:
        t = self._t

        def run() -> None:
            with self._write() as conn:
                sid = self._lock_study(conn, name)
                for table in (t.events, t.trials, t.study_attrs):
                    conn.execute(table.delete().where(table.c.study_id == sid))
                conn.execute(t.studies.delete().where(t.studies.c.id == sid))

        self._retry(run)
        self._forget(name)

    def study_names(self) -> list[str]:
        s = self._t.studies

        def run() -> list[str]:
            with self._read_conn() as conn:
                rows = conn.execute(self._sa.select(s.c.name).order_by(s.c.id))
                return [r[0] for r in rows]

        return self._retry(run)

    def study_directions(self, name: str) -> tuple[StudyDirection, ...]:
        def run() -> tuple[StudyDirection, ...]:
            with self._read_conn() as conn:
                return _directions(self._study_row(conn, name)[2])

        return self._retry(run)

    def set_study_attr(self, name: str, key: str, value: Any, *, only_if_absent: bool = False
                       ) -> bool:
        sa, a = self._sa, self._t.study_attrs
        text = dumps(value)

        def run() -> bool:
            with self._write() as conn:
                sid = self._lock_study(conn, name)
                cond = (a.c.study_id == sid) & (a.c.key == key)
                if conn.execute(sa.select(a.c.key).where(cond)).first():
                    if only_if_absent:
                        return False
                    conn.execute(a.update().where(cond).values(value=text))
                else:
                    conn.execute(a.insert().values(study_id=sid, key=key, value=text))
                return True

        return self._retry(run)

    def study_attrs(self, name: str) -> dict[str, Any]:
        a = self._t.study_attrs

        def run() -> dict[str, Any]:
            with self._read_conn() as conn:
                sid = self._study_id(conn, name)
                rows = conn.execute(self._sa.select(a.c.key, a.c.value).where(a.c.study_id == sid))
                return {k: loads(v) for k, v in rows}

        return self._retry(run)

    # ------------------------------------------------------------------ trials
    def _insert_events(self, conn: Any, sid: int, first_seq: int,
                       events: Sequence[tuple[int, EventKind, str]]) -> None:
        conn.execute(self._t.events.insert(), [
            {"study_id": sid, "seq": first_seq + i, "trial": trial, "kind": kind.value,
             "payload": text}
            for i, (trial, kind, text) in enumerate(events)
        ])

    def _create_trials(self, study: str, state: TrialState,
                       payloads: Sequence[Mapping[str, Any]], owner: str | None,
                       once_key: str | None) -> list[int]:
        sa, s, tr, a = self._sa, self._t.studies, self._t.trials, self._t.study_attrs
        texts = [dumps(p) for p in payloads]
        n = len(texts)

        def run() -> list[int]:
            with self._write() as conn:
                sid = self._lock_study(conn, study)
                if once_key is not None:
                    cond = (a.c.study_id == sid) & (a.c.key == once_key)
                    if conn.execute(sa.select(a.c.key).where(cond)).first():
                        return []
                    conn.execute(a.insert().values(study_id=sid, key=once_key, value=dumps(n)))
                if not n:
                    return []
                seq = self._reserve_seq(conn, sid, n)
                conn.execute(s.update().where(s.c.id == sid)
                             .values(next_number=s.c.next_number + n))
                first = int(conn.execute(sa.select(s.c.next_number).where(s.c.id == sid)
                                         ).scalar_one()) - n
                numbers = list(range(first, first + n))
                beat = time.time() if owner else None
                conn.execute(tr.insert(), [
                    {"study_id": sid, "number": k, "state": state.value, "owner": owner,
                     "heartbeat": beat} for k in numbers])
                self._insert_events(conn, sid, seq, [
                    (k, EventKind.CREATED, text) for k, text in zip(numbers, texts, strict=True)])
                return numbers

        return self._retry(run)

    def _claim_waiting(self, study: str, owner: str) -> int | None:
        sa, tr = self._sa, self._t.trials

        def run() -> int | None:
            with self._write() as conn:
                sid = self._lock_study(conn, study)
                number = conn.execute(
                    sa.select(sa.func.min(tr.c.number))
                    .where((tr.c.study_id == sid) & (tr.c.state == TrialState.WAITING.value))
                ).scalar()
                if number is None:
                    return None
                seq = self._reserve_seq(conn, sid, 1)
                conn.execute(tr.update()
                             .where((tr.c.study_id == sid) & (tr.c.number == number))
                             .values(state=TrialState.RUNNING.value, owner=owner,
                                     heartbeat=time.time()))
                self._insert_events(conn, sid, seq, [
                    (int(number), EventKind.CLAIMED, dumps({"time": time.time()}))])
                return int(number)

        return self._retry(run)

    def _append(self, study: str, trial: int, events: Sequence[Event],
                finish: TrialState | None) -> bool:
        sa, tr = self._sa, self._t.trials
        encoded = [(e.kind, dumps(e.payload)) for e in events]

        def run() -> bool:
            with self._write() as conn:
                sid = self._lock_study(conn, study)
                where = (tr.c.study_id == sid) & (tr.c.number == trial)
                state = conn.execute(sa.select(tr.c.state).where(where)).scalar_one_or_none()
                if state != TrialState.RUNNING.value:
                    return False
                seq = self._reserve_seq(conn, sid, len(encoded))
                self._insert_events(conn, sid, seq, [(trial, k, text) for k, text in encoded])
                if finish is not None:
                    conn.execute(tr.update().where(where).values(state=finish.value))
                return True

        return self._retry(run)

    def _read(self, study: str, after: int) -> StudyLog:
        sa, ev = self._sa, self._t.events

        def run() -> StudyLog:
            with self._read_conn() as conn:
                sid, created, directions = self._study_row(conn, study)
                rows = conn.execute(
                    sa.select(ev.c.seq, ev.c.trial, ev.c.kind, ev.c.payload)
                    .where((ev.c.study_id == sid) & (ev.c.seq > after)).order_by(ev.c.seq)
                )
                events = [Event(int(tr), EventKind(k), loads(p), int(q)) for q, tr, k, p in rows]
                return StudyLog((sid, created), _directions(directions), events)

        return self._retry(run)

    def leases(self, study: str) -> list[Lease]:
        sa, tr = self._sa, self._t.trials

        def run() -> list[Lease]:
            with self._read_conn() as conn:
                sid = self._study_id(conn, study)
                rows = conn.execute(
                    sa.select(tr.c.number, tr.c.owner, tr.c.heartbeat)
                    .where((tr.c.study_id == sid) & (tr.c.state == TrialState.RUNNING.value))
                )
                return [Lease(int(n), o, hb) for n, o, hb in rows]

        return self._retry(run)

    def heartbeat(self, study: str, numbers: Sequence[int]) -> None:
        tr = self._t.trials
        if not numbers:
            return

        def run() -> None:
            with self._write() as conn:
                sid = self._study_id(conn, study)
                conn.execute(tr.update().where(
                    (tr.c.study_id == sid) & tr.c.number.in_(list(numbers))
                    & (tr.c.state == TrialState.RUNNING.value)
                ).values(heartbeat=time.time()))

        self._retry(run)

    def state_counts(self, study: str) -> dict[TrialState, int]:
        sa, tr = self._sa, self._t.trials

        def run() -> dict[TrialState, int]:
            with self._read_conn() as conn:
                sid = self._study_id(conn, study)
                rows = conn.execute(sa.select(tr.c.state, sa.func.count())
                                    .where(tr.c.study_id == sid).group_by(tr.c.state))
                counts = dict.fromkeys(TrialState, 0)
                counts.update({TrialState(st): int(n) for st, n in rows})
                return counts

        return self._retry(run)
