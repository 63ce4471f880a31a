"""Which PostgreSQL errors are worth retrying, and what to tell the user about the others.

A server that restarts, a dropped connection, a deadlock or a serialization failure pass:
the storage retries them for minutes. A database or role that does not exist, a refused
password, a host name that does not resolve never pass, so retrying them only hides the
mistake: they are raised at once, as a :class:`StorageError` naming the fix. A refused
connection is ambiguous (a server restarting, or a wrong port): it is retried for minutes
once this storage has reached the server, and for a few seconds before that.
"""

from __future__ import annotations

from tunecraft.exceptions import StorageError

FIRST_CONNECT_SECONDS = 5.0
"""How long a storage that never reached its server retries a refused connection."""

_TRANSIENT_CLASSES = ("08", "40", "53", "55P03", "57P01", "57P02", "57P03")
"""SQLSTATEs of transient faults: connection exceptions, transaction rollbacks (deadlock,
serialization), insufficient resources (too many connections), a lock not available, and
the server shutting down, crashed or starting."""

_PERMANENT = (
    ("does not exist", "create it, or fix the name in the storage URL"),
    ("password authentication failed", "fix the user or password in the storage URL"),
    ("no pg_hba.conf entry", "allow this client in the server's pg_hba.conf, or connect "
                             "as another user"),
    ("failed to resolve host", "fix the host name in the storage URL"),
    ("invalid connection option", "remove or fix the option in the storage URL's query"),
    ("invalid integer value", "fix the option's value in the storage URL's query"),
    ("is not accepting connections", "the database is closed to connections "
                                     "(ALLOW_CONNECTIONS false); use another database"),
    ("permission denied", "grant the user the rights it needs, or connect as another "
                          "user"),
)


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", exc)
    state = getattr(orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def is_connection_failure(exc: BaseException) -> bool:
    """True when ``exc`` says the client could not reach the server at all."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "connection failed" in text or "connection refused" in text


def explain_permanent(exc: BaseException, url: str) -> StorageError | None:
    """A StorageError naming the fix when ``exc`` is a fault no retry can mend, else None."""
    state = _sqlstate(exc)
    text = str(getattr(exc, "orig", exc)).strip()
    lower = text.lower()
    if state is not None and state.startswith(("3D", "28")):  # no database; no role, auth
        fix = next((f for key, f in _PERMANENT if key in lower), "fix the storage URL")
        return StorageError(f"cannot use PostgreSQL storage {url}: {text}; {fix}")
    if state is None:  # errors raised while connecting carry no SQLSTATE: read the text
        for key, fix in _PERMANENT:
            if key in lower:
                first = text.splitlines()[0] if text else text
                return StorageError(f"cannot use PostgreSQL storage {url}: {first}; {fix}")
    return None


def is_transient(exc: BaseException) -> bool:
    """True for PostgreSQL faults worth retrying (see the module docstring)."""
    state = _sqlstate(exc)
    if state is not None:
        return state.startswith(_TRANSIENT_CLASSES)
    return explain_permanent(exc, "") is None
