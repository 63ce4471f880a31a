"""A live, read-only web dashboard of a storage's studies (``tunecraft dashboard``).

Install with ``pip install 'tunecraft[dashboard]'``. :func:`create_app` builds the ASGI app
(FastAPI); :func:`serve` runs it with uvicorn, on 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

from typing import Any

from tunecraft._imports import require

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def create_app(storage: Any, **options: Any) -> Any:
    """The dashboard app for a Storage or a storage URL (see :mod:`tunecraft.dashboard.app`)."""
    from tunecraft.dashboard.app import create_app as build
    from tunecraft.storage import get_storage

    return build(get_storage(storage), **options)


def serve(storage: Any, *, host: str = "127.0.0.1", port: int = 8080,
          refresh_seconds: float = 2.0, importance: str | None = "fanova",
          log_level: str = "warning") -> None:
    """Run the dashboard until interrupted. Bound to loopback, it accepts only loopback
    Host headers (so a web page cannot reach it through DNS rebinding)."""
    uvicorn = require("uvicorn", "dashboard")
    allowed = [*LOOPBACK, f"{host}"] if host in LOOPBACK else None
    app = create_app(storage, refresh_seconds=refresh_seconds, importance=importance,
                     allowed_hosts=allowed)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


__all__ = ["LOOPBACK", "create_app", "serve"]
