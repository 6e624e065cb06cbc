"""What every page of the web interface shares: templates, sign-in, CSRF, errors.

A page is declared with :func:`page`, which names its permission from
``domain.access.POLICY`` exactly as an API route does (deny by default), checks the
signed-in token, checks the CSRF token on every POST, runs the handler, and turns a
domain error into a page in plain words instead of a JSON body. Pages are left out of
the OpenAPI; :func:`check_pages` refuses a page without a permission.

Signing in means pasting an API token (``vitalstat token create``): it is kept in an
HttpOnly, SameSite=Strict cookie, so revoking the token signs the browser out at once.
Public pages need no token. CSRF: a random per-browser value in a SameSite=Strict
cookie, repeated in every form (``{{ csrf_field() }}``) and in htmx requests (the
``X-CSRF-Token`` header set on ``<body>``), compared on every POST.
"""

from __future__ import annotations

import functools
import hmac
import inspect
import logging
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from vitalstat import errors as e
from vitalstat.domain.access import Permission, allowed
from vitalstat.services.tokens import Identity
from vitalstat.web.authz import BODY_LIMIT, UPLOAD_LIMIT
from vitalstat.web.errors import mask, status_for
from vitalstat.web.ui import formats

__all__ = ["SESSION_COOKIE", "NavItem", "caller", "check_pages", "identity", "page", "render",
           "templates"]

log = logging.getLogger("vitalstat.web")

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
SESSION_COOKIE = "vs_session"
CSRF_COOKIE = "vs_csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_HOURS = 8

templates = Jinja2Templates(directory=str(TEMPLATES))  # autoescapes by default
templates.env.filters.update(when=formats.when, waited=formats.waited,
                             masked_ssn=formats.masked_ssn)
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


class NavItem:
    """A link in the page header, shown to whoever holds ``permission``."""

    __slots__ = ("label", "path", "permission")

    def __init__(self, label: str, path: str, permission: Permission) -> None:
        self.label, self.path, self.permission = label, path, permission


class _SignInNeeded(Exception):
    pass


def identity(request: Request) -> Identity | None:
    """Who is signed in on this request (``None`` on a public page without a session)."""
    return getattr(request.state, "identity", None)


def caller(request: Request) -> Identity:
    """Who is signed in, on a page that needs a sign-in (``page`` made sure of it)."""
    who = identity(request)
    if who is None:
        raise _SignInNeeded
    return who


def _signed_in(request: Request) -> Identity | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return request.app.state.verifier.authenticate(token)  # type: ignore[no-any-return]
    except e.UnauthenticatedError:
        return None


def _authorize(request: Request, permission: Permission) -> Identity | None:
    who = _signed_in(request)
    if permission is Permission.PUBLIC:
        return who
    if who is None:
        raise _SignInNeeded
    if not allowed(who.role, permission):
        raise e.ForbiddenError(f"you are signed in as {who.name} ({who.role.value}); "
                               "this page needs another role. Sign in with a token that "
                               "holds it, or ask an administrator.")
    return who


_CSRF_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")


def _csrf_value(request: Request) -> str:
    """The browser's CSRF value: its cookie if the cookie has the shape this server gives
    (a value planted in the cookie could otherwise reach the page's HTML), else a new one."""
    value = request.cookies.get(CSRF_COOKIE)
    if value is None or not _CSRF_SHAPE.fullmatch(value):
        value = getattr(request.state, "new_csrf", None)
    if value is None:
        value = secrets.token_urlsafe(24)
        request.state.new_csrf = value
    return value


async def _check_csrf(request: Request) -> None:
    expected = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise e.ForbiddenError("this form has expired or came from another site. Go back, "
                               "reload the page and send it again.")


def _nav(request: Request, who: Identity | None) -> list[NavItem]:
    items: list[NavItem] = request.app.state.ui_nav
    return [item for item in items if item.permission is Permission.PUBLIC
            or (who is not None and allowed(who.role, item.permission))]


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           status: int = 200) -> HTMLResponse:
    """``name`` rendered with the page context every template may use: ``who``, ``nav``,
    ``csrf``, ``csrf_field()`` and ``is_htmx`` (an htmx request wants a fragment)."""
    who = identity(request)
    csrf = _csrf_value(request)
    ctx = {"request": request, "who": who, "nav": _nav(request, who), "csrf": csrf,
           "csrf_field": lambda: Markup(f'<input type="hidden" name="csrf" value="{csrf}">'),
           "is_htmx": request.headers.get("HX-Request") == "true",
           **(context or {})}
    response = templates.TemplateResponse(request, name, ctx, status_code=status)
    _set_csrf_cookie(request, response)
    return response


