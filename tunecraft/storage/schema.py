"""SQL tables of the storage and the migrations between schema versions.

Version 1 tables (all prefixed ``tunecraft_`` so they never clash with other applications' tables
in a shared database): ``version`` (key/value), ``studies`` (one row per study, holding
the trial-number and event-number counters), ``study_attrs``, ``trials`` (current state,
owner and heartbeat of each trial, for compare-and-set and stale detection) and ``events``
(the append-only log every reader replays). A file written by version N opens in N+1 through
``MIGRATIONS[N]``.
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

MIGRATIONS: dict[int, Migration] = {}
"""Migration from version ``k`` to ``k + 1``, keyed by ``k``; empty while version 1 is current."""
