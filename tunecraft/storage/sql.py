"""SQL storage for SQLite and PostgreSQL: one SQLAlchemy Core code path, a versioned schema.

Durability and concurrency rules (the plumbing is in ``_sql_base.py``, leases in
``_sql_leases.py``):
- Every write is one short transaction; those that append events first lock the study row,
  so per-study event numbers (``seq``) are assigned in commit order and readers that fetch
  ``seq > cursor`` never skip an event.
- SQLite runs in WAL mode with ``BEGIN IMMEDIATE`` for writes and a long busy timeout; reads
  never block writers. Transient errors ("database is locked", deadlocks, dropped
  connections) are retried with jittered back-off.
- Finishing a trial is a compare-and-set on its state and lease token, so each result is
  recorded once.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from tunecraft._names import check_study_attr_key, check_study_name
from tunecraft.direction import StudyDirection
from tunecraft.exceptions import DuplicatedStudyError, SchemaVersionError, StudyNotFound
from tunecraft.record import TrialState
from tunecraft.space import Dim
from tunecraft.storage._sql_base import make_engine
from tunecraft.storage._sql_leases import SQLLeases
from tunecraft.storage._sql_statements import Statements
from tunecraft.storage._sqlite_file import check_writable, read_only_connect
from tunecraft.storage.base import (
    DEFAULT_LEASE_SECONDS,
    DuplicateProposal,
    Storage,
    StudyLog,
    proposed_elsewhere,
)
from tunecraft.storage.events import SCHEMA_VERSION, Event, EventKind, dumps, loads
from tunecraft.storage.schema import MIGRATIONS, Tables
from tunecraft.storage.summary import first_distributions


def _directions(text: str) -> tuple[StudyDirection, ...]:
    return tuple(StudyDirection(d) for d in loads(text))


_KINDS = {k.value: k for k in EventKind}  # a dict lookup per event, not an Enum call
_MAX_LISTED = 500


class SQLStorage(SQLLeases, Storage):
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
        self._engine = make_engine(sa, sa_url, self.dialect, self._engine_kwargs)

        def reached(*_: Any) -> None:  # from now on a refused connection means a restart
            self._reached_server = True

        sa.event.listen(self._engine, "connect", reached)
        self._t = Tables(sa)
        self._q = Statements(sa, self._t, self.dialect)
        self._ensure_schema()

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
    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> None:
        sa, s = self._sa, self._t.studies
        check_study_name(name)

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
        check_study_attr_key(key)
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
    def _create_trials(self, study: str, state: TrialState,
                       payloads: Sequence[Mapping[str, Any]], owner: str | None,
                       once_key: str | None, *, token: str | None = None,
                       ttl: float = DEFAULT_LEASE_SECONDS) -> list[int]:
        sa, a = self._sa, self._t.study_attrs
        texts = [dumps(p) for p in payloads]

        def run() -> list[int]:
            with self._write() as conn:
                if once_key is not None:
                    sid = self._lock_study(conn, study)
                    cond = (a.c.study_id == sid) & (a.c.key == once_key)
                    if conn.execute(sa.select(a.c.key).where(cond)).first():
                        return []
                    conn.execute(a.insert().values(study_id=sid, key=once_key,
                                                   value=dumps(len(texts))))
                if not texts:
                    self._study_id(conn, study)  # StudyNotFound for a missing study
                    return []
                return self._new_trials(conn, study, state, texts, owner, token, ttl)

        return self._retry(run)

    def _append(self, study: str, trial: int, events: Sequence[Event],
                finish: TrialState | None, token: str | None = None,
                unless_proposed: tuple[int, Mapping[str, Any]] | None = None) -> bool:
        q = self._q
        encoded = [(trial, e.kind, dumps(e.payload)) for e in events]
        cas = (q.touch if finish is None else q.finish)[token is not None]
        params = self._p(study=study, num=trial, token=token,
                         new_state=None if finish is None else finish.value)

        tries = 0

        def run() -> bool:
            nonlocal tries
            tries += 1
            with self._write() as conn:
                if conn.execute(cas, params).rowcount != 1:  # the trial row, locked first
                    self._study_id(conn, study)  # StudyNotFound for a missing study
                    if tries > 1 and finish is not None and token is not None:
                        # a retry after a lost connection: the first try may have committed
                        row = conn.execute(q.finished_as, params).first()
                        return row is not None and tuple(row) == (finish.value, token)
                    return False  # finished, WAITING, or held under another token
                sid, seq, _ = self._reserve(conn, study, len(encoded))  # the study row last
                if unless_proposed is not None:  # the study row is ours: no append races it
                    since, proposal = unless_proposed
                    rows = conn.execute(q.attrs_between, {
                        "sid": sid, "after": since, "before": seq, "num": trial})
                    if proposed_elsewhere([Event(int(n), EventKind.SYSTEM_ATTR, loads(p))
                                           for n, p in rows], trial, proposal):
                        raise DuplicateProposal  # rolls the transaction back
                self._put_events(conn, sid, seq, encoded)
                return True

        return self._retry(run)

    def _read(self, study: str, after: int) -> StudyLog:
        def run() -> StudyLog:
            with self._read_conn() as conn:
                rows = conn.execute(self._q.log_after, {"study": study, "after": after}).all()
            if not rows:
                raise StudyNotFound(f"no study named {study!r} in {self._safe_url()}")
            sid, created, directions = rows[0][:3]
            events = [Event(int(tr), _KINDS[k], loads(p), int(q))
                      for *_, q, tr, k, p in rows if q is not None]
            return StudyLog((int(sid), float(created)), _directions(directions), events)

        return self._retry(run)

    def _read_where(self, study: str, *, kinds: Collection[EventKind] | None = None,
                    trials: Collection[int] | None = None) -> StudyLog:
        sa, ev = self._sa, self._t.events
        numbers = None if trials is None else sorted(set(trials))
        # a long list of numbers becomes a range, filtered here (bound-parameter limits)
        listed = numbers is not None and len(numbers) <= _MAX_LISTED

        def run() -> StudyLog:
            with self._read_conn() as conn:
                sid, created, directions = self._study_row(conn, study)
                cond = ev.c.study_id == sid
                if kinds is not None:
                    cond = cond & ev.c.kind.in_(sorted(k.value for k in kinds))
                if numbers is not None:
                    cond = cond & (ev.c.trial.in_(numbers) if listed
                                   else ev.c.trial.between(numbers[0], numbers[-1]))
                rows = conn.execute(sa.select(ev.c.seq, ev.c.trial, ev.c.kind, ev.c.payload)
                                    .where(cond).order_by(ev.c.seq)).all()
            keep = None if numbers is None or listed else set(numbers)
            events = [Event(int(tr), _KINDS[k], loads(p), int(q)) for q, tr, k, p in rows
                      if keep is None or tr in keep]
            return StudyLog((sid, created), _directions(directions), events)

        return self._retry(run)

    def trial_numbers(self, study: str, states: Collection[TrialState] | None = None
                      ) -> list[int]:
        # from the trials table (indexed by study and state), not the event log
        sa, tr = self._sa, self._t.trials
        wanted = None if states is None else sorted(s.value for s in states)

        def run() -> list[int]:
            with self._read_conn() as conn:
                query = sa.select(tr.c.number).where(tr.c.study_id == self._study_id(conn, study))
                if wanted is not None:
                    query = query.where(tr.c.state.in_(wanted))
                return [int(n) for (n,) in conn.execute(query.order_by(tr.c.number))]

        return self._retry(run)

    def param_distributions(self, study: str) -> dict[str, Dim]:
        # The database's JSON functions find the first PARAMS event of each name (SQLite's
        # json_each, PostgreSQL's json_object_keys); only those few events are decoded here,
        # where the default decodes every PARAMS event (0.5 s for 20,000 trials). Payloads
        # with a \u escape are left to Python (their names may hold characters, such as
        # NUL, that the databases' JSON text cannot), so every event holding one is read.
        ev = self._t.events.name
        find = "strpos" if self.dialect == "postgresql" else "instr"
        if self.dialect == "postgresql":
            firsts = (f"SELECT MIN(x.seq) FROM (SELECT e2.seq, json_object_keys("
                      f"CAST(e2.payload AS json)) AS k FROM {ev} e2 WHERE e2.study_id = :sid "
                      f"AND e2.kind = 'params' AND strpos(e2.payload, :esc) = 0) x "
                      "GROUP BY x.k")
        else:
            firsts = (f"SELECT MIN(e2.seq) FROM {ev} e2, json_each(e2.payload) j "
                      f"WHERE e2.study_id = :sid AND e2.kind = 'params' "
                      "AND instr(e2.payload, :esc) = 0 GROUP BY j.key")
        statement = self._sa.text(
            f"SELECT e.seq, e.trial, e.kind, e.payload FROM {ev} e WHERE e.study_id = :sid "
            f"AND e.kind = 'params' AND ({find}(e.payload, :esc) > 0 OR e.seq IN ({firsts})) "
            "ORDER BY e.seq")

        def run() -> list[Event]:
            with self._read_conn() as conn:
                sid = self._study_id(conn, study)
                rows = conn.execute(statement, {"sid": sid, "esc": "\\u"}).all()
            return [Event(int(tr), _KINDS[k], loads(p), int(q)) for q, tr, k, p in rows]

        exc_types = self._sa.exc
        try:
            events = self._retry(run)
        except (exc_types.OperationalError, exc_types.DataError) as exc:
            # a SQLite built without JSON, or a name PostgreSQL's json type cannot turn
            # into text (one holding \u0000): decode every PARAMS event here instead
            if isinstance(exc, exc_types.OperationalError) and "json_each" not in str(exc):
                raise
            return super().param_distributions(study)
        return first_distributions(events)


def read_only_storage(url: str) -> SQLStorage | None:
    """The SQLite storage at ``url`` opened read-only (``immutable=1``), when this user cannot
    write the file or its folder and no other process is writing it; None when a normal open
    should be used (see :func:`~tunecraft.storage._sqlite_file.read_only_connect`)."""
    creator = read_only_connect(url)
    return None if creator is None else SQLStorage(url, engine_kwargs={"creator": creator})


__all__ = ["SQLStorage", "check_writable", "read_only_storage"]
