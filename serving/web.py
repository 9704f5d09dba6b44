"""A small read-only web page over the score store and the reports folder.

Pages: tonight's list (``/``, any stored night with ``?as_of=``, filters by plant, line
and type), one asset's history (``/asset?asset_id=``), the written reports
(``/reports/<file>``). JSON: ``/api/nights``, ``/api/scores``, ``/api/history``.

Read-only by construction (``web_guard``): only GET/HEAD are answered, only for the
``Host`` names it is served as (loopback unless configured: no DNS rebinding), the
store is opened read-only for each request, report files are served only from inside
the reports folder, every value goes through Jinja2 autoescaping, and the pages carry
no script at all (filters are a plain GET form), with a Content-Security-Policy that
forbids any. A damaged store is a readable error page naming the file and the fix.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import polars as pl
from fastapi import FastAPI, Query
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from forewarn.serving import svg
from forewarn.serving.outcome_store import read_outcomes
from forewarn.serving.render import environment
from forewarn.serving.risklist import RiskListConfig
from forewarn.serving.schema import night_key
from forewarn.serving.store import ScoreStore
from forewarn.serving.web_data import ListCache, filter_list, jsonable, resolve_night
from forewarn.serving.web_guard import NotFoundError, allowed_hosts, guard

REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
)
REPORT_TYPES = {".html": "text/html; charset=utf-8", ".csv": "text/csv", ".xlsx": None}
FILTERS = ("plant", "line", "asset_type")
Text = Annotated[str | None, Query(max_length=200)]


def create_app(
    store_path: Path | str,
    reports_dir: Path | str,
    config: RiskListConfig | None = None,
    hosts: frozenset[str] | None = None,
    rul_cap_hours: float | None = None,
) -> FastAPI:
    """Build the read-only app.

    Args:
        store_path: the score store folder (``ScoreStore(path)``).
        reports_dir: the folder ``report.write_report`` writes into; nothing outside it
            is ever served.
        config: the list rules (the same as the nightly report's, so both agree).
        hosts: the ``Host`` names answered (``web_guard.allowed_hosts``; default loopback).
        rul_cap_hours: the RUL model's cap; a remaining life at it reads "more than ...".
    """
    store = ScoreStore(store_path, lock_timeout_s=10)
    reports = Path(reports_dir).resolve()
    lists = ListCache(store, config or RiskListConfig())
    app = FastAPI(title="forewarn risk list", docs_url=None, redoc_url=None, openapi_url=None)
    guard(app, hosts or allowed_hosts())

    def night_or_404(as_of: str | None) -> datetime:
        night = resolve_night(as_of, store.nights())
        if night is None:
            raise NotFoundError("no such night" if as_of else "the store holds no night yet")
        return night

    def report_url(night: datetime) -> str | None:
        name = f"report_{night_key(night)}.html"
        return f"/reports/{name}" if (reports / name).is_file() else None

    @app.get("/", response_class=HTMLResponse)
    def risk_list_page(
        as_of: Text = None, plant: Text = None, line: Text = None, asset_type: Text = None,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 200,
    ) -> HTMLResponse:  # fmt: skip
        night = night_or_404(as_of)
        ranked = lists.get(night)
        chosen = {"plant": plant, "line": line, "asset_type": asset_type}
        shown = filter_list(ranked, chosen)
        page = shown.head(limit)
        top = svg.scale_top(page["p_fail_history"].explode().to_list())
        rows = [
            {**r, "spark": svg.sparkline(r["p_fail_history"] or [], top=top)}
            for r in page.iter_rows(named=True)
        ]
        options = {c: sorted(ranked[c].drop_nulls().unique().to_list()) for c in FILTERS}
        return _page(
            "web_list.html.j2",
            night=night, nights=store.nights(), rows=rows, total=shown.height,
            fleet=ranked.height, options=options, chosen=chosen, limit=limit,
            report=report_url(night), key=night_key(night), rul_cap=rul_cap_hours,
        )  # fmt: skip

    @app.get("/asset", response_class=HTMLResponse)
    def asset_page(
        asset_id: Annotated[str, Query(min_length=1, max_length=200)], as_of: Text = None
    ) -> HTMLResponse:
        night = night_or_404(as_of)
        row = lists.get(night).filter(pl.col("asset_id") == asset_id)
        history = store.history(asset_id, 60, until=night)
        outcomes = read_outcomes(store).filter(
            (pl.col("asset_id") == asset_id) & (pl.col("as_of") <= night)
        )
        if row.is_empty() and history.is_empty():
            raise NotFoundError("no such asset")
        chart = svg.line_chart(
            history["as_of"].to_list(), {"probability": history["p_fail"].to_list()},
            "Probability of failure by night", width=640,
            y_range=(0.0, svg.scale_top(history["p_fail"].to_list())),
        )  # fmt: skip
        return _page(
            "web_asset.html.j2",
            asset_id=asset_id, night=night, row=row.row(0, named=True) if row.height else None,
            history=history.sort("as_of", descending=True).to_dicts(), chart=chart,
            report=report_url(night), rul_cap=rul_cap_hours,
            outcomes=outcomes.sort("as_of", descending=True).to_dicts(),
        )  # fmt: skip

    @app.get("/api/nights")
    def api_nights() -> JSONResponse:
        nights = store.night_summary().to_dicts()
        for n in nights:
            n["key"], n["report"] = night_key(n["as_of"]), report_url(n["as_of"])
        return JSONResponse(jsonable(nights))

    @app.get("/api/scores")
    def api_scores(
        as_of: Text = None, plant: Text = None, line: Text = None, asset_type: Text = None,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
        offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    ) -> JSONResponse:  # fmt: skip
        night = night_or_404(as_of)
        chosen = {"plant": plant, "line": line, "asset_type": asset_type}
        shown = filter_list(lists.get(night), chosen)
        rows = shown.slice(offset, limit).to_dicts()
        body = {"as_of": night, "total": shown.height, "offset": offset, "rows": rows}
        return JSONResponse(jsonable(body))

    @app.get("/api/history")
    def api_history(
        asset_id: Annotated[str, Query(min_length=1, max_length=200)],
        n: Annotated[int, Query(ge=1, le=1000)] = 30,
    ) -> JSONResponse:
        history = store.history(asset_id, n)
        if history.is_empty():
            raise NotFoundError("no such asset")
        return JSONResponse(jsonable(history.to_dicts()))

    @app.get("/reports/{name:path}")
    def report_file(name: str) -> FileResponse:
        path = safe_report_path(reports, name)
        headers = {"Content-Security-Policy": REPORT_CSP} if path.suffix == ".html" else {}
        return FileResponse(path, media_type=REPORT_TYPES[path.suffix], headers=headers)

    return app


def safe_report_path(root: Path, name: str) -> Path:
    """The file ``name`` inside ``root``, or ``NotFoundError``: never anything outside it.

    The resolved path (symlinks followed) must lie under ``root``, be a regular file of
    a report type, and not be a hidden temp file of a report being written.
    """
    try:
        candidate = (root / name).resolve()
        is_file = candidate.is_file()
    except (OSError, ValueError):  # a NUL byte or an overlong name: no report either (not 500)
        raise NotFoundError("no such report") from None
    if (
        not candidate.is_relative_to(root)
        or not is_file
        or candidate.suffix not in REPORT_TYPES
        or any(part.startswith(".") for part in candidate.relative_to(root).parts)
    ):
        raise NotFoundError("no such report")
    return candidate


def _page(template: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(environment().get_template(template).render(**context))


def listen(host: str = "127.0.0.1", port: int = 8765) -> socket.socket:
    """Bind the page's socket before anything says "serving", so a busy port is a clear
    error (``OSError`` naming the address) instead of uvicorn's exit code 3."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    return sock


def serve(
    store_path: Path | str,
    reports_dir: Path | str,
    host: str = "127.0.0.1",
    port: int = 8765,
    config: RiskListConfig | None = None,
    allow_hosts: Iterable[str] = (),
    sock: socket.socket | None = None,
    rul_cap_hours: float | None = None,
) -> None:
    """Run the page with uvicorn until interrupted (loopback by default: no login exists).

    Args:
        allow_hosts: ``Host`` names to answer besides loopback and ``host`` (a proxy's).
        sock: a socket from ``listen`` (default: bind ``host:port`` here).
    """
    import uvicorn

    hosts = allowed_hosts(host, allow_hosts)
    app = create_app(store_path, reports_dir, config, hosts, rul_cap_hours)
    sock = sock or listen(host, port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])
