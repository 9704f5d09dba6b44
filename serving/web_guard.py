"""The web page's guard: which requests it answers and how it says no.

- Only GET and HEAD (HEAD answers the GET's status and headers without a body, so an
  uptime check works).
- Only requests whose ``Host`` header names this server: loopback names by default,
  plus the names given when serving on another address. Without the check any web page
  a planner opens could read the fleet's scores through DNS rebinding (its own name
  resolved to 127.0.0.1 after the page loaded).
- Errors become a readable page (or JSON under ``/api/``) with security headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from forewarn.serving.locking import StoreLockTimeoutError
from forewarn.serving.render import environment
from forewarn.serving.store import StoreDamagedError

PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::"})  # nosec B104  # names compared, never bound


class NotFoundError(Exception):
    """A night, asset or file the request named does not exist (answered with 404)."""


def host_name(header: str) -> str:
    """The name in a ``Host`` header, lowercased, without port or trailing dot."""
    header = header.strip().lower()
    if header.startswith("["):  # [::1]:8765
        return header[1:].split("]", 1)[0]
    if header.count(":") == 1:
        header = header.split(":", 1)[0]
    return header.rstrip(".")


def allowed_hosts(bind: str = "127.0.0.1", extra: Iterable[str] = ()) -> frozenset[str]:
    """Host names the page answers: loopback, the address it binds (unless a wildcard),
    and any names the operator configured (``forewarn serve --allow-host``)."""
    names = set(LOOPBACK_NAMES) | {host_name(h) for h in extra if h.strip()}
    if host_name(bind) not in WILDCARD_BINDS:
        names.add(host_name(bind))
    return frozenset(names)


def guard(app: FastAPI, hosts: frozenset[str]) -> None:
    """Refuse foreign hosts and every method but GET/HEAD, map errors to pages, and add
    security headers."""

    @app.middleware("http")
    async def read_only(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if host_name(request.headers.get("host", "")) not in hosts:
            return Response(
                "unknown Host header: this page answers only the names it is served as "
                "(forewarn serve --allow-host adds one)\n",
                status_code=421,
            )
        head = request.method == "HEAD"
        if request.method not in ("GET", "HEAD"):
            return Response("read-only: GET only\n", status_code=405, headers={"Allow": "GET"})
        if head:
            request.scope["method"] = "GET"
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if head:
            async for _ in response.body_iterator:  # type: ignore[attr-defined]
                pass  # let the route finish; HEAD sends no body
            return Response(b"", status_code=response.status_code, headers=response.headers)
        return response

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return error_page(request, 404, str(exc))

    @app.exception_handler(StoreLockTimeoutError)
    async def busy(request: Request, exc: StoreLockTimeoutError) -> Response:
        return error_page(request, 503, "the score store is being written; try again shortly")

    @app.exception_handler(StoreDamagedError)
    async def damaged(request: Request, exc: StoreDamagedError) -> Response:
        return error_page(request, 500, str(exc))


def error_page(request: Request, status: int, message: str) -> Response:
    """The error as JSON under ``/api/``, else as the page's error template."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status)
    html = environment().get_template("web_error.html.j2").render(status=status, message=message)
    return HTMLResponse(html, status_code=status)
