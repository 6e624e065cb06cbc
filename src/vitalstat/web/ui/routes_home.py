"""The start page, signing in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from vitalstat import errors as e
from vitalstat.domain.access import Permission
from vitalstat.web.ui.base import SESSION_COOKIE, SESSION_HOURS, NavItem, page, render

router = APIRouter()
NAV: list[NavItem] = []


def _safe_next(target: str | None) -> str:
    """Only a path of this site's interface (no open redirect)."""
    if target and target.startswith("/ui/") and not target.startswith("//"):
        return target
    return "/ui/"


@page(router, "GET", "/ui/", Permission.PUBLIC)
def home(request: Request) -> Response:
    return render(request, "home.html")


@page(router, "GET", "/ui/sign-in", Permission.PUBLIC)
def sign_in_form(request: Request, next: str | None = None) -> Response:
    return render(request, "sign_in.html", {"next": _safe_next(next), "error": None})


@page(router, "POST", "/ui/sign-in", Permission.PUBLIC)
def sign_in(request: Request, token: Annotated[str, Form()],
            next: Annotated[str, Form()] = "/ui/") -> Response:
    try:
        request.app.state.verifier.authenticate(token)
    except e.UnauthenticatedError:
        return render(request, "sign_in.html", {
            "next": _safe_next(next),
            "error": "That token was not accepted: it may be mistyped, revoked or expired. "
                     "Paste it again, or ask an administrator for a new one "
                     "(vitalstat token create)."}, status=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token.strip(), httponly=True, samesite="strict",
                        path="/ui", max_age=SESSION_HOURS * 3600)
    return response


@page(router, "POST", "/ui/sign-out", Permission.PUBLIC)
def sign_out(request: Request) -> Response:
    response = RedirectResponse("/ui/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/ui")
    return response
