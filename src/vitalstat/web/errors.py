"""The one place where errors become HTTP answers, all in one JSON shape.

``{"error": {"code": "<stable code>", "message": "<what is wrong, what to do>",
"problems": [{"line": 2, "field": "ssn", "reason": "..."}] | null}}``, plus
``"event_id"`` (the first bad entry) on an ``audit-log`` error that names one.

Codes are those of :mod:`vitalstat.errors` (README "Error codes") plus ``internal``.
No stack trace ever reaches a response or the log, and SSNs in messages are masked
(a message may name the SSN the caller sent; the log must not keep it).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from vitalstat import errors as e

__all__ = ["ERROR_RESPONSES", "ErrorBody", "install", "mask", "status_for"]

log = logging.getLogger("vitalstat.web")

#: Most specific first: the first class an error is an instance of decides.
_STATUS: tuple[tuple[type[e.VitalstatError], int], ...] = (
    (e.UnauthenticatedError, 401),
    (e.ForbiddenError, 403),
    (e.RoleRequired, 403),
    (e.NotFoundError, 404),
    (e.ConflictError, 409),
    (e.AuditLogError, 409),
    (e.ValidationError, 422),
    (e.RefusedError, 422),
    (e.StoreUnavailableError, 503),
    (e.SchemaOutOfDateError, 503),
    (e.StoreError, 500),
    (e.ConfigError, 500),
)

_SSN = re.compile(r"(?<!\d)\d{3}[- ]?\d{2}[- ]?\d{4}(?!\d)")


def mask(text: str) -> str:
    """``text`` with anything shaped like an SSN replaced by ``[SSN]``."""
    return _SSN.sub("[SSN]", text)


def status_for(exc: e.VitalstatError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


class Problem(BaseModel):
    line: int | None = None
    field: str | None = None
    reason: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    problems: list[Problem] | None = None
    event_id: int | None = Field(default=None, description="audit-log: the first bad entry")


class ErrorBody(BaseModel):
    error: ErrorDetail


def _answer(status: int, code: str, message: str, problems: list[dict[str, Any]] | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"error": {"code": code, "message": mask(message), "problems": problems, **extra}}
    return JSONResponse(body, status_code=status, headers=headers)


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", "?")


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.VitalstatError)
    status = status_for(exc)
    problems = None
    message = str(exc)
    if isinstance(exc, e.BadLinesError):
        problems = [{"line": p.line, "field": p.field, "reason": mask(p.reason)}
                    for p in exc.problems]
        message = f"{exc.total} bad line(s); nothing was loaded"
    elif isinstance(exc, e.InputFileError):
        p = exc.problem
        problems = [{"line": p.line, "field": p.field, "reason": mask(p.reason)}]
        message = f"line {p.line}: {p.field}: {p.reason}"
    elif isinstance(exc, e.ValidationError) and exc.field:
        problems = [{"line": None, "field": exc.field, "reason": mask(exc.reason)}]
    elif isinstance(exc, e.DisclosureRefused):
        problems = [{"line": None, "field": None, "reason": mask(r)} for r in exc.reasons]
        message = f"request {exc.number} refused (recorded as refused): see problems"
    extra = {}
    if isinstance(exc, e.AuditLogError) and exc.event_id is not None:
        extra["event_id"] = exc.event_id
    if status >= 500:
        log.error("%s %s failed: [%s]", request.method, _route(request), exc.code)
        if isinstance(exc, e.StoreError):
            message = "the registry database failed; try again later"
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return _answer(status, exc.code, message, problems, headers, **extra)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors()[:20]:
        where = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path",
                                                                   "header")]
        problems.append({"line": None, "field": ".".join(where) or None,
                         "reason": mask(str(err.get("msg", "invalid")))})
    return _answer(422, "invalid", "the request is malformed: see problems", problems)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not-found", 405: "method-not-allowed", 401: "unauthenticated",
            403: "forbidden", 413: "too-large"}.get(exc.status_code, "http")
    message = {404: "no such endpoint", 405: "method not allowed on this endpoint",
               413: "the request body is larger than this endpoint takes (16 MiB; files "
                    "of reports and subscriber files 4 GiB)"}.get(
        exc.status_code, str(exc.detail))
    if request.url.path.startswith("/ui/"):  # a person in a browser: a page, not JSON
        from vitalstat.web.ui.base import render_http_error

        return render_http_error(request, exc.status_code, code)
    return _answer(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The type only: a message or traceback could carry personal data.
    log.error("%s %s failed: internal error (%s)", request.method, _route(request),
              type(exc).__name__)
    return _answer(500, "internal", "internal error; the operator's log has the time and "
                   "endpoint")


class TooLargeInOneShape:
    """ASGI middleware: the body limiter's own 413 (plain text, sent before any handler
    runs) re-dressed as every other error: the JSON shape, or a page under ``/ui/``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def sending(message: Any) -> None:
            nonlocal replaced
            if replaced:
                return  # the limiter's own body: already answered
            if (message["type"] == "http.response.start" and message["status"] == 413
                    and dict(message.get("headers", [])).get(b"content-type", b"")
                    .startswith(b"text/plain")):
                replaced = True
                request = Request(scope, receive)
                await (await _http(request, StarletteHTTPException(413)))(
                    scope, receive, send)
                return
            await send(message)

        await self.app(scope, receive, sending)


def install(app: FastAPI) -> None:
    app.add_exception_handler(e.VitalstatError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


_E = {"model": ErrorBody}
#: Documented on every route: the statuses any route may answer with.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {**_E, "description": "no, malformed, unknown or revoked token"},
    403: {**_E, "description": "the token's role may not call this (forbidden, "
                               "role-required)"},
    404: {**_E, "description": "no such thing"},
    409: {**_E, "description": "conflicts with stored data (audit-log: the stored log "
                               "fails a check)"},
    413: {**_E, "description": "the request body is larger than the route takes "
                               "(too-large)"},
    422: {**_E, "description": "a value was rejected (see problems)"},
    500: {**_E, "description": "internal or configuration error"},
    503: {**_E, "description": "the registry database is unavailable"},
}
