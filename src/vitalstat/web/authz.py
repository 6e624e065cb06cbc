"""Authentication and authorization: every route names one permission (deny by default).

Routes are declared with :func:`route`, which records the route's permission in its
OpenAPI operation (``x-permission``) and puts the guard in front of the handler; the
guard runs before anything else about the request is looked at. :func:`check_routes`
(called by the app factory) refuses an app with any API route that names no permission,
so a route cannot be added without a row in ``domain.access.POLICY``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from vitalstat.domain.access import Permission, allowed
from vitalstat.domain.identity import normalize_ssn
from vitalstat.errors import ForbiddenError, UnauthenticatedError, ValidationError
from vitalstat.services.tokens import Identity
from vitalstat.store.reads import TokenLookup
from vitalstat.web.errors import ERROR_RESPONSES

__all__ = ["BODY_LIMIT", "UPLOAD_LIMIT", "caller", "check_routes", "identity",
           "lookup_read", "operations", "permission_of", "role_names", "route"]

#: The largest request body any route takes (JSON, forms, evidence): 16 MiB. Larger is
#: refused with 413 while it arrives, before it is parsed or stored.
BODY_LIMIT = 16 * 1024 * 1024
#: The largest file of reports or of a subscriber's customers (``upload=True`` routes):
#: 4 GiB (a 10-million-line DMF file is about 1 GiB).
UPLOAD_LIMIT = 4 * 1024 * 1024 * 1024

_BEARER = "an API token: vs_<id>_<secret>"


class _Guard(HTTPBearer):
    """A route's guard: its bearer token (in the OpenAPI, the one ``HTTPBearer`` scheme),
    authenticated, and the token's role allowed ``permission``. One dependency, not a
    guard over a separate ``HTTPBearer`` one: each costs FastAPI a solve per request.

    ``lookup``: the name of the route's SSN path parameter, for a route that looks one
    record up. The token is then read together with what a subscriber's lookup of that
    SSN needs, in one statement (``TokenVerifier.authenticate_lookup``), kept for the
    handler (:func:`lookup_read`) only once the token is authenticated and allowed."""

    def __init__(self, permission: Permission, lookup: str | None = None) -> None:
        super().__init__(auto_error=False, scheme_name="HTTPBearer", description=_BEARER)
        self.permission = permission
        self.lookup = lookup

    # async: the token check is one primary-key read, cheaper in the event loop than a
    # hop to the threadpool and back on every request
    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        creds = await super().__call__(request)
        if creds is None:
            raise UnauthenticatedError("an API token is required: "
                                       "Authorization: Bearer vs_<id>_<secret>")
        verifier = request.app.state.verifier
        ssn = self._lookup_ssn(request)
        read = None
        if ssn is None:
            who = verifier.authenticate(creds.credentials)
        else:
            who, read = verifier.authenticate_lookup(creds.credentials, ssn)
        if not allowed(who.role, self.permission):
            raise ForbiddenError(f"role {who.role.value} may not do this "
                                 f"(needs {self.permission.value})")
        request.state.identity = who
        if self.lookup is not None:
            request.state.lookup = read

    def _lookup_ssn(self, request: Request) -> str | None:
        if self.lookup is None:
            return None
        try:
            return normalize_ssn(str(request.path_params.get(self.lookup, "")))
        except ValidationError:
            return None  # the handler refuses it, after the token is checked as usual


def _guard(permission: Permission, lookup: str | None) -> Callable[..., Any]:
    if permission is Permission.PUBLIC:
        async def public() -> None:
            return None
        return public
    return _Guard(permission, lookup)


def lookup_read(request: Request) -> TokenLookup | None:
    """What the guard of a ``lookup=`` route read with the token (``None`` elsewhere)."""
    return getattr(request.state, "lookup", None)


def identity(request: Request) -> Identity:
    """The identity the guard authenticated (only on routes with a permission), read
    directly: for a route on the hot path, which saves the dependency FastAPI would
    solve on every request (:func:`caller`, the usual way)."""
    return request.state.identity  # type: ignore[no-any-return]


async def caller(request: Request) -> Identity:
    """The identity the guard authenticated, as a dependency (``Depends(caller)``)."""
    return identity(request)


def role_names(who: Identity) -> frozenset[str]:
    """The caller's roles as the services take them (plain names): its token's one role."""
    return frozenset({who.role.value})


def route(router: APIRouter, method: str, path: str, permission: Permission,
          upload: bool = False, lookup: str | None = None, **kwargs: Any
          ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a route with its permission (and the error statuses every route has).
    ``upload``: it takes a large file, up to :data:`UPLOAD_LIMIT` (others
    :data:`BODY_LIMIT`). ``lookup``: its path parameter holding an SSN to look up,
    read with the token (see ``_Guard``)."""
    return router.api_route(
        path, methods=[method], dependencies=[Depends(_guard(permission, lookup))],
        openapi_extra={"x-permission": permission.value},
        max_body_size=UPLOAD_LIMIT if upload else BODY_LIMIT,
        responses={**ERROR_RESPONSES, **kwargs.pop("responses", {})}, **kwargs)


def permission_of(api_route: APIRoute) -> Permission | None:
    extra = api_route.openapi_extra or {}
    value = extra.get("x-permission")
    return Permission(value) if value else None


def operations(app: FastAPI) -> list[tuple[str, str, Permission | None]]:
    """(method, path template, permission) of every operation in the app's OpenAPI."""
    found = []
    for path, item in app.openapi().get("paths", {}).items():
        for method, op in item.items():
            value = op.get("x-permission")
            found.append((method.upper(), path, Permission(value) if value else None))
    return found


def check_routes(app: FastAPI, routers: list[APIRouter] | None = None) -> None:
    """Refuse routes that name no permission: in the OpenAPI, and in ``routers`` (which
    also holds routes left out of the schema)."""
    missing = [f"{m} {p}" for m, p, perm in operations(app) if perm is None]
    for router in routers or []:
        missing += [r.path for r in router.routes
                    if isinstance(r, APIRoute) and permission_of(r) is None]
    if missing:
        raise RuntimeError(f"route(s) {', '.join(missing)} name no permission: declare "
                           "them with web.authz.route (deny by default)")