def _set_csrf_cookie(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new is not None:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict", path="/ui")


#: What a person can do next, by error code (the message says what was wrong).
_NEXT_STEP = {
    "forbidden": "Sign in with a token that holds the right role, or ask an administrator.",
    "not-found": "Check the number or SSN you typed and try again.",
    "self-approval": "A second person must approve this: ask a colleague with the "
                     "approver role to sign in and approve it.",
}


def render_error(request: Request, exc: e.VitalstatError) -> HTMLResponse:
    status = status_for(exc)
    message = mask(str(exc)) if status < 500 else (
        "Something went wrong on our side. Nothing was changed; try again in a minute.")
    problems = [f"line {p.line}: {p.field}: {mask(p.reason)}"
                for p in getattr(exc, "problems", [])[:50]]
    return render(request, "error.html", {
        "status": status, "code": exc.code, "message": message, "problems": problems,
        "next_step": _NEXT_STEP.get(exc.code, "Go back, correct what the message names "
                                               "and try again.")}, status=status)


_HTTP_WORDS = {
    404: ("There is no such page here.", "Check the address, or start again from the "
                                          "start page."),
    405: ("That page cannot be used this way.", "Go back and use the page's own buttons."),
    413: ("The file or form you sent is too large.", "Send a smaller file, or split it."),
}


def render_http_error(request: Request, status: int, code: str) -> HTMLResponse:
    """An HTTP-level refusal (no such page, too large...) as a page in plain words."""
    message, next_step = _HTTP_WORDS.get(status, ("That did not work.", "Go back and try "
                                                                         "again."))
    request.state.identity = _signed_in(request)
    return render(request, "error.html", {"status": status, "code": code, "message": message,
                                          "problems": [], "next_step": next_step},
                  status=status)


def page(router: APIRouter, method: str, path: str, permission: Permission,
         upload: bool = False, **kwargs: Any
         ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a page (GET) or form action (POST) under ``permission``. ``upload``: it
    takes a large file (the limits of ``web.authz``).

    The handler takes ``request: Request`` first and returns a response, usually
    :func:`render`. A domain error it raises becomes an error page with the right status;
    a page that needs a sign-in redirects to it and comes back afterwards.
    """

    def declare(fn: Callable[..., Any]) -> Callable[..., Any]:
        sync = not inspect.iscoroutinefunction(fn)

        @functools.wraps(fn)
        async def handler(*args: Any, **kw: Any) -> Response:
            request: Request = kw["request"]
            try:
                request.state.identity = _authorize(request, permission)
                if method != "GET":
                    await _check_csrf(request)
                if sync:
                    return await run_in_threadpool(fn, *args, **kw)  # type: ignore[no-any-return]
                return await fn(*args, **kw)  # type: ignore[no-any-return]
            except _SignInNeeded:
                back = request.url.path if method == "GET" else "/ui/"
                return RedirectResponse(f"/ui/sign-in?next={quote(back)}", status_code=303)
            except e.VitalstatError as exc:
                return render_error(request, exc)
            except Exception as exc:  # the type only: a message could carry personal data
                log.error("%s %s failed: internal error (%s)", method, path,
                          type(exc).__name__)
                return render_error(request, e.VitalstatError("internal error"))

        # FastAPI reads the parameters from here (annotations resolved in fn's module)
        handler.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
        handler.__vitalstat_permission__ = permission  # type: ignore[attr-defined]
        router.add_api_route(path, handler, methods=[method], include_in_schema=False,
                             response_class=HTMLResponse,
                             max_body_size=UPLOAD_LIMIT if upload else BODY_LIMIT, **kwargs)
        return fn

    return declare


def check_pages(routers: list[APIRouter]) -> None:
    """Refuse a page that was not declared with :func:`page` (deny by default)."""
    bare = [r.path for router in routers for r in router.routes
            if isinstance(r, APIRoute) and not hasattr(r.endpoint, "__vitalstat_permission__")]
    if bare:
        raise RuntimeError(f"page(s) {', '.join(bare)} name no permission: declare them "
                           "with web.ui.base.page (deny by default)")


def page_permissions(app: FastAPI) -> list[tuple[str, str, Permission]]:
    """(method, path, permission) of every page: for the authorization tests."""
    return [(m, r.path, r.endpoint.__vitalstat_permission__)
            for router in app.state.ui_routers for r in router.routes
            if isinstance(r, APIRoute) for m in sorted(r.methods or ())]
