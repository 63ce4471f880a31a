"""The dashboard's ASGI app: three HTML pages and a read-only JSON API over one storage.

Pages (plain HTML + ``dashboard.js``; plotly.js is served from the package, no CDN: the
1.2 MB partial bundle, or the plotly package's full one for a figure it cannot draw):
``/`` lists the studies, ``/study?name=S`` shows one with plots that refresh while workers
run and a paged trials table, ``/trial?study=S&number=N`` shows one trial.

API (GET only; OpenAPI at ``/api/openapi.json``): ``/api/studies``, ``/api/study``,
``/api/figures``, ``/api/trials``, ``/api/trial``, ``/api/importance``. Study names travel as
query parameters, so any name works. Nothing here writes to the storage or runs anything
found in it; user text reaches the page only through ``textContent``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from tunecraft._imports import require
from tunecraft.analysis import Importance
from tunecraft.dashboard.cache import StudyCache
from tunecraft.exceptions import StudyNotFound
from tunecraft.storage.base import Storage
from tunecraft.viz import table
from tunecraft.viz.diagnoses import problem_costs
from tunecraft.viz.plotlyjs import FILES, PARTIAL_FILE, bundle_for, plotly_js

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'")
_ASSETS = {"tunecraft.js": ("tunecraft.viz", "assets"),
           "tunecraft.css": ("tunecraft.viz", "assets"),
           "dashboard.js": ("tunecraft.dashboard", "static")}
_PAGES = {"/": "index.html", "/study": "study.html", "/trial": "trial.html"}


def _read(package: str, folder: str, name: str) -> bytes:
    return resources.files(package).joinpath(folder).joinpath(name).read_bytes()


def _plotly_js() -> bytes:
    require("plotly", "viz")
    return _read("plotly", "package_data", "plotly.min.js")


def create_app(storage: Storage, *, refresh_seconds: float = 2.0,
               importance: str | None = "fanova",
               allowed_hosts: Sequence[str] | None = None) -> Any:
    """The dashboard for ``storage`` as a FastAPI (ASGI) app.

    Args:
        storage: Where the studies are (opened by the caller; only read).
        refresh_seconds: How often study pages poll for changes.
        importance: ``"fanova"``, ``"ped-anova"`` or None (no importance plot).
        allowed_hosts: Host headers to accept (e.g. ``["127.0.0.1", "localhost"]``, which
            blocks DNS-rebinding pages from reading a local dashboard); None accepts any.
    """
    require("fastapi", "dashboard")
    from fastapi import FastAPI, HTTPException, Query
    from fastapi.responses import HTMLResponse, Response
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    if not refresh_seconds > 0:
        raise ValueError(f"refresh_seconds={refresh_seconds!r} must be > 0 (default 2)")
    cache = StudyCache(storage, importance=importance)
    app = FastAPI(title="tunecraft dashboard", version="1",
                          description=__doc__, docs_url=None, redoc_url=None,
                          openapi_url="/api/openapi.json")
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    static_cache: dict[str, bytes] = {}

    @app.middleware("http")
    async def headers(request: Any, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def page(name: str) -> Any:
        def handler() -> HTMLResponse:
            body = _read("tunecraft.dashboard", "static", name).decode("utf-8")
            body = body.replace("{{REFRESH_MS}}", str(int(refresh_seconds * 1000)))
            # the partial bundle first (TUNECRAFT_PLOTLYJS=full: the full one); the page
            # loads the full one too only for a figure that needs it
            body = body.replace("{{PLOTLY_JS}}", FILES[bundle_for(())])
            return HTMLResponse(body, headers={"Cache-Control": "no-cache"})
        return handler

    # pages and files answer HEAD too (link checkers, ``curl -I``); the server sends no body
    for route, name in _PAGES.items():
        app.api_route(route, methods=["GET", "HEAD"], include_in_schema=False)(page(name))

    @app.api_route("/static/{name}", methods=["GET", "HEAD"], include_in_schema=False)
    def static(name: str) -> Response:
        if name not in static_cache:
            if name == "plotly.min.js":  # the full bundle, for figures the partial one lacks
                static_cache[name] = _plotly_js()
            elif name == PARTIAL_FILE:
                static_cache[name] = plotly_js("partial").encode("utf-8")
            elif name in _ASSETS:
                static_cache[name] = _read(*_ASSETS[name], name)
            else:
                raise HTTPException(404, f"no static file {name!r}")
        kind = "text/css" if name.endswith(".css") else "text/javascript"
        long = name in ("plotly.min.js", PARTIAL_FILE)
        return Response(static_cache[name], media_type=f"{kind}; charset=utf-8",
                                  headers={"Cache-Control": "public, max-age=86400" if long
                                           else "no-cache"})

    def known(name: str) -> None:
        if name not in storage.study_names():
            raise HTTPException(404, f"no study named {name!r}")

    def as_shown(counts: Mapping[str, int], lost: int) -> dict[str, int]:
        """Counts by state as shown: a RUNNING trial whose worker is gone (its lease ran out)
        is STALE, though no worker has marked it yet (the dashboard never writes)."""
        out = dict(counts)
        if lost:
            out["RUNNING"] = out.get("RUNNING", 0) - lost
            out["STALE"] = out.get("STALE", 0) + lost
        return {k: n for k, n in out.items() if n}

    def best_of(name: str, n_objectives: int) -> dict[str, Any]:
        """The best value and its trial (one objective), or the Pareto front's size."""
        try:
            best = storage.best_trials(name)
        except StudyNotFound:
            best = ()
        if n_objectives != 1:
            return {"best_value": None, "best_number": None, "n_pareto": len(best)}
        if not best or not best[0].values:
            return {"best_value": None, "best_number": None}
        return {"best_value": best[0].values[0], "best_number": best[0].number}

    @app.get("/api/studies", summary="All studies with their trial counts and best value")
    def studies() -> list[dict[str, Any]]:
        out = []
        for name in storage.study_names():
            try:
                counts = storage.state_counts(name)
                directions = storage.study_directions(name)
                lost = len(storage.lost_trials(name))
            except StudyNotFound:  # deleted meanwhile
                continue
            out.append({"name": name, "directions": [d.name.lower() for d in directions],
                        "n_trials": sum(counts.values()), "lost": lost,
                        "counts": as_shown({s.name: n for s, n in counts.items()}, lost),
                        **best_of(name, len(directions))})
        return out

    @app.get("/api/study", summary="Summary of one study: counts, best trial(s), times, columns")
    def study(name: str) -> dict[str, Any]:
        known(name)
        version, info, columns = cache.summary(name)
        lost = len(storage.lost_trials(name))
        return {"name": name, "version": version, "directions": columns["directions"],
                "n_trials": info.n_trials, "counts": as_shown(dict(info.counts), lost),
                "lost": lost,
                "best": [table.trial_row(t) for t in info.best[:50]],
                "n_best": len(info.best),
                "wall_seconds": info.wall_seconds, "trial_seconds": info.trial_seconds,
                "columns": columns}

    @app.get("/api/figures", summary="Plotly figure JSON of every plot (unchanged: no panels)")
    def figs(name: str, since: int = Query(-1, description="version the client has")
             ) -> dict[str, Any]:
        known(name)
        version, panels = cache.panels(name)
        if version == since:
            return {"version": version, "changed": False, "panels": None}
        return {"version": version, "changed": True, "panels": [p.to_dict() for p in panels],
                "plotly": bundle_for(p.figure for p in panels)}

    @app.get("/api/trials", summary="One page of the trials table, sorted and filtered")
    def trials(name: str, sort: str = "number", desc: bool = False, state: str = "",
               q: str = "", offset: int = Query(0, ge=0),
               limit: int = Query(50, ge=1, le=table.MAX_LIMIT)) -> dict[str, Any]:
        known(name)
        version, _, rows = cache.rows(name)
        lost = storage.lost_trials(name)
        if lost:  # shown as stale (see as_shown); rows are shared: copy the changed ones
            rows = [dict(r, state="STALE", lost=lost[r["number"]]) if r["number"] in lost
                    else r for r in rows]
        try:
            out = table.query(rows, sort=sort, desc=desc, state=state, q=q, offset=offset,
                              limit=limit)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        out["version"] = version
        return out

    @app.get("/api/trial", summary="One trial: params, reports, attributes, failure reason")
    def trial(name: str, number: int) -> dict[str, Any]:
        known(name)
        t = cache.trial(name, number)
        if t is None:
            raise HTTPException(404, f"study {name!r} has no trial {number}")
        detail = table.trial_detail(t)
        lost = storage.lost_trials(name).get(number)
        if lost is not None:
            detail.update(state="STALE", lost=lost)
        return detail

    @app.get("/api/problems", summary="Training-doctor problems: trials and epochs each cost")
    def problems_api(name: str) -> dict[str, Any]:
        known(name)
        entry, history = cache.snapshot(name)
        return {"version": entry.version, **problem_costs(history.trials)}

    @app.get("/api/importance", summary="Parameter importance (fANOVA or PED-ANOVA)")
    def importance_api(name: str) -> dict[str, Any]:
        known(name)
        imp = cache.importance(name)
        if isinstance(imp, Importance):
            return imp.to_dict()
        return {"method": importance, "note": imp or "importance is switched off"}

    return app
