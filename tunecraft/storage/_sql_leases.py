"""The SQL storage's lease primitives: claim, renew, hand over and expire RUNNING trials.

A RUNNING trial's row holds its lease: a token, an expiry time by the database's clock and
the duration each renewal adds. Every change is a compare-and-set on (state, token), so two
processes never both believe they hold a trial, and a trial is marked STALE (and retried)
exactly once however many processes reap at the same time.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from tunecraft.record import TrialState
from tunecraft.storage._sql_base import _SQLITE_RETURNING, SQLBase
from tunecraft.storage.base import DEFAULT_LEASE_SECONDS, Lease, stale_events
from tunecraft.storage.events import EventKind, dumps

RUNNING = TrialState.RUNNING.value


class SQLLeases(SQLBase):
    """Lease operations of :class:`~tunecraft.storage.sql.SQLStorage`."""

    def _claim_in(self, conn: Any, study: str, owner: str, token: str | None, ttl: float,
                  number: int | None) -> int | None:
        """Claim a WAITING trial (the oldest, or ``number``) and log it: the trial row is
        taken first (SKIP LOCKED on PostgreSQL), the study row last."""
        q = self._q
        params = self._p(study=study, num=number, who=owner, beat=time.time(), token=token,
                         ttl=ttl)
        if self.dialect == "postgresql" or _SQLITE_RETURNING:
            found = conn.execute(q.claim_first if number is None else q.claim_given,
                                 params).scalar()
        else:
            found = number if number is not None else conn.execute(
                q.first_waiting, params).scalar()
            if found is not None and conn.execute(
                    q.claim_given_plain, {**params, "num": found}).rowcount != 1:
                found = None
        if found is None:
            return None
        sid, seq, _ = self._reserve(conn, study, 1)
        self._put_events(conn, sid, seq, [
            (int(found), EventKind.CLAIMED, dumps({"time": params["beat"]}))])
        return int(found)

    def _claim_waiting(self, study: str, owner: str, *, token: str | None = None,
                       ttl: float = DEFAULT_LEASE_SECONDS, number: int | None = None
                       ) -> int | None:
        tries = 0

        def run() -> int | None:
            nonlocal tries
            tries += 1
            with self._write() as conn:
                if tries > 1 and token is not None:  # the broken try may have committed
                    held = conn.execute(self._q.held_by_token,
                                        {"study": study, "token": token}).scalar()
                    if held is not None:
                        return int(held)
                found = self._claim_in(conn, study, owner, token, ttl, number)
                if found is None:
                    self._study_id(conn, study)  # StudyNotFound rather than None
                return found

        return self._retry(run)

    def _claim_or_create(self, study: str, owner: str, token: str | None, ttl: float,
                         payload: Mapping[str, Any]) -> tuple[int, bool]:
        text = dumps(payload)
        tries = 0

        def run() -> tuple[int, bool]:
            nonlocal tries
            tries += 1
            with self._write() as conn:
                if tries > 1 and token is not None:  # did the try whose connection broke
                    held = conn.execute(self._q.held_by_token,  # commit after all?
                                        {"study": study, "token": token}).scalar()
                    if held is not None:
                        return int(held), conn.execute(self._q.was_claimed, {
                            "study": study, "num": held}).first() is not None
                claimed = self._claim_in(conn, study, owner, token, ttl, None)
                if claimed is not None:
                    return claimed, True
                return self._new_trials(conn, study, TrialState.RUNNING, [text], owner,
                                        token, ttl)[0], False

        return self._retry(run)

    def leases(self, study: str) -> list[Lease]:
        def run() -> list[Lease]:
            with self._read_conn() as conn:
                sid = self._study_id(conn, study)
                rows = conn.execute(self._q.leases, self._p(sid=sid))
                return [Lease(int(n), o, hb, tok, None if left is None else float(left))
                        for n, o, hb, tok, left in rows]

        return self._retry(run)

    def _renew(self, study: str, tokens: Mapping[int, str | None]) -> list[int]:
        q, numbers = self._q, list(tokens)

        def run() -> list[int]:
            with self._write(durable=False) as conn:
                sid = self._study_id(conn, study)
                rows = conn.execute(q.held_tokens, {"sid": sid, "numbers": numbers})
                held = [int(n) for n, tok in rows
                        if tokens[int(n)] is None or tokens[int(n)] == tok]
                if held:
                    conn.execute(q.renew, self._p(sid=sid, numbers=held, beat=time.time()))
                return held

        # a renewal stuck behind other writers is worth little: retry eagerly for a short
        # while, then give up until the next beat (the keeper logs it)
        return self._retry(run, seconds=5.0, max_delay=0.05)

    def _take_over(self, study: str, number: int, token: str, new_token: str, owner: str
                   ) -> bool:
        tries = 0

        def run() -> bool:
            nonlocal tries
            tries += 1
            with self._write() as conn:
                sid = self._study_id(conn, study)
                res = conn.execute(self._q.take_over, self._p(
                    sid=sid, num=number, token=token, new_token=new_token, who=owner,
                    beat=time.time()))
                if res.rowcount == 1:
                    return True
                # a retry after a lost connection: the first try may have committed
                return tries > 1 and conn.execute(self._q.held_by_token, {
                    "study": study, "token": new_token}).scalar() == number

        return self._retry(run)

    def _mark_stale(self, study: str, lease: Lease, reason: str,
                    retry: Mapping[str, Any] | None, require_expired: bool
                    ) -> tuple[bool, int | None]:
        sa, tr = self._sa, self._t.trials
        text = None if retry is None else dumps(retry)

        def run() -> tuple[bool, int | None]:
            with self._write() as conn:
                sid = self._study_id(conn, study)
                cond = ((tr.c.study_id == sid) & (tr.c.number == lease.number)
                        & (tr.c.state == RUNNING)
                        & tr.c.lease_token.is_not_distinct_from(lease.token)
                        & tr.c.owner.is_not_distinct_from(lease.owner))
                if require_expired:
                    cond = cond & (tr.c.lease_expires < self._q.now)
                res = conn.execute(tr.update().where(cond).values(
                    state=TrialState.STALE.value), self._p())
                if res.rowcount != 1:
                    return False, None  # renewed, finished or reaped meanwhile
                ttl = float(conn.execute(sa.select(tr.c.lease_ttl).where(
                    (tr.c.study_id == sid) & (tr.c.number == lease.number))).scalar()
                    or DEFAULT_LEASE_SECONDS)
                n_retry = 0 if text is None else 1
                # with a retry: its CREATED event, then "retried_by" and FINISHED
                sid, seq, first = self._reserve(conn, study, 1 + 2 * n_retry, n_retry)
                retry_number = None
                logged: list[tuple[int, EventKind, str]] = []
                if text is not None:
                    retry_number = self._put_trials(conn, sid, first, TrialState.WAITING, 1,
                                                    None, None, ttl)[0]
                    logged.append((retry_number, EventKind.CREATED, text))
                logged += [(e.trial, e.kind, dumps(e.payload))
                           for e in stale_events(lease.number, reason, retry_number)]
                self._put_events(conn, sid, seq, logged)
                return True, retry_number

        return self._retry(run)

    def state_counts(self, study: str) -> dict[TrialState, int]:
        def run() -> dict[TrialState, int]:
            with self._read_conn() as conn:
                sid = self._study_id(conn, study)
                counts = dict.fromkeys(TrialState, 0)
                counts.update({TrialState(st): int(n) for st, n in conn.execute(
                    self._q.state_counts, {"sid": sid})})
                return counts

        return self._retry(run)
