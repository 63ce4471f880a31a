"""The SQL storage's hot statements, built once per storage with bind parameters.

Building a SQLAlchemy Core statement costs about 0.5 ms of Python per call (operators,
coercions, cache keys); executing a prebuilt one with new parameters costs about 0.03 ms.
Every statement a trial's life runs through (claim or create, write, finish, renew, read) is
therefore built here once, and executed with parameter dictionaries.

The clock is a bind parameter ``now`` on SQLite (this host's clock; the file is local) and the
server's clock on PostgreSQL (so machines with skewed clocks agree on lease expiry); callers
always pass ``now`` and PostgreSQL ignores it. Parameter names never equal a column name
(SQLAlchemy reserves those in INSERT and UPDATE): ``sid``, ``num``, ``who``, ``beat``,
``token``, ``new_token``, ``ttl``, ``new_state``, ``numbers``, ``after``, ``study``, ``n``, ``t``.
"""

from __future__ import annotations

from typing import Any

from tunecraft.record import TrialState
from tunecraft.storage.schema import Tables

RUNNING, WAITING = TrialState.RUNNING.value, TrialState.WAITING.value
DEFAULT_TTL = 60.0


class Statements:
    """Prebuilt statements of one dialect (attributes named after what they do)."""

    def __init__(self, sa: Any, t: Tables, dialect: str) -> None:
        s, tr, ev = t.studies, t.trials, t.events
        p = sa.bindparam
        pg = dialect == "postgresql"
        now: Any = (sa.cast(sa.func.extract("epoch", sa.func.clock_timestamp()), sa.Float)
                    if pg else p("now", type_=sa.Float))
        self.now = now
        ttl = sa.func.coalesce(tr.c.lease_ttl, DEFAULT_TTL)
        trial = (tr.c.study_id == p("sid")) & (tr.c.number == p("num"))

        # studies
        self.study_row = sa.select(s.c.id, s.c.created, s.c.directions).where(
            s.c.name == p("study"))
        self.study_id = sa.select(s.c.id).where(s.c.name == p("study"))
        self.lock_study = self.study_id.with_for_update() if pg else self.study_id
        # lock the study row until commit, taking n event numbers and t trial numbers
        self.reserve = s.update().where(s.c.name == p("study")).values(
            last_seq=s.c.last_seq + p("n"), next_number=s.c.next_number + p("t"))
        self.counters = sa.select(s.c.id, s.c.last_seq, s.c.next_number).where(
            s.c.name == p("study"))
        self.reserve_returning = self.reserve.returning(s.c.id, s.c.last_seq,
                                                        s.c.next_number)
        by_name = sa.select(s.c.id).where(s.c.name == p("study")).scalar_subquery()

        # trials
        self.insert_running = tr.insert().values(
            study_id=p("sid"), number=p("num"), state=RUNNING, owner=p("who"),
            heartbeat=p("beat"), lease_token=p("token"), lease_ttl=p("ttl"),
            lease_expires=now + p("ttl", type_=sa.Float))
        self.insert_trials = tr.insert()
        # compare-and-set on a RUNNING trial (by study name), before the study row is locked:
        # finish (any holder / the token's), or touch (lock the row; renew the token's lease)
        running = (tr.c.study_id == by_name) & (tr.c.number == p("num")) & (
            tr.c.state == RUNNING)
        mine = running & (tr.c.lease_token == p("token"))
        self.finish = {False: tr.update().where(running).values(state=p("new_state")),
                       True: tr.update().where(mine).values(state=p("new_state"))}
        # a finish whose commit may have succeeded before the connection broke: when its
        # retry finds the trial finished in that state under the same token, it was ours
        self.finished_as = sa.select(tr.c.state, tr.c.lease_token).where(
            (tr.c.study_id == by_name) & (tr.c.number == p("num")))
        # a claim, creation or hand-over whose commit may have succeeded before the
        # connection broke: its retry finds the trial already held under its token
        self.held_by_token = sa.select(tr.c.number).where(
            (tr.c.study_id == by_name) & (tr.c.state == RUNNING)
            & (tr.c.lease_token == p("token")))
        self.was_claimed = sa.select(ev.c.seq).where(
            (ev.c.study_id == by_name) & (ev.c.trial == p("num"))
            & (ev.c.kind == "claimed")).limit(1)
        self.touch = {False: tr.update().where(running).values(heartbeat=tr.c.heartbeat),
                      True: tr.update().where(mine).values(lease_expires=now + ttl)}
        # claims, by study name: the oldest WAITING trial (or a given one)
        first = sa.select(tr.c.number).where(
            (tr.c.study_id == by_name) & (tr.c.state == WAITING)).order_by(
            tr.c.number).limit(1)
        if pg:
            first = first.with_for_update(skip_locked=True)
        claim_values = {"state": RUNNING, "owner": p("who"), "heartbeat": p("beat"),
                        "lease_token": p("token"), "lease_ttl": p("ttl"),
                        "lease_expires": now + p("ttl", type_=sa.Float)}
        self.first_waiting = first  # (SQLite < 3.35 has no RETURNING: select, then claim)
        self.claim_first = tr.update().where(
            (tr.c.study_id == by_name) & (tr.c.number == first.scalar_subquery())
            & (tr.c.state == WAITING)).values(claim_values).returning(tr.c.number)
        self.claim_given_plain = tr.update().where(
            (tr.c.study_id == by_name) & (tr.c.number == p("num")) & (tr.c.state == WAITING)
        ).values(claim_values)
        self.claim_given = self.claim_given_plain.returning(tr.c.number)
        numbers = tr.c.number.in_(p("numbers", expanding=True))
        held = (tr.c.study_id == p("sid")) & numbers & (tr.c.state == RUNNING)
        self.held_tokens = sa.select(tr.c.number, tr.c.lease_token).where(held)
        self.renew = tr.update().where(held).values(heartbeat=p("beat"),
                                                    lease_expires=now + ttl)
        self.take_over = tr.update().where(
            trial & (tr.c.state == RUNNING) & (tr.c.lease_token == p("token"))
        ).values(lease_token=p("new_token"), owner=p("who"), heartbeat=p("beat"),
                 lease_expires=now + ttl)
        self.leases = sa.select(
            tr.c.number, tr.c.owner, tr.c.heartbeat, tr.c.lease_token,
            tr.c.lease_expires - now,
        ).where((tr.c.study_id == p("sid")) & (tr.c.state == RUNNING)).order_by(tr.c.number)
        self.state_counts = sa.select(tr.c.state, sa.func.count()).where(
            tr.c.study_id == p("sid")).group_by(tr.c.state)

        # events
        self.insert_events = ev.insert()
        # other trials' attributes written between two seqs (proposals published meanwhile)
        self.attrs_between = sa.select(ev.c.trial, ev.c.payload).where(
            (ev.c.study_id == p("sid")) & (ev.c.seq > p("after")) & (ev.c.seq < p("before"))
            & (ev.c.kind == "system_attr") & (ev.c.trial != p("num")))
        # one statement (one snapshot, one round trip): the study row, then its new events
        # (none: one row of NULLs)
        self.log_after = sa.select(
            s.c.id, s.c.created, s.c.directions, ev.c.seq, ev.c.trial, ev.c.kind, ev.c.payload,
        ).select_from(s.outerjoin(ev, (ev.c.study_id == s.c.id) & (ev.c.seq > p("after")))
                      ).where(s.c.name == p("study")).order_by(ev.c.seq)
