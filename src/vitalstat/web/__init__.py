"""The HTTP API (FastAPI). Only this package imports FastAPI.

``create_app(store, config)`` builds the app; ``vitalstat serve`` runs it with uvicorn.
Routes per area (``routes_*.py``) parse, call a service, shape the answer; errors are
mapped to HTTP in ``errors.py``; permissions are checked in ``authz.py`` against
``domain.access.POLICY``.

Adding a route: a ``Permission`` member and its row in ``domain.access.POLICY``; the
route declared with ``@route(router, "POST", "/path", Permission.X, ...)`` in a
``routes_*.py`` module (the actor of any change is ``who.name`` from
``Depends(caller)``); a new module's ``router`` added to the list in ``app.create_app``;
its row in README "HTTP API". The authorization matrix test reads every route from the
app's OpenAPI (a new path parameter needs a sample value in its ``_PARAMS``).
"""

from vitalstat.web.app import ServerConfig, create_app

__all__ = ["ServerConfig", "create_app"]
