"""SQL tables of the storage and the migrations between schema versions.

Tables (all prefixed ``tunecraft_`` so they never clash with other applications' tables in a
shared database): ``version`` (key/value), ``studies`` (one row per study, holding the
trial-number and event-number counters), ``study_attrs``, ``trials`` (current state and lease
of each trial, for compare-and-set and stale detection) and ``events`` (the append-only log
every reader replays). A file written by version N opens in N+1 through ``MIGRATIONS[N]``.

Version 2 added the lease columns of ``trials``: ``lease_token`` (whoever presents it may
write and finish the trial), ``lease_expires`` (seconds since the epoch, by the database's
clock) and ``lease_ttl`` (how far each renewal extends it); and the STALE trial state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Tables:
    """The schema, built lazily so that ``import tunecraft`` does not import SQLAlchemy."""

    def __init__(self, sa: Any) -> None:
        md = self.metadata = sa.MetaData()
        self.version = sa.Table(
            "tunecraft_version", md,
            sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("value", sa.String(256), nullable=False),
        )
        self.studies = sa.Table(
            "tunecraft_studies", md,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("name", sa.String(512), nullable=False, unique=True),
            sa.Column("directions", sa.Text, nullable=False),
            sa.Column("next_number", sa.Integer, nullable=False),
            sa.Column("last_seq", sa.BigInteger, nullable=False),
            sa.Column("created", sa.Float, nullable=False),
        )
        self.study_attrs = sa.Table(
            "tunecraft_study_attrs", md,
            sa.Column("study_id", sa.Integer, primary_key=True),
            sa.Column("key", sa.String(512), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        )
        self.trials = sa.Table(
            "tunecraft_trials", md,
            sa.Column("study_id", sa.Integer, primary_key=True),
            sa.Column("number", sa.Integer, primary_key=True),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("owner", sa.String(300), nullable=True),
            sa.Column("heartbeat", sa.Float, nullable=True),
            sa.Column("lease_token", sa.String(64), nullable=True),
            sa.Column("lease_expires", sa.Float, nullable=True),
            sa.Column("lease_ttl", sa.Float, nullable=True),
            sa.Index("ix_tunecraft_trials_study_state", "study_id", "state"),
        )
        self.events = sa.Table(
            "tunecraft_events", md,
            sa.Column("study_id", sa.Integer, primary_key=True),
            sa.Column("seq", sa.BigInteger, primary_key=True),
            sa.Column("trial", sa.Integer, nullable=False),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("payload", sa.Text, nullable=False),
        )


Migration = Callable[[Any, Any], None]
"""``migration(connection, sqlalchemy_module)`` upgrades the schema by one version."""



def _v1_to_v2(conn: Any, sa: Any) -> None:
    """Add the lease columns; a trial RUNNING in a v1 file keeps 60 s from its last heartbeat
    (so a worker that died before the upgrade is found stale a minute later)."""
    for column, kind in (("lease_token", "VARCHAR(64)"), ("lease_expires", "FLOAT"),
                         ("lease_ttl", "FLOAT")):
        conn.exec_driver_sql(f"ALTER TABLE tunecraft_trials ADD COLUMN {column} {kind}")
    conn.exec_driver_sql("UPDATE tunecraft_trials SET lease_ttl = 60.0, "
                         "lease_expires = COALESCE(heartbeat, 0.0) + 60.0 "
                         "WHERE state = 'RUNNING'")


MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2}
"""Migration from version ``k`` to ``k + 1``, keyed by ``k``."""
