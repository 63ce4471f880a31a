"""Shared fixtures: storage URLs (SQLite file, PostgreSQL schema) and the hypothesis profile.

PostgreSQL tests never skip. When the service at 127.0.0.1:5432 cannot be reached, every test
that asks for ``pg_url`` fails with a message saying how to start it; deselect them with
``-m "not postgres"`` on a machine without the service.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "tunecraft",
    deadline=None,  # SQLite and PostgreSQL examples vary in speed on a shared CI box
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("thorough", parent=settings.get_profile("tunecraft"),
                          max_examples=1000)
settings.load_profile(os.environ.get("TUNECRAFT_HYPOTHESIS_PROFILE", "tunecraft"))

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_BASE_URL = os.environ.get(
    "TUNECRAFT_TEST_POSTGRES_URL", f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/test"
)
_PG_HELP = (
    "PostgreSQL tests need the service at {where} (user postgres, database test, trust "
    "auth); CI starts it as a service container. These tests fail instead of skipping so "
    "that a missing database is never mistaken for a pass. Start PostgreSQL, or deselect "
    "them with -m 'not postgres'. Cause: {cause}"
)


def _pg_unreachable_reason() -> str | None:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=3.0):
            return None
    except OSError as exc:
        return f"cannot open a TCP connection to {PG_HOST}:{PG_PORT}: {exc}"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL schema for this test session, dropped at the end.

    Each session works in its own schema (``search_path``), so concurrent runs and tables
    left by earlier runs never interfere. Fails, never skips, when the server is down.
    """
    reason = None if "TUNECRAFT_TEST_POSTGRES_URL" in os.environ else _pg_unreachable_reason()
    if reason is not None:
        pytest.fail(_PG_HELP.format(where=f"{PG_HOST}:{PG_PORT}", cause=reason), pytrace=False)
    import sqlalchemy as sa

    schema = f"tunecraft_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_BASE_URL)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except Exception as exc:
        reason = repr(exc)
    if reason is not None:
        admin.dispose()
        pytest.fail(_PG_HELP.format(where=PG_BASE_URL, cause=reason), pytrace=False)
    sep = "&" if "?" in PG_BASE_URL else "?"
    try:
        yield f"{PG_BASE_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a new SQLite file in this test's temporary folder."""
    return f"sqlite:///{tmp_path / 'study.db'}"


